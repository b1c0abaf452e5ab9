"""Collect the gate file into pytest items: gate file → stages → one item per check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from mlgate.plugin.keys import FINAL_KEY, META_KEY
from mlgate.plugin.markers import CheckMeta
from mlgate.plugin.outcome import CheckFailed, apply_outcome

if TYPE_CHECKING:
    from mlgate.core.gate import PlannedCheck
    from mlgate.plugin.session import GateSession


class GateFile(pytest.File):
    """The gate file; its children are its stages."""

    gate_session: GateSession

    def collect(self) -> Iterator[pytest.Collector]:
        for stage in self.gate_session.gate.stage_names:
            yield GateStage.from_parent(self, name=stage)


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

        result = run_check(self.parent.parent.gate_session.context, self.planned)
        self.stash[FINAL_KEY] = result
        apply_outcome(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style=None) -> str:
        if isinstance(excinfo.value, CheckFailed):
            r = excinfo.value.result
            return (
                f"mlgate check {self.planned.stage}::{r.check_id} ({self.planned.key_path}) "
                f"{r.status.value}:\n  {r.message}"
            )
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, f"mlgate {self.planned.stage}::{self.planned.check_id}"
