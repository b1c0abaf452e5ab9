"""Read and validate a gate file. Errors name the key path, the bad value and what was
expected, and are raised before anything runs."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from mlgate.config.schema import GateConfig
from mlgate.core.errors import ConfigError


def load_gate(path: str | Path) -> GateConfig:
    """Read the YAML gate file at ``path`` and validate it.

    Returns the validated :class:`GateConfig`. Raises :class:`ConfigError` when the file is
    missing, is not YAML, or does not follow the schema (every problem listed, each with its
    key path).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            f"gate file not found: {str(path)!r}. Pass one with --mlgate-file, or create "
            "mlgate.yaml in the rootdir (see docs/gate-file.md)."
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    return parse_gate(data, source=str(path))


def parse_gate(data: Any, *, source: str = "<gate>") -> GateConfig:
    """Validate an already-parsed gate mapping; see :func:`load_gate`."""
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"{source}: the gate file must be a mapping with keys name, task, models, "
            f"datasets and stages; got {type(data).__name__}"
        )
    try:
        return GateConfig.model_validate(dict(data))
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, source=source)) from None


def format_validation_error(exc: ValidationError, *, source: str, prefix: str = "") -> str:
    """One line per problem: ``key.path: got <value>: <what was expected>``."""
    lines = [f"{source}: invalid gate file ({exc.error_count()} problem(s)):"]
    for err in exc.errors(include_url=False):
        where = key_path(err["loc"], prefix=prefix)
        if err["type"] == "missing":
            lines.append(f"  {where}: required key is missing")
            continue
        if err["type"] == "extra_forbidden":
            lines.append(f"  {where}: unknown key (check the spelling; see docs/gate-file.md)")
            continue
        msg = err["msg"].removeprefix("Value error, ")
        if isinstance(err.get("input"), bool) and msg.startswith("Keys should be strings"):
            # YAML 1.1 (PyYAML) reads unquoted on / off / yes / no / y / n as booleans
            msg += (
                "; YAML reads an unquoted key on, off, yes, no, y or n as a boolean: "
                "quote it ('on': ...) or use the check's own name for that parameter"
            )
        lines.append(f"  {where}: got {_show(err.get('input'))}: {msg}")
    return "\n".join(lines)


def key_path(loc: tuple[Any, ...], *, prefix: str = "") -> str:
    """``('stages', 'ci', 'checks', 0, 'min')`` → ``stages.ci.checks[0].min``."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "function-before"):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out or "<root>"


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
