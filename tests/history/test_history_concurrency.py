"""Two gate runs writing at once lose nothing: two processes each record N runs into the
same history, starting together on a file that does not exist yet, and all 2N land."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

from mlgate.history import History

RUNS_PER_PROCESS = 40
WRITER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from mlgate.history import History

    path, name, n, go, template = sys.argv[1:6]
    n = int(n)
    doc = json.loads(Path(template).read_text())
    doc["gate"]["name"] = name
    deadline = time.monotonic() + 60
    while not Path(go).exists():  # start together
        if time.monotonic() > deadline:
            sys.exit("no start signal")
        time.sleep(0.001)
    start = time.time()
    history = History(path, timeout=60)
    for i in range(n):
        doc["run"]["seed"] = i
        history.record(doc)
        # a fresh handle now and then, as separate gate runs would open it
        if i % 10 == 9:
            history = History(path, timeout=60)
    print(json.dumps({"start": start, "end": time.time()}))
    """
)


def test_two_processes_recording_at_once_lose_nothing(tmp_path, result_factory):
    path = tmp_path / "history.sqlite"
    template = tmp_path / "result.json"
    template.write_text(json.dumps(result_factory()))
    go = tmp_path / "go"
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(path), f"p{k}", str(RUNS_PER_PROCESS), str(go),
             str(template)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(2)
    ]  # fmt: skip
    time.sleep(0.5)  # both interpreters are up and waiting
    go.touch()
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    history = History(path)
    runs = history.runs(limit=10_000)
    assert len(runs) == 2 * RUNS_PER_PROCESS
    assert sorted(r.run_id for r in runs) == list(range(1, 2 * RUNS_PER_PROCESS + 1))
    # the two writers were at work at the same time (one may have waited for the other's
    # transactions: SQLite serialises writes; what matters is that none is lost)
    (a, b) = [json.loads(out) for out, _ in outputs]
    assert max(a["start"], b["start"]) < min(a["end"], b["end"]), (a, b)
    for name in ("p0", "p1"):
        seeds = sorted(history.get(r.run_id)["run"]["seed"] for r in history.runs(name, limit=1000))
        assert seeds == list(range(RUNS_PER_PROCESS))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "go",
        "history.sqlite",
        "result.json",
        "writer.py",
    ]
