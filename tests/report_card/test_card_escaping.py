"""Hostile strings (a script payload in column names, slice values, model metadata, check ids)
come out as text, and the HTML card is one self-contained file."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
import yaml

from mlgate.report.card import card_html, card_json, card_markdown

EVIL = "<script>alert(1)</script>"


class _Page(HTMLParser):
    """Collects start tags with their attributes, text, and inline style text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        (self.styles if self._in_style else self.text).append(data)


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def test_hostile_strings_are_text_in_the_html_card(hostile_result):
    html = card_html(hostile_result)
    page = _parse(html)
    assert "script" not in {tag for tag, _ in page.tags}
    assert "<script" not in html.lower()
    text = "\n".join(page.text)
    # shown, as text, where each was put: card name, model class, parameter, column name,
    # sensitive attribute, slice value, intersection, drift feature, check id, message
    for shown in (
        f"Model card: model{EVIL}",
        f"Model{EVIL}",
        f"sex=female{EVIL}",
        f"sex=female & age<40{EVIL}",
        f"mean radius{EVIL}",
        f"slice-accuracy{EVIL}",
    ):
        assert shown in text, shown
    assert text.count(EVIL) >= 15
    # no attribute value carries the payload either
    for _, attrs in page.tags:
        assert not any(v and "<script" in v for v in attrs.values())


def test_hostile_strings_are_text_in_the_markdown_card(hostile_result):
    text = card_markdown(hostile_result)
    header, body = text[4:].split("\n---\n", 1)
    assert "<script" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    # markup-looking text cannot make a table row or a link
    # (the scheme's colon is escaped too, so GitHub does not make a bare URL a link)
    assert "\\| a \\| table \\| row \\|" in body and "\\[x\\](http\\://e.example)" in body
    meta = yaml.safe_load(header)  # the header stays valid YAML with the exact string
    assert meta["model-index"][0]["name"] == f"model{EVIL}"


def test_the_html_card_is_self_contained(demo_result):
    html = card_html(demo_result)
    page = _parse(html)
    tags = {tag for tag, _ in page.tags}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed", "video", "audio"}
    assert tags >= {"html", "head", "style", "body", "table", "section"}
    csp = [a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv")]
    assert csp and "default-src 'none'" in csp[0]  # even a missed escape could not run
    style = "\n".join(page.styles)
    assert "url(" not in style and "@import" not in style
    for tag, attrs in page.tags:
        assert "src" not in attrs, tag
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        if tag == "a":  # in-page anchors, and the references the card's author gave
            href = attrs["href"] or ""
            assert href.startswith("#") or href == "https://archive.ics.uci.edu/dataset/17"
    anchors = {a["id"] for _, a in page.tags if "id" in a}
    for _, attrs in page.tags:
        if attrs.get("href", "").startswith("#"):
            assert attrs["href"][1:] in anchors


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (installed by .ci/run)")
def test_a_browser_runs_no_script_from_a_hostile_card(hostile_result, tmp_path):
    """Payloads that would change the page title if run; a real browser renders the card and
    the title must be the card's own."""
    payload = (
        "<img src=x onerror=\"document.title='pwned'\"><script>document.title='pwned'</script>"
    )
    hostile_result["model_card"]["model_details"]["name"] = payload
    hostile_result["datasets"]["evaluation"]["features"].append(payload)
    path = tmp_path / "card.html"
    path.write_text(card_html(hostile_result), encoding="utf-8")
    proc = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=2000",
            "--dump-dom",
            path.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = _parse(proc.stdout)
    title_index = dom.text.index(next(t for t in dom.text if t.startswith("Model card:")))
    assert dom.text[title_index].startswith("Model card: <img src=x onerror=")
    assert "pwned" not in [t.strip() for t in dom.text]
    assert "script" not in {tag for tag, _ in dom.tags}
    assert "img" not in {tag for tag, _ in dom.tags}


ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_hostile_slice_names_and_bins_are_escaped_in_the_cards_plots(hostile_result):
    html = card_html(hostile_result)
    assert "<script" not in html.lower()
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(svgs) >= 5  # per-slice bars, intersections, reliability, effects, a histogram
    # matplotlib wrote the slice name (a bar label) and the bin (a tick label) as SVG text
    assert any(f"sex=female{ESCAPED}" in svg for svg in svgs)
    assert any(f"&lt;10{ESCAPED}" in svg for svg in svgs)
    page = _parse(html)
    assert "script" not in {tag for tag, _ in page.tags}


def test_hostile_slice_names_and_bins_are_escaped_in_the_markdown_cards_tables(hostile_result):
    body = card_markdown(hostile_result).split("\n---\n", 1)[1]
    assert f"| sex=female{ESCAPED} | 0.91 |" in body  # the per-slice bars' table
    assert f"| &lt;10{ESCAPED} | 0.5 | 0.45 |" in body  # the histogram's table
    assert "<script" not in body


def test_examples_are_never_on_the_card(hostile_result):
    for text in (card_markdown(hostile_result), card_html(hostile_result)):
        assert "Jane Doe" not in text
        assert "1 example row(s), in the gate report only" in text
    assert "Jane Doe" not in json.dumps(card_json(hostile_result))
