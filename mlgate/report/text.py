"""Text for people, shared by every renderer: verdicts and statuses as words, values as
sentences (never a Python ``repr``), and long names cut for display.

Every function here is pure: the same value always gives the same text, so the reports stay
byte-stable. Escaping is the renderer's job (Jinja2 autoescaping in HTML,
:func:`mlgate.report.mdtext.md` in Markdown); these functions return plain text.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: The verdicts as people say them (``promote_with_warnings`` is an identifier, not a word).
VERDICT_LABEL = {
    "promote": "PROMOTE",
    "promote_with_warnings": "PROMOTE WITH WARNINGS",
    "hold": "HOLD",
}
#: Characters of a name shown in a table cell, a heading or a plot label before it is cut
#: (the whole name stays in the ``title`` attribute and in result.json).
NAME_LIMIT = 80
#: Characters of a message or reason shown before it is cut.
MESSAGE_LIMIT = 600
#: Characters of a column header shown before it is cut.
HEADER_LIMIT = 40
#: Items of a list shown in one cell.
LIST_LIMIT = 12


def verdict_label(verdict: Any) -> str:
    """``promote_with_warnings`` → ``PROMOTE WITH WARNINGS``; an unknown value in capitals,
    its underscores as spaces."""
    key = str(verdict)
    return VERDICT_LABEL.get(key, words(key).upper())


def words(identifier: Any) -> str:
    """An enum-like identifier as words: ``promote_with_warnings`` → ``promote with
    warnings``."""
    return " ".join(str(identifier).replace("_", " ").split())


def one_line(text: Any) -> str:
    """``text`` on one line: every run of whitespace (``\\r``, ``\\n``, tabs, Unicode line
    separators) is one space, and control and bidirectional-override characters, which can
    fake what a reader sees, become U+FFFD."""
    s = " ".join(str(text).split())
    if s.isprintable():
        return s
    return "".join(ch if ch.isprintable() or ch == " " else "\ufffd" for ch in s)


def printable(text: Any) -> str:
    """``text`` with control and format characters (except newlines and tabs) as U+FFFD."""
    return "".join(
        ch if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf") else "\ufffd"
        for ch in str(text)
    )


@dataclass(frozen=True)
class Clipped:
    """A text cut for display: ``shown`` (ends in ``…`` when cut) and the ``full`` text."""

    shown: str
    full: str

    @property
    def cut(self) -> bool:
        return self.shown != self.full

    def __str__(self) -> str:
        return self.shown


def clip(text: Any, limit: int = NAME_LIMIT) -> Clipped:
    """``text`` on one line, cut to ``limit`` characters (the last one ``…``).

    >>> clip("x" * 100, 10).shown
    'xxxxxxxxx…'
    """
    full = one_line(text)
    if len(full) <= limit:
        return Clipped(full, full)
    return Clipped(full[: max(1, limit - 1)] + "…", full)


#: Characters of one word (a run without spaces: a name inside a message) shown.
WORD_LIMIT = 60


def clip_words(text: Any, limit: int = WORD_LIMIT) -> str:
    """``text`` on one line with every word longer than ``limit`` characters cut (``…``): a
    20,000-character category value inside a message reads as its first 60 characters."""
    words_ = one_line(text).split(" ")
    return " ".join(w if len(w) <= limit else w[: limit - 1] + "…" for w in words_)


def clip_message(text: Any, limit: int = MESSAGE_LIMIT) -> str:
    """A message or reason for display: its long words cut (:func:`clip_words`), then the
    whole cut to ``limit`` characters, saying how much was left out (result.json has it
    all)."""
    full = clip_words(text)
    if len(full) <= limit:
        return full
    return f"{full[:limit]}… (cut; result.json has the whole text)"


def number(x: Any, digits: int = 4) -> str:
    """A number for people: ``digits`` significant digits; ``n/a`` for missing or not
    finite."""
    if x is None:
        return "n/a"
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        return f"{x:.{digits}g}" if math.isfinite(x) else "n/a"
    return str(x)


def is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def value_text(x: Any) -> str:
    """Any JSON value as text for people: numbers to 4 significant digits, a ``[low, high]``
    pair or ``{low, high}`` mapping as an interval, a list as a comma-separated list (at most
    :data:`LIST_LIMIT` items), a mapping as ``key = value`` pairs. Never a Python ``repr``.

    >>> value_text({"low": 0.1, "high": 0.25})
    '[0.1, 0.25]'
    >>> value_text({"op": ">=", "value": 0.9})
    '≥ 0.9'
    """
    if x is None or isinstance(x, (bool, int, float)):
        return number(x)
    if isinstance(x, str):
        return x
    if isinstance(x, Mapping):
        if "low" in x and "high" in x and set(x) <= {"low", "high", "level", "method"}:
            return f"[{number(x.get('low'))}, {number(x.get('high'))}]"
        if set(x) == {"op", "value"}:
            return bound_text(x)
        return ", ".join(f"{k} = {value_text(v)}" for k, v in x.items()) or "none"
    if isinstance(x, (list, tuple)):
        pair = len(x) == 2 and all(is_number(v) or v is None for v in x)
        if pair and any(is_number(v) for v in x):
            return f"[{number(x[0])}, {number(x[1])}]"
        shown = ", ".join(value_text(v) for v in x[:LIST_LIMIT])
        more = len(x) - LIST_LIMIT
        return shown + (f", … ({more} more)" if more > 0 else "") if x else "none"
    return str(x)


#: Comparison operators as people write them.
OPERATORS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "="}


def bound_text(threshold: Any) -> str:
    """``{"op": ">=", "value": 0.9}`` → ``≥ 0.9``; empty for no threshold."""
    if not isinstance(threshold, Mapping) or "op" not in threshold:
        return ""
    op = str(threshold.get("op"))
    return f"{OPERATORS.get(op, op)} {number(threshold.get('value'))}"


def interval_text(interval: Any) -> str:
    """``[0.95, 0.99] 95%``; empty for no interval."""
    if not isinstance(interval, Mapping) or "low" not in interval:
        return ""
    text = f"[{number(interval.get('low'))}, {number(interval.get('high'))}]"
    level = interval.get("level")
    if is_number(level) and math.isfinite(level):
        text += f" {level:.0%}"
    return text
