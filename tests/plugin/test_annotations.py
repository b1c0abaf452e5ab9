"""GitHub Actions annotations (``GITHUB_ACTIONS=true``): one ``::error`` per check that holds
a stage and one ``::warning`` per check that warns, on the line that declares the check;
escaped by GitHub's workflow-command rules, so data can neither end a command nor start one.

The expected lines are found in the gate file's text (the n-th ``- check:`` line), not with
mlgate's own line finder; the commands are read back with a parser written from GitHub's
rules (:func:`parse_command`)."""

from __future__ import annotations

import re

import pytest

from mlgate.core.decision import ExitCode
from mlgate.plugin.annotations import PER_LEVEL, Annotation, escape_data, escape_property

COMMAND = re.compile(r"^::(?P<level>error|warning|notice)(?: (?P<props>[^:]*))?::(?P<data>.*)$")


def unescape(text: str, *, prop: bool = False) -> str:
    """GitHub's runner's unescaping (actions/runner ActionCommand), data or property."""
    pairs = [("%0D", "\r"), ("%0A", "\n")]
    if prop:
        pairs += [("%3A", ":"), ("%2C", ",")]
    for code, ch in pairs:
        text = text.replace(code, ch)
    return text.replace("%25", "%")


def parse_command(line: str) -> dict:
    """A workflow command line as GitHub reads it: level, properties, message."""
    m = COMMAND.match(line)
    assert m, line
    props = {}
    for pair in (m["props"] or "").split(","):
        if pair:
            key, _, value = pair.partition("=")
            props[key] = unescape(value, prop=True)
    return {"level": m["level"], **props, "message": unescape(m["data"])}


def commands(output: str) -> list[dict]:
    return [parse_command(line) for line in output.splitlines() if line.startswith("::")]


def check_line(text: str, n: int) -> int:
    """The 1-based line of the n-th (0-based) ``- check:`` item in a gate file's text."""
    lines = [i + 1 for i, line in enumerate(text.splitlines()) if line.lstrip().startswith("- ")]
    return lines[n]


@pytest.fixture
def gate(pytester, gate_writer, monkeypatch):
    gate_writer.folder = pytester.path
    gate_writer.module = "gatefix_annotations"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return gate_writer


def test_each_blocking_failure_is_an_error_on_its_declaration_line(pytester, gate):
    path = gate.write(candidate="bad")
    text = path.read_text()
    result = pytester.runpytest("--mlgate")
    assert result.ret == ExitCode.HOLD
    found = commands(result.stdout.str())
    errors = [c for c in found if c["level"] == "error"]
    # staging: accuracy and roc_auc fail; production: accuracy fails (the 3rd declaration)
    assert [(c["file"], int(c["line"])) for c in errors] == [
        ("mlgate.yaml", check_line(text, 0)),
        ("mlgate.yaml", check_line(text, 1)),
        ("mlgate.yaml", check_line(text, 2)),
    ]
    assert errors[0]["title"] == "mlgate: accuracy failed (holds stage staging)"
    assert errors[0]["message"].startswith("accuracy = 0.")
    assert "needs ≥ 0.8" in errors[0]["message"]
    assert "wrong side of >= 0.8" in errors[0]["message"].split("\n")[1]
    assert errors[2]["title"] == "mlgate: accuracy failed (holds stage production)"
    # printed last, after pytest's own final line: pytest's and mlgate's summaries unchanged
    lines = result.stdout.lines
    final = max(i for i, line in enumerate(lines) if re.match(r"=+ .*failed.* in [\d.]+s", line))
    assert all(line.startswith("::") for line in lines[final + 1 :]) and len(lines) > final + 3
    # each line really is the declaration of that check
    for error, metric in zip(errors, ("accuracy", "roc_auc", "accuracy"), strict=True):
        declaration = text.splitlines()[int(error["line"]) - 1 :][:3]
        assert declaration[0].strip() == "- check: metric_threshold"
        assert f"metric: {metric}" in "\n".join(declaration)


def test_a_warned_check_is_a_warning_and_a_promote_has_no_error(pytester, gate):
    path = gate.write(candidate="good")
    result = pytester.runpytest("--mlgate")
    assert result.ret == ExitCode.PROMOTE
    found = commands(result.stdout.str())
    assert [c["level"] for c in found] == ["warning"]
    (warning,) = found
    assert warning["title"] == "mlgate: log_loss warned (warns in stage production)"
    assert (warning["file"], int(warning["line"])) == (
        "mlgate.yaml",
        check_line(path.read_text(), 3),
    )


def test_no_annotation_outside_github_actions(pytester, gate, monkeypatch):
    gate.write(candidate="bad")
    monkeypatch.delenv("GITHUB_ACTIONS")
    result = pytester.runpytest("--mlgate")
    assert result.ret == ExitCode.HOLD
    assert not [line for line in result.stdout.lines if line.startswith("::")]
    monkeypatch.setenv("GITHUB_ACTIONS", "false")
    result = pytester.runpytest("--mlgate")
    assert not [line for line in result.stdout.lines if line.startswith("::")]


def test_paths_are_relative_to_the_workspace(pytester, gate, monkeypatch):
    sub = pytester.path / "gates"
    sub.mkdir()
    gate.folder = sub
    gate.write(candidate="bad")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(pytester.path))
    result = pytester.runpytest("--mlgate", "--mlgate-file", "gates/mlgate.yaml")
    files = {c["file"] for c in commands(result.stdout.str())}
    assert files == {"gates/mlgate.yaml"}


HOSTILE_CHECK = """
import pytest

@pytest.mark.mlgate(kind="custom", stages=["staging"])
def test_hostile():
    assert False, "50% bad, ::error file=evil.py,line=1::injected \\x1b[32m PROMOTE"
"""


def test_hostile_python_check_is_escaped_and_points_at_its_def(pytester, gate):
    gate.write(candidate="good")
    path = pytester.makepyfile(test_hostile=HOSTILE_CHECK)
    result = pytester.runpytest("--mlgate")
    assert result.ret == ExitCode.HOLD
    out = [line for line in result.stdout.lines if line.startswith("::")]
    assert not [line for line in out if line.startswith("::error file=evil")]
    assert "\x1b" not in "\n".join(out)  # the escape character is shown as text
    (error,) = [c for c in commands(result.stdout.str()) if c["level"] == "error"]
    assert error["file"] == "test_hostile.py"
    def_line = path.read_text().splitlines().index("def test_hostile():") + 1
    assert int(error["line"]) == def_line  # the def, not the decorator
    assert error["title"] == "mlgate: test_hostile failed (holds stage staging)"
    # the report's text (control characters shown as U+FFFD), % and all
    assert error["message"] == (
        "AssertionError: 50% bad, ::error file=evil.py,line=1::injected \ufffd[32m PROMOTE"
    )


def test_escaping_follows_githubs_rules():
    assert escape_data("50%\r\nx:y,z") == "50%25%0D%0Ax:y,z"
    assert escape_property("a: b, c%\n") == "a%3A b%2C c%25%0A"
    assert escape_data("\x1b[31m\u202e") == "\\x1b[31m\\u202e"
    hostile = "x,y:z\n::warning::no %0A"
    line = Annotation("error", hostile, hostile, "dir,a:b/f.yaml", 3).command()
    assert "\n" not in line and "\r" not in line  # one command, on one line
    assert line.startswith("::error file=dir%2Ca%3Ab/f.yaml,line=3,title=x%2Cy%3Az%0A%3A%3A")
    assert parse_command(line) == {
        "level": "error",
        "file": "dir,a:b/f.yaml",
        "line": "3",
        "title": hostile,
        "message": hostile,
    }


def test_more_than_ten_failures_end_with_a_notice(pytester, gate):
    checks = [
        {"check": "metric_threshold", "metric": "accuracy", "min": 0.8, "id": f"acc{i}"}
        for i in range(PER_LEVEL + 2)
    ]
    gate.write(candidate="bad", stages={"staging": {"checks": checks}})
    result = pytester.runpytest("--mlgate")
    found = commands(result.stdout.str())
    assert [c["level"] for c in found] == ["error"] * PER_LEVEL + ["notice"]
    assert [c["title"].split()[1] for c in found[:PER_LEVEL]] == [f"acc{i}" for i in range(10)]
    assert found[-1]["message"].startswith("2 more errors not shown as annotations")


def test_under_xdist_the_controller_annotates_each_check_once(pytester, gate):
    pytest.importorskip("xdist")
    path = gate.write(candidate="bad")
    result = pytester.runpytest("--mlgate", "-n", "2")
    assert result.ret == ExitCode.HOLD
    errors = [c for c in commands(result.stdout.str()) if c["level"] == "error"]
    text = path.read_text()
    assert sorted(int(c["line"]) for c in errors) == [check_line(text, i) for i in range(3)]
