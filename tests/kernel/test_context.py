"""The gate context: lazy loading, the prediction cache and per-check seeds."""

from __future__ import annotations

import numpy as np
import pytest

from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError, ModelLoadError
from mlgate.core.gate import open_gate
from mlgate.core.runner import run_check


@pytest.fixture
def context(gate_writer):
    counter = gate_writer.folder / "calls.txt"
    gate = open_gate(gate_writer.write(counter=counter))
    return GateContext(gate), counter


def test_every_check_shares_one_prediction_per_model_and_dataset(context):
    ctx, counter = context
    results = [run_check(ctx, c) for c in ctx.gate.checks]
    assert len(results) == 4 and all(r.status.value in ("passed", "warned") for r in results)
    assert ctx.predictions.calls == {("candidate", "evaluation"): 1}
    assert counter.read_text().splitlines() == ["call"]
    ctx.predict("champion", "evaluation")
    ctx.predict("champion", "evaluation")
    assert ctx.predictions.calls[("champion", "evaluation")] == 1


def test_cached_predictions_are_read_only(context):
    ctx, _ = context
    preds = ctx.predict()
    with pytest.raises(ValueError):
        preds.scores[0, 0] = 1.0


def test_a_failed_load_is_remembered_not_retried(gate_writer):
    cfg = gate_writer.config()
    cfg["models"]["candidate"] = {"factory": "no_such_mod_ctx:make"}
    ctx = GateContext(open_gate(gate_writer.write(config=cfg)))
    for _ in range(2):
        with pytest.raises(ModelLoadError, match="no_such_mod_ctx"):
            ctx.predict()
    assert ctx.predictions.calls[("candidate", "evaluation")] == 1


def test_unknown_names_are_config_errors(context):
    ctx, _ = context
    with pytest.raises(ConfigError, match=r"no model called 'shadow'"):
        ctx.model("shadow")
    with pytest.raises(ConfigError, match=r"no dataset called 'holdout'"):
        ctx.dataset("holdout")


def test_rng_depends_on_seed_and_key_only(gate_writer):
    gate = open_gate(gate_writer.write())
    a, b = GateContext(gate, seed=3), GateContext(gate, seed=3)
    draw = a.rng("check-1").random(3)
    a.rng("check-2").random(100)  # other checks' draws do not shift this one
    np.testing.assert_array_equal(draw, a.rng("check-1").random(3))
    np.testing.assert_array_equal(draw, b.rng("check-1").random(3))
    assert not np.array_equal(draw, GateContext(gate, seed=4).rng("check-1").random(3))
    assert not np.array_equal(draw, a.rng("check-3").random(3))


def test_champion_is_none_when_not_declared(gate_writer):
    cfg = gate_writer.config()
    del cfg["models"]["champion"]
    ctx = GateContext(open_gate(gate_writer.write(config=cfg)))
    assert ctx.champion is None
    assert ctx.candidate.kind == "callable"
