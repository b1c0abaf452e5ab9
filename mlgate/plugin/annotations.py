"""GitHub Actions annotations: each check that holds or warns in a decided stage, on the line
of the file that declares it, beside the step summary (``$GITHUB_STEP_SUMMARY``).

Under ``GITHUB_ACTIONS=true`` the session prints one workflow command per check, after
pytest's last line:
``::error file=mlgate.yaml,line=14,title=…::…`` for a check that holds a stage (a blocking
check that failed, errored, was inconclusive under the ``hold`` policy, or did not run) and
``::warning …`` for one that only warns in it (a ``warned`` check, a failed warn-severity
check, an inconclusive one under the ``warn`` policy). The checks are the report's own lines
under the verdict banner (:func:`mlgate.report.views.findings`), so the annotations, the
report and the summary always name the same checks. A gate-file check points at the line of
its declaration (``- check: …``); a Python check at its ``def`` line.

GitHub shows at most 10 errors and 10 warnings per step and drops the rest without a word;
mlgate prints the first 10 of each and one notice saying how many more are in the report.

Text is escaped by GitHub's workflow-command rules: ``%``, ``\\r`` and ``\\n`` in the message,
and also ``:`` and ``,`` in properties, so no data can end a command early or start another;
every other control character is written as its Python escape (:func:`terminal_safe`), so the
log shows it as text.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.plugin.collect import check_lines
from mlgate.plugin.text import terminal_safe
from mlgate.report.views import findings

if TYPE_CHECKING:
    from mlgate.plugin.session import GateSession

#: Annotations of one level GitHub shows per step (errors, warnings and notices each).
PER_LEVEL = 10


def enabled(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this run is a GitHub Actions step (``GITHUB_ACTIONS=true``)."""
    environ = os.environ if environ is None else environ
    return environ.get("GITHUB_ACTIONS") == "true"


def escape_data(text: object) -> str:
    """A workflow command's message: ``%``, ``\\r``, ``\\n`` as ``%25``, ``%0D``, ``%0A``
    (GitHub shows the line breaks), other control characters as Python escapes.

    >>> escape_data("50%\\nnext")
    '50%25%0Anext'
    """
    text = str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return terminal_safe(text)


def escape_property(text: object) -> str:
    """A workflow command's property value: :func:`escape_data`, and ``:`` and ``,`` as
    ``%3A`` and ``%2C``.

    >>> escape_property("a: b, c")
    'a%3A b%2C c'
    """
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


@dataclass(frozen=True)
class Annotation:
    """One workflow command: ``level`` is ``error``, ``warning`` or ``notice``; ``file`` is
    relative to the repository root; ``line`` is 1-based (None: the file as a whole)."""

    level: str
    message: str
    title: str = ""
    file: str | None = None
    line: int | None = None

    def command(self) -> str:
        props = []
        if self.file is not None:
            props.append(f"file={escape_property(self.file)}")
            if self.line is not None:
                props.append(f"line={int(self.line)}")
        if self.title:
            props.append(f"title={escape_property(self.title)}")
        head = f"::{self.level}" + (" " + ",".join(props) if props else "")
        return f"{head}::{escape_data(self.message)}"


# -- where each check is declared ------------------------------------------------------------
@dataclass(frozen=True)
class Place:
    path: Path
    line: int | None


def gate_places(gate: Any) -> dict[tuple[str, str], Place]:
    """``(stage, check id) → Place`` of every check declared in the gate file."""
    lines = check_lines(gate.path)
    return {(c.stage, c.check_id): Place(gate.path, lines.get(c.key_path)) for c in gate.checks}


def python_place(rootpath: Path, nodeid: str) -> Place:
    """Where the test ``nodeid`` (``tests/test_x.py::TestY::test_z[p]``) is defined: its file
    and the line of its ``def`` (None when the file cannot be read or parsed)."""
    path_text, *names = nodeid.split("::")
    path = rootpath / path_text
    names = [re.sub(r"\[.*\]$", "", n) for n in names]
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeError, SyntaxError, ValueError):
        return Place(path, None)
    return Place(path, _def_line(tree.body, names))


def _def_line(body: Iterable[ast.stmt], names: list[str]) -> int | None:
    if not names:
        return None
    defs = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    for node in body:
        if isinstance(node, defs) and node.name == names[0]:
            return node.lineno if len(names) == 1 else _def_line(node.body, names[1:])
    return None


def display_path(path: Path, rootpath: Path, environ: Mapping[str, str]) -> str:
    """``path`` as GitHub wants it: relative to ``$GITHUB_WORKSPACE`` (the checkout) when it
    is inside, else relative to pytest's rootdir, else as it is."""
    for base in (environ.get("GITHUB_WORKSPACE"), rootpath):
        if base:
            try:
                return path.resolve().relative_to(Path(base).resolve()).as_posix()
            except (ValueError, OSError):
                continue
    return path.as_posix()


# -- the annotations of a session --------------------------------------------------------------
def session_annotations(
    session: GateSession, environ: Mapping[str, str] | None = None
) -> list[Annotation]:
    """The annotations of a decided session: one per check that holds or warns in a decided
    stage (the report's findings), errors first, at most :data:`PER_LEVEL` of each level and
    one notice for the rest."""
    environ = os.environ if environ is None else environ
    rootpath = session.config.rootpath
    places = gate_places(session.gate)
    python = {  # Python checks by (stages, id): their plan key is their node id
        (meta.stages, meta.check_id): key
        for key, meta in session.plan.entries.items()
        if meta.check_type == "python"
    }
    doc = {
        "stages": [d.to_dict() for d in session.decisions],
        "checks": [r.to_dict() for r in session.results],
    }
    out: list[Annotation] = []
    for f in findings(doc):
        level = "error" if f.blocking else "warning"
        stages = ", ".join(f.stages)
        if f.check is None:
            where = display_path(session.gate.path, rootpath, environ)
            title = f"mlgate stage {stages}: {'HOLD' if f.blocking else 'WARNING'}"
            out.append(Annotation(level, f.text, title, where))
            continue
        c = f.check
        nodeid = python.get((tuple(c.raw.get("stages", ())), c.id))
        place = (
            python_place(rootpath, nodeid)
            if nodeid is not None
            else places.get((c.stage, c.id), Place(session.gate.path, None))
        )
        held = "holds" if f.blocking else "warns in"
        title = f"mlgate: {c.id} {c.status} ({held} stage {stages})"
        message = f.text
        if c.key_number and c.message:
            message += "\n" + c.message
        where = display_path(place.path, rootpath, environ)
        out.append(Annotation(level, message, title, where, place.line))
    return limited(out)


def limited(annotations: list[Annotation]) -> list[Annotation]:
    """At most :data:`PER_LEVEL` annotations of each level (in order), then one notice naming
    how many were left out (GitHub would drop them silently)."""
    kept: list[Annotation] = []
    dropped: dict[str, int] = {}
    for a in annotations:
        if sum(k.level == a.level for k in kept) < PER_LEVEL:
            kept.append(a)
        else:
            dropped[a.level] = dropped.get(a.level, 0) + 1
    if dropped:
        counts = " and ".join(f"{n} more {level}s" for level, n in dropped.items())
        kept.append(
            Annotation(
                "notice",
                f"{counts} not shown as annotations (GitHub shows {PER_LEVEL} of each per "
                "step); the job summary and the report list every check",
                "mlgate: more checks did not pass",
            )
        )
    return kept


def write_annotations(terminalreporter: Any, session: GateSession) -> None:
    """Print the session's annotations when running as a GitHub Actions step and a stage was
    decided; nothing otherwise (nor without a terminal: ``-p no:terminal``).

    The session calls this last, after pytest's final line: the runner reads workflow commands
    anywhere in the log, and pytest's and mlgate's own summaries stay as they are."""
    if terminalreporter is None or not enabled() or not session.decisions:
        return
    for annotation in session_annotations(session):
        terminalreporter.write_line(annotation.command())
