"""Text that is safe to print on a terminal.

Check messages carry data (category values, column names, exception text). Printed raw, an
ANSI escape in a slice value can recolour a line or move the cursor and print a fake
"stage staging: PROMOTE"; a carriage return can overwrite the start of a line; bidirectional
overrides can reorder what the reader sees. Everything mlgate prints goes through
:func:`terminal_safe` first.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from mlgate.core.runner import shorten

# Control characters (C0, DEL, C1), format characters (bidi overrides, zero-width marks),
# line and paragraph separators, and lone surrogates.
_ESCAPED = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def terminal_safe(text: object) -> str:
    """``text`` with every control or format character written as its Python escape
    (``\\x1b``, ``\\r``, ``\\n``, ``\\u202e``), so it prints as exactly one line of visible
    characters.

    >>> terminal_safe("\\x1b[32mstage staging: PROMOTE\\x1b[0m")
    '\\\\x1b[32mstage staging: PROMOTE\\\\x1b[0m'
    """
    text = str(text)
    if text.isprintable():
        return text
    return "".join(
        ch.encode("unicode_escape", "backslashreplace").decode("ascii")
        if unicodedata.category(ch) in _ESCAPED
        else ch
        for ch in text
    )


def terminal_lines(text: object, indent: str = "    ") -> str:
    """``text`` made :func:`terminal_safe` line by line; its second and later lines are
    indented with ``indent``, so a line break in a message can never start a line of its own
    at the left margin (where mlgate's verdict lines are)."""
    lines = str(text).replace("\r\n", "\n").split("\n")
    return f"\n{indent}".join(terminal_safe(line) for line in lines)


def _safe_multiline(text: str) -> str:
    return "\n".join(terminal_safe(line) for line in str(text).split("\n"))


def safe_longrepr(longrepr: Any) -> Any:
    """A gate item's failure or skip representation with every line made
    :func:`terminal_safe`, so that pytest's own lines (the failure section, ``-v`` skip
    reasons, the short summary) print data the way mlgate's do. Exception representations
    are changed in place; strings and skip tuples are returned anew; anything else is
    returned as it is."""
    if longrepr is None:
        return None
    if isinstance(longrepr, str):
        return _safe_multiline(longrepr)
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (path, line, reason)
        return (longrepr[0], longrepr[1], terminal_safe(longrepr[2]))
    chain = getattr(longrepr, "chain", None)
    links = list(chain) if chain else [(longrepr.reprtraceback, longrepr.reprcrash, None)]
    safe_chain = []
    for reprtraceback, reprcrash, descr in links:
        for entry in getattr(reprtraceback, "reprentries", ()):
            if hasattr(entry, "lines"):
                entry.lines = [terminal_safe(line) for line in entry.lines]
            fileloc = getattr(entry, "reprfileloc", None)
            if fileloc is not None:
                fileloc.message = terminal_safe(fileloc.message)
            funcargs = getattr(entry, "reprfuncargs", None)
            if funcargs is not None:
                funcargs.args = [(n, terminal_safe(v)) for n, v in funcargs.args]
            reprlocals = getattr(entry, "reprlocals", None)
            if reprlocals is not None:
                reprlocals.lines = [terminal_safe(line) for line in reprlocals.lines]
        if reprcrash is not None:
            # One line, bounded: under CI pytest prints this message whole in its short
            # summary, so a newline in data would start a line of its own there.
            reprcrash.message = shorten(terminal_safe(reprcrash.message))
        safe_chain.append(
            (reprtraceback, reprcrash, None if descr is None else terminal_safe(descr))
        )
    if chain:
        longrepr.chain = safe_chain
    return longrepr
