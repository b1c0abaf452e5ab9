"""A gate: the validated gate file resolved against the check registry into a plan of
checks per stage. Everything here happens before any model is loaded."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from mlgate.config.load import format_validation_error, parse_gate, read_gate
from mlgate.config.schema import GateConfig
from mlgate.core.errors import ConfigError
from mlgate.core.registry import CheckRegistry, CheckType, number_problems
from mlgate.core.result import DecisionRule, Severity


@dataclass(frozen=True)
class PlannedCheck:
    """One check of one stage, with validated parameters."""

    stage: str
    check_id: str
    check_type: CheckType
    params: BaseModel
    severity: Severity
    key_path: str
    #: How the check's bounds are judged: the check's ``decision_rule``, else its stage's,
    #: else the gate's (strict by default).
    decision_rule: DecisionRule = DecisionRule.STRICT
    #: The check's ``seeds``: run once per seed and keep the worst (empty: once, at the gate's).
    seeds: tuple[int, ...] = ()

    @property
    def kind(self) -> str:
        return self.check_type.kind


@dataclass(frozen=True)
class Gate:
    """A gate ready to run: its config, where it lives, and its planned checks."""

    config: GateConfig
    path: Path
    checks: tuple[PlannedCheck, ...]

    @property
    def base_dir(self) -> Path:
        """Relative paths and ``module:callable`` factories resolve from the gate file's folder."""
        return self.path.parent

    @property
    def stage_names(self) -> list[str]:
        return list(self.config.stages)

    def checks_of(self, stage: str) -> list[PlannedCheck]:
        return [c for c in self.checks if c.stage == stage]


def open_gate(path: str | Path, registry: CheckRegistry | None = None) -> Gate:
    """Load, validate and plan the gate file at ``path``. Raises :class:`ConfigError`."""
    path = Path(path).resolve()
    registry = registry or CheckRegistry.from_entry_points()
    raw = read_gate(path)
    try:
        config = parse_gate(raw, source=str(path))
    except ConfigError as exc:
        # List the checks' own problems too, in the same pass: a bad seed must not hide a
        # bad bound.
        more = _declared_check_problems(raw, registry)
        if not more:
            raise
        lines = str(exc).splitlines()[1:] + more
        raise ConfigError(
            f"{path}: invalid gate file ({len(lines)} problem(s)):\n" + "\n".join(lines)
        ) from None
    return plan_gate(config, registry, path=path)


def _declared_check_problems(raw: Any, registry: CheckRegistry) -> list[str]:
    """The problems of each check declaration's parameters, read from the raw gate data of a
    file whose schema failed (best effort: declarations that are not mappings are the
    schema's problem)."""
    from mlgate.config.schema import CheckDecl

    kernel_keys = set(CheckDecl.model_fields)
    stages = raw.get("stages") if isinstance(raw, dict) else None
    problems: list[str] = []
    for stage, spec in (stages or {}).items() if isinstance(stages, dict) else ():
        checks = spec.get("checks") if isinstance(spec, dict) else None
        for i, decl in enumerate(checks if isinstance(checks, list) else ()):
            if not isinstance(decl, dict) or not isinstance(decl.get("check"), str):
                continue
            where = f"stages.{stage}.checks[{i}]"
            try:
                check_type = registry.get(decl["check"])
            except ConfigError as err:
                problems.append(f"  {where}.check: {err}")
                continue
            params = {k: v for k, v in decl.items() if k not in kernel_keys}
            _validate_params(check_type, params, where, problems)
    return problems


def plan_gate(config: GateConfig, registry: CheckRegistry, *, path: Path) -> Gate:
    """Resolve every declared check to its type and validate its parameters.

    Raises :class:`ConfigError` listing every problem, each with its key path.
    """
    planned: list[PlannedCheck] = []
    problems: list[str] = []
    for stage, spec in config.stages.items():
        seen: dict[str, str] = {}
        for i, decl in enumerate(spec.checks):
            where = f"stages.{stage}.checks[{i}]"
            try:
                check_type = registry.get(decl.check)
            except ConfigError as exc:
                problems.append(f"  {where}.check: {exc}")
                continue
            params = _validate_params(check_type, decl.params, where, problems)
            if params is None:
                continue
            if check_type.validate is not None:
                try:
                    check_type.validate(params, config)
                except ConfigError as exc:
                    sub = f"{where}.{exc.path}" if exc.path else where
                    problems.append(f"  {sub}: {exc.message}")
                    continue
            check_id = decl.id or _default_id(check_type, params)
            if check_id in seen:
                problems.append(
                    f"  {where}.id: check id {check_id!r} is already used by {seen[check_id]} "
                    "in the same stage; give each check a distinct 'id'"
                )
                continue
            seen[check_id] = where
            rule = decl.decision_rule or spec.decision_rule or config.decision_rule
            planned.append(
                PlannedCheck(
                    stage,
                    check_id,
                    check_type,
                    params,
                    decl.severity,
                    where,
                    rule,
                    tuple(decl.seeds or ()),
                )
            )
    if problems:
        raise ConfigError(
            f"{path}: invalid gate file ({len(problems)} problem(s)):\n" + "\n".join(problems)
        )
    return Gate(config=config, path=path, checks=tuple(planned))


def _validate_params(
    check_type: CheckType, raw: dict[str, Any], where: str, problems: list[str]
) -> BaseModel | None:
    try:
        params = check_type.params.model_validate(raw)
    except ValidationError as exc:
        text = format_validation_error(exc, source=f"check {check_type.name!r}", prefix=where)
        problems.extend(text.splitlines()[1:])
        return None
    bad = number_problems(params)
    problems.extend(f"  {where}.{p}" for p in bad)
    return None if bad else params


def _default_id(check_type: CheckType, params: BaseModel) -> str:
    if check_type.default_id is not None:
        return check_type.default_id(params)
    return check_type.name
