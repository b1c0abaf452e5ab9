"""Plain text as inline Markdown, for every Markdown renderer (the summary, the model card).

Text from a result (check ids, slice names, bins, column names) must show as text: HTML
becomes entities and Markdown punctuation is backslash-escaped, so no value can open a tag,
a link, an image, a table cell or a heading.
"""

from __future__ import annotations

import re

_MD_PUNCT = re.compile(r"([\\`*\[\]|#~])")
_BLOCK_START = re.compile(r"(\d+[.)]|[-+=])(\s|$)")
_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def md(text: object) -> str:
    """Plain text as inline Markdown: one line, HTML escaped, markup characters escaped."""
    s = " ".join(str(text).split())
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MD_PUNCT.sub(r"\\\1", s)
    s = _UNDERSCORE.sub(r"\\_", s)
    m = _BLOCK_START.match(s)
    if m:  # would start a list item or a rule: escape the marker character
        cut = len(m.group(1)) - 1
        s = s[:cut] + "\\" + s[cut:]
    return s
