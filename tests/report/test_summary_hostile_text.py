"""summary.md (and so ``$GITHUB_STEP_SUMMARY``) with hostile names everywhere a result carries
text: the gate's name and file, stage names, check ids, messages and reasons, metric names,
table columns and cells, slice values, bins and evidence keys. The summary is parsed with a
CommonMark parser (markdown-it-py, with GFM tables) and no link, image, heading or HTML token
may come from the data; GitHub's extended autolinks (bare URLs, ``www.``, e-mail addresses),
which that parser does not implement, are checked on the Markdown source."""

from __future__ import annotations

import copy
import itertools
import json
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from mlgate.report.markdown import render_summary
from mlgate.report.mdtext import md

DOC = Path(__file__).parent / "data" / "result.json"

HOSTILE = {
    "link": "[x](http://evil.example/a)",
    "image": "![i](http://evil.example/p.png)",
    "heading": "# heading",
    "html": "<img src=x onerror=alert(1)>",
    "carriage-return": "a\r# b",
    "newlines": "a\n\n## b\n\n<details>",
    "backticks": "``x`` `y",
    "autolink": "<http://evil.example>",
    "bare-url": "see http://evil.example/x",
    "www": "www.evil.example",
    "email": "root@evil.example",
    "list": "- item",
    "ordered": "1. item",
    "setext": "===",
    "rule": "---",
    "quote": "> quoted",
    "table": "| a | b |",
    "math": "$\\href{http://evil.example}{x}$",
    "comment": "<!-- hidden -->",
    "entity": "&lt;img src=x&gt;",
    "reference": "[r]: http://evil.example",
    "bidi": "safe\u202eevil",
    "emphasis": "_a_ *b* __c__ ~~d~~",
}


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table").enable("strikethrough")


def _tokens(text: str) -> list:
    """Every token, inline children included, in document order."""
    out = []
    for t in _parser().parse(text):
        out.append(t)
        out += t.children or []
    return out


def _hostile_doc(value: str) -> dict:
    """The stored result with ``value`` in every string a gate or its data can set, and the
    checks held, so reasons, lines and evidence are all in the summary."""
    doc = json.loads(DOC.read_text())
    doc["gate"]["name"] = f"gate {value}"
    doc["gate"]["file"] = f"{value}.yaml"
    doc["mlgate_version"] = value
    doc["run"]["seed"] = value
    doc["verdict"] = "hold"
    for stage in doc["stages"]:
        stage["name"] = f"{stage['name']} {value}"
        stage["verdict"] = "hold"
    for check in doc["checks"]:
        check["stages"] = [f"{s} {value}" for s in check["stages"]]
        check["status"] = "failed"
        check["id"] = f"{check['id']} {value}"
        check["message"] = f"{value} is worse"
        if check["metric"] is not None:
            check["metric"] = f"{check['metric']} {value}"
    for stage in doc["stages"]:
        stage["reasons"] = [
            f"{c['id']} {c['status']}: {c['message']}"
            for c in doc["checks"]
            if stage["name"] in c["stages"]
        ] + [value]
    by_id = {c["id"].split(" ")[0]: c for c in doc["checks"]}
    bars = by_id["slices-accuracy"]["evidence"]["per_slice"]
    bars["labels"][0] = value  # a slice value
    bars["quantity"] = value  # a column of the bars' table
    bars["title"] = value
    worst = by_id["slices-accuracy"]["evidence"]["worst"]
    worst["columns"].append(value)  # a column name
    worst["rows"][0][value] = value  # a cell
    drift = by_id["drift"]["evidence"]
    drift["histograms"]["items"][0]["bins"][0] = value  # a bin
    drift["histograms"]["items"][0]["title"] = value  # a column
    drift[value] = value  # an evidence key, a plain value
    return doc


def _structure(text: str) -> list[tuple[str, str]]:
    """The document's shape: every token but text."""
    return [(t.type, t.tag) for t in _tokens(text) if t.type not in ("text", "softbreak")]


@pytest.mark.parametrize("value", list(HOSTILE.values()), ids=list(HOSTILE))
def test_no_markup_in_the_summary_comes_from_data(value):
    text = render_summary(_hostile_doc(value))
    tokens = _tokens(text)
    kinds = {t.type for t in tokens}
    assert not kinds & {"link_open", "image", "code_inline", "code_block", "fence", "s_open"}
    assert not kinds & {"blockquote_open", "hr", "ordered_list_open", "lheading"}
    # headings, HTML and the rest of the shape are exactly those of a summary of plain names
    assert _structure(text) == _structure(render_summary(_hostile_doc("plain")))
    headings = [n.content for t, n in itertools.pairwise(tokens) if t.type == "heading_open"]
    assert headings[0].startswith("mlgate: gate ")
    for t in tokens:
        if t.type == "html_block":
            assert re.fullmatch(r"<details><summary>[^<>\n]*</summary>\n|</details>\n", t.content)
        if t.type == "html_inline":
            assert t.content in ("<sub>", "</sub>")
    # GitHub's extended autolinks, which CommonMark does not have: never unescaped in the source
    assert not re.search(r"(?<!\\)://|(?i:(?<![\\\w])www\.)|(?<!\\)@", text)
    # the value is shown: as text, whole or cut, one line, unmarked
    shown = " ".join(t.content for t in tokens if t.type == "text")
    assert " ".join(value.split())[:20].replace("\u202e", "\ufffd") in shown


def test_every_hostile_value_is_text_in_a_table_cell():
    value = HOSTILE["link"]
    cells = [
        "".join(c.content for c in n.children if c.type == "text")
        for t, n in itertools.pairwise(_parser().parse(render_summary(_hostile_doc(value))))
        if t.type == "td_open"
    ]
    assert value in cells  # the slice value, in the bars' table
    assert f"{value} is worse" in " ".join(cells)  # the message, in the stage's table


def test_escaping_is_complete_for_each_trigger():
    assert md("a\r# b") == "a \\# b"
    assert md("===") == "\\===" and md("---") == "\\---" and md("+ x") == "\\+ x"
    assert md("1) x") == "1\\) x" and md("12. x") == "12\\. x" and md("1.5") == "1.5"
    assert md("http://e.example") == "http\\://e.example"
    assert md("WWW.e.example") == "WWW\\.e.example" and md("awww.b") == "awww.b"
    assert md("a@b.example") == "a\\@b.example"
    assert md("$x$") == "\\$x\\$"
    assert md("x\u202ey\x1b[31m") == "x\ufffdy\ufffd\\[31m"
    assert md("<!-- c -->") == "&lt;!-- c --&gt;"


def test_long_values_are_cut_in_the_summary():
    long = "tier-" + "x" * 20_000
    doc = _hostile_doc(long)
    text = render_summary(doc)
    assert "x" * 200 not in text
    assert len(text) < 20_000


def test_the_step_summary_is_the_summary(tmp_path, monkeypatch):
    """What GitHub shows is the same escaped text (appended to $GITHUB_STEP_SUMMARY)."""
    from mlgate.report.outputs import write_outputs

    doc = _hostile_doc(HOSTILE["image"])
    step = tmp_path / "step.md"
    step.write_text("earlier step\n")
    write_outputs(copy.deepcopy(doc), tmp_path / "reports", step_summary=str(step))
    assert step.read_text() == "earlier step\n" + render_summary(doc) + "\n"
