"""The gate file's schema. Every key is documented in docs/gate-file.md.

Unknown keys are errors (``extra="forbid"``) except inside a check declaration, whose
extra keys are that check's parameters, validated against the check's own model.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from mlgate.config.card import ModelCardSpec
from mlgate.core.result import DecisionRule, Severity
from mlgate.core.task import Task

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
#: A dotted Python type name, as skops reports untrusted types.
_TYPE_NAME = r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$"
#: The largest ``timeout`` (seconds) a gate, stage or check may declare: one day.
MAX_TIMEOUT_S = 86_400
#: The most seeds one check may run at (each seed is a whole run of the check).
MAX_SEEDS = 32


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelSpec(_Strict):
    """How to obtain one model: a ``module:callable`` factory, a file, both (a torch
    architecture from ``factory`` plus weights from ``path``), or an MLflow model ``uri``
    (``models:/name@alias``, ``models:/name/version`` or ``runs:/run_id/path``; needs
    ``mlgate[mlflow]``)."""

    #: The MLflow model URIs a gate accepts (docs/mlflow.md). Stages and ``latest`` are not
    #: among them: they move under a gate that is running; an alias or a version is named.
    URI_FORMS: ClassVar[dict[str, str]] = {
        "alias": r"^models:/(?P<name>[^/@]+)@(?P<alias>[\w-]+)$",
        "version": r"^models:/(?P<name>[^/@]+)/(?P<version>\d+)$",
        "run": r"^runs:/(?P<run_id>[\w-]+)/(?P<path>[^\s]+)$",
    }

    #: ``module:callable`` returning the model (called with ``args``, plus ``seed=`` when it
    #: takes one); with ``path``, the torch architecture the weights go into.
    factory: str | None = Field(None, pattern=r"^[\w.]+:[\w.]+$")
    #: A model file, relative to the gate file (formats below).
    path: str | None = None
    #: An MLflow model URI: ``models:/name@alias``, ``models:/name/version`` or
    #: ``runs:/run_id/path`` (needs ``mlgate[mlflow]``; docs/mlflow.md).
    uri: str | None = None
    #: MLflow tracking server for ``uri``; default: MLflow's own (``MLFLOW_TRACKING_URI``).
    tracking_uri: str | None = None
    #: Keyword arguments for ``factory``.
    args: dict[str, Any] = Field(default_factory=dict)
    #: Force an adapter instead of choosing one from the object.
    kind: Literal["auto", "sklearn", "torch", "callable"] = "auto"
    #: Allow every format that can run code when loaded (pickle, joblib, whole torch
    #: modules, skops files with any type): only for files from a source you trust.
    trust: bool = False
    #: The types a ``.skops`` file may hold beyond those skops trusts by default (the safe
    #: middle between refusing and ``trust: true``); a file holding any other is refused,
    #: naming it.
    trusted: list[str] = Field(default_factory=list)
    #: Class labels for torch modules and callables returning scores (column order); the
    #: last is the positive class of a binary task.
    classes: list[Any] | None = None
    #: Torch inference batch size (halved on out-of-memory).
    batch_size: PositiveInt = 1024
    #: Where a scikit-learn classifier's labels come from: ``proba``, the most probable class
    #: of ``predict_proba`` (one model pass; ``predict`` is compared on a sample), or
    #: ``predict``, for a model whose ``predict`` applies its own decision rule (a tuned
    #: threshold): a second pass.
    labels: Literal["proba", "predict"] = "proba"

    @field_validator("trusted", mode="before")
    @classmethod
    def _type_names(cls, v: Any) -> Any:
        if isinstance(v, bool):
            raise ValueError(
                f"'trusted' lists type names (e.g. [sklearn.ensemble._hist_gradient_boosting."
                f"predictor.TreePredictor]), got {v}; to allow any type write 'trust: true'"
            )
        if isinstance(v, str):
            v = [v]
        if isinstance(v, list):
            bad = [t for t in v if not isinstance(t, str) or not re.match(_TYPE_NAME, t)]
            if bad:
                raise ValueError(
                    f"'trusted' entries are dotted type names such as "
                    f"sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor; "
                    f"got {bad}"
                )
            if len(set(v)) != len(v):
                raise ValueError(f"'trusted' lists a type twice: {v}; list each once")
        return v

    @field_validator("uri")
    @classmethod
    def _mlflow_uri(cls, v: str | None) -> str | None:
        if v is None or any(re.match(form, v) for form in cls.URI_FORMS.values()):
            return v
        raise ValueError(
            f"{v!r} is not an MLflow model URI mlgate loads; expected models:/<name>@<alias> "
            "(e.g. models:/churn@champion), models:/<name>/<version> (e.g. models:/churn/3) "
            "or runs:/<run_id>/<artifact path>. Stages and 'latest' move while a gate runs: "
            "name an alias or a version instead"
        )

    @model_validator(mode="after")
    def _source_given(self) -> ModelSpec:
        if self.uri is not None:
            extra = [k for k in ("factory", "path") if getattr(self, k) is not None]
            extra += [k for k in ("args", "trusted") if getattr(self, k)]
            if extra:
                raise ValueError(
                    f"'uri' ({self.uri}) loads the model from MLflow on its own; "
                    f"drop {' and '.join(repr(k) for k in extra)}, or drop 'uri'"
                )
            return self
        if self.tracking_uri is not None:
            raise ValueError(
                f"'tracking_uri' ({self.tracking_uri}) is only for a model given by 'uri'; "
                "add 'uri: models:/<name>@<alias>' or drop 'tracking_uri'"
            )
        if self.factory is None and self.path is None:
            raise ValueError(
                "give 'factory' (module:callable) or 'path' (a model file), or both; "
                "or 'uri' (an MLflow model, e.g. models:/churn@champion)"
            )
        if self.trusted:
            if self.trust:
                raise ValueError(
                    "'trust: true' allows every type, so 'trusted' would be ignored; keep "
                    "'trusted' (only the listed types) and drop 'trust', or drop 'trusted'"
                )
            if self.path is None or not self.path.lower().endswith(".skops"):
                raise ValueError(
                    f"'trusted' lists the types a .skops file may hold; path {self.path!r} "
                    "is not a .skops file. Drop 'trusted' (pickle and torch files take "
                    "'trust: true')"
                )
        return self


class DatasetSpec(_Strict):
    """One dataset and the roles of its columns."""

    #: A ``.csv``, ``.parquet`` (needs ``mlgate[parquet]``) or ``.npz`` file (arrays ``X``,
    #: optional ``y``), relative to the gate file.
    path: str | None = None
    #: ``module:callable`` returning a DataFrame, a 2-D array, an ``(X, y)`` pair or a
    #: mapping with ``X`` / ``y``.
    factory: str | None = Field(None, pattern=r"^[\w.]+:[\w.]+$")
    #: Keyword arguments for ``factory`` (plus ``seed=`` if it takes one and ``args`` does not
    #: give it).
    args: dict[str, Any] = Field(default_factory=dict)
    #: Overrides the format the extension implies.
    format: Literal["auto", "csv", "parquet", "npz"] = "auto"
    #: Keyword arguments for the reader (pandas' read_csv / read_parquet), e.g. ``{sep: ";"}``.
    read_options: dict[str, Any] = Field(default_factory=dict)
    #: The target column; required by checks that score predictions.
    label: str | None = None
    #: The columns the model sees; none: every column but ``label`` and ``time``.
    features: list[str] | None = None
    #: The time column of time-ordered data (backtests and drift windows).
    time: str | None = None
    #: Sensitive attributes (fairness and slice checks).
    sensitive: list[str] = Field(default_factory=list)
    #: Columns to slice metrics by.
    slices: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_source(self) -> DatasetSpec:
        if (self.path is None) == (self.factory is None):
            raise ValueError(
                "give exactly one of 'path' (a CSV, Parquet or .npz file) or "
                "'factory' (module:callable returning a DataFrame)"
            )
        return self

    @property
    def non_feature_columns(self) -> list[str]:
        cols = [c for c in (self.label, self.time) if c is not None]
        return cols


class CheckDecl(BaseModel):
    """One check in a stage: ``check`` names a registered check type; other keys are its
    parameters."""

    model_config = ConfigDict(extra="allow", frozen=True)

    #: A registered check type (the ``mlgate.checks`` entry points; listed below).
    check: str
    #: Unique within the stage; names the pytest item ``<gate file>::<stage>::<id>``.
    #: Default: from the check type (e.g. the metric).
    id: str | None = Field(None, pattern=NAME_PATTERN)
    #: ``block``: a check that does not pass holds the stage; ``warn``: it only warns.
    severity: Severity = Severity.BLOCK
    #: How this check's bounds are judged (overrides the stage's and the gate's).
    decision_rule: DecisionRule | None = None
    #: Seconds this check may run; past it the check is ``error`` (docs/interfaces.md).
    timeout: float | None = Field(None, gt=0, le=MAX_TIMEOUT_S, strict=True, allow_inf_nan=False)
    #: Run the check once per seed (the gate's seed replaced by each) and keep the worst
    #: result: "overfit one batch at three seeds, all must pass" (docs/interfaces.md).
    seeds: list[Annotated[int, Field(ge=0, le=2**32 - 1, strict=True)]] | None = Field(
        None, min_length=1, max_length=MAX_SEEDS
    )

    @field_validator("seeds")
    @classmethod
    def _distinct_seeds(cls, seeds: list[int] | None) -> list[int] | None:
        if seeds is not None and len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds repeat a value: {seeds}; list each seed once")
        return seeds

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class StageSpec(_Strict):
    """One stage: a set of checks decided together (promote or hold)."""

    #: Shown with the stage's verdict.
    description: str = ""
    #: The stage's checks, each a check declaration (at least one).
    checks: list[CheckDecl] = Field(min_length=1)
    #: How the stage's checks' bounds are judged (overrides the gate's).
    decision_rule: DecisionRule | None = None
    #: What an inconclusive blocking check does to the stage: hold it (the default), warn
    #: (promote with warnings) or pass.
    inconclusive: Literal["hold", "warn", "pass"] = "hold"
    #: Seconds the stage's checks may run together (in one pytest process).
    timeout: float | None = Field(None, gt=0, le=MAX_TIMEOUT_S, strict=True, allow_inf_nan=False)


class EngineSpec(_Strict):
    """Where the gate's rows are read and predicted (docs/dask.md): ``local``, in this process
    (the default), or ``dask``, on a Dask cluster (``mlgate[dask]``). The gate file may give
    just the name (``engine: dask``)."""

    #: ``local``: this process; ``dask``: a Dask cluster.
    name: Literal["local", "dask"] = "local"
    #: dask: the scheduler's address (``tcp://host:8786``); none starts a LocalCluster.
    scheduler: str | None = None
    #: dask: the LocalCluster's workers (and threads each) when no scheduler is given.
    n_workers: PositiveInt = Field(2, le=1024)
    #: dask: the threads of each LocalCluster worker.
    threads_per_worker: PositiveInt = Field(1, le=256)
    #: dask: the most rows a check that needs every row at once may gather into this process;
    #: above it such a check is refused with an error, never run on collected data.
    max_collect_rows: int = Field(1_000_000, ge=0, le=10**10)

    @model_validator(mode="after")
    def _dask_keys(self) -> EngineSpec:
        if self.name != "dask" and self.scheduler is not None:
            raise ValueError("'scheduler' is a setting of the dask engine; set 'name: dask'")
        return self


class GateConfig(_Strict):
    """The whole gate file."""

    #: The gate-file schema version.
    version: Literal[1] = 1
    #: The gate's name, shown in the report and the history.
    name: str = Field(min_length=1)
    #: Shown in the report.
    description: str = ""
    #: What the models predict.
    task: Task
    # NumPy and the history database both take it; 2**32 - 1 is NumPy's legacy bound.
    #: The seed of every random draw (NumPy's generators, and torch's during prediction);
    #: ``--mlgate-seed`` overrides it.
    seed: int = Field(0, ge=0, le=2**32 - 1)
    #: How every check's bounds are judged unless a stage or check says otherwise:
    #: strict (the interval must clear the bound), lenient or point (docs/policies.md).
    decision_rule: DecisionRule = DecisionRule.STRICT
    #: Seconds all the gate's checks may run together (in one pytest process).
    timeout: float | None = Field(None, gt=0, le=MAX_TIMEOUT_S, strict=True, allow_inf_nan=False)
    #: The models by name; must contain ``candidate`` (``champion`` is conventional).
    models: dict[str, ModelSpec]
    #: The datasets by name; must contain ``evaluation`` (``reference`` is conventional).
    datasets: dict[str, DatasetSpec]
    #: The stages by name, decided in file order (at least one).
    stages: dict[str, StageSpec] = Field(min_length=1)
    #: Facts for the model card, validated (docs/model-card.md).
    model_card: ModelCardSpec = Field(default_factory=ModelCardSpec)
    #: Where rows are read and predicted: ``local`` or ``dask`` (docs/dask.md).
    engine: EngineSpec = Field(default_factory=EngineSpec)

    @field_validator("engine", mode="before")
    @classmethod
    def _engine_name(cls, v: Any) -> Any:
        return {"name": v} if isinstance(v, str) else v

    @field_validator("models")
    @classmethod
    def _has_candidate(cls, v: dict[str, ModelSpec]) -> dict[str, ModelSpec]:
        if "candidate" not in v:
            raise ValueError(f"a 'candidate' model is required; got models {sorted(v)}")
        return v

    @field_validator("datasets")
    @classmethod
    def _has_evaluation(cls, v: dict[str, DatasetSpec]) -> dict[str, DatasetSpec]:
        if "evaluation" not in v:
            raise ValueError(f"an 'evaluation' dataset is required; got datasets {sorted(v)}")
        return v

    @field_validator("model_card")
    @classmethod
    def _card_datasets(cls, v: ModelCardSpec, info: ValidationInfo) -> ModelCardSpec:
        names = info.data.get("datasets") or {}
        for section in ("training_data", "evaluation_data"):
            ref = getattr(v, section).dataset
            if ref is not None and ref not in names:
                raise ValueError(
                    f"{section}.dataset {ref!r} is not a dataset of this gate; "
                    f"expected one of {sorted(names)}"
                )
        return v

    @field_validator("models", "datasets", "stages")
    @classmethod
    def _names(cls, v: dict[str, Any]) -> dict[str, Any]:
        import re

        for name in v:
            if not re.match(NAME_PATTERN, str(name)):
                raise ValueError(
                    f"name {name!r} is not allowed: use letters, digits, '_', '.', '-'"
                )
        return v
