"""The gate session: a plugin object registered only under ``--mlgate``.

It owns the gate, its context and its plan (:mod:`mlgate.plugin.plan`); turns each gate
item's outcome into a check result (kept in the report's ``user_properties``, so results
travel with reports to JUnit XML and from pytest-xdist workers); resolves the models and
datasets before the first check (a setup mistake is a usage error, exit 4); marks the report
directory as holding a run in progress; decides each stage; writes ``result.json`` and the
reports; records the run in the history database and sets the exit status.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from mlgate.core.context import GateContext
from mlgate.core.decision import ExitCode, StageDecision, decide_stage, exit_code
from mlgate.core.errors import ConfigError, HistoryError, ResultError, SetupError
from mlgate.core.gate import Gate, open_gate
from mlgate.core.result import CheckResult, Severity, Status
from mlgate.core.runner import TimeLimits, select_stages, shorten
from mlgate.history import DEFAULT_FILENAME, History
from mlgate.plugin.annotations import write_annotations
from mlgate.plugin.collect import GateCheckItem, GateFile
from mlgate.plugin.keys import FINAL_KEY, META_KEY, RECORDED_KEY
from mlgate.plugin.markers import meta_from_marker
from mlgate.plugin.outcome import phase_result
from mlgate.plugin.plan import WORKER_OUTPUT_KEY, Plan, check_key, result_key
from mlgate.plugin.signals import SigtermHandler, Terminated
from mlgate.plugin.terminal import write_summary
from mlgate.plugin.text import safe_longrepr, terminal_safe
from mlgate.report.outputs import (
    Written,
    default_step_summary,
    write_outputs,
    write_undecided,
)
from mlgate.report.result_json import build_result

RESULT_PROPERTY = "mlgate.core.result"
_PROPERTY_PREFIX = "mlgate."


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
        self.plan = Plan(gate, stages)
        self.limits = TimeLimits(gate.config)
        self.is_worker = hasattr(config, "workerinput")  # pytest-xdist: the controller decides
        self.collect_only = bool(config.option.collectonly)
        self.sigterm = SigtermHandler()
        self.decisions: list[StageDecision] = []
        self.results: list[CheckResult] = []
        self.mlflow_lines: tuple[str, ...] = ()
        self.partial_reason: str | None = None
        self.stopped: str | None = None  # why the session ended early, when it did
        self.signalled = False  # ended by Ctrl-C or SIGTERM
        self.setup_error: str | None = None
        self.written = Written()
        self.marker_error: str | None = None
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
        gate = _with_engine_options(gate, config)
        _check_promote_option(config, stages)
        if str(gate.path) not in config.args:  # make sure the gate file is collected
            config.args.append(str(gate.path))
        return cls(config, gate, stages, report_dir.resolve(), seed)

    @property
    def outputs(self) -> dict[str, Path]:
        """The files this run wrote, by name."""
        return self.written.paths

    @property
    def result_path(self) -> Path | None:
        return self.written.paths.get("result")

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
        for item in keep:
            if META_KEY in item.stash:
                self.plan.add_collected(
                    check_key(item.nodeid, item.stash[META_KEY]), item.stash[META_KEY]
                )

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        for item in items:
            meta = item.stash.get(META_KEY, None)
            if meta is not None:
                self.plan.deselected.add(check_key(item.nodeid, meta))

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """pytest-xdist, on the controller: a worker ended; add its part of the plan."""
        output = getattr(node, "workeroutput", None) or {}
        if WORKER_OUTPUT_KEY in output:
            self.plan.merge_wire(output[WORKER_OUTPUT_KEY])

    # -- running -----------------------------------------------------------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session):
        """Before the first check: mark the report directory as holding a run in progress,
        then resolve every model and dataset the selected stages' checks name (a setup
        mistake is one usage error, exit 4, before any check runs)."""
        if not self.is_worker and not self.collect_only:
            self._write_undecided(
                "the run is in progress, or was killed before it finished",
                f"in progress: the run started at {_iso(self._started)} (pid {os.getpid()}) "
                "has not finished; if this stays, it was killed before it could decide",
            )
            planned = [c for c in self.gate.checks if c.stage in self.stages]
            try:
                self.context.preflight(planned)
            except SetupError as exc:
                self.setup_error = str(exc)
                raise pytest.UsageError(f"mlgate: {exc}") from None
        return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]):
        report = yield
        meta = item.stash.get(META_KEY, None)
        if meta is None:
            return report
        current = item.stash.get(FINAL_KEY, None) or item.stash.get(RECORDED_KEY, None)
        result = phase_result(meta, current, call, report)
        if result is None:
            return report
        if result is not current or RESULT_PROPERTY not in dict(item.user_properties):
            item.stash[FINAL_KEY] = result
            item.user_properties[:] = [
                p for p in item.user_properties if not str(p[0]).startswith(_PROPERTY_PREFIX)
            ] + _junit_properties(result)
        report.user_properties = list(item.user_properties)
        report.longrepr = safe_longrepr(report.longrepr)  # data in messages: print it safely
        if report.failed and result.severity is Severity.WARN:
            # A warn-severity check never fails the run: its test passes, the failure text
            # stays in the report as a section and the gate summary shows it as warned.
            report.sections.append(
                ("mlgate: warn-severity check did not pass", str(report.longrepr))
            )
            report.outcome, report.longrepr = "passed", None
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when not in ("setup", "call", "teardown"):
            if report.failed:  # pytest-xdist: the worker running this item crashed
                self.plan.crashed[self.plan.key_of_nodeid(report.nodeid)] = str(report.longrepr)
            return
        if report.when != "teardown":
            return
        props = dict(report.user_properties)
        if RESULT_PROPERTY in props:
            result = CheckResult.from_dict(json.loads(props[RESULT_PROPERTY]))
            self.plan.results[result_key(report.nodeid, result)] = result

    def pytest_report_teststatus(self, report: pytest.TestReport, config: pytest.Config):
        """An inconclusive blocking check holds its stage but is not a failed test: pytest's
        lines say INCONCLUSIVE (the item still fails, so ``-x`` and JUnit see it)."""
        if report.when == "call" and report.failed:
            status = dict(getattr(report, "user_properties", ())).get("mlgate.status")
            if status == Status.INCONCLUSIVE.value:
                return "inconclusive", "?", ("INCONCLUSIVE", {"yellow": True})
        return None

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        if excinfo.errisinstance(Terminated):
            self.stopped, self.signalled = "the run was cancelled (SIGTERM)", True
        elif type(excinfo.value) is KeyboardInterrupt:
            self.stopped, self.signalled = "the run was interrupted (Ctrl-C)", True
        else:  # pytest's own stop: a collection error, or -x / --maxfail under pytest-xdist
            self.stopped = f"the session stopped early: {excinfo.value}"

    # -- deciding ----------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.sigterm.restore()
        if self.is_worker:  # pytest-xdist worker: send the plan, the controller decides
            self.config.workeroutput[WORKER_OUTPUT_KEY] = self.plan.to_wire()
            return
        if self.collect_only:  # listing items decides nothing and writes nothing
            return
        if self.setup_error is not None:
            problems = [p.strip() for p in self.setup_error.splitlines()[1:]]
            self._write_undecided(
                "setup error (exit status 4)",
                "no check ran: setup error (exit status 4): " + "; ".join(problems),
            )
            return
        if exitstatus == pytest.ExitCode.USAGE_ERROR:
            self._write_undecided(
                "usage error (exit status 4)", "no check ran: usage error (exit status 4)"
            )
            return
        stopped = self.stopped or _stop_reason(session)
        self.results, self.partial_reason = self.plan.outcome(stopped)
        self.decisions = [
            decide_stage(s, self.results, inconclusive=self.gate.config.stages[s].inconclusive)
            for s in self.stages
        ]
        code = exit_code(self.decisions)
        doc = self._document(self.results, self.decisions, code, self.partial_reason)
        self.written = write_outputs(doc, self.report_dir, step_summary=default_step_summary())
        self._record(doc)
        maxfail = self.config.option.maxfail
        stopped_by_maxfail = bool(maxfail) and session.testsfailed >= maxfail
        self._after_gate(doc, session)
        if code is ExitCode.HOLD and (
            session.exitstatus in (0, 1)
            # pytest-xdist ends -x / --maxfail as an interrupt (2); serially it is 1
            or (session.exitstatus == 2 and stopped_by_maxfail and not self.signalled)
        ):
            session.exitstatus = int(ExitCode.HOLD)

    def _document(
        self,
        results: list[CheckResult],
        decisions: list[StageDecision],
        code: ExitCode,
        partial_reason: str | None,
    ) -> dict[str, Any]:
        finished = time.time()
        doc = build_result(
            config=self.gate.config,
            gate_file=self._display_path(self.gate.path),
            seed=self.seed,
            stages=self.stages,
            results=results,
            decisions=decisions,
            exit_code=code,
            loaded=self._loaded(),
            timing={
                "started_at": _iso(self._started),
                "finished_at": _iso(finished),
                "duration_s": round(finished - self._started, 3),
            },
        )
        doc["run"]["partial"] = partial_reason is not None
        doc["run"]["partial_reason"] = partial_reason
        return doc

    def _loaded(self) -> dict[str, Any]:
        """What the run loaded, for result.json; a failure to describe it (an engine gone
        away) is recorded there and never stops the verdict from reaching the user."""
        try:
            return self.context.describe()
        except Exception as exc:
            return {"models": {}, "datasets": {}, "error": f"{type(exc).__name__}: {exc}"}

    def _write_undecided(self, why: str, reason: str) -> None:
        """Write a HOLD ``result.json`` for a run that has not decided (in progress, or
        stopped by a setup error): every planned check did not run, because ``why``;
        ``reason`` is the run's ``partial_reason``."""
        results, _ = self.plan.outcome(None, undecided=why)
        decisions = [
            decide_stage(s, results, inconclusive=self.gate.config.stages[s].inconclusive)
            for s in self.stages
        ]
        doc = self._document(results, decisions, ExitCode.HOLD, shorten(reason))
        doc["run"]["finished_at"] = doc["run"]["duration_s"] = None
        try:
            write_undecided(doc, self.report_dir)
        except OSError as exc:
            self.marker_error = f"{exc.strerror or exc}: {exc.filename or self.report_dir}"

    def _record(self, doc: dict[str, Any]) -> None:
        """Record the run in the history database, after the reports are written. A corrupt
        or foreign history file is never overwritten, and an unwritable one changes
        nothing: the reason is kept for the terminal summary and the run's outcome does not
        change."""
        path = self._history_path()
        if path is None:
            return
        try:
            History(path).record(doc)
        except (HistoryError, ResultError) as exc:
            self.history_error = str(exc)
        except OSError as exc:
            self.history_error = f"{path}: {exc.strerror or exc}"
        else:
            self.written.paths["history"] = path

    def _history_path(self) -> Path | None:
        opt = self.config.getoption("mlgate_history")
        if opt == "off":
            return None
        if opt:
            return (self.config.invocation_params.dir / opt).resolve()
        return self.report_dir / DEFAULT_FILENAME

    def ordered_results(self) -> list[CheckResult]:
        """Every planned check's result, in collection order; those that did not run are
        ``skipped`` (or ``error``: a crashed pytest-xdist worker), never passing."""
        return self.results or self.plan.outcome(self.stopped)[0]

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        from mlgate.plugin.progress import terminal_progress

        self.context.progress = terminal_progress(self.config)
        if not self.is_worker and not self.collect_only:
            self.sigterm.install()

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        # GitHub Actions annotations (GITHUB_ACTIONS=true only), after pytest's last line
        write_annotations(config.pluginmanager.get_plugin("terminalreporter"), self)
        self.sigterm.restore()
        self.context.close()  # a Dask cluster the engine started, its cached predictions

    def _after_gate(self, doc: dict[str, Any], session: pytest.Session) -> None:
        """--mlgate-mlflow / --mlgate-promote: log the run and move an alias, after the
        outputs are written. A registry error is reported (exit 11) and never masks a hold."""
        uri = self.config.getoption("mlgate_mlflow")
        target = self.config.getoption("mlgate_promote")
        if not (uri or target):
            return
        from mlgate.mlflow import PromoteTarget, after_gate

        done = after_gate(
            doc,
            self.report_dir,
            tracking_uri=uri,
            log=bool(uri),
            promote_to=PromoteTarget.parse(target) if target else None,
        )
        self.mlflow_lines = tuple(done.lines)
        if done.exit_code is not None and session.exitstatus == 0:
            session.exitstatus = done.exit_code

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        from mlgate.plugin.text import terminal_safe

        return [
            terminal_safe(
                f"mlgate: gate {self.gate.config.name!r} ({self._display_path(self.gate.path)}), "
                f"stages {self.stages}, seed {self.seed}"
            )
        ]

    def pytest_terminal_summary(self, terminalreporter, exitstatus: int, config) -> None:
        if self.is_worker:
            return
        write_summary(terminalreporter, self)
        for line in self.mlflow_lines:
            terminalreporter.write_line(terminal_safe(line))

    def _display_path(self, path: Path) -> str:
        try:
            return path.relative_to(self.config.rootpath).as_posix()
        except ValueError:
            return path.as_posix()


def _stop_reason(session: pytest.Session) -> str | None:
    """Why the session stopped before running every item (``-x``, ``--maxfail``), if it
    did."""
    reason = session.shouldfail or session.shouldstop
    if not reason:
        return None
    return (
        f"the session stopped early: {reason}"
        if isinstance(reason, str)
        else ("the session stopped early")
    )


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


def _with_engine_options(gate: Gate, config: pytest.Config) -> Gate:
    """The gate with --mlgate-engine / --mlgate-scheduler applied over its ``engine`` key.
    Raises pytest.UsageError for a combination the gate file would refuse."""
    name = config.getoption("mlgate_engine")
    scheduler = config.getoption("mlgate_scheduler")
    if name is None and scheduler is None:
        return gate
    from pydantic import ValidationError

    from mlgate.config.schema import EngineSpec

    current = gate.config.engine.model_dump()
    updates = {k: v for k, v in (("name", name), ("scheduler", scheduler)) if v is not None}
    if scheduler is not None and name is None and current["name"] != "dask":
        updates["name"] = "dask"  # a scheduler address means the dask engine
    try:
        spec = EngineSpec.model_validate({**current, **updates})
    except ValidationError as exc:
        raise pytest.UsageError(f"mlgate: --mlgate-engine / --mlgate-scheduler: {exc}") from None
    return dataclasses.replace(gate, config=gate.config.model_copy(update={"engine": spec}))


def _check_promote_option(config: pytest.Config, stages: list[str]) -> None:
    target = config.getoption("mlgate_promote")
    if not target:
        return
    from mlgate.mlflow import MlflowInputError, PromoteTarget

    try:
        parsed = PromoteTarget.parse(target)
    except MlflowInputError as exc:
        raise pytest.UsageError(f"mlgate: {exc}") from None
    if parsed.stage not in stages:
        raise pytest.UsageError(
            f"mlgate: --mlgate-promote {target!r}: stage {parsed.stage!r} is not decided in this "
            f"run (stages {stages})"
        )
