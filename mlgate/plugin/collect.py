"""Collect the gate file into pytest items: gate file → stages → one item per check."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from mlgate.plugin.keys import FINAL_KEY, LINES_KEY, META_KEY
from mlgate.plugin.markers import CheckMeta
from mlgate.plugin.outcome import CheckFailed, apply_outcome
from mlgate.plugin.text import terminal_lines

if TYPE_CHECKING:
    from mlgate.core.gate import PlannedCheck
    from mlgate.plugin.session import GateSession


class GateFile(pytest.File):
    """The gate file; its children are its stages."""

    gate_session: GateSession

    def collect(self) -> Iterator[pytest.Collector]:
        self.stash[LINES_KEY] = check_lines(self.path)
        for stage in self.gate_session.gate.stage_names:
            yield GateStage.from_parent(self, name=stage)


def check_lines(path: Path) -> dict[str, int]:
    """The line (1-based) of each check declaration in the gate file, by key path
    (``stages.staging.checks[0]``); empty when the file cannot be read again."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeError, yaml.YAMLError):
        return {}
    lines: dict[str, int] = {}
    stages = _child(root, "stages")
    for stage_key, stage in stages.value if isinstance(stages, yaml.MappingNode) else ():
        checks = _child(stage, "checks")
        if isinstance(checks, yaml.SequenceNode):
            for i, node in enumerate(checks.value):
                lines[f"stages.{stage_key.value}.checks[{i}]"] = node.start_mark.line + 1
    return lines


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((v for k, v in node.value if getattr(k, "value", None) == key), None)


class GateStage(pytest.Collector):
    """One stage; its children are its checks, in gate-file order."""

    def collect(self) -> Iterator[pytest.Item]:
        gate_session = self.parent.gate_session
        for planned in gate_session.gate.checks_of(self.name):
            item = GateCheckItem.from_parent(self, name=planned.check_id, planned=planned)
            item.add_marker("mlgate")
            yield item


class GateCheckItem(pytest.Item):
    """One check declared in the gate file."""

    def __init__(self, *, planned: PlannedCheck, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.planned = planned
        self.stash[META_KEY] = CheckMeta(
            check_id=planned.check_id,
            kind=planned.kind,
            severity=planned.severity,
            stages=(planned.stage,),
            check_type=planned.check_type.name,
        )

    def runtest(self) -> None:
        from mlgate.core.runner import run_check

        gate_session = self.parent.parent.gate_session
        result = run_check(gate_session.context, self.planned, limits=gate_session.limits)
        self.stash[FINAL_KEY] = result
        apply_outcome(result, where=(str(self.path), self.line or 1))

    @property
    def line(self) -> int | None:
        """The line of this check's declaration in the gate file (1-based), if known."""
        return self.parent.parent.stash.get(LINES_KEY, {}).get(self.planned.key_path)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style=None) -> str:
        if isinstance(excinfo.value, CheckFailed):
            r = excinfo.value.result
            return (
                f"mlgate check {self.planned.stage}::{r.check_id} ({self.planned.key_path}) "
                f"{r.status.value}:\n  {terminal_lines(r.message)}"
            )
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        line = self.line
        return (
            self.path,
            None if line is None else line - 1,
            f"mlgate {self.planned.stage}::{self.planned.check_id}",
        )
