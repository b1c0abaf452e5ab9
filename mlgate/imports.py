"""Resolve ``module:callable`` references from a gate file and call them."""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlgate.errors import MlgateError


def resolve_callable(
    ref: str, *, base_dir: Path, what: str, error: type[MlgateError] = MlgateError
) -> Any:
    """Import ``module:attr.path`` with ``base_dir`` first on ``sys.path`` (restored after).

    Raises ``error`` naming ``what``, the reference and the folder searched.
    """
    module_name, _, attr_path = ref.partition(":")
    saved = list(sys.path)
    sys.path.insert(0, str(base_dir))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise error(
            f"{what}: cannot import module {module_name!r} from {ref!r} (searched {str(base_dir)!r} "
            f"first): {exc}"
        ) from exc
    finally:
        sys.path[:] = saved
    obj: Any = module
    for part in attr_path.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError as exc:
            raise error(
                f"{what}: module {module_name!r} has no attribute {attr_path!r} (from {ref!r})"
            ) from exc
    if not callable(obj):
        raise error(f"{what}: {ref!r} is a {type(obj).__name__}, expected a callable")
    return obj


def call_factory(
    ref: str,
    *,
    args: Mapping[str, Any],
    base_dir: Path,
    seed: int,
    what: str,
    error: type[MlgateError] = MlgateError,
) -> Any:
    """Resolve ``ref`` and call it with ``args``, plus ``seed=`` when it takes a ``seed``
    parameter that ``args`` does not already give."""
    fn = resolve_callable(ref, base_dir=base_dir, what=what, error=error)
    kwargs = dict(args)
    if "seed" not in kwargs and _accepts(fn, "seed"):
        kwargs["seed"] = seed
    try:
        inspect.signature(fn).bind(**kwargs)
    except TypeError as exc:
        raise error(
            f"{what}: {ref!r} cannot be called with arguments {sorted(kwargs)}: {exc}. "
            "Check 'args' in the gate file."
        ) from exc
    except ValueError:  # no signature (some builtins): let the call itself speak
        pass
    return fn(**kwargs)


def _accepts(fn: Any, name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
