"""Batched evaluation of a torch MLP: mlgate's TorchAdapter vs a hand-written
``torch.inference_mode()`` loop with the same batch size (the baseline, same run).

Both start from the same pandas DataFrame and end with the same things: class
probabilities and labels as NumPy arrays. The baseline is the fastest loop a user would
write: it feeds the model zero-copy slices of the frame's memory, where the adapter copies
each batch (contiguous, and never shared with the caller's data). Rounds alternate between
the two and the median is reported; "same output" checks the probabilities agree to 1e-6.

On the CPU the clock is the process's CPU time (``time.process_time``), which a busy shared
machine disturbs far less than wall time; on a GPU it is wall time after a synchronize.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_torch_eval.py``
Latest figures are in docs/checks/training.md.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from contextlib import nullcontext

import numpy as np
import pandas as pd
import torch

from mlgate.core.task import Task
from mlgate.models.torch import TorchAdapter


def _mlp(n_in: int, seed: int = 0) -> torch.nn.Module:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return torch.nn.Sequential(
            torch.nn.Linear(n_in, 128),
            torch.nn.ReLU(),
            torch.nn.Linear(128, 64),
            torch.nn.ReLU(),
            torch.nn.Linear(64, 10),
        ).eval()


def _frame(rows: int, cols: int) -> pd.DataFrame:
    data = np.random.default_rng(0).normal(size=(rows, cols)).astype(np.float32)
    return pd.DataFrame(data, columns=[f"x{i}" for i in range(cols)])


def hand_loop(model, frame: pd.DataFrame, batch: int, device: str, dtype) -> np.ndarray:
    """What a user would write: tensor from the frame, batched forward, softmax, to NumPy."""
    with warnings.catch_warnings():  # a read-only view of the frame: the model only reads it
        warnings.simplefilter("ignore", UserWarning)
        x = torch.from_numpy(frame.to_numpy(dtype=np.float32))
    amp = torch.autocast(device, dtype=dtype) if dtype is not None else nullcontext()
    with torch.inference_mode(), amp:
        outs = [model(x[i : i + batch].to(device)) for i in range(0, len(x), batch)]
        probs = torch.softmax(torch.cat(outs).float(), dim=1).cpu().numpy()
    probs.argmax(axis=1)  # labels, as the adapter computes them
    return probs


def adapter(model, frame: pd.DataFrame, batch: int, device: str, autocast) -> np.ndarray:
    ad = TorchAdapter(model, Task.MULTICLASS, batch_size=batch, device=device, autocast=autocast)
    return ad.predict(frame).scores


def _timed(fn, *args) -> tuple[float, np.ndarray]:
    device = args[3]
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        start = time.perf_counter()
        out = fn(*args)
        torch.cuda.synchronize()
        return time.perf_counter() - start, out
    start = time.process_time()
    out = fn(*args)
    return time.process_time() - start, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=64)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1024, 8192])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--autocast", choices=["bf16", "fp16"], default=None)
    args = parser.parse_args()
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, None: None}[args.autocast]
    frame = _frame(args.rows, args.features)
    model = _mlp(args.features).to(args.device)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), device "
        f"{args.device}, autocast {args.autocast}, {args.rows:,} rows x {args.features}"
    )
    clock = "wall" if args.device.startswith("cuda") else "cpu"
    print(f"{'batch':>7}{'mlgate s':>11}{'hand loop s':>13}{'ratio':>8}  same output ({clock} s)")
    for batch in args.batch_sizes:
        ours, theirs = [], []
        for _ in range(args.rounds):  # alternate, so drift on a shared machine hits both
            t, a = _timed(adapter, model, frame, batch, args.device, args.autocast)
            ours.append(t)
            t, b = _timed(hand_loop, model, frame, batch, args.device, dtype)
            theirs.append(t)
        same = np.allclose(a, b, rtol=0, atol=1e-6)
        t_ours, t_theirs = statistics.median(ours), statistics.median(theirs)
        print(f"{batch:>7}{t_ours:>11.3f}{t_theirs:>13.3f}{t_ours / t_theirs:>7.2f}x  {same}")


if __name__ == "__main__":
    main()
