"""The gate session: a plugin object registered only under ``--mlgate``.

It owns the gate and its context, turns each gate item's outcome into a check result (kept
in the report's ``user_properties``, so results travel with reports to JUnit XML and from
pytest-xdist workers), decides each stage, writes ``result.json`` and the reports, records the
run in the history database and sets the exit status.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from mlgate.core.context import GateContext
from mlgate.core.decision import ExitCode, StageDecision, decide_stage, exit_code
from mlgate.core.errors import ConfigError, HistoryError
from mlgate.core.gate import Gate, open_gate
from mlgate.core.result import CheckResult, Severity, Status
from mlgate.core.runner import finalize, select_stages
from mlgate.history import DEFAULT_FILENAME, History
from mlgate.plugin.collect import GateCheckItem, GateFile
from mlgate.plugin.keys import FINAL_KEY, META_KEY, RECORDED_KEY
from mlgate.plugin.markers import CheckMeta, meta_from_marker
from mlgate.plugin.terminal import write_summary
from mlgate.report.outputs import default_step_summary, write_outputs
from mlgate.report.result_json import build_result

RESULT_PROPERTY = "mlgate.core.result"


class GateSession:
    def __init__(
        self, config: pytest.Config, gate: Gate, stages: list[str], report_dir: Path, seed: int
    ) -> None:
        self.config = config
        self.gate = gate
        self.stages = stages
        self.report_dir = report_dir
        self.seed = seed
        self.context = GateContext(
            gate,
            seed=seed,
            device=config.getoption("mlgate_device"),
            update_golden=config.getoption("mlgate_update_golden"),
        )
        self.expected: dict[str, CheckMeta] = {}  # nodeid → meta, for selected gate items
        self.results: dict[str, CheckResult] = {}
        self.decisions: list[StageDecision] = []
        self.result_path: Path | None = None
        self.outputs: dict[str, Path] = {}
        self.history_error: str | None = None
        self._started = time.time()

    @classmethod
    def from_config(cls, config: pytest.Config) -> GateSession:
        """Load and validate the gate file. Raises pytest.UsageError with mlgate's message."""
        inv = config.invocation_params.dir
        opt_file = config.getoption("mlgate_file")
        path = (inv / opt_file) if opt_file else (config.rootpath / "mlgate.yaml")
        opt_dir = config.getoption("mlgate_report_dir")
        report_dir = (inv / opt_dir) if opt_dir else (config.rootpath / "reports")
        try:
            gate = open_gate(path)
            stages = select_stages(gate, config.getoption("mlgate_stage"))
        except ConfigError as exc:
            raise pytest.UsageError(f"mlgate: {exc}") from None
        seed = config.getoption("mlgate_seed")
        seed = gate.config.seed if seed is None else seed
        if str(gate.path) not in config.args:  # make sure the gate file is collected
            config.args.append(str(gate.path))
        return cls(config, gate, stages, report_dir.resolve(), seed)

    # -- collection --------------------------------------------------------------------
    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector):
        if file_path.resolve() == self.gate.path:
            node = GateFile.from_parent(parent, path=file_path)
            node.gate_session = self
            return node
        return None

    @pytest.hookimpl(tryfirst=True)  # before -k/-m deselect: those checks count as not run
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]):
        keep, drop = [], []
        for item in items:
            if not isinstance(item, GateCheckItem) and item.get_closest_marker("mlgate"):
                item.stash[META_KEY] = meta_from_marker(item, self.gate.stage_names)
            meta = item.stash.get(META_KEY, None)
            if meta is not None and not set(meta.stages) & set(self.stages):
                drop.append(item)
            else:
                keep.append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep
        self.expected = {i.nodeid: i.stash[META_KEY] for i in keep if META_KEY in i.stash}

    # -- running -----------------------------------------------------------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]):
        report = yield
        meta = item.stash.get(META_KEY, None)
        if meta is None or (FINAL_KEY in item.stash and call.when != "call"):
            return report
        result = _result_for(item, meta, call, report)
        if result is not None and RESULT_PROPERTY not in dict(item.user_properties):
            item.stash[FINAL_KEY] = result
            item.user_properties.extend(_junit_properties(result))
        if result is not None and report.failed and result.severity is Severity.WARN:
            # A warn-severity check never fails the run: its test passes, the failure text
            # stays in the report as a section and the gate summary shows it as warned.
            report.sections.append(
                ("mlgate: warn-severity check did not pass", str(report.longrepr))
            )
            report.outcome, report.longrepr = "passed", None
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "teardown":
            return
        props = dict(report.user_properties)
        if RESULT_PROPERTY in props:
            self.results[report.nodeid] = CheckResult.from_dict(json.loads(props[RESULT_PROPERTY]))

    # -- deciding ----------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if hasattr(self.config, "workerinput"):  # pytest-xdist worker: the controller decides
            return
        results = self.ordered_results()
        self.decisions = [
            decide_stage(s, results, inconclusive=self.gate.config.stages[s].inconclusive)
            for s in self.stages
        ]
        code = exit_code(self.decisions)
        finished = time.time()
        doc = build_result(
            config=self.gate.config,
            gate_file=self._display_path(self.gate.path),
            seed=self.seed,
            stages=self.stages,
            results=results,
            decisions=self.decisions,
            exit_code=code,
            loaded=self.context.describe(),
            timing={
                "started_at": _iso(self._started),
                "finished_at": _iso(finished),
                "duration_s": round(finished - self._started, 3),
            },
        )
        self.outputs = write_outputs(doc, self.report_dir, step_summary=default_step_summary())
        self.result_path = self.outputs["result"]
        self._record(doc)
        if code is ExitCode.HOLD and session.exitstatus in (0, 1):
            session.exitstatus = int(ExitCode.HOLD)

    def _record(self, doc: dict[str, Any]) -> None:
        """Record the run in the history database, after the reports are written. A corrupt
        or foreign history file is never overwritten: the reason is kept for the terminal
        summary and the run's outcome does not change."""
        path = self._history_path()
        if path is None:
            return
        try:
            History(path).record(doc)
        except HistoryError as exc:
            self.history_error = str(exc)
        else:
            self.outputs["history"] = path

    def _history_path(self) -> Path | None:
        opt = self.config.getoption("mlgate_history")
        if opt == "off":
            return None
        if opt:
            return (self.config.invocation_params.dir / opt).resolve()
        return self.report_dir / DEFAULT_FILENAME

    def ordered_results(self) -> list[CheckResult]:
        """Results in collection order; selected gate items that produced none (deselected
        by -k, stopped by -x) appear as ``skipped`` so they can never count as passing."""
        out = []
        for nodeid, meta in self.expected.items():
            result = self.results.get(nodeid)
            if result is None:
                result = finalize(
                    CheckResult(
                        check_id=meta.check_id,
                        kind=meta.kind,
                        status=Status.SKIPPED,
                        message="did not run (deselected, or the session stopped early)",
                    ),
                    check_id=meta.check_id,
                    stages=meta.stages,
                    severity=meta.severity,
                    check_type=meta.check_type,
                )
            out.append(result)
        # Under pytest-xdist the controller collects nothing: keep workers' results too.
        out.extend(self.results[n] for n in sorted(self.results) if n not in self.expected)
        return out

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        from mlgate.plugin.progress import terminal_progress

        self.context.progress = terminal_progress(self.config)

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        return [
            f"mlgate: gate {self.gate.config.name!r} ({self._display_path(self.gate.path)}), "
            f"stages {self.stages}, seed {self.seed}"
        ]

    def pytest_terminal_summary(self, terminalreporter, exitstatus: int, config) -> None:
        if hasattr(self.config, "workerinput"):
            return
        write_summary(terminalreporter, self)

    def _display_path(self, path: Path) -> str:
        try:
            return path.relative_to(self.config.rootpath).as_posix()
        except ValueError:
            return path.as_posix()


def _result_for(
    item: pytest.Item, meta: CheckMeta, call: pytest.CallInfo[None], report: pytest.TestReport
) -> CheckResult | None:
    """The check result of a gate item after one phase, or None if not decided yet."""
    if FINAL_KEY in item.stash:  # a gate-file check ran and produced its result
        return item.stash[FINAL_KEY]
    if RECORDED_KEY in item.stash:  # a Python check recorded one
        return item.stash[RECORDED_KEY]
    if call.when == "setup" and report.passed:
        return None
    if call.when == "teardown" and not report.failed:
        return None
    if report.skipped:
        status, message = Status.SKIPPED, _skip_reason(report)
    elif report.passed:
        status, message = Status.PASSED, "test passed"
    elif (
        call.excinfo is not None
        and call.excinfo.errisinstance(AssertionError)
        and call.when == "call"
    ):
        status, message = Status.FAILED, _short(call.excinfo)
    else:
        where = "" if call.when == "call" else f"in {call.when}: "
        status, message = Status.ERROR, f"{where}{_short(call.excinfo)}"
    return finalize(
        CheckResult(check_id=meta.check_id, kind=meta.kind, status=status, message=message),
        check_id=meta.check_id,
        stages=meta.stages,
        severity=meta.severity,
        check_type=meta.check_type,
    )


def _short(excinfo: pytest.ExceptionInfo[BaseException] | None) -> str:
    if excinfo is None:
        return "failed"
    text = str(excinfo.value).strip().splitlines()
    first = text[0] if text else ""
    return f"{excinfo.typename}: {first}" if first else excinfo.typename


def _skip_reason(report: pytest.TestReport) -> str:
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return "skipped"


def _junit_properties(result: CheckResult) -> list[tuple[str, Any]]:
    props: list[tuple[str, Any]] = [
        ("mlgate.status", result.status.value),
        ("mlgate.severity", result.severity.value),
    ]
    if result.metric is not None:
        props.append(("mlgate.metric", result.metric))
    if result.value is not None:
        props.append(("mlgate.value", repr(float(result.value))))
    if result.interval is not None:
        props.append(("mlgate.ci_low", repr(result.interval.low)))
        props.append(("mlgate.ci_high", repr(result.interval.high)))
    if result.threshold is not None:
        props.append(("mlgate.threshold", f"{result.threshold.op} {result.threshold.bound!r}"))
    props.append((RESULT_PROPERTY, json.dumps(result.to_dict(), sort_keys=True)))
    return props


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="seconds")
