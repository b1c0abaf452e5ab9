"""report.html read in ten seconds: the overall verdict in the title and a banner, one line per
check that held (or warned in) a stage with its key number, verdicts as words, reasons as
sentences, tables with the naming column first, long text cut (whole in a title attribute),
headers that do not break, and still one offline file with no scripts."""

from __future__ import annotations

import copy
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from mlgate.core.evidence import Table
from mlgate.report import evidence as ev
from mlgate.report.html import render_html
from mlgate.report.text import HEADER_LIMIT, clip, clip_message, value_text, verdict_label
from mlgate.report.views import findings

DOC = Path(__file__).parent / "data" / "result.json"


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[tuple[str, str]] = []  # (innermost open tag, text)
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in ("meta", "br", "img", "input", "link"):
            self._open.append(tag)

    def handle_endtag(self, tag):
        if tag in self._open:
            while self._open and self._open.pop() != tag:
                pass

    def handle_data(self, data):
        if data.strip() and (not self._open or self._open[-1] != "style"):
            self.text.append((self._open[-1] if self._open else "", data))

    def texts(self, tag: str) -> list[str]:
        return [t for open_tag, t in self.text if open_tag == tag]


def page(html: str) -> _Page:
    p = _Page()
    p.feed(html)
    p.close()
    return p


@pytest.fixture
def doc() -> dict:
    return json.loads(DOC.read_text())


def held(doc: dict) -> dict:
    """The stored result with slices-accuracy failed in production, so production holds."""
    doc = copy.deepcopy(doc)
    by_id = {c["id"]: c for c in doc["checks"]}
    by_id["slices-accuracy"]["status"] = "failed"
    by_id["slices-accuracy"]["message"] = "1 of 4 slices fails. age>=40: accuracy >= 0.75: failed"
    production = doc["stages"][1]
    production["verdict"] = "hold"
    production["reasons"] = [
        f"slices-accuracy failed: {by_id['slices-accuracy']['message']}",
        "an extra reason that names no check",
    ]
    doc["verdict"] = "hold"
    return doc


def test_the_verdict_is_in_the_title_and_the_banner(doc):
    html = render_html(doc)
    p = page(html)
    assert p.texts("title") == ["PROMOTE WITH WARNINGS · mlgate report: tiny"]
    (banner,) = [a for t, a in p.tags if t == "header"]
    assert banner["class"] == "banner v-promote_with_warnings"
    h1 = re.search(r"<h1>(.*?)</h1>", html, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", h1) == "PROMOTE WITH WARNINGS tiny"


def test_enum_names_are_words(doc):
    for d in (doc, held(doc)):
        text = " ".join(t for _, t in page(render_html(d)).text)
        assert "promote_with_warnings" not in text.lower().replace("promote with warnings", "")
        assert "PROMOTE_WITH_WARNINGS" not in text
    assert verdict_label("promote_with_warnings") == "PROMOTE WITH WARNINGS"
    assert verdict_label("someday_maybe") == "SOMEDAY MAYBE"


def test_one_line_per_blocking_check_with_its_key_number(doc):
    d = held(doc)
    lines = findings(d)
    blocking = [f for f in lines if f.blocking]
    assert [f.check.id if f.check else None for f in blocking] == ["slices-accuracy", None]
    assert blocking[0].text == "accuracy = 0.85 [0.79, 0.9] 95%, needs ≥ 0.75"
    assert blocking[1].text == "an extra reason that names no check"
    html = render_html(d)
    section = html.split('<section id="findings">')[1].split("</section>")[0]
    assert "Blocking checks that did not pass (2)" in section
    assert 'href="#check-2-6"' in section and 'id="check-2-6"' in html  # the link lands
    assert "accuracy = 0.85 [0.79, 0.9] 95%, needs ≥ 0.75" in section
    assert "1 of 4 slices fails." in section  # the reason, as the check's sentence
    # the warning of a held stage is not a reason the stage holds; a promoted one lists none
    assert "Warnings" not in section


def test_warnings_are_listed_apart(doc):
    lines = findings(doc)
    assert [(f.blocking, f.check.id, f.stages) for f in lines] == [
        (False, "log_loss", ("production",))
    ]
    assert lines[0].text == "log_loss = 0.2524 [0.2138, 0.2944] 95%, needs ≤ 0.1"
    assert "<h2>Warnings (1)</h2>" in render_html(doc)


def test_a_check_that_holds_two_stages_is_one_line(doc):
    d = held(doc)
    by_id = {c["id"]: c for c in d["checks"]}
    by_id["slices-accuracy"]["stages"] = ["staging", "production"]
    d["stages"][0]["verdict"] = "hold"
    d["stages"][0]["reasons"] = [f"slices-accuracy failed: {by_id['slices-accuracy']['message']}"]
    (line, _) = [f for f in findings(d) if f.blocking]
    assert line.stages == ("staging", "production")


def test_a_promoted_run_has_no_findings_section(doc):
    d = copy.deepcopy(doc)
    for s in d["stages"]:
        s["verdict"], s["reasons"] = "promote", []
    d["verdict"] = "promote"
    html = render_html(d)
    assert 'id="findings"' not in html and "<title>PROMOTE · mlgate report: tiny</title>" in html


def test_values_read_as_words_never_python():
    assert value_text({"low": 0.1, "high": 0.25}) == "[0.1, 0.25]"
    assert value_text([0.88372, 1.0]) == "[0.8837, 1]"
    assert value_text({"op": "<=", "value": 0.1}) == "≤ 0.1"
    assert value_text({"per_window": -0.0087, "low": -0.03, "high": 0.01}) == (
        "per_window = -0.0087, low = -0.03, high = 0.01"
    )
    assert value_text(["a", None, True]) == "a, n/a, true"
    assert value_text(list(range(20))).endswith(", … (8 more)")
    assert value_text({}) == "none" and value_text([]) == "none"


def test_no_python_repr_reaches_the_page(doc):
    d = copy.deepcopy(doc)
    d["checks"][0]["evidence"] = {
        "fit": {"a": 1.5, "b": None},
        "rows": [{"slice": "a", "interval": [0.8, 0.9], "extra": {"k": [1, 2]}}],
        "classes": ["x", "y"],
    }
    text = " ".join(t for _, t in page(render_html(d)).text)
    assert "{'" not in text and "['" not in text and "None" not in text
    assert "[0.8, 0.9]" in text and "k = [1, 2]" in text and "a = 1.5, b = n/a" in text


def test_an_alphabetical_table_shows_its_naming_column_first():
    sorted_keys = Table(rows=({"accuracy": 0.9, "message": "fine, all good", "n": 40,
                               "slice": "a"},
                              {"accuracy": 0.8, "message": "fine, all good too", "n": 41,
                               "slice": "b"}))  # fmt: skip
    assert ev.display_columns(sorted_keys) == ("slice", "accuracy", "message", "n")
    chosen = Table(rows=({"row": 12, "slice": "a", "label": 1},))
    assert ev.display_columns(chosen) == ("row", "slice", "label")  # the check's order stands


def test_long_names_are_cut_with_the_whole_text_in_a_title(doc):
    long = "tier-" + "x" * 20_000
    d = copy.deepcopy(doc)
    bars = d["checks"][5]["evidence"]["per_slice"]
    bars["labels"][0] = long
    d["checks"][5]["evidence"]["worst"]["columns"].append(long)
    d["checks"][5]["evidence"]["worst"]["rows"][0][long] = long
    d["checks"][5]["message"] = f"slice {long} is fine"
    html = render_html(d)
    p = page(html)
    assert "x" * 200 not in " ".join(t for _, t in p.text)
    titles = [a["title"] for _, a in p.tags if "title" in a]
    assert long in titles
    headers = p.texts("th") + [t for tag, t in p.text if tag == "span" and t.endswith("…")]
    assert all(len(h) <= max(HEADER_LIMIT, 80) for h in headers)
    assert clip_message(f"slice {long} is fine").startswith("slice tier-xxx")
    assert clip_message(f"slice {long} is fine").endswith("… is fine")
    # the plot's label is cut too: matplotlib draws no 20,000-character tick
    assert "x" * 100 not in "".join(re.findall(r"<svg.*?</svg>", html, re.S))


def test_headers_do_not_break_and_numbers_stay_on_one_line(doc):
    html = render_html(doc)
    css = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    assert re.search(r"th \{[^}]*white-space: nowrap", css)
    assert re.search(r"td\.num \{[^}]*white-space: nowrap", css)
    assert "overflow-wrap: anywhere" in css
    d = copy.deepcopy(doc)
    d["checks"][0]["evidence"] = {"rows": [{"slice": "a", "interval": [0.84, 0.93]}]}
    assert '<td class="num">[0.84, 0.93]</td>' in render_html(d)  # an interval cell


def test_long_tables_that_no_plot_replaces_are_folded(doc):
    d = copy.deepcopy(doc)
    d["checks"][0]["evidence"] = {"big": {"type": "table", "title": "", "columns": ["i"],
                                          "rows": [{"i": i} for i in range(30)]}}  # fmt: skip
    html = render_html(d)
    assert "<summary>big: a table of 30 rows</summary>" in html


def test_plain_facts_share_one_line(doc):
    html = render_html(doc)
    assert (
        '<p class="facts"><span class="fact"><span class="k">model</span> candidate</span>'
        '<span class="fact"><span class="k">dataset</span> evaluation</span>'
    ) in html
    assert "<h4>model</h4>" not in html


def test_still_one_offline_file_without_scripts(doc):
    p = page(render_html(held(doc)))
    tags = {t for t, _ in p.tags}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed"}
    for tag, attrs in p.tags:
        assert "src" not in attrs and not any(k.startswith("on") for k in attrs)
        if tag == "a":
            assert attrs["href"].startswith("#")


def test_clip_keeps_short_text_and_marks_the_cut():
    assert clip("short").shown == "short" and not clip("short").cut
    c = clip("a\nb " + "y" * 100, 10)
    assert c.cut and c.shown == "a b yyyyy…" and c.full.startswith("a b y")
