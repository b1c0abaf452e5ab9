"""The subcommands: each a ``register(subparsers)`` that sets a ``handler``."""

from __future__ import annotations

from pathlib import Path

from mlgate.cli.inputs import InputError, read_result_file, write_text
from mlgate.cli.mlflow_commands import register_log_mlflow, register_promote
from mlgate.cli.scaffold_command import register_init
from mlgate.cli.validate import register_validate


def register_run(sub) -> None:
    p = sub.add_parser(
        "run",
        help="run a gate (the same as pytest --mlgate)",
        description="Run a gate through pytest: the gate file's checks plus the Python gate "
        "checks in PATHS (default: the gate file's folder). Arguments after '--' "
        "go to pytest unchanged. Exit code 0 promote, 10 hold, 4 usage error.",
    )
    p.add_argument("paths", nargs="*", help="test paths to collect besides the gate file")
    p.add_argument("-f", "--file", default="mlgate.yaml", help="gate file (default: mlgate.yaml)")
    p.add_argument("-s", "--stage", action="append", default=[], help="decide only this stage")
    p.add_argument("-o", "--report-dir", default=None, help="report directory (default: reports/)")
    p.add_argument("--seed", type=int, default=None, help="seed (default: the gate file's)")
    p.add_argument("--device", default=None, help="torch device (default: cuda if available)")
    p.add_argument("--update-golden", action="store_true", help="rewrite golden files")
    p.set_defaults(handler=_run)


def _run(args) -> int:
    import pytest

    gate = Path(args.file)
    if not gate.is_file():
        raise InputError(f"{gate}: gate file not found (pass one with -f)")
    argv = ["--mlgate", "--mlgate-file", str(gate)]
    for stage in args.stage:
        argv += ["--mlgate-stage", stage]
    for flag, value in (
        ("--mlgate-report-dir", args.report_dir),
        ("--mlgate-seed", args.seed),
        ("--mlgate-device", args.device),
    ):
        if value is not None:
            argv += [flag, str(value)]
    if args.update_golden:
        argv.append("--mlgate-update-golden")
    argv += list(args.paths) or [str(gate.parent)]
    return int(pytest.main(argv + list(args.pytest_args)))


def register_report(sub) -> None:
    p = sub.add_parser(
        "report",
        help="render the gate report from a result.json",
        description="Render the HTML gate report (or the Markdown summary) "
        "from a stored result.json; no model is needed.",
    )
    p.add_argument("result", help="a result.json written by mlgate")
    p.add_argument(
        "-o",
        "--output",
        default=None,
        help="output file, '-' for stdout (default: report.html / summary.md next to the result)",
    )
    p.add_argument("--format", choices=("html", "markdown"), default="html")
    p.set_defaults(handler=_report)


def _report(args) -> int:
    doc = read_result_file(args.result)
    if args.format == "html":
        from mlgate.report.html import render_html

        text, name = render_html(doc), "report.html"
    else:
        from mlgate.report.markdown import render_summary

        text, name = render_summary(doc), "summary.md"
    path = write_text(text, args.output, Path(args.result).parent / name)
    if path:
        print(f"wrote {path}")
    return 0


def register_card(sub) -> None:
    p = sub.add_parser(
        "card",
        help="render the model card from a result.json",
        description="Render the model card (Markdown with a Hugging Face-style "
        "metadata header, Model Card Toolkit JSON, HTML) from a "
        "stored result.json.",
    )
    p.add_argument("result", help="a result.json written by mlgate")
    p.add_argument(
        "-o",
        "--output-dir",
        default=None,
        help="folder for the card files (default: next to the result)",
    )
    p.add_argument("--format", choices=("markdown", "json", "html", "all"), default="all")
    p.set_defaults(handler=_card)


def _card(args) -> int:
    from mlgate.report.card import write_cards

    doc = read_result_file(args.result)
    out = Path(args.output_dir) if args.output_dir else Path(args.result).parent
    formats = ("markdown", "json", "html") if args.format == "all" else (args.format,)
    for path in write_cards(doc, out, formats=formats).values():
        print(f"wrote {path}")
    return 0


def register_compare(sub) -> None:
    p = sub.add_parser(
        "compare",
        help="compare two results metric by metric",
        description="Compare two gate results (result.json files, or runs "
        "from the history as 'run:ID') metric by metric, with "
        "intervals.",
    )
    p.add_argument("first")
    p.add_argument("second")
    p.add_argument("--db", default="reports/history.sqlite", help="history database for run:ID")
    p.set_defaults(handler=_compare)


def _compare(args) -> int:
    from mlgate.report.compare import compare, format_comparison

    a, b = (_load_run(x, args.db) for x in (args.first, args.second))
    print(format_comparison(compare(a, b), a, b))
    return 0


def _load_run(ref: str, db: str) -> dict:
    if ref.startswith("run:"):
        from mlgate.history import History

        try:
            run_id = int(ref[4:])
        except ValueError:
            raise InputError(f"{ref!r}: expected run:<integer id> (see 'mlgate history')") from None
        _require_history(db)  # reading must never create an empty database
        return History(db).get(run_id)
    return read_result_file(ref)


def _require_history(db: str) -> None:
    if not Path(db).is_file():
        raise InputError(
            f"{db}: no history database (gate runs record one in the report directory; pass --db)"
        )


def register_history(sub) -> None:
    p = sub.add_parser(
        "history",
        help="list recorded gate runs",
        description="List the gate runs recorded in the history database, newest first: "
        "the verdict, the stage each run's model reached (the last stage promoted in a row "
        "from the first) and whether the run was partial (not every planned check ran).",
    )
    p.add_argument("--db", default="reports/history.sqlite", help="history database")
    p.add_argument("--gate", default=None, help="only runs of this gate")
    p.add_argument("-n", "--limit", type=int, default=20)
    p.set_defaults(handler=_history)


def _history(args) -> int:
    from mlgate.history import History
    from mlgate.report.text import one_line

    _require_history(args.db)
    runs = History(args.db).runs(gate=args.gate, limit=args.limit)
    if not runs:
        print("no runs recorded")
        return 0

    def cut(text: object, width: int) -> str:
        # data from the database: one line, control characters shown as U+FFFD, cut to fit
        shown = one_line(text or "")
        return shown if len(shown) <= width else shown[: width - 1] + "…"

    print(
        f"{'id':>5}  {'finished':<25} {'gate':<24} {'verdict':<22} {'reached':<16} {'run':<8} model"
    )
    for run in runs:
        # a partial run decided no stage: its verdict is only that of the checks that ran
        reached = "-" if run.partial else (run.stage_reached or "none")
        verdict = f"({run.verdict})" if run.partial else run.verdict
        print(
            f"{run.run_id:>5}  {cut(run.finished_at, 25):<25} {cut(run.gate, 24):<24} "
            f"{cut(verdict, 22):<22} {cut(reached, 16):<16} "
            f"{'PARTIAL' if run.partial else 'complete':<8} {cut(run.model_identity, 19)}"
        )
    if any(r.partial for r in runs):
        print(
            "PARTIAL: not every planned check ran (-k, -x, an interrupt, ...); the verdict in "
            "parentheses is only that of the checks that ran, and the run reached no stage."
        )
    return 0


REGISTRY = (
    register_run,
    register_validate,
    register_report,
    register_card,
    register_compare,
    register_history,
    register_init,
    register_promote,
    register_log_mlflow,
)
