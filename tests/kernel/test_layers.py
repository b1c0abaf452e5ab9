"""What importing a layer pulls in: the lower layers never load the edges."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return {m for m in out.stdout.split() if m.startswith("mlgate")}


@pytest.mark.parametrize(
    "statement",
    [
        "import mlgate.stats",
        "import mlgate.stats.evaluate, mlgate.stats.bootstrap, mlgate.stats.scoring",
        "import mlgate.core.result, mlgate.core.evidence",
        "import mlgate.config",
    ],
)
def test_lower_layers_do_not_import_edges_or_families(statement):
    loaded = _loaded_after(statement)
    assert loaded, "nothing of mlgate was imported"
    edges = {
        m
        for m in loaded
        if m.startswith(("mlgate.report", "mlgate.plugin", "mlgate.cli", "mlgate.checks"))
    }
    assert edges == set()


def test_the_verdict_primitives_import_nothing_else_of_mlgate():
    loaded = _loaded_after("import mlgate.core.result, mlgate.core.evidence")
    assert loaded <= {"mlgate", "mlgate.core", "mlgate.core.result", "mlgate.core.evidence"}
