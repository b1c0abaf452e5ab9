"""The built wheel, installed into a fresh virtualenv, has everything the demo gate needs.

An editable checkout hides packaging mistakes (a template left out of package data, a
subpackage without ``__init__.py``, a missing entry point); this test builds the sdist and
the wheel from it as a release would, installs the wheel with its core dependencies only
(no extra) into a new virtualenv, and runs the demo gate there from a folder outside the
checkout.
"""

from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
TIMEOUT_S = 600
# Files in the source package that are not meant to ship.
NOT_SHIPPED_SUFFIXES = (".pyc", ".pyo")
NOT_SHIPPED_DIRS = ("__pycache__",)


def _clean_env(**extra: str) -> dict[str, str]:
    drop = ("PYTHONPATH", "PYTHONHOME", "PYTEST_ADDOPTS", "PYTEST_PLUGINS", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PYTHONNOUSERSITE"] = "1"
    env.update(extra)
    return env


def _run(args: list[str | Path], *, cwd: Path, what: str) -> subprocess.CompletedProcess[str]:
    """Run ``args``; fail the test with its output if it fails or takes over TIMEOUT_S."""
    cmd = [str(a) for a in args]
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, env=_clean_env(), capture_output=True, text=True, timeout=TIMEOUT_S
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(
            f"{what}: timed out after {TIMEOUT_S} s\n$ {' '.join(cmd)}\n"
            f"--- stdout\n{exc.stdout}\n--- stderr\n{exc.stderr}"
        )
    print(f"[{time.perf_counter() - start:6.1f} s] {what}")
    if proc.returncode != 0:
        pytest.fail(
            f"{what}: exit status {proc.returncode}\n$ {' '.join(cmd)} (in {cwd})\n"
            f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
        )
    return proc


def _source_package_files() -> set[str]:
    """Every file under ``mlgate/`` in the checkout, as wheel paths (``mlgate/...``)."""
    files = set()
    for path in (REPO / "mlgate").rglob("*"):
        rel = path.relative_to(REPO)
        if path.is_file() and not (
            path.suffix in NOT_SHIPPED_SUFFIXES or set(rel.parts) & set(NOT_SHIPPED_DIRS)
        ):
            files.add(rel.as_posix())
    return files


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Build the sdist, then the wheel from the sdist, as a release does."""
    try:
        import build  # noqa: F401
    except ModuleNotFoundError:
        pytest.fail("the packaging test needs 'build' (pip install -e '.[dev]')")
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--outdir", out, REPO], cwd=out, what="build sdist+wheel")
    wheels = sorted(out.glob("mlgate-*.whl"))
    assert len(wheels) == 1, f"expected one wheel in {out}: {sorted(out.iterdir())}"
    return wheels[0]


def test_wheel_holds_the_package_data_and_entry_points(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        (ep_name,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        entry_points_txt = zf.read(ep_name).decode()

    assert "mlgate/py.typed" in names
    missing = sorted(_source_package_files() - names)
    assert not missing, (
        f"files under mlgate/ that the wheel leaves out (add them to "
        f"[tool.setuptools.package-data] or give the folder an __init__.py): {missing}"
    )

    parser = configparser.ConfigParser(delimiters=("=",))
    parser.optionxform = str  # keep the case of entry point names
    parser.read_string(entry_points_txt)
    in_wheel = {group: dict(parser[group]) for group in parser.sections()}
    assert in_wheel.get("pytest11") == {"mlgate": "mlgate.plugin"}
    assert in_wheel.get("mlgate.checks"), "no check is registered in the 'mlgate.checks' group"
    declared = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    entry_points = declared["project"].get("entry-points", {})
    assert in_wheel.get("mlgate.checks") == entry_points.get("mlgate.checks")


def test_installed_wheel_runs_the_demo_gate(wheel, tmp_path):
    started = time.perf_counter()
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv], cwd=tmp_path, what="create virtualenv")
    python = _venv_python(venv)
    # Core dependencies only: no extra, so no torch.
    _run([python, "-m", "pip", "install", wheel], cwd=tmp_path, what="pip install the wheel")

    # The installed package is the one imported, not the checkout.
    proc = _run(
        [
            python,
            "-c",
            "import json, sysconfig, importlib.metadata as md, mlgate\n"
            "print(json.dumps({'file': mlgate.__file__,"
            " 'purelib': sysconfig.get_paths()['purelib'],"
            " 'version': mlgate.__version__, 'dist_version': md.version('mlgate'),"
            " 'torch': __import__('importlib.util').util.find_spec('torch') is not None}))",
        ],
        cwd=tmp_path,
        what="locate the installed mlgate",
    )
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    mlgate_file = Path(info["file"]).resolve()
    assert mlgate_file.is_relative_to(Path(info["purelib"]).resolve()), info
    assert not mlgate_file.is_relative_to(REPO), info
    assert info["version"] == info["dist_version"], info
    assert info["torch"] is False, "the wheel's core install pulled in torch"

    # Every registered check loads with the core install (heavy imports are lazy).
    _run(
        [
            python,
            "-c",
            "from importlib.metadata import entry_points\n"
            "eps = list(entry_points(group='mlgate.checks'))\n"
            "assert eps, 'no mlgate.checks entry points'\n"
            "for ep in eps:\n"
            "    ep.load()\n",
        ],
        cwd=tmp_path,
        what="load every mlgate.checks entry point",
    )

    demo = tmp_path / "demo"
    shutil.copytree(
        REPO / "suites" / "demo",
        demo,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "reports", ".pytest_cache"),
    )
    proc = _run(
        [
            python,
            "-m",
            "pytest",
            "--mlgate",
            "--mlgate-file",
            "mlgate.yaml",
            "--rootdir",
            ".",
            "-p",
            "no:cacheprovider",
            ".",
        ],
        cwd=demo,
        what="run the demo gate with the installed wheel",
    )
    result = demo / "reports" / "result.json"
    assert result.is_file(), f"no {result}\n{proc.stdout}"
    doc = json.loads(result.read_text(encoding="utf-8"))
    assert doc["verdict"] == "promote", proc.stdout
    assert all(stage["verdict"] == "promote" for stage in doc["stages"]), proc.stdout
    print(f"installed-wheel gate run: {time.perf_counter() - started:.1f} s in all")
