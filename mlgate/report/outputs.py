"""Write every rendering of a gate run into the report directory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlgate.report.card import write_cards
from mlgate.report.html import render_html
from mlgate.report.markdown import render_summary
from mlgate.report.result_json import write_result


def write_outputs(
    doc: Mapping[str, Any],
    report_dir: Path,
    *,
    step_summary: str | None = None,
) -> dict[str, Path]:
    """Write ``result.json`` (first: it is the source of the rest), ``report.html``,
    ``summary.md`` and the model card files into ``report_dir``; append the summary to
    ``step_summary`` (the ``$GITHUB_STEP_SUMMARY`` file) when given. Returns the paths
    written, by name.

    Rendering records nothing: the session that ran the gate records the run in the history
    (:meth:`mlgate.history.History.record`), after this."""
    paths = {"result": write_result(doc, report_dir)}
    paths["report"] = _write(report_dir / "report.html", render_html(doc))
    summary = render_summary(doc)
    paths["summary"] = _write(report_dir / "summary.md", summary)
    for fmt, path in write_cards(doc, report_dir).items():
        paths[f"model card ({fmt})"] = path
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as fh:
            fh.write(summary + "\n")
    return paths


def default_step_summary() -> str | None:
    """``$GITHUB_STEP_SUMMARY`` when GitHub Actions sets it."""
    return os.environ.get("GITHUB_STEP_SUMMARY") or None


def _write(path: Path, text: str) -> Path:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
