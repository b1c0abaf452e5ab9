"""Resolve ``module:callable`` references from a gate file and call them."""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlgate.core.errors import MlgateError


def resolve_callable(
    ref: str, *, base_dir: Path, what: str, error: type[MlgateError] = MlgateError
) -> Any:
    """Import ``module:attr.path`` with ``base_dir`` first on ``sys.path`` (restored after).

    Raises ``error`` naming ``what``, the reference and the folder searched; also when a
    module of the same name was already imported from elsewhere while ``base_dir`` has its
    own (Python would silently reuse the other one).
    """
    module_name, _, attr_path = ref.partition(":")
    where = f"{what}: {ref!r} (searched {str(base_dir)!r} first)"
    saved = list(sys.path)
    sys.path.insert(0, str(base_dir))
    importlib.invalidate_caches()  # the module may have been written after start-up
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise error(f"{where}: cannot import module {module_name!r}: {exc}") from exc
    finally:
        sys.path[:] = saved
    _check_not_shadowed(module_name, base_dir, where, error)
    obj: Any = module
    reached = module_name
    for part in attr_path.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError as exc:
            raise error(
                f"{where}: {reached} has no attribute {part!r} "
                f"(module file {getattr(module, '__file__', '?')})"
            ) from exc
        reached = f"{reached}.{part}"
    if not callable(obj):
        raise error(f"{where} names a {type(obj).__name__}, not a callable")
    return obj


def _check_not_shadowed(module_name: str, base_dir: Path, where: str, error) -> None:
    top = module_name.split(".")[0]
    local = [base_dir / f"{top}.py", base_dir / top]
    origin = getattr(sys.modules.get(top), "__file__", None)
    if origin is None or not any(p.exists() for p in local):
        return
    origin_path = Path(origin)
    same = [
        origin_path.parent == base_dir or origin_path.parent.parent == base_dir,  # as imported
        origin_path.resolve().is_relative_to(base_dir.resolve()),
        # a symlink next to the gate file resolves elsewhere, yet is the module it names
        any(origin_path.resolve() == _module_file(p).resolve() for p in local if p.exists()),
    ]
    if not any(same):
        raise error(
            f"{where}: module {top!r} is already imported from {origin}, so the one next to "
            "the gate file cannot be imported under that name. Rename one of them."
        )


def _module_file(path: Path) -> Path:
    return path / "__init__.py" if path.is_dir() else path


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
    parameter that ``args`` does not already give. Raises ``error`` when the arguments do
    not fit or the call fails (the original exception is chained)."""
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
    try:
        return fn(**kwargs)
    except MlgateError:
        raise
    except Exception as exc:
        raise error(
            f"{what}: {ref!r} failed when called with {kwargs}: {type(exc).__name__}: {exc}"
        ) from exc


def _accepts(fn: Any, name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
