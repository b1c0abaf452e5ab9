"""Fixtures: synthetic experiment logs with known effects, and contexts over them."""

from __future__ import annotations

import pytest
from online_logs import make_ab_log, make_ctx, make_interleaving_log, make_shadow_log


@pytest.fixture
def ab_log():
    return make_ab_log


@pytest.fixture
def ctx_of():
    return make_ctx


@pytest.fixture
def shadow_log():
    return make_shadow_log


@pytest.fixture
def interleaving_log():
    return make_interleaving_log
