"""Read and validate a gate file. Errors name the key path, the bad value and what was
expected, and are raised before anything runs."""

from __future__ import annotations

import reprlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from mlgate.config.schema import GateConfig
from mlgate.core.errors import ConfigError

#: The most values a gate file may expand to once its YAML aliases are followed. A real gate
#: file has hundreds; a "billion laughs" has billions (and would hang validation).
MAX_EXPANDED_VALUES = 100_000


def load_gate(path: str | Path) -> GateConfig:
    """Read the YAML gate file at ``path`` and validate it.

    Returns the validated :class:`GateConfig`. Raises :class:`ConfigError` when the file is
    missing, a directory, not UTF-8, not YAML, has a key twice in one mapping, expands past
    :data:`MAX_EXPANDED_VALUES` values through aliases, or does not follow the schema (every
    problem listed, each with its key path).
    """
    return parse_gate(read_gate(path), source=str(path))


def read_gate(path: str | Path) -> Any:
    """The YAML data of the gate file at ``path``, not yet validated against the schema.
    Raises :class:`ConfigError` as :func:`load_gate` does for everything but the schema."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(
            f"gate file {str(path)!r} is a directory; pass the YAML file inside it "
            "(e.g. --mlgate-file " + str(path / "mlgate.yaml") + ")"
        )
    if not path.is_file():
        raise ConfigError(
            f"gate file not found: {str(path)!r}. Pass one with --mlgate-file, or create "
            "mlgate.yaml in the rootdir (see docs/gate-file.md)."
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            f"{path}: not UTF-8: byte 0x{raw[exc.start]:02x} at offset {exc.start} (line "
            f"{line}); save the gate file as UTF-8"
        ) from None
    try:
        loader = _GateLoader(text)
        loader.name = str(path)  # marks in messages name the file, not "<unicode string>"
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    _check_expansion(data, source=str(path))
    return data


class _GateLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key given twice in one mapping (YAML forbids it;
    PyYAML would let the last one win silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *defaults` overrides are what merge keys are for
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.get(key)
                seen.setdefault(key, line)
            except TypeError:  # an unhashable key: the schema reports it
                continue
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {_show(key)} is given twice in the same mapping (lines {first} and "
                    f"{line}); keep one",
                    key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)


def _check_expansion(data: Any, *, source: str) -> None:
    """Raise ConfigError when ``data`` holds more than :data:`MAX_EXPANDED_VALUES` values
    counting every alias as a full copy (what validation and messages would walk)."""
    budget = MAX_EXPANDED_VALUES
    stack = [data]
    while stack:
        value = stack.pop()
        budget -= 1
        if budget < 0:
            raise ConfigError(
                f"{source}: the gate file expands to more than {MAX_EXPANDED_VALUES:,} values "
                "through YAML aliases (*name); write the values out or use fewer aliases"
            )
        if isinstance(value, Mapping):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, (list, tuple)):
            stack.extend(value)


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


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 80
_REPR.maxlist = _REPR.maxdict = _REPR.maxtuple = _REPR.maxset = 6
_REPR.maxlevel = 3


def _show(value: Any) -> str:
    """A short repr of ``value`` for a message: bounded however large or deep it is."""
    text = _REPR.repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
