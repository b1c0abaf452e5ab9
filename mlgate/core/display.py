"""How a gate run, a stage decision and a check result show themselves in a notebook.

Jupyter calls ``_repr_html_`` on the last value of a cell. The rich view (the gate report's
verdict banner, check table and plots) is drawn by the report layer, which the kernel must not
import (``lint-imports``: a lower layer never imports a higher one, not even lazily). So the
kernel keeps a small registry here: :mod:`mlgate.report.notebook` fills it when it is imported
(``import mlgate.report.notebook``; ``mlgate.run_gate`` and every top-level ``mlgate.X``
import it), and :func:`html` uses what it holds. Until then, or when a registered renderer
raises, a plain HTML table made here from the object's ``to_dict()`` stands in, so a result
always displays and never hides its verdict behind a traceback.

Why a registry and not an entry point: it is the smallest seam that keeps the kernel ignorant
of the report; there is one renderer per kind, set once at import time and never read by a
verdict (the registry changes how results look, never what they are).

This module imports nothing else of mlgate: the verdict primitives (``core.result``) call it.
"""

from __future__ import annotations

import html as _html
import logging
import math
from collections.abc import Callable, Mapping
from typing import Any

log = logging.getLogger(__name__)

#: What can be displayed: a gate run, one stage's decision, one check's result.
KINDS = ("run", "decision", "check")

_RENDERERS: dict[str, Callable[[Any], str]] = {}


def register(kind: str, render: Callable[[Any], str]) -> None:
    """Make ``render(obj) -> str`` (self-contained, escaped HTML) draw objects of ``kind``
    (one of :data:`KINDS`). A later registration replaces an earlier one. Raises ValueError
    for an unknown kind."""
    if kind not in KINDS:
        raise ValueError(f"display kind must be one of {KINDS}, got {kind!r}")
    _RENDERERS[kind] = render


def registered(kind: str) -> bool:
    """Whether a renderer for ``kind`` has been registered."""
    return kind in _RENDERERS


def html(obj: Any, kind: str) -> str:
    """``obj`` as HTML for a notebook: the registered renderer's, else :func:`fallback_html`.
    A renderer that raises is logged and replaced by the fallback."""
    render = _RENDERERS.get(kind)
    if render is not None:
        try:
            return render(obj)
        except Exception:  # a broken renderer must not hide the verdict
            log.exception("the %s renderer failed; showing the plain table", kind)
    return fallback_html(obj, kind)


# -- the plain fallback ------------------------------------------------------------------------
def _e(text: Any) -> str:
    return _html.escape(str(text), quote=True)


def _num(x: Any) -> str:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return "" if x is None else str(x)
    return f"{x:.4g}" if math.isfinite(x) else "n/a"


def statistic_text(check: Mapping[str, Any]) -> str:
    """``accuracy = 0.9123 [0.88, 0.94] (needs >= 0.8)`` from a check's ``to_dict()``; empty
    for a check without a metric. Plain text, not escaped."""
    if check.get("metric") is None:
        return ""
    text = f"{check['metric']} = {_num(check.get('value')) or 'n/a'}"
    ci = check.get("interval")
    if isinstance(ci, Mapping):
        text += f" [{_num(ci.get('low'))}, {_num(ci.get('high'))}]"
    bound = check.get("threshold")
    if isinstance(bound, Mapping):
        text += f" (needs {bound.get('op')} {_num(bound.get('value'))})"
    return text


def _check_rows(checks: list[Mapping[str, Any]]) -> str:
    rows = "".join(
        f"<tr><td>{_e(c.get('status'))}</td><td>{_e(c.get('id'))}</td>"
        f"<td>{_e(c.get('kind'))}</td><td>{_e(statistic_text(c))}</td>"
        f"<td>{_e(c.get('message') or '')}</td></tr>"
        for c in checks
    )
    return (
        "<table><thead><tr><th>status</th><th>check</th><th>kind</th><th>statistic</th>"
        f"<th>message</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _decision_block(d: Mapping[str, Any]) -> str:
    reasons = "".join(f"<li>{_e(r)}</li>" for r in d.get("reasons", ()))
    counts = ", ".join(f"{n} {_e(s)}" for s, n in (d.get("counts") or {}).items() if n)
    return (
        f"<p><strong>stage {_e(d.get('name'))}: {_e(str(d.get('verdict')).upper())}</strong>"
        f" ({counts or 'no check'})</p>" + (f"<ul>{reasons}</ul>" if reasons else "")
    )


def fallback_html(obj: Any, kind: str) -> str:
    """A plain, escaped HTML view of ``obj`` (of ``kind``) made from its ``to_dict()``:
    what a notebook shows before the report layer is imported."""
    if kind == "check":
        body = _check_rows([obj.to_dict()])
    elif kind == "decision":
        body = _decision_block(obj.to_dict())
    else:
        body = "".join(_decision_block(d.to_dict()) for d in obj.decisions)
        body += _check_rows([r.to_dict() for r in obj.results])
    return f'<div class="mlgate-plain">{body}</div>'
