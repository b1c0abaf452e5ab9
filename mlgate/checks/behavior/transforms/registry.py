"""Transformations and the registry that names them.

A transformation is a plain function that changes some columns of a feature frame::

    def my_transform(X: pd.DataFrame, rng: np.random.Generator, *, columns: list[str],
                     strength: float = 0.1) -> pd.DataFrame: ...

It returns a **new** frame with the same rows and columns (``X`` is never modified), draws
every random number from ``rng`` (so a seed reproduces it), and works on all rows at once.
A function that also declares ``reference`` receives the whole, unperturbed feature frame
to compute statistics on (a column's spread, its categories), so a chunk of rows is
perturbed exactly like the full table would be. The other keyword-only parameters are the
transformation's ``params``; their annotations (``Annotated[float, Field(gt=0)]``) validate
what the gate file gives, before anything runs.

mlgate's own transformations (tabular, text, image) are registered in
:data:`DEFAULT_REGISTRY` exactly as a user's are: with :func:`register_transform`, or by a
package through the ``mlgate.transforms`` entry-point group. A gate file may also name any
function as ``module:callable`` (resolved from the gate file's folder).
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from mlgate.core.errors import ConfigError, DataError

ENTRY_POINT_GROUP = "mlgate.transforms"

Modality = Literal["tabular", "text", "image"]
#: Which columns a transformation changes when the check does not name any.
ColumnDefault = Literal["numeric", "categorical", "text", "sensitive", "all", "required"]
_RESERVED = ("columns", "reference")
_TEXT_HINT = ("typo", "case", "punctuation", "name_swap", "negate")


@dataclass(frozen=True)
class Transform:
    """A named transformation with validated parameters.

    ``strength`` names the parameter(s) that set the size of the change (noise scale, number
    of typos, shift in pixels); counterexample search shrinks the first one that is set
    toward zero. ``columns``
    says which columns it changes by default. ``check`` (optional) validates parameters
    together (e.g. "exactly one of"), raising :class:`ConfigError`.
    """

    name: str
    fn: Callable[..., pd.DataFrame]
    modality: Modality = "tabular"
    columns: ColumnDefault = "required"
    strength: str | tuple[str, ...] = ()
    summary: str = ""
    check: Callable[[dict[str, Any]], None] | None = None
    params_model: type[BaseModel] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params_model", _params_model(self.name, self.fn))
        strength = (self.strength,) if isinstance(self.strength, str) else tuple(self.strength)
        object.__setattr__(self, "strength", strength)
        unknown = [s for s in strength if s not in self.params_model.model_fields]
        if unknown:
            raise ValueError(
                f"transform {self.name!r}: strength {unknown} is not among its parameters "
                f"{sorted(self.params_model.model_fields)}"
            )

    @property
    def takes_reference(self) -> bool:
        return "reference" in inspect.signature(self.fn).parameters

    def validate_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Return ``params`` validated and completed with defaults.

        Raises:
            ConfigError: an unknown parameter, a value of the wrong type or out of range, or
                a failed cross-parameter ``check``; ``path`` is ``params.<name>``.
        """
        try:
            model = self.params_model.model_validate(dict(params))
        except ValidationError as exc:
            err = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in err["loc"]) or "params"
            if err["type"] == "extra_forbidden":
                msg = (
                    f"transform {self.name!r} has no parameter {where!r}; its parameters: "
                    f"{sorted(self.params_model.model_fields) or 'none'}"
                )
            else:
                msg = f"transform {self.name!r}: got {err.get('input')!r}: {err['msg']}"
            raise ConfigError(msg, path=f"params.{where}") from None
        values = {k: getattr(model, k) for k in self.params_model.model_fields}
        if self.check is not None:
            self.check(values)
        return values

    def strength_param(self, params: Mapping[str, Any]) -> str | None:
        """The strength parameter in use: the first of ``strength`` set in the validated
        ``params`` to a positive number, or None (nothing to shrink)."""
        for name in self.strength:
            value = params.get(name)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
                return name
        return None

    def __call__(
        self,
        X: pd.DataFrame,
        rng: np.random.Generator,
        *,
        columns: Sequence[str],
        reference: pd.DataFrame | None = None,
        **params: Any,
    ) -> pd.DataFrame:
        """Apply the transformation to ``X`` (validated ``params``); return the new frame.

        Raises:
            DataError: the function did not return a frame with ``X``'s rows and columns.
        """
        kwargs = dict(params)
        if self.takes_reference:
            kwargs["reference"] = X if reference is None else reference
        out = self.fn(X, rng, columns=list(columns), **kwargs)
        if not isinstance(out, pd.DataFrame) or out.shape != X.shape:
            got = out.shape if isinstance(out, pd.DataFrame) else type(out).__name__
            raise DataError(
                f"transform {self.name!r} returned {got}; it must return a new DataFrame with "
                f"the same shape as its input {X.shape} (rows and columns unchanged)"
            )
        if out is X:
            raise DataError(
                f"transform {self.name!r} returned its input frame; return a new frame "
                "(X.copy(deep=False) then assign the changed columns) so the data is not modified"
            )
        return out


def _params_model(name: str, fn: Callable[..., Any]) -> type[BaseModel]:
    """A pydantic model of ``fn``'s keyword-only parameters (bar ``columns``/``reference``)."""
    sig = inspect.signature(fn)
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception:  # unresolvable annotations: accept any value
        hints = {}
    positional = [
        p
        for p in sig.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    columns = sig.parameters.get("columns")
    if len(positional) != 2 or columns is None or columns.kind is not columns.KEYWORD_ONLY:
        raise ValueError(
            f"transform {name!r}: expected a function fn(X, rng, *, columns, ...), got "
            f"{fn.__qualname__}{sig}"
        )
    fields: dict[str, Any] = {}
    for p in sig.parameters.values():
        if p.kind is not p.KEYWORD_ONLY or p.name in _RESERVED:
            continue
        default = ... if p.default is p.empty else p.default
        fields[p.name] = (hints.get(p.name, Any), default)
    config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)
    return create_model(f"{name}_params", __config__=config, **fields)


class TransformRegistry:
    """Transformations by name: registered objects first, then the ``mlgate.transforms``
    entry points (loaded when first asked for)."""

    def __init__(
        self, transforms: Iterable[Transform] = (), entry_points_: Iterable[EntryPoint] = ()
    ) -> None:
        self._loaded: dict[str, Transform] = {t.name: t for t in transforms}
        self._entry_points = {ep.name: ep for ep in entry_points_}

    def register(self, transform: Transform, *, replace: bool = False) -> Transform:
        """Add ``transform``. Raises ValueError if the name is taken (unless ``replace``)."""
        if transform.name in self._loaded and not replace:
            raise ValueError(
                f"a transform called {transform.name!r} is already registered; pick another "
                "name or pass replace=True"
            )
        self._loaded[transform.name] = transform
        return transform

    def names(self, modality: Modality | None = None) -> list[str]:
        names = set(self._loaded) | set(self._entry_points)
        if modality is not None:
            names = {n for n in names if self.get(n).modality == modality}
        return sorted(names)

    def __contains__(self, name: str) -> bool:
        return name in self._loaded or name in self._entry_points

    def get(self, name: str) -> Transform:
        """The transform called ``name``. Raises ConfigError listing the known names."""
        if name in self._loaded:
            return self._loaded[name]
        ep = self._entry_points.get(name)
        if ep is None:
            raise ConfigError(
                f"unknown transform {name!r}; known: {', '.join(self.names())}. Register your "
                "own with mlgate.checks.behavior.register_transform, publish it in the "
                f"{ENTRY_POINT_GROUP!r} entry-point group, or name it as 'module:function'."
            )
        try:
            obj = ep.load()
        except Exception as exc:
            raise ConfigError(
                f"transform {name!r} could not be loaded from {ep.value!r}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        transform = obj if isinstance(obj, Transform) else as_transform(obj, name=name)
        self._loaded[name] = transform
        return transform

    def resolve(self, ref: str, *, base_dir: Path | None = None) -> Transform:
        """A registered name, or ``module:callable`` imported with ``base_dir`` first on the
        path (a plain function becomes a tabular transform whose columns must be named)."""
        if ":" not in ref:
            return self.get(ref)
        from mlgate.core.imports import resolve_callable

        obj = resolve_callable(
            ref, base_dir=base_dir or Path.cwd(), what=f"transform {ref!r}", error=ConfigError
        )
        return obj if isinstance(obj, Transform) else as_transform(obj, name=ref)


def as_transform(
    fn: Callable[..., pd.DataFrame], *, name: str | None = None, **kw: Any
) -> Transform:
    """Wrap a plain function ``fn(X, rng, *, columns, ...)`` as a :class:`Transform`.

    Raises:
        ConfigError: ``fn`` does not have that signature.
    """
    try:
        return Transform(name=name or fn.__name__, fn=fn, **kw)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def register_transform(
    name: str | None = None,
    *,
    modality: Modality = "tabular",
    columns: ColumnDefault = "required",
    strength: str | tuple[str, ...] = (),
    summary: str = "",
    check: Callable[[dict[str, Any]], None] | None = None,
    registry: TransformRegistry | None = None,
) -> Callable[[Callable[..., pd.DataFrame]], Callable[..., pd.DataFrame]]:
    """Decorator: register a function as a transformation (in :data:`DEFAULT_REGISTRY`
    unless ``registry`` is given) and return the function unchanged.

    Example::

        @register_transform("zero_income", columns="required")
        def zero_income(X, rng, *, columns):
            return X.assign(**{c: 0.0 for c in columns})
    """

    def decorate(fn: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
        transform = Transform(
            name=name or fn.__name__,
            fn=fn,
            modality=modality,
            columns=columns,
            strength=strength,
            summary=summary or (inspect.getdoc(fn) or "").split("\n")[0],
            check=check,
        )
        (registry or default_registry()).register(transform)
        return fn

    return decorate


_DEFAULT: list[TransformRegistry] = []


def default_registry() -> TransformRegistry:
    """The registry gate files use: mlgate's built-in transformations, the
    ``mlgate.transforms`` entry points, and whatever was added with
    :func:`register_transform`. Built on first use."""
    if not _DEFAULT:
        from mlgate.checks.behavior.transforms.image import IMAGE_TRANSFORMS
        from mlgate.checks.behavior.transforms.tabular import TABULAR_TRANSFORMS
        from mlgate.checks.behavior.transforms.text import TEXT_TRANSFORMS

        _DEFAULT.append(
            TransformRegistry(
                [*TABULAR_TRANSFORMS, *TEXT_TRANSFORMS, *IMAGE_TRANSFORMS],
                entry_points(group=ENTRY_POINT_GROUP),
            )
        )
    return _DEFAULT[0]


def default_columns(
    transform: Transform, X: pd.DataFrame, *, sensitive: Sequence[str] = ()
) -> list[str]:
    """The columns ``transform`` changes when the check names none.

    Raises:
        DataError: no column of the needed kind exists, or the transform needs them named.
    """
    kind = transform.columns
    if kind == "all":
        cols = list(X.columns)
    elif kind == "sensitive":
        cols = [c for c in sensitive if c in X.columns]
    elif kind == "numeric":
        cols = [c for c in X.columns if _is_numeric(X[c])]
    elif kind == "text":
        cols = [c for c in X.columns if is_text(X[c])]
    elif kind == "categorical":
        cols = [c for c in X.columns if not _is_numeric(X[c])]
    else:
        cols = []
    if not cols:
        need = {
            "required": "it has no default: name them with 'columns'",
            "sensitive": "the dataset declares no 'sensitive' column among the features; "
            "declare one or name them with 'columns'",
        }.get(
            kind,
            f"the features have no {kind} column; name them with 'columns' or pick a "
            f"transform for this data (text: {', '.join(_TEXT_HINT)})",
        )
        raise DataError(f"transform {transform.name!r} needs columns to change: {need}")
    return cols


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def is_text(s: pd.Series) -> bool:
    """True for a column of strings (object or string dtype whose values are str)."""
    if pd.api.types.is_string_dtype(s) and not pd.api.types.is_object_dtype(s):
        return True
    if pd.api.types.is_object_dtype(s):
        values = s.dropna()
        return len(values) > 0 and all(isinstance(v, str) for v in values.iloc[:100])
    return False
