"""Build a :class:`ModelCard` from a ``result.json`` document alone.

What the run measured (metrics with intervals, per-slice metrics, calibration, drift,
baselines, champion comparison, stage verdicts, datasets, the model's class and parameters)
is filled in automatically; what only people know comes from the ``model_card:`` section the
result carries. Nothing is invented: expected fields nobody filled are listed in
``ModelCard.missing``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlgate.config.card import ModelCardSpec, missing_fields, validate_card_spec
from mlgate.core.errors import ResultError
from mlgate.report.card import fmt
from mlgate.report.card.evidence import Evidence, SliceMetric, evidence_tables, slice_metrics
from mlgate.report.views import Ladder, headline, partial_reason, stage_ladder

# Check kinds with a section of their own on the card, in card order; others are listed
# under "Other checks". "metric" checks make the main metrics table.
SECTION_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Per-slice and intersectional analysis", ("slice", "fairness")),
    ("Calibration", ("calibration", "confidence")),
    ("Baselines", ("baseline",)),
    ("Champion comparison and regression", ("champion", "regression")),
    ("Drift", ("drift", "backtest")),
)
AUTO_FILLED = {"model_details.architecture"}  # filled from the model's class when loaded


@dataclass(frozen=True)
class ModelInfo:
    role: str
    kind: str
    cls: str
    identity: str
    source: tuple[tuple[str, str], ...]
    params: tuple[tuple[str, str], ...]
    extra: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class DatasetInfo:
    role: str
    loaded: bool
    rows: int | None = None
    features: tuple[str, ...] = ()
    label: str | None = None
    time: str | None = None
    sensitive: tuple[str, ...] = ()
    slices: tuple[str, ...] = ()
    fingerprint: str | None = None

    def summary(self) -> str:
        """``228 rows, 30 features, label 'target'; fingerprint sha256:…``."""
        if not self.loaded:
            return "not loaded in this run"
        parts = [f"{fmt.num(self.rows)} rows", f"{len(self.features)} features"]
        if self.label:
            parts.append(f"label {self.label!r}")
        text = ", ".join(parts)
        return f"{text}; fingerprint {self.fingerprint}" if self.fingerprint else text


@dataclass(frozen=True)
class StageInfo:
    name: str
    verdict: str
    reasons: tuple[str, ...]
    counts: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class CheckInfo:
    """One check of the run, as the card shows it."""

    check_id: str
    kind: str
    check: str
    stages: tuple[str, ...]
    status: str
    severity: str
    metric: str | None
    value: float | None
    interval: Mapping[str, Any] | None
    threshold: Mapping[str, Any] | None
    sample_size: int | None
    method: str
    message: str
    model: str | None
    dataset: str | None
    higher_is_better: bool | None
    evidence: Evidence
    #: the bars of its ``Bars(over="slice")`` evidence: the per-slice quantitative analyses
    slice_metrics: tuple[SliceMetric, ...]

    @property
    def is_candidate(self) -> bool:
        """True when the check measures the candidate (or does not say which model)."""
        return self.model in (None, "candidate")


@dataclass(frozen=True)
class ModelCard:
    """Everything a model card shows, made from one result document. Renderers
    (:mod:`markdown`, :mod:`html`, :mod:`mct_json`) read only this."""

    title: str
    name: str
    gate: Mapping[str, str]
    run: Mapping[str, Any]
    mlgate_version: str
    verdict: str
    spec: ModelCardSpec
    candidate: ModelInfo | None
    other_models: tuple[ModelInfo, ...]
    stages: tuple[StageInfo, ...]
    metrics: tuple[CheckInfo, ...]
    sections: tuple[tuple[str, tuple[CheckInfo, ...]], ...]
    other_checks: tuple[CheckInfo, ...]
    training_data: DatasetInfo | None
    evaluation_data: tuple[DatasetInfo, ...]
    missing: tuple[tuple[str, str], ...]
    #: The decided stages in gate-file order and the stage the model reached.
    ladder: Ladder = field(default_factory=lambda: Ladder((), None))

    @property
    def partial(self) -> str | None:
        """Why the run is partial (not every planned check ran), or None: a partial run's
        card shows ``PARTIAL RUN`` where the verdict would be."""
        return partial_reason({"run": self.run})

    @property
    def headline(self) -> str:
        """The verdict as words, or ``PARTIAL RUN`` (:func:`mlgate.report.views.headline`)."""
        return headline({"run": self.run, "verdict": self.verdict or "hold"})

    @property
    def architecture(self) -> str | None:
        if self.spec.model_details.architecture:
            return self.spec.model_details.architecture
        return self.candidate.cls if self.candidate and self.candidate.cls else None

    @property
    def input_format(self) -> str | None:
        """The spec's input format, else the evaluation data's feature columns."""
        if self.spec.model_details.input_format:
            return self.spec.model_details.input_format
        for ds in self.evaluation_data:
            if ds.loaded and ds.features:
                cols = ", ".join(ds.features[:20])
                more = f", … ({len(ds.features) - 20} more)" if len(ds.features) > 20 else ""
                return f"a table of {len(ds.features)} feature columns: {cols}{more}"
        return None

    @property
    def all_checks(self) -> tuple[CheckInfo, ...]:
        return (*self.metrics, *(c for _, cs in self.sections for c in cs), *self.other_checks)

    def interval_methods(self) -> tuple[str, ...]:
        """The distinct confidence-interval methods of the run's checks, e.g.
        ``95% bootstrap-percentile``, in check order."""
        seen: list[str] = []
        for c in self.all_checks:
            if c.interval:
                level = fmt.finite(c.interval.get("level"))
                method = c.interval.get("method")
                parts = (f"{level:.0%}" if level is not None else "", str(method or ""))
                text = " ".join(p for p in parts if p)
                if text and text not in seen:
                    seen.append(text)
        return tuple(seen)


def build_card(result: Mapping[str, Any]) -> ModelCard:
    """Build the card of a ``result.json`` document.

    Returns a frozen :class:`ModelCard`. Raises :class:`~mlgate.core.errors.ResultError` when
    ``result`` is not a mapping, and :class:`~mlgate.core.errors.ConfigError` when its
    ``model_card`` section does not follow the schema (with the key path). Check evidence of
    any shape is accepted.
    """
    if not isinstance(result, Mapping):
        raise ResultError(
            f"a result document must be a mapping (the content of result.json); "
            f"got {type(result).__name__}"
        )
    gate = _mapping(result.get("gate"))
    models = _mapping(result.get("models"))
    datasets = _mapping(result.get("datasets"))
    spec = validate_card_spec(_mapping(result.get("model_card")))
    gate_name = str(gate.get("name") or "unnamed gate")
    name = spec.model_details.name or gate_name

    candidate = _model("candidate", models["candidate"]) if "candidate" in models else None
    others = tuple(_model(str(k), v) for k, v in models.items() if k != "candidate")
    checks = [_check(c) for c in _sequence(result.get("checks")) if isinstance(c, Mapping)]
    metric_rows = tuple(c for c in checks if c.kind == "metric" and c.metric)
    rest = [c for c in checks if not (c.kind == "metric" and c.metric)]
    sections = []
    for title, kinds in SECTION_KINDS:
        sections.append((title, tuple(c for c in rest if c.kind in kinds)))
    sectioned = {k for _, kinds in SECTION_KINDS for k in kinds}

    train_role = spec.training_data.dataset
    training = _dataset(train_role, datasets.get(train_role)) if train_role else None
    evaluation = tuple(_dataset(str(k), v) for k, v in datasets.items() if k != train_role)

    missing = tuple(
        (p, label)
        for p, label in missing_fields(spec)
        if not (p in AUTO_FILLED and candidate is not None and candidate.cls)
    )
    run = _mapping(result.get("run"))
    return ModelCard(
        title=f"Model card: {name}",
        name=name,
        gate={
            "name": gate_name,
            "description": str(gate.get("description") or ""),
            "file": str(gate.get("file") or ""),
            "task": str(gate.get("task") or ""),
        },
        run=dict(run),
        mlgate_version=str(result.get("mlgate_version") or ""),
        verdict=str(result.get("verdict") or ""),
        spec=spec,
        candidate=candidate,
        other_models=others,
        stages=tuple(_stage(s) for s in _sequence(result.get("stages")) if isinstance(s, Mapping)),
        metrics=metric_rows,
        sections=tuple(sections),
        other_checks=tuple(c for c in rest if c.kind not in sectioned),
        training_data=training,
        evaluation_data=evaluation,
        missing=missing,
        ladder=stage_ladder(result),
    )


def _mapping(x: Any) -> Mapping[str, Any]:
    return x if isinstance(x, Mapping) else {}


def _sequence(x: Any) -> Sequence[Any]:
    return x if isinstance(x, Sequence) and not isinstance(x, str) else ()


def _strs(x: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in _sequence(x))


def _opt_str(x: Any) -> str | None:
    return None if x is None else str(x)


def _model(role: str, info: Any) -> ModelInfo:
    info = _mapping(info)
    known = {"kind", "class", "params", "source", "identity", "name"}
    return ModelInfo(
        role=role,
        kind=str(info.get("kind") or ""),
        cls=str(info.get("class") or info.get("name") or ""),
        identity=str(info.get("identity") or ""),
        source=tuple((str(k), fmt.cell(v)) for k, v in _mapping(info.get("source")).items()),
        params=tuple((str(k), _param(v)) for k, v in sorted(_mapping(info.get("params")).items())),
        extra=tuple((str(k), fmt.cell(v)) for k, v in info.items() if k not in known),
    )


def _param(value: Any) -> str:
    """A parameter value; ``[[name, repr], ...]`` (pipeline steps) as ``name: repr; ...``."""
    pairs = _sequence(value)
    if pairs and all(
        isinstance(p, Sequence) and not isinstance(p, str) and len(p) == 2 for p in pairs
    ):
        return fmt.truncate("; ".join(f"{a}: {b}" for a, b in pairs), 400)
    return fmt.truncate(fmt.cell(value) if not isinstance(value, str) else value, 400)


def _dataset(role: str, info: Any) -> DatasetInfo:
    if not isinstance(info, Mapping):
        return DatasetInfo(role=role, loaded=False)
    rows = info.get("rows")
    return DatasetInfo(
        role=role,
        loaded=True,
        rows=int(rows) if fmt.is_number(rows) else None,
        features=_strs(info.get("features")),
        label=_opt_str(info.get("label")),
        time=_opt_str(info.get("time")),
        sensitive=_strs(info.get("sensitive")),
        slices=_strs(info.get("slices")),
        fingerprint=_opt_str(info.get("fingerprint")),
    )


def _stage(s: Mapping[str, Any]) -> StageInfo:
    counts = _mapping(s.get("counts"))
    return StageInfo(
        name=str(s.get("name", "?")),
        verdict=str(s.get("verdict", "")),
        reasons=_strs(s.get("reasons")),
        counts=tuple((str(k), int(v)) for k, v in counts.items() if fmt.is_number(v)),
    )


def _check(c: Mapping[str, Any]) -> CheckInfo:
    evidence = c.get("evidence")
    ev = _mapping(evidence)
    metric = _opt_str(c.get("metric"))
    hib = ev.get("higher_is_better")
    size = c.get("sample_size")
    return CheckInfo(
        check_id=str(c.get("id", "?")),
        kind=str(c.get("kind") or "custom"),
        check=str(c.get("check") or ""),
        stages=_strs(c.get("stages")),
        status=str(c.get("status") or "error"),
        severity=str(c.get("severity") or "block"),
        metric=metric,
        value=fmt.finite(c.get("value")),
        interval=c.get("interval") if fmt.is_interval(c.get("interval")) else None,
        threshold=c.get("threshold") if isinstance(c.get("threshold"), Mapping) else None,
        sample_size=int(size) if fmt.is_number(size) else None,
        method=str(c.get("method") or ""),
        message=str(c.get("message") or ""),
        model=_opt_str(ev.get("model")) if isinstance(ev.get("model"), str) else None,
        dataset=_opt_str(ev.get("dataset")) if isinstance(ev.get("dataset"), str) else None,
        higher_is_better=hib if isinstance(hib, bool) else None,
        evidence=evidence_tables(evidence, c),
        slice_metrics=tuple(slice_metrics(evidence)),
    )
