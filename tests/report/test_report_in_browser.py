"""The HTML gate report in a real headless browser (Debian's chromium, installed by .ci/run):
it loads with no console error and no network request, a screenshot is taken (its path is in
the test's output and its junit properties), hostile strings are shown as text, never run, and
a 20,000-character value widens nothing: the verdict banner, the stage verdicts, the lines under
the banner and every table stay inside the viewport."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from mlgate.report.html import render_html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HOSTILE = "<script>document.title='pwned'</script><img src=x onerror=alert(1)>"
#: A category value of 20,000 characters with no space to break at.
LONG = "tier-" + "x" * 20_000
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if CHROMIUM is None:
    # CI installs chromium; there its absence is a failure, elsewhere a reasoned skip.
    if os.environ.get("CI"):
        raise RuntimeError("chromium is required in CI (installed by .ci/run)")
    pytestmark = pytest.mark.skip(reason="needs Debian's chromium (apt-get install chromium)")

#: What must stay inside the viewport: the right edge of each element, in CSS pixels.
LAYOUT = """() => {
  const right = sel => [...document.querySelectorAll(sel)]
    .map(e => e.getBoundingClientRect()).filter(r => r.width > 0).map(r => Math.ceil(r.right));
  return {
    viewport: document.documentElement.clientWidth,
    page: document.documentElement.scrollWidth,
    banner: right('header.banner'),
    verdicts: right('.verdict'),
    findings: right('.finding'),
    tables: right('.scroll'),
    figures: right('.figure svg'),
    titles: [...document.querySelectorAll('[title]')].map(e => e.getAttribute('title').length),
    // boxes whose own content runs past their edge (text that did not wrap)
    overflowing: [...document.querySelectorAll(
      'header.banner, header.banner *, .verdict, .verdict *, .finding, .finding *, '
      + 'details.check > p, .facts, .caption, h2, h3, h4, dd')]
      .filter(e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).display !== 'inline')
      .map(e => e.tagName + '.' + e.className),
  };
}"""


def _result(hostile: bool) -> dict:
    doc = json.loads((Path(__file__).parent / "data" / "result.json").read_text())
    if hostile:
        doc["gate"]["name"] = HOSTILE
        doc["gate"]["description"] = HOSTILE
        doc["checks"][0]["id"] = HOSTILE
        doc["checks"][0]["message"] = HOSTILE
        doc["checks"][0]["evidence"] = {
            "rows": [{HOSTILE: HOSTILE, "slice": HOSTILE, "value": 0.5}]
        }
        by_id = {c["id"]: c for c in doc["checks"]}
        by_id["slices-accuracy"]["evidence"]["per_slice"]["labels"][0] = HOSTILE  # a bar label
        by_id["drift"]["evidence"]["histograms"]["items"][0]["bins"][0] = HOSTILE  # a bin
        doc["datasets"]["evaluation"]["features"] = [HOSTILE]
        doc["models"]["candidate"]["class"] = HOSTILE
    return doc


def _long_result() -> dict:
    """The stored result with one category value of 20,000 characters everywhere a slice
    value travels: a bar label, a table cell and column, a histogram bin, the message of a
    check that holds the stage (so it is in the stage's reason, under the banner), a check
    id, the gate's name."""
    doc = json.loads((Path(__file__).parent / "data" / "result.json").read_text())
    doc["gate"]["name"] = LONG
    by_id = {c["id"]: c for c in doc["checks"]}
    slices = by_id["slices-accuracy"]
    slices["evidence"]["per_slice"]["labels"][0] = f"price_tier={LONG}"
    slices["evidence"]["worst"]["rows"][0]["slice"] = f"price_tier={LONG}"
    slices["evidence"]["worst"]["columns"].append(LONG)
    slices["evidence"]["worst"]["rows"][1][LONG] = LONG
    slices["status"] = "failed"
    slices["message"] = f"1 of 4 slices fails. price_tier={LONG}: accuracy >= 0.75: failed"
    by_id["drift"]["evidence"]["histograms"]["items"][1]["bins"][0] = LONG
    by_id["drift"]["id"] = f"drift-{LONG}"
    production = doc["stages"][1]
    production["verdict"] = "hold"
    production["reasons"] = [f"slices-accuracy failed: {slices['message']}"]
    doc["verdict"] = "hold"
    return doc


@pytest.fixture(scope="module")
def browser():
    """One headless chromium for the module (a launch costs about a second)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def _load(browser, tmp_path: Path, html: str, widths=(1200,), name: str = "report"):
    """Open ``html`` as a file at each viewport width: console messages, requests, and at the
    first width the title, the text and the script count; a full-page screenshot and the
    layout (:data:`LAYOUT`) at each width."""
    page_path = tmp_path / f"{name}.html"
    page_path.write_text(html, encoding="utf-8")
    console, requests, layouts = [], [], {}
    for width in widths:
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.on("console", lambda m: console.append((m.type, m.text)))
        page.on("pageerror", lambda e: console.append(("pageerror", str(e))))
        page.on("dialog", lambda d: (console.append(("dialog", d.message)), d.dismiss()))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(page_path.as_uri())
        page.wait_for_load_state("load")
        suffix = "" if width == widths[0] else f"-{width}"
        page.screenshot(path=str(tmp_path / f"{name}{suffix}.png"), full_page=True)
        layouts[width] = page.evaluate(LAYOUT)
        if width == widths[0]:
            title = page.title()
            text = page.inner_text("body")
            scripts = page.eval_on_selector_all("script", "els => els.length")
        page.close()
    return console, requests, title, text, scripts, layouts


def _attach(record_property, path: Path) -> None:
    """The screenshot's path in the test's output (``-rP``, ``-s``) and junit properties."""
    record_property("screenshot", str(path))
    print(f"screenshot: {path}")


def test_report_loads_offline_without_console_errors(browser, tmp_path, record_property):
    console, requests, title, text, _, _ = _load(browser, tmp_path, render_html(_result(False)))
    assert [c for c in console if c[0] in ("error", "pageerror")] == []
    assert requests == [(tmp_path / "report.html").as_uri()]  # the file itself, nothing else
    assert title == "PROMOTE WITH WARNINGS · mlgate report: tiny"  # the verdict first
    assert "Verdict per stage" in text and "PROMOTE" in text
    assert (tmp_path / "report.png").stat().st_size > 10_000
    _attach(record_property, tmp_path / "report.png")


def test_hostile_strings_are_text_never_code(browser, tmp_path, record_property):
    console, requests, title, text, scripts, _ = _load(
        browser, tmp_path, render_html(_result(True))
    )
    assert scripts == 0
    # the text itself, not a script's 'pwned'
    assert title == "PROMOTE WITH WARNINGS · mlgate report: " + HOSTILE
    assert not [c for c in console if c[0] == "dialog"]
    assert HOSTILE in text  # shown verbatim, as text
    assert requests == [(tmp_path / "report.html").as_uri()]
    _attach(record_property, tmp_path / "report.png")


def test_a_20000_character_value_widens_nothing(browser, tmp_path, record_property):
    console, _, title, text, _, layouts = _load(
        browser, tmp_path, render_html(_long_result()), widths=(1200, 480), name="long-value"
    )
    assert [c for c in console if c[0] in ("error", "pageerror")] == []
    assert title.startswith("HOLD · mlgate report: tier-xxx") and len(title) < 200
    for width, layout in layouts.items():
        viewport = layout["viewport"]
        assert viewport <= width
        assert layout["page"] <= viewport, (width, layout["page"])  # no horizontal scrolling
        assert layout["banner"] and max(layout["banner"]) <= viewport
        assert layout["verdicts"] and max(layout["verdicts"]) <= viewport  # the verdict boxes
        assert layout["findings"] and max(layout["findings"]) <= viewport  # the held check
        assert layout["tables"] and max(layout["tables"]) <= viewport  # tables scroll inside
        assert max(layout["figures"]) <= viewport
        assert layout["overflowing"] == [], (width, layout["overflowing"])
        # names are cut on the page, and whole in their title attribute
        assert max(layout["titles"]) >= len(LONG)
    assert "x" * 1000 not in text
    assert "HOLD" in text and "Blocking checks that did not pass (1)" in text
    _attach(record_property, tmp_path / "long-value.png")
    _attach(record_property, tmp_path / "long-value-480.png")


def _staged_partial_result() -> dict:
    """A partial run of four stages (offline → shadow → canary → production, one named with
    20,000 characters) whose stages all promoted on the checks that ran, with a confusion
    matrix of hostile class names."""
    doc = json.loads((Path(__file__).parent / "data" / "result.json").read_text())
    names = ["offline", "shadow", f"canary-{LONG}", "production"]
    counts = {"passed": 2, "failed": 0, "warned": 0, "inconclusive": 0, "error": 0, "skipped": 1}
    doc["stages"] = [
        {"name": n, "verdict": "promote", "reasons": [], "counts": dict(counts)} for n in names
    ]
    doc["run"]["stages"] = names
    for c in doc["checks"]:
        c["stages"] = names
    doc["verdict"] = "promote"
    doc["run"]["partial"] = True
    doc["run"]["partial_reason"] = "1 of 8 planned checks did not run: 1 deselected (-k)"
    doc["checks"][0]["evidence"]["confusion_matrix"] = {
        "type": "matrix",
        "title": "confusion matrix",
        "labels": [HOSTILE, LONG],
        "counts": [[40, 3], [5, 52]],
        "row_axis": "actual",
        "column_axis": "predicted",
    }
    return doc


def test_a_partial_run_and_the_stage_ladder_in_the_browser(browser, tmp_path, record_property):
    console, requests, title, text, scripts, layouts = _load(
        browser, tmp_path, render_html(_staged_partial_result()), widths=(1200, 480),
        name="partial-ladder",
    )  # fmt: skip
    assert [c for c in console if c[0] in ("error", "pageerror")] == [] and scripts == 0
    assert set(requests) == {(tmp_path / "partial-ladder.html").as_uri()}  # once per width
    assert title == "PARTIAL RUN · mlgate report: tiny"  # never the verdict of what ran
    assert "Not a final verdict:" in text and "partial run: no stage is reached" in text
    assert not [c for c in console if c[0] == "dialog"]  # a class name: text, never markup
    for layout in layouts.values():
        viewport = layout["viewport"]
        assert layout["page"] <= viewport
        assert layout["verdicts"] and max(layout["verdicts"]) <= viewport  # the ladder's rungs
        assert max(layout["figures"]) <= viewport
        assert layout["overflowing"] == [], layout["overflowing"]
    _attach(record_property, tmp_path / "partial-ladder.png")
    _attach(record_property, tmp_path / "partial-ladder-480.png")
