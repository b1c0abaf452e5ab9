"""Gate runs in a notebook: :func:`run_gate` writes the pytest run's outputs, and gate runs,
stage decisions and check results draw themselves as the gate report does.

Importing this module registers its renderers with the kernel's display hook
(:mod:`mlgate.core.display`): the kernel may not import the report, so the report fills the
hook. ``mlgate.run_gate`` and every other top-level ``mlgate.X`` import it.

What a notebook shows is an HTML fragment, not a page: the report's verdict banner, the lines
under it, the verdict per stage and each stage's check table with its interval plots, and each
check's evidence (plots and tables) folded under it. It is self-contained (styles and SVG
inline, no script, no network), its styles are scoped to its own ``div`` so they never restyle
the notebook, and every text from the results is escaped by Jinja2's autoescaping (the same
environment as the report). Element ids carry a digest of the results, so two runs shown in
one notebook never share an id, and the same results always give the same bytes.
"""

# The template and the styles below are HTML and CSS kept in this one module (lines as long as
# the report's .j2 file has): E501 is off for this file only.
# ruff: noqa: E501

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from markupsafe import Markup

from mlgate.core import display
from mlgate.core.decision import StageDecision, exit_code
from mlgate.core.result import CheckResult
from mlgate.core.runner import GateRun
from mlgate.core.runner import run_gate as run_gate_core
from mlgate.report import plots
from mlgate.report.html import jinja_env
from mlgate.report.html_evidence import check_evidence
from mlgate.report.outputs import write_outputs
from mlgate.report.result_json import build_result, dumps
from mlgate.report.text import verdict_label
from mlgate.report.views import check_view, checks_by_stage, findings

__all__ = ["CSS", "check_html", "decision_html", "result_document", "run_gate", "run_html"]


def run_gate(
    path: str | Path,
    *,
    outputs: str | Path | None = None,
    stages: list[str] | None = None,
    seed: int | None = None,
    device: str | None = None,
    models: dict[str, Any] | None = None,
    datasets: dict[str, Any] | None = None,
) -> GateRun:
    """Run the gate file at ``path`` without pytest (:func:`mlgate.core.runner.run_gate`) and,
    with ``outputs`` (a folder, created if needed), write what ``pytest --mlgate`` writes into
    its report directory: ``result.json``, ``report.html``, ``summary.md`` and the model card
    (``model_card.md``, ``.json``, ``.html``). The returned run's ``outputs`` names them.

    The run is not recorded in the history database (that is the pytest session's job).

    Raises what the core runner raises (:class:`ConfigError`, :class:`SetupError`) before any
    check runs, and OSError when ``result.json`` cannot be written (nothing else is written
    then). A rendering that fails is a :class:`RuntimeWarning`, never a lost verdict.

    Example::

        run = mlgate.run_gate("mlgate.yaml", outputs="reports")
        run  # in a notebook: the verdict banner and the check table
    """
    run = run_gate_core(
        path, stages=stages, seed=seed, device=device, models=models, datasets=datasets
    )
    if outputs is None:
        return run
    folder = Path(outputs)
    written = write_outputs(result_document(run), folder)
    if "result" not in written.paths:
        why = written.problems.get("result", "unknown reason")
        raise OSError(f"mlgate: could not write result.json into {folder}: {why}")
    for name, why in written.problems.items():
        warnings.warn(f"mlgate: could not write the {name}: {why}", RuntimeWarning, stacklevel=2)
    return replace(run, outputs=dict(written.paths))


def result_document(run: GateRun) -> dict[str, Any]:
    """The ``result.json`` document of ``run``, as the pytest session builds it."""
    decisions = list(run.decisions)
    doc = build_result(
        config=run.gate.config,
        gate_file=_display_path(run.gate.path),
        seed=run.gate.config.seed if run.seed is None else run.seed,
        stages=[d.stage for d in decisions],
        results=run.results,
        decisions=decisions,
        exit_code=exit_code(decisions),
        loaded=run.loaded,
        timing=run.timing,
    )
    doc["run"]["partial"] = False  # run_gate runs every planned check of its stages
    doc["run"]["partial_reason"] = None
    return doc


def _display_path(path: Path) -> str:
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()


# -- the fragments -----------------------------------------------------------------------------
#: The report's look (report.css), scoped to the fragment's ``div.mlgate-nb``: a notebook's
#: own headings, tables and body are never restyled. Light colours on a set background, so a
#: dark notebook theme keeps it readable.
CSS = Markup(
    """
.mlgate-nb { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa;
  --pass: #1a7f37; --fail: #cf222e; --warn: #9a6700; --skip: #6e7781;
  font: 13px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
  background: #fff; padding: 8px; max-width: 100%; overflow-wrap: anywhere; }
.mlgate-nb * { box-sizing: border-box; }
.mlgate-nb .banner { border: 2px solid var(--line); border-left-width: 10px; border-radius: 8px;
  padding: 10px 16px; margin: 0 0 8px; }
.mlgate-nb .kicker { margin: 0; font-size: 11px; color: var(--muted); text-transform: uppercase;
  letter-spacing: .04em; }
.mlgate-nb .title { font-size: 20px; margin: 0 0 2px; }
.mlgate-nb .verdict-word { font-weight: 800; margin-right: 8px; }
.mlgate-nb .gate-name { font-weight: 600; }
.mlgate-nb .v-promote { border-color: var(--pass); } .mlgate-nb .banner.v-promote { background: #dafbe1; }
.mlgate-nb .v-promote .verdict-word, .mlgate-nb .v-promote .label { color: var(--pass); }
.mlgate-nb .v-promote_with_warnings { border-color: var(--warn); }
.mlgate-nb .banner.v-promote_with_warnings { background: #fff8c5; }
.mlgate-nb .v-promote_with_warnings .verdict-word, .mlgate-nb .v-promote_with_warnings .label { color: var(--warn); }
.mlgate-nb .v-hold, .mlgate-nb .v-unknown { border-color: var(--fail); }
.mlgate-nb .banner.v-hold, .mlgate-nb .banner.v-unknown { background: #ffebe9; }
.mlgate-nb .v-hold .verdict-word, .mlgate-nb .v-hold .label,
.mlgate-nb .v-unknown .verdict-word, .mlgate-nb .v-unknown .label { color: var(--fail); }
.mlgate-nb .meta, .mlgate-nb .muted { color: var(--muted); font-size: 12px; margin: 2px 0; }
.mlgate-nb .h { font-size: 15px; font-weight: 600; margin: 14px 0 6px;
  border-bottom: 1px solid var(--line); padding-bottom: 2px; }
.mlgate-nb code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace;
  background: var(--soft); padding: 1px 4px; border-radius: 4px; }
.mlgate-nb .cut { text-decoration: underline dotted var(--muted); cursor: help; }
.mlgate-nb ul.findings { list-style: none; padding: 0; margin: 0; }
.mlgate-nb .finding { padding: 4px 0; border-bottom: 1px solid var(--line); }
.mlgate-nb .finding .check-id { font-weight: 600; margin-right: 6px; }
.mlgate-nb .finding .stages { font-size: 12px; color: var(--muted); margin-right: 6px; }
.mlgate-nb .finding .why { display: block; font-size: 12px; color: var(--muted); }
.mlgate-nb .verdicts { display: flex; flex-wrap: wrap; gap: 10px; }
.mlgate-nb .verdict { border: 2px solid var(--line); border-radius: 8px; padding: 8px 14px;
  min-width: 0; flex: 1 1 220px; max-width: 100%; }
.mlgate-nb .verdict .stage { font-size: 12px; color: var(--muted); }
.mlgate-nb .verdict .label { font-size: 18px; font-weight: 700; }
.mlgate-nb .counts span { margin-right: 8px; font-size: 12px; }
/* a notebook styles bare tables (borders, striped and hovered rows, right-aligned cells) with
   selectors as specific as ".jp-RenderedHTMLCommon tbody tr:nth-child(odd)": reset them */
.mlgate-nb table { border-collapse: collapse; width: 100%; margin: 0; border: 0 !important;
  table-layout: auto; } .mlgate-nb tr { border: 0; background: transparent !important; }
.mlgate-nb th, .mlgate-nb td { text-align: left; padding: 3px 8px; vertical-align: middle;
  border: 0; border-bottom: 1px solid var(--line); font-size: 12px; color: var(--fg);
  background: transparent; }
.mlgate-nb th { background: var(--soft); font-weight: 600; white-space: nowrap; }
.mlgate-nb td.num { white-space: nowrap; font-variant-numeric: tabular-nums; }
.mlgate-nb td.plot { width: 260px; } .mlgate-nb td.plot svg { width: 250px; height: auto; display: block; }
.mlgate-nb .badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 11px;
  font-weight: 600; color: #fff; background: var(--skip); white-space: nowrap; }
.mlgate-nb .badge.s-passed { background: var(--pass); }
.mlgate-nb .badge.s-failed, .mlgate-nb .badge.s-error, .mlgate-nb .badge.s-unknown { background: var(--fail); }
.mlgate-nb .badge.s-inconclusive, .mlgate-nb .badge.s-warned { background: var(--warn); }
.mlgate-nb .c-passed { color: var(--pass); } .mlgate-nb .c-failed, .mlgate-nb .c-error { color: var(--fail); }
.mlgate-nb .c-inconclusive, .mlgate-nb .c-warned { color: var(--warn); }
.mlgate-nb .sev { font-size: 11px; color: var(--warn); margin-left: 6px; }
.mlgate-nb details.check { border: 1px solid var(--line); border-radius: 6px; padding: 4px 10px; margin: 6px 0; }
.mlgate-nb details summary { cursor: pointer; font-weight: 600; }
.mlgate-nb .scroll { overflow-x: auto; max-width: 100%; }
.mlgate-nb .facts { display: flex; flex-wrap: wrap; gap: 2px 14px; font-size: 12px; margin: 4px 0; }
.mlgate-nb .facts .k, .mlgate-nb dt { color: var(--muted); }
.mlgate-nb dl { display: grid; grid-template-columns: minmax(0, max-content) minmax(0, 1fr);
  gap: 2px 12px; margin: 4px 0; } .mlgate-nb dd { margin: 0; min-width: 0; }
.mlgate-nb .figure svg { max-width: min(460px, 100%); height: auto; }
.mlgate-nb .caption { font-size: 12px; font-weight: 600; margin: 6px 0 2px; }
"""
)

_MACROS = """
{%- macro name(text, limit=80) -%}
{%- set c = clip(text, limit) -%}
{%- if c.cut %}<span class="cut" title="{{ c.full }}">{{ c.shown }}</span>{% else %}{{ c.shown }}{% endif -%}
{%- endmacro -%}
{%- macro cell(v) -%}
{%- if numeric(v) %}<td class="num">{{ value_text(v) }}</td>
{%- else %}<td>{{ name(value_text(v)) }}</td>{% endif -%}
{%- endmacro -%}
{%- macro data_table(t) -%}
<div class="scroll"><table class="data">
<thead><tr>{% for col in t.columns %}<th>{{ name(col, header_limit) }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in t.rows %}<tr>{% for v in row %}{{ cell(v) }}{% endfor %}</tr>{% endfor %}</tbody>
</table></div>
{%- if t.more %}<p class="muted">… {{ t.more }} more rows in result.json</p>{% endif %}
{%- endmacro -%}
{%- macro check_row(c, href) -%}
<tr class="row-{{ status_class(c.status) }}">
<td class="num"><span class="badge s-{{ status_class(c.status) }}">{{ name(c.status, 20) }}</span>{% if c.severity == "warn" %}<span class="sev">warn</span>{% endif %}</td>
<td>{% if href %}<a href="#{{ href }}">{{ name(c.id) }}</a>{% else %}{{ name(c.id) }}{% endif %}</td>
<td>{{ name(c.kind, 30) }}</td>
<td>{{ clip_message(c.statistic, 200) }}</td>
<td class="num">{{ c.sample_size }}</td>
<td class="plot">{% if c.raw.value is not none %}{{ plot_interval(c.raw) }}{% endif %}</td>
</tr>
{%- endmacro -%}
{%- macro check_head() -%}
<thead><tr><th>status</th><th>check</th><th>kind</th><th>statistic</th><th>n</th><th>interval and bound</th></tr></thead>
{%- endmacro -%}
{%- macro evidence(c) -%}
{%- set facts, views = check_evidence(c.raw) %}
<p class="message">{{ clip_message(c.message) }}</p>
{% if c.method %}<p class="muted">method: {{ clip_message(c.method, 400) }}</p>{% endif %}
{% if facts %}<p class="facts">{% for k, v in facts %}<span class="fact"><span class="k">{{ name(k, 40) }}</span> {{ name(value_text(v)) }}</span>{% endfor %}</p>{% endif %}
{% for e in views %}
  {% for fig in e.figures %}<div class="figure">{{ fig }}</div>{% endfor %}
  <details class="evidence"{% if not e.folded %} open{% endif %}><summary>{{ name(e.key, 60) }}{% if e.folded %}: the data of the plot{% endif %}</summary>
  {% for note in e.notes %}<p class="muted">{{ clip_message(note, 300) }}</p>{% endfor %}
  {% for t in e.tables %}{% if t.title %}<p class="caption">{{ name(t.title, 120) }}</p>{% endif %}{{ data_table(t) }}{% endfor %}
  {% if e.shape == "mapping" %}<dl>{% for k, v in e.value.items() %}<dt>{{ name(k, 40) }}</dt><dd>{{ name(value_text(v), 200) }}</dd>{% endfor %}</dl>
  {% elif e.shape == "list" %}<p>{% for v in e.value %}<code>{{ name(value_text(v)) }}</code> {% endfor %}</p>
  {% elif e.shape == "scalar" %}<p>{{ name(value_text(e.value), 400) }}</p>{% endif %}
  </details>
{% endfor %}
{%- endmacro -%}
{%- macro finding(f) -%}
<li class="finding">
{%- if f.check %}<span class="badge s-{{ status_class(f.check.status) }}">{{ f.check.status }}</span> <span class="check-id">{{ name(f.check.id) }}</span>
{%- else %}<span class="badge s-error">stage</span>{% endif %}
<span class="stages">stage {% for s in f.stages %}{{ name(s, 40) }}{% if not loop.last %}, {% endif %}{% endfor %}</span>
<span class="key">{{ clip_message(f.text, 300) }}</span>
{%- if f.check and f.check.key_number and f.check.message %}<span class="why">{{ clip_message(f.check.message, 240) }}</span>{% endif %}
</li>
{%- endmacro -%}
{%- macro verdict_box(s) -%}
<div class="verdict v-{{ verdict_class(s.verdict) }}">
<div class="stage">stage {{ name(s.name) }}</div>
<div class="label">{{ verdict_label(s.verdict) }}</div>
<div class="counts">{% for status, n in s.counts.items() if n %}<span class="c-{{ status_class(status) }}">{{ n }} {{ name(status, 20) }}</span>{% endfor %}</div>
</div>
{%- endmacro -%}
"""

_RUN = """
<div class="mlgate-nb" id="{{ uid }}"><style>{{ css }}</style>
<div class="banner v-{{ verdict_class(r.verdict) }}">
<p class="kicker">mlgate gate run</p>
<p class="title"><span class="verdict-word">{{ overall }}</span> <span class="gate-name">{{ name(r.gate.name, 60) }}</span></p>
{% if r.gate.description %}<p class="lede">{{ clip_message(r.gate.description, 400) }}</p>{% endif %}
<p class="meta">gate file <code>{{ name(r.gate.file, 120) }}</code> · task {{ name(r.gate.task, 40) }} · seed {{ r.run.seed }}</p>
</div>
{% if blocking %}<p class="h">Blocking checks that did not pass ({{ blocking | length }})</p>
<ul class="findings">{% for f in blocking %}{{ finding(f) }}{% endfor %}</ul>{% endif %}
{% if warnings %}<p class="h">Warnings ({{ warnings | length }})</p>
<ul class="findings">{% for f in warnings %}{{ finding(f) }}{% endfor %}</ul>{% endif %}
<div class="verdicts">{% for s in r.stages %}{{ verdict_box(s) }}{% endfor %}</div>
{% for stage, checks in by_stage.items() %}
{%- set si = loop.index %}
<p class="h">Stage {{ name(stage) }}: checks</p>
<div class="scroll"><table class="checks">{{ check_head() }}<tbody>
{% for c in checks %}{{ check_row(c, uid ~ "-" ~ c.anchor) }}{% endfor %}
</tbody></table></div>
{% for c in checks %}
<details class="check" id="{{ uid }}-{{ c.anchor }}"><summary><span class="badge s-{{ status_class(c.status) }}">{{ name(c.status, 20) }}</span> {{ name(c.id) }} <span class="muted">({{ name(c.check, 40) }}, {{ name(c.severity, 20) }})</span></summary>
{{ evidence(c) }}
</details>
{% endfor %}
{% endfor %}
{% if files %}<p class="muted">written: {% for key, path in files %}{{ name(key, 30) }} <code>{{ name(path, 160) }}</code>{% if not loop.last %} · {% endif %}{% endfor %}</p>{% endif %}
</div>
"""

_CHECK = """
<div class="mlgate-nb"><style>{{ css }}</style>
<div class="scroll"><table class="checks">{{ check_head() }}<tbody>{{ check_row(c, "") }}</tbody></table></div>
{{ evidence(c) }}
</div>
"""

_DECISION = """
<div class="mlgate-nb"><style>{{ css }}</style>
<div class="verdicts">{{ verdict_box(s) }}</div>
{% if s.reasons %}<ul class="findings">{% for reason in s.reasons %}<li class="finding">{{ clip_message(reason, 300) }}</li>{% endfor %}</ul>{% endif %}
</div>
"""


def _render(template: str, **context: Any) -> str:
    env = jinja_env()
    env.globals.update(check_evidence=check_evidence, plot_interval=_interval_plot)
    return env.from_string(_MACROS + template).render(css=CSS, **context).strip() + "\n"


def _interval_plot(check: Mapping[str, Any]) -> Markup | str:
    """The check's interval plot: matplotlib escapes every text it writes into the SVG."""
    svg = plots.interval_svg(check)
    return Markup(svg) if svg else ""


def run_html(doc: Mapping[str, Any], outputs: Mapping[str, Path] | None = None) -> str:
    """The notebook fragment of a result document: the verdict banner, the lines under it,
    the verdict per stage, each stage's check table with interval plots and each check's
    evidence folded under it; ``outputs`` (name → path) listed at the end."""
    lines = findings(doc)
    digest = hashlib.sha256(dumps({k: doc.get(k) for k in ("gate", "stages", "checks")}).encode())
    return _render(
        _RUN,
        r=doc,
        uid=f"mlgate-{digest.hexdigest()[:10]}",
        overall=verdict_label(doc.get("verdict", "hold")),
        blocking=[f for f in lines if f.blocking],
        warnings=[f for f in lines if not f.blocking],
        by_stage=checks_by_stage(doc),
        files=[(k, str(p)) for k, p in (outputs or {}).items()],
    )


def check_html(result: CheckResult) -> str:
    """The notebook fragment of one check: its row of the report's check table (with the
    interval plot) and its evidence, open."""
    stage = result.stages[0] if result.stages else ""
    return _render(_CHECK, c=check_view(result.to_dict(), stage))


def decision_html(decision: StageDecision) -> str:
    """The notebook fragment of one stage's decision: its verdict box and its reasons."""
    return _render(_DECISION, s=decision.to_dict())


def _run_repr(run: GateRun) -> str:
    return run_html(result_document(run), run.outputs)


display.register("run", _run_repr)
display.register("decision", decision_html)
display.register("check", check_html)
