"""Parameter helpers written against mlgate's public API only (a plugin must not need
mlgate's private modules)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from mlgate.config.schema import GateConfig
from mlgate.errors import ConfigError
from mlgate.registry import CheckType


def require_dataset(config: GateConfig, name: str, path: str = "dataset") -> None:
    """ConfigError at ``path`` unless the gate declares dataset ``name``."""
    if name not in config.datasets:
        raise ConfigError(f"no dataset {name!r}; declared: {sorted(config.datasets)}", path=path)


def require_model(config: GateConfig, name: str, path: str = "model") -> None:
    """ConfigError at ``path`` unless the gate declares model ``name``."""
    if name not in config.models:
        raise ConfigError(f"no model {name!r}; declared: {sorted(config.models)}", path=path)


def parse_params(check_type: CheckType, config: GateConfig, params: dict[str, Any]) -> BaseModel:
    """Validate keyword parameters from Python exactly as the gate file's would be (the
    check's schema, then its ``validate``). Raises ConfigError listing every problem."""
    try:
        parsed = check_type.params.model_validate(params)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}"
            for e in exc.errors(include_url=False)
        )
        raise ConfigError(f"check {check_type.name!r}: invalid parameters: {problems}") from None
    if check_type.validate is not None:
        check_type.validate(parsed, config)
    return parsed
