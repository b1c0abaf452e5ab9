"""A check run at several seeds: "overfit one batch at three seeds, all must pass".

A check declared with ``seeds: [0, 1, 2]`` runs once per seed, each time on a view of the
context whose ``seed`` is that value (so :meth:`GateContext.rng` and the training family's
seeded runs change with it). The loaded models, datasets and cached predictions are shared:
they belong to the gate, not to the check, and predicting again per seed would only repeat
the same pass. The result is the worst seed's (an intersection-union rule: the check passes
only when it passes at every seed), with one part per seed's part and a table of the seeds.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from mlgate.core.evidence import Table
from mlgate.core.result import PRECEDENCE, CheckResult, Part, rounded

if TYPE_CHECKING:
    from mlgate.core.context import GateContext


def at_seed(ctx: GateContext, seed: int) -> GateContext:
    """A shallow view of ``ctx`` whose run seed is ``seed`` (caches shared with ``ctx``)."""
    view = copy.copy(ctx)
    view.seed = int(seed)
    return view


def run_at_seeds(
    ctx: GateContext,
    seeds: Sequence[int],
    kind: str,
    run: Callable[[GateContext], CheckResult],
) -> CheckResult:
    """``run`` once per seed on :func:`at_seed` views, combined by :func:`combine`."""
    return combine(kind, [(seed, run(at_seed(ctx, seed))) for seed in seeds])


def combine(kind: str, runs: Sequence[tuple[int, CheckResult]]) -> CheckResult:
    """One result for a check run at several seeds.

    Each seed's parts become parts named ``seed S: …`` (a result without parts becomes one
    part that keeps its status but carries no bound, so a decision rule cannot re-judge a
    headline that was not the whole verdict). The status is the worst part's; the headline
    and evidence are the worst seed's (the first seed with the worst status), and the
    evidence gains a ``seeds`` table.
    """
    if not runs:
        raise ValueError("a check run at seeds needs at least one seed")
    parts: list[Part] = []
    for seed, result in runs:
        own = result.parts or (
            Part(
                name=result.metric or result.kind,
                status=result.status,
                value=result.value,
                sample_size=result.sample_size,
                message=result.message,
            ),
        )
        parts.extend(replace(p, name=f"seed {seed}: {p.name}") for p in own)
    rank = {status: i for i, status in enumerate(PRECEDENCE)}
    seed, worst = min(runs, key=lambda run: rank[run[1].status])
    table = Table.of(
        (
            {
                "seed": s,
                "status": r.status.value,
                "value": rounded(r.value),
                "message": r.message,
            }
            for s, r in runs
        ),
        title="Result at each seed",
    )
    return CheckResult.from_parts(
        kind,
        parts,
        metric=worst.metric,
        value=worst.value,
        interval=worst.interval,
        threshold=worst.threshold,
        sample_size=worst.sample_size,
        method=worst.method,
        message=f"seed {seed} (worst of {len(runs)}): {worst.message}",
        evidence={**worst.evidence, "seeds": table},
    )
