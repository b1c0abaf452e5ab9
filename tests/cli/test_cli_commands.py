"""The ``mlgate`` command: every subcommand's help, rendering from a stored result, errors
that name the file, scaffolding, and running a gate."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mlgate.cli import main
from mlgate.core.decision import ExitCode
from mlgate.core.gate import open_gate

SUBCOMMANDS = ("run", "report", "card", "compare", "history", "init")


@pytest.fixture(scope="module")
def stored_result(tmp_path_factory, gate_writer_class) -> Path:
    """A result.json from a real gate run (the tiny gate, run through `mlgate run`)."""
    folder = tmp_path_factory.mktemp("cli_gate")
    writer = gate_writer_class(folder)
    gate = writer.write()
    code = main(
        ["run", "-f", str(gate), "-o", str(folder / "out"), "--", "-q", "-p", "no:cacheprovider"]
    )
    assert code == ExitCode.PROMOTE
    return folder / "out" / "result.json"


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    assert f"usage: mlgate {command}" in capsys.readouterr().out


def test_console_script_and_module_entry_point():
    out = subprocess.run(
        [sys.executable, "-m", "mlgate", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("mlgate ")


def test_bad_arguments_are_usage_errors(capsys):
    with pytest.raises(SystemExit) as info:
        main(["report"])
    assert info.value.code == ExitCode.USAGE_ERROR
    assert "the following arguments are required: result" in capsys.readouterr().err


def test_report_html_and_markdown_from_a_stored_result(stored_result, tmp_path, capsys):
    assert main(["report", str(stored_result), "-o", str(tmp_path / "r.html")]) == 0
    html = (tmp_path / "r.html").read_text()
    assert "<title>PROMOTE WITH WARNINGS · mlgate report: tiny</title>" in html
    assert main(["report", str(stored_result), "--format", "markdown", "-o", "-"]) == 0
    assert "## mlgate: tiny — **PROMOTE WITH WARNINGS**" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("{not json", "not valid JSON"),
        ('{"hello": 1}', "not an mlgate result"),
        ('{"schema_version": "9.0", "checks": []}', "result schema '9.0' is not supported"),
    ],
    ids=["missing", "not-json", "foreign-json", "future-schema"],
)
def test_unreadable_results_name_the_file(tmp_path, capsys, content, message):
    path = tmp_path / "result.json"
    if content is not None:
        path.write_text(content)
    assert main(["report", str(path)]) == ExitCode.USAGE_ERROR
    err = capsys.readouterr().err
    assert str(path) in err and message in err


def test_run_holds_a_worse_candidate(tmp_path, gate_writer):
    gate = gate_writer.write(candidate="bad")
    code = main(
        [
            "run",
            "-f",
            str(gate),
            "-o",
            str(tmp_path / "out"),
            "--stage",
            "staging",
            "--",
            "-q",
            "-p",
            "no:cacheprovider",
        ]
    )
    assert code == ExitCode.HOLD
    doc = json.loads((tmp_path / "out" / "result.json").read_text())
    assert doc["run"]["stages"] == ["staging"] and doc["verdict"] == "hold"


def test_run_without_a_gate_file_says_so(tmp_path, capsys):
    assert main(["run", "-f", str(tmp_path / "none.yaml")]) == ExitCode.USAGE_ERROR
    assert "gate file not found" in capsys.readouterr().err


@pytest.fixture
def csv_data(tmp_path) -> Path:
    from sklearn.datasets import load_breast_cancer

    path = tmp_path / "data" / "bc.csv"
    path.parent.mkdir()
    load_breast_cancer(as_frame=True).frame.to_csv(path, index=False)
    return path


def test_init_without_a_model_uses_the_zero_rule(tmp_path, csv_data):
    out = tmp_path / "gate" / "mlgate.yaml"
    out.parent.mkdir()
    assert main(["init", "--data", str(csv_data), "--label", "target", "-o", str(out)]) == 0
    cfg = yaml.safe_load(out.read_text())
    assert cfg["task"] == "binary"
    assert cfg["datasets"]["evaluation"] == {"path": "../data/bc.csv", "label": "target"}
    checks = {c["metric"]: c for c in cfg["stages"]["staging"]["checks"]}
    # majority class is 357 / 569 = 0.627: accuracy must beat it by 5 points
    assert checks["accuracy"]["min"] == 0.68
    assert "zero-rule" in out.read_text() and "mean radius: float64, range" in out.read_text()
    assert open_gate(out).checks  # a valid gate file
    assert main(["init", "--data", str(csv_data), "--label", "target", "-o", str(out)]) == 4


def test_init_with_a_model_sets_thresholds_it_meets(tmp_path, csv_data):
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    frame = __import__("pandas").read_csv(csv_data)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    model.fit(frame.drop(columns="target"), frame["target"])
    sio.dump(model, tmp_path / "m.skops")
    out = tmp_path / "mlgate.yaml"
    assert (
        main(
            [
                "init",
                "--data",
                str(csv_data),
                "--label",
                "target",
                "--model",
                str(tmp_path / "m.skops"),
                "-o",
                str(out),
            ]
        )
        == 0
    )
    cfg = yaml.safe_load(out.read_text())
    assert cfg["models"]["candidate"] == {"path": "m.skops"}
    assert {c["metric"] for c in cfg["stages"]["staging"]["checks"]} == {
        "accuracy",
        "balanced_accuracy",
        "roc_auc",
    }
    code = main(
        ["run", "-f", str(out), "-o", str(tmp_path / "out"), "--", "-q", "-p", "no:cacheprovider"]
    )
    assert code == ExitCode.PROMOTE


def test_init_rejects_an_unknown_label(csv_data, tmp_path, capsys):
    code = main(
        ["init", "--data", str(csv_data), "--label", "nope", "-o", str(tmp_path / "g.yaml")]
    )
    assert code == ExitCode.USAGE_ERROR
    assert "no column 'nope'" in capsys.readouterr().err


def test_result_validates_against_the_shipped_schema(stored_result):
    import jsonschema

    schema_path = Path(__import__("mlgate").__file__).parent / "schemas" / "result.schema.json"
    schema = json.loads(schema_path.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    doc = json.loads(stored_result.read_text())
    jsonschema.Draft202012Validator(schema).validate(doc)
    doc["checks"][0]["status"] = "fine"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(doc)


def test_card_writes_the_requested_formats(stored_result, tmp_path):
    assert main(["card", str(stored_result), "-o", str(tmp_path), "--format", "json"]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["model_card.json"]
    card = json.loads((tmp_path / "model_card.json").read_text())
    assert card["model_details"]["name"]
    assert main(["card", str(stored_result), "-o", str(tmp_path)]) == 0
    assert {p.name for p in tmp_path.iterdir()} == {
        "model_card.json",
        "model_card.md",
        "model_card.html",
    }


def test_history_and_compare_read_recorded_runs(stored_result, tmp_path, capsys):
    db = stored_result.parent / "history.sqlite"
    assert db.is_file()  # the gate run recorded itself
    assert main(["history", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "tiny" in out and "promote_with_warnings" in out
    run_id = out.splitlines()[1].split()[0]
    assert main(["compare", str(stored_result), f"run:{run_id}", "--db", str(db)]) == 0
    assert "accuracy" in capsys.readouterr().out
    assert main(["history", "--db", str(tmp_path / "none.sqlite")]) == ExitCode.USAGE_ERROR
    (tmp_path / "foreign.sqlite").write_text("not a database")
    assert main(["history", "--db", str(tmp_path / "foreign.sqlite")]) == ExitCode.USAGE_ERROR
    assert "foreign.sqlite" in capsys.readouterr().err


def test_run_passes_arguments_after_the_separator_to_pytest_not_as_paths(
    tmp_path, gate_writer_class, monkeypatch
):
    # Regression: argparse read the arguments after `--` as `run`'s PATHS, so the nested
    # pytest got no path and collected the current project's whole test suite (in CI that
    # was mlgate's own suite, recursively, until the run timed out).
    project = tmp_path / "project"
    (project / "tests").mkdir(parents=True)
    (project / "pytest.ini").write_text("[pytest]\ntestpaths = tests\n")
    (project / "tests" / "test_unrelated.py").write_text("def test_boom():\n    raise SystemExit\n")
    gate_dir = project / "gate"
    gate_dir.mkdir()
    gate = gate_writer_class(gate_dir).write()
    monkeypatch.chdir(project)
    out = tmp_path / "out"
    code = main(["run", "-f", str(gate), "-o", str(out), "--", "-q", "-p", "no:cacheprovider"])
    assert code == ExitCode.PROMOTE
    ids = [c["id"] for c in json.loads((out / "result.json").read_text())["checks"]]
    assert sorted(ids) == ["accuracy", "accuracy", "log_loss", "roc_auc"]


def test_separator_arguments_are_only_for_run(capsys):
    with pytest.raises(SystemExit) as info:
        main(["history", "--", "-q"])
    assert info.value.code == ExitCode.USAGE_ERROR
    assert "only for 'mlgate run'" in capsys.readouterr().err
