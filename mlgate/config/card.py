"""The gate file's ``model_card:`` section: what only people know about the model.

Aligned with the sections of the Model Cards paper (Mitchell et al., 2019) and the fields of
the Model Card Toolkit schema v0.0.2; every key is optional and every key is documented in
docs/model-card.md. Unknown keys are errors, so a typo never silently drops a fact.

This module imports only pydantic: ``mlgate.config.schema`` can use :class:`ModelCardSpec`
without an import cycle.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

URI_SCHEMES = ("http", "https", "ftp", "doi", "urn", "mailto", "file")


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _shorthand(key: str):
    """A before-validator that accepts a plain string for ``{key: string}``."""

    def convert(cls, value: Any) -> Any:
        return {key: value} if isinstance(value, str) else value

    return model_validator(mode="before")(classmethod(convert))


def _check_uri(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme.lower() not in URI_SCHEMES or not (parts.netloc or parts.path):
        raise ValueError(
            f"expected an absolute URI such as 'https://example.org/paper' "
            f"(schemes {', '.join(URI_SCHEMES)}); put a free-text reference under "
            "model_details.citations or model_details.resources instead"
        )
    return value


Uri = Annotated[str, AfterValidator(_check_uri)]


class Owner(_Spec):
    """A person or team who owns the model. A plain string is the name."""

    name: str = Field(min_length=1)
    contact: str | None = None

    _from_str = _shorthand("name")


class License(_Spec):
    """An SPDX identifier (``Apache-2.0``, or ``proprietary``) or the text of a custom license.
    A plain string is the identifier."""

    identifier: str | None = Field(None, min_length=1)
    custom_text: str | None = Field(None, min_length=1)

    _from_str = _shorthand("identifier")

    @model_validator(mode="after")
    def _exactly_one(self) -> License:
        if (self.identifier is None) == (self.custom_text is None):
            raise ValueError("give exactly one of 'identifier' (SPDX id) or 'custom_text'")
        return self


class Citation(_Spec):
    """How to cite the model. A plain string is the citation itself."""

    citation: str = Field(min_length=1)
    style: str | None = None

    _from_str = _shorthand("citation")


class Risk(_Spec):
    """An ethical (or environmental) risk and how it is addressed. A plain string is the
    name."""

    name: str = Field(min_length=1)
    mitigation_strategy: str | None = None

    _from_str = _shorthand("name")


class ModelDetails(_Spec):
    name: str | None = Field(None, min_length=1)
    overview: str | None = None
    description: str | None = None
    version: str | None = None
    date: dt.date | None = None
    changes: str | None = None
    owners: list[Owner] = Field(default_factory=list)
    license: License | None = None
    citations: list[Citation] = Field(default_factory=list)
    references: list[Uri] = Field(default_factory=list)
    resources: list[str] = Field(default_factory=list)
    architecture: str | None = None
    training_algorithm: str | None = None
    training_parameters: str | None = None
    fairness_constraints: list[str] = Field(default_factory=list)
    input_format: str | None = None
    output_format: str | None = None
    tags: list[str] = Field(default_factory=list)

    @field_validator("version", mode="before")
    @classmethod
    def _version_is_text(cls, value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raise ValueError(
                f"write the version as a quoted string, e.g. version: '{value}' "
                "(YAML reads 1.10 as the number 1.1)"
            )
        return value


class IntendedUse(_Spec):
    primary_uses: list[str] = Field(default_factory=list)
    primary_users: list[str] = Field(default_factory=list)
    out_of_scope_uses: list[str] = Field(default_factory=list)


class Factors(_Spec):
    relevant: list[str] = Field(default_factory=list)
    evaluation: list[str] = Field(default_factory=list)


class MetricsText(_Spec):
    performance_measures: str | None = None
    decision_thresholds: str | None = None
    variation_approaches: str | None = None


class DataInfo(_Spec):
    """A dataset as people describe it. ``dataset`` names one of the gate's datasets, whose
    rows, features and fingerprint are then filled in from the run."""

    dataset: str | None = None
    name: str | None = None
    description: str | None = None
    link: Uri | None = None
    preprocessing: str | None = None
    sensitive_data: list[str] = Field(default_factory=list)


class Considerations(_Spec):
    ethical_considerations: list[Risk] = Field(default_factory=list)
    limitations: list[str] = Field(default_factory=list)
    tradeoffs: list[str] = Field(default_factory=list)
    caveats: list[str] = Field(default_factory=list)
    recommendations: list[str] = Field(default_factory=list)


class ModelCardSpec(_Spec):
    """The ``model_card:`` section of a gate file. Every key is optional; what nobody fills
    in is listed as missing on the card."""

    model_details: ModelDetails = Field(default_factory=ModelDetails)
    intended_use: IntendedUse = Field(default_factory=IntendedUse)
    factors: Factors = Field(default_factory=Factors)
    metrics: MetricsText = Field(default_factory=MetricsText)
    training_data: DataInfo = Field(default_factory=DataInfo)
    evaluation_data: DataInfo = Field(default_factory=DataInfo)
    considerations: Considerations = Field(default_factory=Considerations)

    def to_json(self) -> dict[str, Any]:
        """The section as plain JSON (dates as ``YYYY-MM-DD``), leaving out what is unset;
        what ``result.json`` stores under ``model_card``. Validates back to an equal spec."""
        return self.model_dump(mode="json", exclude_defaults=True)


# Fields people should fill, in card order: (key path, what it is). Listed as missing when
# empty. Kept next to the model so a new field is not forgotten here.
EXPECTED_FIELDS: tuple[tuple[str, str], ...] = (
    ("model_details.name", "Model name"),
    ("model_details.overview", "One-line overview"),
    ("model_details.description", "Description"),
    ("model_details.version", "Version"),
    ("model_details.date", "Model date"),
    ("model_details.owners", "Owners and contact"),
    ("model_details.license", "License"),
    ("model_details.citations", "How to cite"),
    ("model_details.references", "References"),
    ("model_details.architecture", "Model type / architecture"),
    ("model_details.training_algorithm", "Training algorithm"),
    ("model_details.fairness_constraints", "Fairness constraints"),
    ("model_details.output_format", "Output format"),
    ("intended_use.primary_uses", "Primary intended uses"),
    ("intended_use.primary_users", "Primary intended users"),
    ("intended_use.out_of_scope_uses", "Out-of-scope uses"),
    ("factors.relevant", "Relevant factors"),
    ("factors.evaluation", "Evaluation factors"),
    ("metrics.performance_measures", "Why these performance measures"),
    ("metrics.decision_thresholds", "Decision thresholds"),
    ("training_data.description", "Training data"),
    ("evaluation_data.description", "Evaluation data description"),
    ("considerations.ethical_considerations", "Ethical considerations"),
    ("considerations.limitations", "Limitations"),
    ("considerations.tradeoffs", "Trade-offs"),
    ("considerations.recommendations", "Recommendations"),
)


def spec_value(spec: ModelCardSpec, path: str) -> Any:
    """The value at a dotted key path such as ``intended_use.primary_uses``."""
    value: Any = spec
    for part in path.split("."):
        value = getattr(value, part)
    return value


def missing_fields(spec: ModelCardSpec) -> tuple[tuple[str, str], ...]:
    """The expected fields nobody filled: ``(key path, label)`` pairs, in card order."""
    return tuple((p, label) for p, label in EXPECTED_FIELDS if spec_value(spec, p) in (None, []))


def validate_card_spec(
    data: Mapping[str, Any] | ModelCardSpec | None, *, datasets: Iterable[str] | None = None
) -> ModelCardSpec:
    """Validate a ``model_card:`` mapping and return the :class:`ModelCardSpec`.

    ``datasets``, when given, are the gate's dataset names: ``training_data.dataset`` and
    ``evaluation_data.dataset`` must be one of them. Raises :class:`mlgate.core.errors.ConfigError`
    listing every problem with its key path (``model_card.model_details.license: ...``).
    """
    from mlgate.core.errors import ConfigError

    if data is None:
        data = {}
    if isinstance(data, ModelCardSpec):
        spec = data
    elif not isinstance(data, Mapping):
        raise ConfigError(
            f"expected a mapping of sections (model_details, intended_use, ...); "
            f"got {type(data).__name__}",
            path="model_card",
        )
    else:
        try:
            spec = ModelCardSpec.model_validate(dict(data))
        except ValidationError as exc:
            from mlgate.config.load import format_validation_error  # no cycle at import time

            text = format_validation_error(exc, source="model_card", prefix="model_card")
            text = text.replace("invalid gate file", "invalid model card", 1)
            raise ConfigError(text.replace("docs/gate-file.md", "docs/model-card.md")) from None
    if datasets is not None:
        names = sorted(datasets)
        for section in ("training_data", "evaluation_data"):
            ref = getattr(spec, section).dataset
            if ref is not None and ref not in names:
                raise ConfigError(
                    f"got {ref!r}: not a dataset of this gate; expected one of {names}",
                    path=f"model_card.{section}.dataset",
                )
    return spec
