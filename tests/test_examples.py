"""The CI examples under docs/examples/ parse, and name only what exists: pytest options that
pytest (with mlgate's plugin) knows, mlgate extras that pyproject.toml declares, files and
folders of this repository, and the files mlgate writes. The GitLab and DVC commands run as
they stand (slow: each runs the demo gate) and write what the examples hand on: the JUnit XML
GitLab reads, the metrics file and outputs DVC tracks."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import pytest
import yaml

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

from mlgate.report.card import CARD_FILES
from mlgate.report.outputs import RENDERINGS

ROOT = Path(__file__).parents[1]
EXAMPLES = ROOT / "docs" / "examples"
WRITTEN = {"result.json", *RENDERINGS.values(), *CARD_FILES.values()}
#: The options in the examples that take no value.
FLAGS = {"--mlgate", "--mlgate-update-golden"}


def load(name: str) -> dict:
    return yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))


@cache
def pytest_help() -> str:
    """``pytest --help`` with mlgate's plugin loaded (its options are in the ``mlgate``
    group)."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--help", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout


def pytest_command(line: str) -> tuple[dict[str, str | None], list[str]]:
    """The options (``--name`` → value or None) and positional paths of a ``python -m pytest``
    command line. Raises AssertionError for an option pytest does not know."""
    words = shlex.split(line)
    assert words[:3] == ["python", "-m", "pytest"], line
    options: dict[str, str | None] = {}
    paths: list[str] = []
    rest = iter(words[3:])
    for word in rest:
        if word.startswith("--"):
            name, eq, value = word.partition("=")
            assert re.search(rf"(?<![\w-]){re.escape(name)}(?=[=,\s])", pytest_help()), name
            takes_value = name not in FLAGS
            options[name] = value if eq else (next(rest) if takes_value else None)
        elif word == "-p":
            options[f"-p {next(rest)}"] = None
        else:
            paths.append(word)
    return options, paths


def pip_extras(line: str) -> set[str]:
    """The extras of ``"mlgate[a,b] @ git+..."`` in a pip install line."""
    spec = next(w for w in shlex.split(line) if w.startswith("mlgate["))
    return set(spec[len("mlgate[") : spec.index("]")].split(","))


def declared_extras() -> set[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return set(data["project"]["optional-dependencies"])


# -- GitHub Actions ----------------------------------------------------------------------------
def test_github_workflow_names_real_options_and_uploads_the_report_dir():
    flow = load("github-actions-gate.yml")
    steps = flow["jobs"]["gate"]["steps"]
    runs = [s["run"] for s in steps if "run" in s]
    install = next(r for r in runs if "pip install" in r)
    assert "git+https://github.com/" in install  # from the repository, not an index
    assert pip_extras(install) <= declared_extras()
    options, _ = pytest_command(next(r for r in runs if "-m pytest" in r))
    assert "--mlgate" in options and "--mlgate-stage" in options
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact"))
    assert upload["if"] == "always()" and upload["with"]["path"].rstrip("/") == "reports"


# -- GitLab CI ---------------------------------------------------------------------------------
def gitlab_job() -> dict:
    return load("gitlab-ci.yml")["model-gate"]


def test_gitlab_job_hands_its_junit_xml_to_gitlab():
    job = gitlab_job()
    install, command = job["script"]
    assert "git+https://github.com/" in install and pip_extras(install) <= declared_extras()
    options, paths = pytest_command(command)
    assert "--mlgate" in options
    assert (ROOT / options["--mlgate-file"]).is_file()
    assert all((ROOT / p).is_dir() for p in paths)
    report_dir = options["--mlgate-report-dir"]
    junit = options["--junit-xml"]
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always"  # a held stage keeps its report too
    assert artifacts["reports"]["junit"] == junit
    assert Path(junit).parent == Path(report_dir) and f"{report_dir}/" in artifacts["paths"]
    assert job["stage"] in load("gitlab-ci.yml")["stages"]


# -- DVC ---------------------------------------------------------------------------------------
def dvc_stage() -> dict:
    return load("dvc.yaml")["stages"]["gate"]


def test_dvc_stage_tracks_result_json_as_its_metrics():
    stage = dvc_stage()
    options, paths = pytest_command(stage["cmd"])
    report_dir = Path(options["--mlgate-report-dir"])
    assert options["--mlgate-history"] == "off"  # the stage writes only what it declares
    gate = options["--mlgate-file"]
    assert gate in stage["deps"] and all((ROOT / d).is_file() for d in stage["deps"])
    assert all((ROOT / p).is_dir() for p in paths)
    (metrics,) = [next(iter(m)) for m in stage["metrics"]]
    assert Path(metrics) == report_dir / "result.json"
    outs = [next(iter(o)) for o in stage["outs"]]
    assert all(Path(o).parent == report_dir and Path(o).name in WRITTEN for o in outs)
    assert all(next(iter(e.values()))["cache"] is False for e in stage["metrics"] + stage["outs"])


# -- the commands, run ---------------------------------------------------------------------------
def _run_in_copy(tmp_path: Path, command: str) -> subprocess.CompletedProcess:
    """Run ``command`` with a shell (as DVC and GitLab do) in a folder holding a copy of
    suites/demo, so nothing is written into the repository."""
    shutil.copytree(ROOT / "suites" / "demo", tmp_path / "suites" / "demo")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1"}
    env.pop("GITHUB_STEP_SUMMARY", None)
    command = command.replace("python -m", f"{shlex.quote(sys.executable)} -m", 1)
    return subprocess.run(
        command, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
def test_the_dvc_command_writes_its_metrics_and_outs(tmp_path):
    stage = dvc_stage()
    proc = _run_in_copy(tmp_path, stage["cmd"])
    assert proc.returncode == 0, proc.stdout[-3000:]
    for entry in stage["metrics"] + stage["outs"]:
        assert (tmp_path / next(iter(entry))).is_file()
    metrics = yaml.safe_load((tmp_path / next(iter(stage["metrics"][0]))).read_text())
    assert metrics["exit_code"] == 0 and metrics["verdict"] == "promote"
    assert not (tmp_path / "reports" / "gate" / "history.sqlite").exists()


@pytest.mark.slow
def test_the_gitlab_command_writes_junit_with_one_case_per_check(tmp_path):
    _, command = gitlab_job()["script"]
    proc = _run_in_copy(tmp_path, command)
    assert proc.returncode == 0, proc.stdout[-3000:]
    tree = ET.parse(tmp_path / "reports" / "junit.xml")
    cases = {c.get("name"): c for c in tree.iter("testcase")}
    accuracy = cases["accuracy"]
    props = {p.get("name"): p.get("value") for p in accuracy.iter("property")}
    assert props["mlgate.status"] == "passed" and float(props["mlgate.value"]) > 0.9
    assert (tmp_path / "reports" / "result.json").is_file()
