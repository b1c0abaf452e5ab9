"""Write every rendering of a gate run into the report directory.

Every file is written whole under a unique temporary name beside its target, then renamed
into place (:func:`atomic_write_text`): a reader never sees half a file, and runs that share a
report directory never write into each other's temporary files (the last rename wins).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlgate.report.result_json import dumps

#: The renderings written after ``result.json``, by name (the model card's come from
#: :data:`mlgate.report.card.CARD_FILES`).
RENDERINGS = {"report": "report.html", "summary": "summary.md"}


@dataclass
class Written:
    """What :func:`write_outputs` wrote (paths by name) and what it could not write (the
    reason by name). ``"result"`` missing from ``paths`` means ``result.json`` was not
    written: any ``result.json`` in the directory is from another run."""

    paths: dict[str, Path] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


def write_outputs(
    doc: Mapping[str, Any],
    report_dir: Path,
    *,
    step_summary: str | None = None,
) -> Written:
    """Write ``result.json`` (first: it is the source of the rest), ``report.html``,
    ``summary.md`` and the model card files into ``report_dir``; append the summary to
    ``step_summary`` (the ``$GITHUB_STEP_SUMMARY`` file) when given.

    Never raises for a file it cannot write or render: each problem is returned in
    :attr:`Written.problems` (a read-only directory, a full disk, a renderer's bug), so the
    caller can still show the verdict. When ``result.json`` cannot be written, nothing else
    is: a report newer than its ``result.json`` would contradict it.

    Rendering records nothing: the session that ran the gate records the run in the history
    (:meth:`mlgate.history.History.record`), after this."""
    out = Written()
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
        out.paths["result"] = atomic_write_text(report_dir / "result.json", dumps(doc))
    except OSError as exc:
        out.problems["result"] = _describe(exc)
        return out
    summary = None
    for name, render in _renderings(doc):
        try:
            for key, (filename, text) in render().items():
                out.paths[key] = atomic_write_text(report_dir / filename, text)
                if key == "summary":
                    summary = text
        except Exception as exc:  # a rendering failure never hides the verdict
            out.problems[name] = _describe(exc)
    if step_summary and summary is not None:
        try:
            with open(step_summary, "a", encoding="utf-8") as fh:
                fh.write(summary + "\n")
        except OSError as exc:
            out.problems["step summary"] = _describe(exc)
    return out


def write_undecided(doc: Mapping[str, Any], report_dir: Path) -> Path:
    """Mark ``report_dir`` as holding a run that has not decided: write ``doc`` (a HOLD
    result of a run just started, or stopped by a setup error) as ``result.json`` and remove
    the previous run's renderings, so that a run killed before it ends (SIGKILL, a lost
    machine) never leaves an earlier run's result looking current. Raises OSError when
    ``result.json`` cannot be written; a rendering that cannot be removed is left (the
    result says what is current)."""
    from mlgate.report.card import CARD_FILES

    report_dir.mkdir(parents=True, exist_ok=True)
    path = atomic_write_text(report_dir / "result.json", dumps(doc))
    for name in (*RENDERINGS.values(), *CARD_FILES.values()):
        with contextlib.suppress(OSError):
            (report_dir / name).unlink(missing_ok=True)
    return path


def default_step_summary() -> str | None:
    """``$GITHUB_STEP_SUMMARY`` when GitHub Actions sets it."""
    return os.environ.get("GITHUB_STEP_SUMMARY") or None


def atomic_write_text(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` atomically: into a new file with
    a unique name in the same directory (created exclusively, with the umask's permissions),
    flushed to disk, then renamed over ``path``. The temporary file is removed on failure.
    Raises OSError. Returns ``path``."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename == str(tmp):  # name the file meant
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise
    return path


def _renderings(doc: Mapping[str, Any]):
    """(name, render) for each rendering; ``render()`` gives ``{key: (file name, text)}``."""

    def report() -> dict[str, tuple[str, str]]:
        from mlgate.report.html import render_html

        return {"report": (RENDERINGS["report"], render_html(doc))}

    def summary() -> dict[str, tuple[str, str]]:
        from mlgate.report.markdown import render_summary

        return {"summary": (RENDERINGS["summary"], render_summary(doc))}

    def card() -> dict[str, tuple[str, str]]:
        from mlgate.report.card import CARD_FILES, build_card, mct_document
        from mlgate.report.card.html import render_html as card_html
        from mlgate.report.card.markdown import render_markdown

        built = build_card(doc)
        texts = {
            "markdown": render_markdown(built),
            "json": json.dumps(mct_document(built), indent=2, ensure_ascii=False) + "\n",
            "html": card_html(built),
        }
        return {f"model card ({fmt})": (CARD_FILES[fmt], text) for fmt, text in texts.items()}

    return [("report", report), ("summary", summary), ("model card", card)]


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return f"{type(exc).__name__}: {exc}"
