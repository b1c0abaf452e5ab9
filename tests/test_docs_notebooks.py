"""docs/notebooks.md runs as it stands: every Python block, in order, in one namespace (as the
cells of one notebook), in an empty folder; a ``text`` block right after a Python block is
what that block prints. Then what the page says about the run is checked on the objects."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest

DOC = Path(__file__).parents[1] / "docs" / "notebooks.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.S | re.M)


def blocks(text: str) -> list[tuple[str, str]]:
    """``(language, code)`` of every fenced block, in page order."""
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(text)]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The namespace after every Python block ran, and the folder they ran in."""
    folder = tmp_path_factory.mktemp("notebook")
    found = blocks(DOC.read_text(encoding="utf-8"))
    namespace: dict = {"__name__": "__notebook__"}
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        for i, (lang, code) in enumerate(found):
            if lang != "python":
                continue
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(code, f"{DOC.name}[block {i}]", "exec"), namespace)
            following = found[i + 1] if i + 1 < len(found) else ("", "")
            if following[0] == "text":  # the page shows what this block prints
                assert out.getvalue() == following[1], f"block {i} prints other text"
    return namespace, folder


def test_the_page_has_python_and_printed_text():
    langs = [lang for lang, _ in blocks(DOC.read_text(encoding="utf-8"))]
    assert langs.count("python") >= 6 and "text" in langs


def test_the_notebook_runs_and_holds_on_the_auc_bound(executed):
    ns, _ = executed
    run = ns["run"]
    assert run.verdict.value == "hold"
    assert {r.check_id: r.status.value for r in run.results} == {
        "accuracy": "passed",
        "roc_auc": "failed",
        "calibration": "passed",
    }
    assert ns["calibration"].kind == "calibration" and ns["calibration"].value is not None


def test_the_outputs_are_written_where_the_page_says(executed):
    ns, folder = executed
    run = ns["run"]
    names = {p.name for p in run.outputs.values()}
    assert names == {
        "result.json",
        "report.html",
        "summary.md",
        "model_card.md",
        "model_card.json",
        "model_card.html",
    }
    for path in run.outputs.values():
        assert (folder / path).is_file()
    doc = json.loads((folder / "reports" / "result.json").read_text())
    assert doc["verdict"] == "hold" and doc["gate"]["name"] == "churn-notebook"
    assert [c["id"] for c in doc["checks"]] == ["accuracy", "roc_auc", "calibration"]


def test_the_cells_draw_html(executed):
    ns, _ = executed
    html = ns["run"]._repr_html_()
    assert 'class="mlgate-nb"' in html and "HOLD" in html and "<svg" in html
    assert ns["calibration"]._repr_html_().count("<svg") >= 2  # its interval and reliability
