"""The model card: built from a ``result.json`` document alone, rendered three ways.

- :func:`card_markdown` — Markdown with a Hugging Face-style YAML header (``model-index``);
- :func:`card_json` — a Model Card Toolkit v0.0.2 document;
- :func:`card_html` — one self-contained HTML page.

What the run measured is filled in automatically; what only people know comes from the gate
file's ``model_card:`` section (:class:`ModelCardSpec`). Fields nobody filled are listed as
missing. Same result, same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlgate.config.card import ModelCardSpec, validate_card_spec
from mlgate.report.card.build import ModelCard, build_card
from mlgate.report.card.html import card_html, render_html
from mlgate.report.card.markdown import card_markdown, hf_metadata, render_markdown
from mlgate.report.card.mct_json import card_json, mct_document

CARD_FILES = {"markdown": "model_card.md", "json": "model_card.json", "html": "model_card.html"}

__all__ = [
    "CARD_FILES",
    "ModelCard",
    "ModelCardSpec",
    "build_card",
    "card_html",
    "card_json",
    "card_markdown",
    "hf_metadata",
    "validate_card_spec",
    "write_cards",
]


def write_cards(
    result: Mapping[str, Any], out_dir: str | Path, *, formats: tuple[str, ...] = tuple(CARD_FILES)
) -> dict[str, Path]:
    """Write ``model_card.md``, ``model_card.json`` and ``model_card.html`` for ``result``
    into ``out_dir`` (created if needed). Returns ``{"markdown": path, "json": path,
    "html": path}``. The card is built once; each file is written whole, then renamed into
    place. Raises what :func:`build_card` raises, before writing anything."""
    card = build_card(result)
    texts = {
        "markdown": render_markdown(card),
        "json": json.dumps(mct_document(card), indent=2, ensure_ascii=False) + "\n",
        "html": render_html(card),
    }
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for key, text in texts.items():
        if key not in formats:
            continue
        path = out / CARD_FILES[key]
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8", newline="\n")
        tmp.replace(path)
        paths[key] = path
    return paths
