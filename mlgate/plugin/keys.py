"""Typed stash keys for per-item state (never loose attributes on items)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    pass

META_KEY = pytest.StashKey["CheckMeta"]()
RECORDED_KEY = pytest.StashKey["CheckResult"]()
FINAL_KEY = pytest.StashKey["CheckResult"]()
#: On the gate file's node: the line of each check declaration, by key path.
LINES_KEY = pytest.StashKey[dict[str, int]]()
