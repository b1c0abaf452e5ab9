"""The check registry: the public extension point.

A check type is a :class:`CheckType` object published under the ``mlgate.checks``
entry-point group. mlgate's built-in checks are registered the same way, in mlgate's own
``pyproject.toml``, so they prove the API is enough for a third party::

    [project.entry-points."mlgate.checks"]
    my_check = "my_package.checks:MY_CHECK"
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from mlgate.core.errors import ConfigError

if TYPE_CHECKING:
    from mlgate.config.schema import GateConfig
    from mlgate.core.context import GateContext
    from mlgate.core.result import CheckResult

ENTRY_POINT_GROUP = "mlgate.checks"

from mlgate.core.params import Resamples  # noqa: E402,F401 - re-exported


@dataclass(frozen=True)
class CheckType:
    """A kind of check the gate file can declare.

    ``params`` validates the check's keys in the gate file. ``run`` computes a
    :class:`~mlgate.core.result.CheckResult` from the gate context; the kernel fills in the id,
    stages and severity. ``validate`` (optional) checks parameters against the whole gate
    (e.g. that a named dataset exists) and raises :class:`ConfigError` with ``path`` set to
    the offending parameter name. ``default_id`` names a check the user did not name.
    """

    name: str
    kind: str
    params: type[BaseModel]
    run: Callable[[GateContext, Any], CheckResult]
    summary: str = ""
    validate: Callable[[Any, GateConfig], None] | None = None
    default_id: Callable[[Any], str] | None = None
    #: True (the default) when the check needs every row at once (it reads ``ctx.dataset`` /
    #: ``ctx.predict``); False when it folds ``ctx.batches`` into mergeable accumulators, so a
    #: chunked or distributed engine can run it without collecting the rows.
    #: May also be a function of the parsed parameters (a check that folds batches for one
    #: interval method and needs every row for another).
    needs_all_rows: bool | Callable[[Any], bool] = True

    def __call__(self, ctx: GateContext, /, **params: Any) -> CheckResult:
        """Run this check from Python on ``ctx`` exactly as a gate file would declare it:
        ``params`` are parsed and validated (the schema, then ``validate``), the check runs
        with the context's cache and seeding, and the result comes back with the default id.

        ``CALIBRATION(mlgate, max_ece=0.05)`` in a test that uses the ``mlgate`` fixture, or on
        :meth:`GateContext.from_objects`. Raises ConfigError for bad parameters.
        """
        parsed = parse_params(self, ctx.gate.config, params)
        with ctx.running(self, parsed):  # the engine knows which check reads the rows
            result = self.run(ctx, parsed)
        if result.check_id in ("", "?"):
            check_id = self.default_id(parsed) if self.default_id else self.name
            result = result.with_context(check_id=check_id)
        return result


class CheckRegistry:
    """Check types by name, loaded lazily from entry points (a broken third-party plugin only
    matters when a gate uses its check)."""

    def __init__(self, entry_points_: Iterable[EntryPoint] = ()) -> None:
        self._entry_points = {ep.name: ep for ep in entry_points_}
        self._loaded: dict[str, CheckType] = {}

    @classmethod
    def from_entry_points(cls) -> CheckRegistry:
        return cls(entry_points(group=ENTRY_POINT_GROUP))

    def register(self, check_type: CheckType) -> None:
        """Add a check type directly (tests, or checks defined in a conftest)."""
        self._loaded[check_type.name] = check_type

    def names(self) -> list[str]:
        return sorted(set(self._entry_points) | set(self._loaded))

    def get(self, name: str) -> CheckType:
        """The check type called ``name``. Raises ConfigError listing the known names."""
        if name in self._loaded:
            return self._loaded[name]
        ep = self._entry_points.get(name)
        if ep is None:
            raise ConfigError(
                f"unknown check {name!r}; known checks: {', '.join(self.names()) or 'none'}. "
                f"Plugins add checks through the {ENTRY_POINT_GROUP!r} entry-point group."
            )
        try:
            obj = ep.load()
        except Exception as exc:  # a third party's import error, shown with its cause
            raise ConfigError(
                f"check {name!r} could not be loaded from {ep.value!r}: {type(exc).__name__}: {exc}"
            ) from exc
        if not isinstance(obj, CheckType):
            raise ConfigError(
                f"entry point {name!r} = {ep.value!r} is a {type(obj).__name__}, "
                "expected an mlgate.core.registry.CheckType"
            )
        self._loaded[name] = obj
        return obj


# -- what a check type needs to validate its declaration (public: plugins use these too) --
def parse_params(check_type: CheckType, config: GateConfig, params: Mapping[str, Any]) -> BaseModel:
    """Validate keyword parameters of a check called from Python exactly as the gate file's
    would be: the check type's schema, then its ``validate``. Raises ConfigError listing
    every problem."""
    from pydantic import ValidationError

    from mlgate.config.load import format_validation_error

    try:
        parsed = check_type.params.model_validate(dict(params))
    except ValidationError as exc:
        text = format_validation_error(exc, source=f"check {check_type.name!r}")
        raise ConfigError(text.replace("invalid gate file", "invalid parameters")) from None
    problems = number_problems(parsed)
    if problems:
        raise ConfigError(
            f"check {check_type.name!r}: invalid parameters ({len(problems)} problem(s)):\n"
            + "\n".join(f"  {p}" for p in problems)
        )
    if check_type.validate is not None:
        check_type.validate(parsed, config)
    return parsed


def require_model(config: GateConfig, name: str, path: str = "model") -> None:
    """ConfigError at ``path`` unless the gate declares model ``name``."""
    if name not in config.models:
        raise ConfigError(f"no model {name!r}; declared: {sorted(config.models)}", path=path)


def require_dataset(
    config: GateConfig, name: str, path: str = "dataset", *, label: bool = True
) -> None:
    """ConfigError at ``path`` unless the gate declares dataset ``name`` (with a ``label``
    column, unless ``label=False``)."""
    if name not in config.datasets:
        raise ConfigError(f"no dataset {name!r}; declared: {sorted(config.datasets)}", path=path)
    if label and config.datasets[name].label is None:
        raise ConfigError(f"dataset {name!r} has no 'label' column to score against", path=path)


#: The largest count (rows, resamples, steps, variants, bins...) any check parameter may hold.
#: Past it a run would take days, and numbers past 2**63 crash the history database.
MAX_COUNT = 10**9


def number_problems(params: BaseModel) -> list[str]:
    """What is wrong with the numbers in ``params``, as ``key.path: got <value>: <why>``
    lines: an integer parameter (a count) above :data:`MAX_COUNT` or below ``-MAX_COUNT``,
    or a NaN anywhere (nested too; NaN compares false with every bound, so it would pass or
    fail a check silently). The kernel applies this to every check's parameters, whatever the
    check's own schema allows; data-domain numbers (an expectation's ``max``) may be large.
    """
    out: list[str] = []
    for name, value in params:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_COUNT:
            out.append(
                f"{name}: got {value:.4g}: a count must be at most {MAX_COUNT:.0e} "
                "(see docs/refusals.md)"
            )
    stack: list[tuple[str, Any]] = [("", params.model_dump())]
    while stack:
        path, value = stack.pop()
        if isinstance(value, Mapping):
            stack.extend((f"{path}.{k}" if path else str(k), v) for k, v in value.items())
        elif isinstance(value, (list, tuple)):
            stack.extend((f"{path}[{i}]", v) for i, v in enumerate(value))
        elif isinstance(value, float) and value != value:
            out.append(f"{path}: got nan: must be a number")
    return sorted(out)
