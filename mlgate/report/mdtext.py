"""Plain text as inline Markdown, for every Markdown renderer (the summary, the model card).

Text from a result (check ids, slice names, bins, column names, messages) must show as text on
GitHub (pull-request comments, ``$GITHUB_STEP_SUMMARY``) and in any CommonMark renderer:

- it is put on one line (``\\r``, ``\\n`` and Unicode line separators become spaces), so it
  cannot start a heading, a list, a quote or a table row of its own; control and
  bidirectional-override characters become U+FFFD;
- HTML becomes entities, so no value opens a tag (``<img src=x>``) or an autolink
  (``<http://…>``);
- Markdown punctuation is backslash-escaped, so no value opens a link or an image
  (``[x](…)``, ``![i](…)``), emphasis, a code span, a table cell, a heading or GitHub math
  (``$…$``);
- the triggers of GitHub's extended autolinks are escaped (``http\\://``, ``www\\.``,
  ``\\@``), so a bare URL or e-mail address in data is not made a link either;
- a value that would start a block (``- x``, ``1. x``, ``===``, ``+``) has its first
  character escaped.

Backslash escapes render as the character itself, so the reader sees the data unchanged.
"""

from __future__ import annotations

import html
import re

from mlgate.report.text import one_line

_MD_PUNCT = re.compile(r"([\\`*\[\]|#~$])")
_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_SCHEME = re.compile(r"(?<=[A-Za-z0-9]):(?=//)")
_WWW = re.compile(r"(?i)(?<![A-Za-z0-9])(www)\.")
_ORDERED = re.compile(r"\d+(?=[.)](\s|$))")


def md(text: object) -> str:
    """Plain text as inline Markdown: one line, HTML escaped, markup characters escaped.

    >>> md("[x](http://evil) # <b>")
    '\\\\[x\\\\](http\\\\://evil) \\\\# &lt;b&gt;'
    """
    s = one_line(text)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MD_PUNCT.sub(r"\\\1", s)
    s = _UNDERSCORE.sub(r"\\_", s)
    s = _SCHEME.sub(r"\\:", s)
    s = _WWW.sub(r"\1\\.", s)
    s = s.replace("@", "\\@")
    if s[:1] in ("-", "+", "="):  # a list item, a thematic break or a setext underline
        s = "\\" + s
    else:
        m = _ORDERED.match(s)
        if m:  # "1. x" / "1) x" would start an ordered list: escape its marker
            s = s[: m.end()] + "\\" + s[m.end() :]
    return s


def html_text(text: object) -> str:
    """Plain text inside raw HTML in Markdown (a ``<summary>``): one line (a blank line would
    end the HTML block and let the rest be read as Markdown), HTML-escaped, and the triggers
    of GitHub's extended autolinks written as character references (``&#58;//``, ``www&#46;``,
    ``&#64;``)."""
    s = html.escape(one_line(text), quote=True)
    s = _SCHEME.sub("&#58;", s)
    s = _WWW.sub(r"\1&#46;", s)
    return s.replace("@", "&#64;")
