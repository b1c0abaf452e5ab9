"""Typed evidence blocks: tagged, frozen, JSON-ready, and readable as a table by any renderer."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError, dataclass
from typing import ClassVar

import numpy as np
import pytest

from mlgate.core.evidence import (
    BLOCK_TYPES,
    Bars,
    Block,
    Blocks,
    Curve,
    Examples,
    Histogram,
    Reliability,
    Table,
    block_from_dict,
    is_block,
)
from mlgate.core.result import CheckResult, Status

EXAMPLES = [
    Table.of([{"slice": "a", "value": 0.9}, {"slice": "b", "n": 3}], title="per slice"),
    Examples.of([{"row": 1, "before": "x", "after": "y"}]),
    Curve(x=[0, 1, 2], y=[0.5, 0.4, None], xlabel="step", ylabel="loss"),
    Reliability(confidence=[0.1, 0.9], accuracy=[0.2, 0.8], count=[10, 20]),
    Bars(labels=["a", "b"], values=[0.9, 0.8], low=[0.8, 0.7], high=[1.0, 0.9], over="slice"),
    Histogram(bins=["<0", ">=0"], reference=[0.5, 0.5], current=[0.2, 0.8], title="x1"),
    Blocks(items=(Histogram(bins=["a"], reference=[1.0], current=[1.0], title="c"),)),
]


@pytest.mark.parametrize("block", EXAMPLES, ids=lambda b: b.type)
def test_to_dict_is_tagged_json_and_round_trips(block: Block):
    data = json.loads(json.dumps(block.to_dict()))
    assert data["type"] == block.type
    assert is_block(data)
    assert block_from_dict(data) == block


@pytest.mark.parametrize("block", EXAMPLES, ids=lambda b: b.type)
def test_every_block_reads_as_a_table(block: Block):
    table = block.as_table()
    assert isinstance(table, Table)
    assert table.rows, "a block with data must not read as an empty table"
    assert all(set(r) <= set(table.columns) for r in table.rows)


def test_blocks_are_frozen():
    with pytest.raises(FrozenInstanceError):
        EXAMPLES[0].title = "changed"  # type: ignore[misc]


def test_table_columns_in_first_seen_order():
    assert EXAMPLES[0].columns == ("slice", "value", "n")


@pytest.mark.parametrize(
    "make",
    [
        lambda: Curve(x=[0, 1], y=[1.0]),
        lambda: Bars(labels=["a", "b"], values=[1.0], over="slice"),
        lambda: Reliability(confidence=[0.1], accuracy=[0.1, 0.2], count=[1]),
        lambda: Histogram(bins=["a"], reference=[0.5, 0.5], current=[1.0]),
    ],
)
def test_mismatched_lengths_are_refused_with_the_lengths(make):
    with pytest.raises(ValueError, match="same length"):
        make()


def test_numpy_inside_blocks_serialises_to_plain_json():
    bars = Bars(labels=np.array(["a"]), values=np.array([np.float32(0.5)]))
    result = CheckResult("c", "k", Status.PASSED, evidence={"per_slice": bars, "n": np.int64(3)})
    doc = json.loads(json.dumps(result.to_dict()))
    assert doc["evidence"]["per_slice"]["values"] == [0.5]
    assert doc["evidence"]["n"] == 3


def test_a_third_party_block_type_registers_and_still_reads_as_a_table():
    @dataclass(frozen=True)
    class Funnel(Block):
        type: ClassVar[str] = "test-funnel"
        steps: tuple[str, ...] = ()
        kept: tuple[int, ...] = ()

    try:
        funnel = Funnel(steps=("seen", "clicked"), kept=(100, 7))
        assert BLOCK_TYPES["test-funnel"] is Funnel
        assert block_from_dict(funnel.to_dict()) == funnel
        assert funnel.as_table().rows == (
            {"steps": "seen", "kept": 100},
            {"steps": "clicked", "kept": 7},
        )
    finally:
        BLOCK_TYPES.pop("test-funnel", None)


def test_plain_evidence_is_not_a_block():
    assert not is_block({"value": 1})
    assert not is_block([{"type": "table"}])
    assert block_from_dict({"type": "no-such-type", "rows": []}) is None
