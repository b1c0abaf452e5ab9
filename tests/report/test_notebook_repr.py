"""Gate runs, stage decisions and check results in a notebook: ``_repr_html_`` rendered in the
headless chromium the report's browser tests use (hostile text shown as text, never run; the
notebook's own styles neither leak in nor out; the banner, the check table and the plots
visible), the plain fallback before the report layer is imported, the one-line ``__repr__``,
and ``mlgate.run_gate(..., outputs=)`` writing what the pytest run writes."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlgate
from mlgate.core import display
from mlgate.core.decision import StageDecision, Verdict
from mlgate.core.evidence import Table
from mlgate.core.result import CheckResult, Interval, Threshold
from mlgate.report.notebook import result_document

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HOSTILE = "<script>document.title='pwned'</script><img src=x onerror=alert(1)>"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
#: A notebook page's own styles, which must not restyle the fragment (and the fragment's must
#: not restyle the page: the host's heading keeps its colour).
HOST = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>notebook</title><style>
body { background: #222; font-family: serif; } h1 { color: rgb(255, 0, 0); }
table { border: 5px solid blue; } td { text-align: right; }
tbody tr:nth-child(odd) { background: rgb(0, 0, 255); }
</style></head><body><h1>my notebook</h1><div class="output">{outputs}</div></body></html>"""

GATE = """
name: {name}
task: binary
seed: 0
models:
  candidate: {{factory: "mlgate.core.context:in_memory"}}
datasets:
  evaluation: {{factory: "mlgate.core.context:in_memory", label: y}}
stages:
  staging:
    checks:
      - {{check: metric_threshold, metric: accuracy, min: 0.8}}
      - {{check: metric_threshold, metric: roc_auc, min: 0.99}}
      - {{check: calibration, max_ece: 0.05}}
"""


def _data(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    y = (x[:, 0] + 0.5 * x[:, 1] + rng.normal(scale=0.5, size=n) > 0).astype(int)
    return pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "y": y})


@pytest.fixture(scope="module")
def model():
    from sklearn.linear_model import LogisticRegression

    train = _data(2000, 1)
    return LogisticRegression().fit(train[["x1", "x2"]], train["y"])


def _run(folder: Path, model, outputs=None, name="nb-gate"):
    path = folder / "mlgate.yaml"
    path.write_text(GATE.format(name=name))
    return mlgate.run_gate(
        path,
        models={"candidate": model},
        datasets={"evaluation": _data(1000, 2)},
        outputs=outputs,
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory, model):
    return _run(tmp_path_factory.mktemp("nb"), model)


def _hostile_check() -> CheckResult:
    return CheckResult(
        check_id=HOSTILE,
        kind="custom",
        status="failed",
        stages=("staging",),
        metric="score",
        value=0.4,
        interval=Interval(0.3, 0.5, 0.95, "wilson"),
        threshold=Threshold(">=", 0.8),
        sample_size=100,
        message=f"slice {HOSTILE} fails\nstage staging: PROMOTE",
        evidence={
            "worst": Table(columns=(HOSTILE, "value"), rows=({HOSTILE: HOSTILE, "value": 1},))
        },
    )


@pytest.fixture(scope="module")
def result_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = Path(mlgate.__file__).parent / "schemas" / "result.schema.json"
    return jsonschema.Draft202012Validator(json.loads(schema.read_text(encoding="utf-8")))


# -- text ------------------------------------------------------------------------------------
def test_repr_is_one_readable_line(run):
    assert repr(run) == (
        "<GateRun 'nb-gate' HOLD: staging HOLD; 3 checks: 1 passed, 1 failed, 1 inconclusive>"
    )
    (decision,) = run.decisions
    assert repr(decision).startswith(
        "<StageDecision 'staging' HOLD: 1 passed, 1 failed, 1 inconclusive; held by "
        "\"roc_auc failed: roc_auc of 'candidate' on 'evaluation' = 0."
    )
    assert repr(decision).endswith('…" and 1 more>')
    acc = repr(run.results[0])
    assert acc.startswith("<CheckResult 'accuracy' passed: accuracy = 0.")
    assert "(needs >= 0.8); n=1000; stages 'staging'" in acc
    hostile = repr(_hostile_check())
    assert "\n" not in hostile and "\\nstage staging: PROMOTE" in hostile
    assert "score = 0.4 [0.3, 0.5] (needs >= 0.8); n=100" in hostile


# -- the fallback and the hook ---------------------------------------------------------------
FALLBACK_SCRIPT = """
import sys
from mlgate.core.result import CheckResult
r = CheckResult(check_id=sys.argv[1], kind="k", status="failed", message=sys.argv[1])
html = r._repr_html_()
assert not any(m.startswith("mlgate.report") for m in sys.modules), "report imported"
print(html)
"""


def test_before_the_report_is_imported_a_plain_escaped_table_stands_in():
    out = subprocess.run(
        [sys.executable, "-c", FALLBACK_SCRIPT, HOSTILE],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(mlgate.__file__).parents[1])},
    ).stdout
    assert out.startswith('<div class="mlgate-plain">') and "<script" not in out
    assert out.count("&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;") == 2


def test_a_failing_renderer_falls_back_to_the_plain_table(monkeypatch):
    def broken(obj):
        raise RuntimeError("renderer bug")

    monkeypatch.setitem(display._RENDERERS, "check", broken)
    html = _hostile_check()._repr_html_()
    assert html.startswith('<div class="mlgate-plain">') and "failed" in html
    assert "<script" not in html


def test_the_same_results_give_the_same_bytes(tmp_path, model):
    first, again = _run(tmp_path, model), _run(tmp_path, model)
    assert again._repr_html_() == first._repr_html_()
    assert first._repr_html_().startswith('<div class="mlgate-nb" id="mlgate-')
    other = _run(tmp_path, model, name="another-gate")  # another run: another id
    assert other._repr_html_()[:40] != first._repr_html_()[:40]


# -- run_gate(outputs=) ----------------------------------------------------------------------
def test_run_gate_writes_what_the_pytest_run_writes(tmp_path, model, result_schema):
    run = _run(tmp_path, model, outputs=tmp_path / "reports")
    assert sorted(p.name for p in run.outputs.values()) == sorted(
        [
            *("result.json", "report.html", "summary.md"),
            *("model_card.md", "model_card.json", "model_card.html"),
        ]
    )
    doc = json.loads((tmp_path / "reports" / "result.json").read_text())
    result_schema.validate(doc)
    assert doc == json.loads(json.dumps(result_document(run), allow_nan=False))
    assert doc["verdict"] == "hold" and doc["exit_code"] == 10
    assert doc["models"]["candidate"]["class"].endswith("LogisticRegression")
    assert doc["run"]["partial"] is False and doc["run"]["duration_s"] >= 0
    summary = (tmp_path / "reports" / "summary.md").read_text()
    assert "HOLD" in summary and "roc_auc" in summary
    assert "HOLD" in run._repr_html_().split("written:")[0]
    assert "report.html" in run._repr_html_().split("written:")[1]


def test_run_gate_raises_when_result_json_cannot_be_written(tmp_path, model):
    blocker = tmp_path / "reports"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(OSError, match=r"could not write result\.json"):
        _run(tmp_path, model, outputs=blocker)


# -- in the browser --------------------------------------------------------------------------
def browser_only(test):
    """Skip ``test`` without Debian's chromium; in CI its absence is a failure."""
    if CHROMIUM is not None:
        return test
    if os.environ.get("CI"):
        raise RuntimeError("chromium is required in CI (installed by .ci/run)")
    return pytest.mark.skip(reason="needs Debian's chromium (apt-get install chromium)")(test)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def _open(browser, tmp_path: Path, *outputs: str):
    """The outputs in a notebook-like page: the page, and what it logged and requested."""
    path = tmp_path / "notebook.html"
    path.write_text(HOST.replace("{outputs}", "\n".join(outputs)), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    log: dict[str, list] = {"console": [], "requests": [], "dialogs": []}
    page.on("console", lambda m: log["console"].append((m.type, m.text)))
    page.on("pageerror", lambda e: log["console"].append(("pageerror", str(e))))
    page.on("dialog", lambda d: (log["dialogs"].append(d.message), d.dismiss()))
    page.on("request", lambda r: log["requests"].append(r.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, log, path


@browser_only
def test_a_run_shows_its_banner_table_and_plots(browser, tmp_path, run, record_property):
    page, log, path = _open(browser, tmp_path, run._repr_html_())
    try:
        assert log["console"] == [] and log["requests"] == [path.as_uri()]
        banner = page.locator(".mlgate-nb .banner")
        assert banner.is_visible()
        assert banner.locator(".verdict-word").inner_text() == "HOLD"
        assert banner.locator(".gate-name").inner_text() == "nb-gate"
        text = page.inner_text(".mlgate-nb")
        assert "Blocking checks that did not pass (2)" in text
        assert "Stage staging: checks" in text
        rows = page.locator(".mlgate-nb table.checks tbody tr")
        assert rows.count() == 3
        first = [c.strip() for c in rows.nth(0).inner_text().split("\t")]
        assert first[:3] == ["failed", "roc_auc", "metric"]  # worst first, as in the report
        plots = page.locator(".mlgate-nb table.checks td.plot svg")
        assert plots.count() == 3 and all(plots.nth(i).is_visible() for i in range(3))
        # the calibration check's evidence is folded; opened, its reliability diagram shows
        details = page.locator(".mlgate-nb details.check").filter(
            has=page.locator("summary", has_text="(calibration, block)")
        )
        figure = details.locator(".figure svg")
        assert not figure.first.is_visible()
        details.locator("summary").first.click()
        assert figure.first.is_visible() and figure.first.bounding_box()["width"] > 200
        # styles stay on their side: the host's table border and striping do not reach the
        # fragment, and the fragment does not recolour the host's heading
        style = page.evaluate(
            """() => {
              const t = document.querySelector('.mlgate-nb table.checks');
              const r = t.querySelector('tbody tr');
              const h = document.querySelector('body > h1');
              return [getComputedStyle(t).borderTopWidth, getComputedStyle(r).backgroundColor,
                      getComputedStyle(h).color];
            }"""
        )
        assert style == ["0px", "rgba(0, 0, 0, 0)", "rgb(255, 0, 0)"]
        page.screenshot(path=str(tmp_path / "notebook.png"), full_page=True)
        record_property("screenshot", str(tmp_path / "notebook.png"))
    finally:
        page.close()


@browser_only
def test_hostile_text_is_shown_never_run(browser, tmp_path, run):
    check = _hostile_check()
    decision = StageDecision(
        HOSTILE, Verdict.HOLD, (f"{HOSTILE} failed: {HOSTILE}",), {"failed": 1, "passed": 0}
    )
    config = run.gate.config.model_copy(update={"name": HOSTILE, "description": HOSTILE})
    hostile_run = dataclasses.replace(
        run, gate=dataclasses.replace(run.gate, config=config), results=(check,)
    )
    outputs = [check._repr_html_(), decision._repr_html_(), hostile_run._repr_html_()]
    assert all("<script>" not in html and "<img src=x" not in html for html in outputs)
    page, log, path = _open(browser, tmp_path, *outputs)
    try:
        assert page.title() == "notebook"  # no script ran
        assert log["dialogs"] == [] and log["requests"] == [path.as_uri()]
        assert page.eval_on_selector_all("script, img", "els => els.length") == 0
        text = page.inner_text("body")
        assert text.count(HOSTILE) >= 6  # ids, names, reasons, table cells: shown as text
        # the message's line break cannot make a line of its own that fakes a verdict
        assert "\nstage staging: PROMOTE" not in text
    finally:
        page.close()
