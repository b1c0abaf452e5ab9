"""The gate-file reference in docs/gate-file.md is generated from the schema and the check
registry (issue 18: the hand-written page listed 8 metrics where 25+ were accepted and missed
``interval:``), so it cannot drift: these tests fail when the committed page differs from what
the generator writes, and when a gate-file key has no description to generate."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from mlgate.cli.reference import builtin_check_types, family_page, generated_reference, main
from mlgate.config.reference import (
    BEGIN,
    END,
    REGENERATE,
    SECTIONS,
    doc_comments,
    key_rows,
    metrics_table,
    splice,
)
from mlgate.core.task import Task
from mlgate.stats.metrics import METRICS
from mlgate.stats.scoring import check_metric

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "gate-file.md"


def _generated_part(text: str) -> str:
    return text[text.index(BEGIN) + len(BEGIN) : text.index(END)].strip()


def test_the_committed_reference_is_what_the_schema_generates():
    committed = _generated_part(PAGE.read_text(encoding="utf-8"))
    assert committed == generated_reference().strip(), (
        f"docs/gate-file.md is out of date with the schema or the check registry; run: {REGENERATE}"
    )


def test_every_gate_file_key_has_a_description():
    """A key added to the schema without a ``#:`` comment (or Field description) would give
    an empty cell: name it here instead."""
    missing = [
        f"{model.__name__}.{row.name}"
        for _, model, _ in SECTIONS
        for row in key_rows(model)
        if not row.description
    ]
    assert missing == []


def test_every_metric_the_code_accepts_is_in_the_table_for_its_tasks():
    table = metrics_table()
    for name, metric in METRICS.items():
        row = next(line for line in table.splitlines() if line.startswith(f"| `{name}` |"))
        for task in Task:
            listed = task.value in row.split(" | ")[1]
            accepted = task in metric.tasks
            assert listed == accepted, (name, task)
            if accepted:
                check_metric(name, task)  # the code agrees it applies
    assert len(table.splitlines()) - 2 == len(METRICS) + 1  # + the pinball_loss_<q> family


def test_every_builtin_check_type_is_documented_with_every_parameter():
    text = PAGE.read_text(encoding="utf-8")
    types = builtin_check_types()
    assert {"metric_threshold", "baseline", "champion", "calibration", "slices"} <= {
        n for n, _ in types
    }
    for name, check_type in types:
        section = text.split(f"#### `{name}`\n", 1)[1].split("\n#### ", 1)[0]
        for param in check_type.params.model_fields:
            assert f"| `{param}` |" in section, (name, param)
        assert (REPO / "docs" / family_page(check_type)).is_file()


def test_the_keys_the_old_page_missed_are_there():
    text = PAGE.read_text(encoding="utf-8")
    section = text.split("#### `metric_threshold`\n", 1)[1].split("\n#### ", 1)[0]
    assert "| `interval` |" in section
    assert "| `trusted` | list of string | `[]` |" in text
    assert "| `seed` | int, 0 ≤ x ≤ 4,294,967,295 | `0` |" in text


class _Toy(BaseModel):
    #: The first line
    #: and the second.
    alpha: int = Field(3, gt=0, le=10)
    # a plain comment is not documentation
    beta: Literal["x", "y"] = "x"
    gamma: list[str] = Field(default_factory=list, min_length=1, description="Said in Field.")
    delta: float | None = None


def test_rows_carry_type_bounds_default_and_description():
    rows = {r.name: r for r in key_rows(_Toy)}
    assert rows["alpha"].type == "int, 0 < x ≤ 10"
    assert rows["alpha"].default == "`3`"
    assert rows["alpha"].description == "The first line and the second."
    assert rows["beta"].type == "`x` \\| `y`" and rows["beta"].description == ""
    assert rows["gamma"].type == "list of string, non-empty"
    assert rows["gamma"].description == "Said in Field."
    assert rows["delta"].type == "number" and rows["delta"].default == "—"
    assert doc_comments(_Toy) == {"alpha": "The first line and the second."}


def test_splice_replaces_only_the_marked_section():
    doc = f"intro\n{BEGIN}\nold\n{END}\noutro\n"
    assert splice(doc, "new") == f"intro\n{BEGIN}\n\nnew\n\n{END}\noutro\n"
    with pytest.raises(ValueError, match=r"no .* section"):
        splice("no markers", "new")


def test_check_mode_fails_on_a_stale_page_and_write_fixes_it(tmp_path, capsys):
    page = tmp_path / "gate-file.md"
    page.write_text(f"# page\n\n{BEGIN}\nstale\n{END}\n", encoding="utf-8")
    assert main(["--check", str(page)]) == 1
    assert REGENERATE in capsys.readouterr().out
    assert main(["--write", str(page)]) == 0
    assert main(["--check", str(page)]) == 0
    assert re.search(r"^#### `metric_threshold`$", page.read_text(), re.M)
