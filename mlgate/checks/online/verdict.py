"""What an ``ab_test`` result says: the decision word, its headline, and its evidence blocks."""

from __future__ import annotations

from typing import Any

from mlgate.core.evidence import Curve, Examples, Table
from mlgate.core.result import Part, Status, rounded

AB_METHOD = (
    "difference in means (optionally CUPED-adjusted) with an always-valid normal-mixture "
    "confidence sequence (Waudby-Smith et al. 2023; Howard et al. 2021); sample ratio by "
    "Pearson's chi-square or Lindon & Malek's (2022) sequential test"
)

#: The decision each status stands for.
DECISIONS = {
    Status.PASSED: "promote",
    Status.FAILED: "hold",
    Status.ERROR: "hold",
    Status.INCONCLUSIVE: "keep collecting",
}


def decision(status: Status) -> str:
    """``promote`` (passed), ``keep collecting`` (inconclusive), else ``hold``."""
    return DECISIONS.get(status, "hold")


def headline(word: str, parts: list[Part], status: Status) -> str:
    """``<decision>: <the parts that decide it>``."""
    decisive = [p for p in parts if p.status is status]
    text = "; ".join(f"{p.name}: {p.message}" for p in decisive[:3])
    if len(decisive) > 3:
        text += f"; and {len(decisive) - 3} more"
    return f"{word}: {text}"


def _num(x: Any) -> Any:
    return rounded(x) if isinstance(x, float) else x


def ab_evidence(p, counts, parts: list[Part], rows: list[dict], trail, fold) -> dict[str, Any]:
    """The evidence of an ``ab_test`` result: decision, arms, sample-ratio test, effects per
    metric, the primary metric's confidence sequence over the log, and the log's problems."""
    n = int(counts.sum())
    srm = parts[0]
    needs = [r["units_needed"] for r in rows if r["status"] == "inconclusive"]
    status = Status.worst(parts)
    evidence: dict[str, Any] = {
        "decision": decision(status),
        "units_needed": max(needs) if needs and None not in needs else None,
        "arms": Table.of(
            [
                {
                    "arm": role,
                    "label": label,
                    "units": int(k),
                    "share": rounded(k / n) if n else None,
                    "designed_share": rounded(share),
                }
                for role, label, k, share in (
                    ("control", p.control, counts[0], 1.0 - p.treatment_share),
                    ("treatment", p.treatment, counts[1], p.treatment_share),
                )
            ],
            title="units per arm",
        ),
        "sample_ratio": {
            "test": p.srm_test,
            "p_value": rounded(srm.value, significant=True),
            "alpha": p.srm_alpha,
            "status": srm.status.value,
        },
        "effects": Table.of(
            [{k: _num(v) for k, v in r.items()} for r in rows],
            title="treatment − control per metric, with always-valid intervals",
        ),
        "confidence_sequence": sequence_curve(
            trail,
            ylabel=f"{rows[0]['metric']}: treatment − control",
            title="primary effect and its confidence sequence as the log grew",
        ),
    }
    return evidence | log_problems(parts)


def sequence_curve(trail, *, ylabel: str, title: str) -> Curve:
    """A statistic and its always-valid interval at each look at the log: ``trail`` holds
    ``(rows, value, low, high)`` per look (None where undefined)."""
    return Curve(
        x=[r for r, *_ in trail],
        y=[rounded(v) for _, v, _, _ in trail],
        low=[rounded(lo) for *_, lo, _ in trail],
        high=[rounded(hi) for *_, hi in trail],
        xlabel="rows of the log",
        ylabel=ylabel,
        title=title,
    )


def log_problems(parts: list[Part]) -> dict[str, Examples]:
    """``{"log_problems": …}``: the parts about the log itself (named ``log: …``) as
    examples, or nothing when the log had none."""
    problems = [q for q in parts if q.name.startswith("log: ")]
    if not problems:
        return {}
    return {
        "log_problems": Examples.of(
            [{"problem": q.name[5:], "detail": q.message} for q in problems],
            title="what is wrong with the log",
        )
    }
