"""mlgate with no extra installed: the kernel imports, runs the demo gate, and names the
extra to install when a feature needs one.

``tox -e core`` runs this module in an environment holding mlgate and its core
dependencies only (it sets ``MLGATE_EXPECT_NO_EXTRAS=1``). In the full environment the
same checks run in subprocesses where the optional packages are hidden from the import
system (``import torch`` fails as if torch were not installed), so every test here can fail
in both environments.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "suites" / "demo"
TIMEOUT_S = 600

# Top-level modules of the optional extras (torch, skops, parquet) and of the dev extra.
EXTRA_MODULES = ("torch", "safetensors", "skops", "pyarrow", "mlflow", "dask", "onnxruntime")
DEV_ONLY_MODULES = ("hypothesis",)


def _present(names: tuple[str, ...]) -> list[str]:
    return [name for name in names if importlib.util.find_spec(name) is not None]


def _blocker(names: tuple[str, ...]) -> str:
    """Python source that hides ``names`` from the import system, as if not installed.

    Every finder on ``sys.meta_path`` is wrapped to find nothing for those names, so
    ``import torch`` raises ``ModuleNotFoundError`` and ``importlib.util.find_spec("torch")``
    returns None, exactly as without the package. (``sys.modules[name] = None`` is not
    enough: SciPy's array-API helpers look torch up in ``sys.modules`` and break on None.)
    """
    return textwrap.dedent(
        f"""
        import sys

        class _Hide:
            blocked = frozenset({list(names)!r})

            def __init__(self, finder):
                self._finder = finder

            def find_spec(self, fullname, path=None, target=None):
                if fullname.partition(".")[0] in self.blocked:
                    return None
                find = getattr(self._finder, "find_spec", None)
                return None if find is None else find(fullname, path, target)

            def __getattr__(self, attr):
                return getattr(self._finder, attr)

        if _Hide.blocked:
            sys.meta_path[:] = [_Hide(finder) for finder in sys.meta_path]

        import importlib.util

        _visible = [n for n in {list(EXTRA_MODULES)!r} if importlib.util.find_spec(n)]
        assert not _visible, f"optional packages still importable: {{_visible}}"
        """
    )


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS")}
    # Never put the working directory on sys.path: the installed mlgate is under test.
    env["PYTHONSAFEPATH"] = "1"
    return env


def _run(args: list[str], *, cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            args, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=TIMEOUT_S
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"timed out after {TIMEOUT_S} s: {args}\n{exc.stdout}\n{exc.stderr}")


def _python(source: str, *, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``source`` in a fresh interpreter with every present extra blocked first."""
    blocked = tuple(_present(EXTRA_MODULES))
    return _run([sys.executable, "-c", _blocker(blocked) + textwrap.dedent(source)], cwd=cwd)


def _explain(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit status {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"


def test_core_environment_has_no_extras():
    """In ``tox -e core`` the optional packages really are absent (else the env proves nothing)."""
    if os.environ.get("MLGATE_EXPECT_NO_EXTRAS") != "1":
        pytest.skip("only meaningful in the core-only environment (tox -e core)")
    present = _present(EXTRA_MODULES + DEV_ONLY_MODULES)
    assert present == [], f"the core-only environment has optional packages installed: {present}"


def test_every_module_imports_without_extras(tmp_path):
    """Importing any mlgate module never needs an extra: heavy imports are lazy."""
    proc = _python(
        """
        import importlib, pkgutil, traceback
        import mlgate

        failures = []
        def onerror(name):
            failures.append((name, traceback.format_exc()))
        names = [m.name for m in pkgutil.walk_packages(mlgate.__path__, "mlgate.", onerror)]
        for name in names:
            try:
                importlib.import_module(name)
            except Exception:
                failures.append((name, traceback.format_exc()))
        for name, tb in failures:
            print(f"FAILED to import {name}:\\n{tb}")
        print(f"imported {len(names)} modules")
        raise SystemExit(1 if failures or len(names) < 5 else 0)
        """,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, _explain(proc)


def test_lazy_names_resolve_without_extras(tmp_path):
    """Every name ``mlgate`` exports resolves with no extra installed."""
    proc = _python(
        """
        import mlgate
        missing = [name for name in mlgate.__all__ if getattr(mlgate, name, None) is None]
        raise SystemExit(f"unresolved: {missing}" if missing else 0)
        """,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, _explain(proc)


def test_missing_extras_raise_missing_dependency_error(tmp_path):
    """torch and skops features raise MissingDependencyError naming the extra to install.

    Where torch is really absent (``tox -e core``) this tests the real thing; where it is
    installed, the subprocess blocks it, so the same assertions run (and can fail) there.
    """
    mode = "torch absent" if importlib.util.find_spec("torch") is None else "torch blocked"
    for name in ("model.pt", "model.pth", "model.safetensors", "model.skops"):
        (tmp_path / name).write_bytes(b"not a real model")
    proc = _python(
        """
        from pathlib import Path

        import mlgate.models.torch as mt  # imports fine without torch
        from mlgate.config.schema import ModelSpec
        from mlgate.core.task import Task
        from mlgate.core.errors import MissingDependencyError
        from mlgate.models import adapt, load_model

        def expect(fn, extra):
            try:
                fn()
            except MissingDependencyError as exc:
                assert isinstance(exc, ImportError), type(exc).__mro__
                assert exc.extra == extra, (exc.extra, extra)
                assert f"pip install 'mlgate[{extra}]'" in str(exc), str(exc)
                print("ok:", exc)
            else:
                raise AssertionError(f"{fn} did not raise MissingDependencyError")

        def load(path, **kw):
            spec = ModelSpec(path=path, **kw)
            return lambda: load_model(
                spec, name="candidate", base_dir=Path.cwd(), task=Task.BINARY, seed=0
            )

        expect(mt.import_torch, "torch")
        expect(lambda: adapt(object(), Task.BINARY, kind="torch"), "torch")
        expect(load("model.pt"), "torch")
        expect(load("model.pth", trust=True), "torch")
        expect(load("model.safetensors", factory="demo:net"), "torch")
        expect(load("model.skops"), "skops")
        """,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, f"({mode})\n{_explain(proc)}"
    assert proc.stdout.count("ok:") == 6, f"({mode})\n{_explain(proc)}"


def test_demo_gate_promotes_without_extras(tmp_path):
    """The README's demo gate runs with the core install only and promotes every stage."""
    report_dir = tmp_path / "reports"
    blocked = tuple(_present(EXTRA_MODULES))
    launcher = _blocker(blocked) + "import pytest\nraise SystemExit(pytest.console_main())\n"
    proc = _run(
        [
            sys.executable,
            "-c",
            launcher,
            "--mlgate",
            "--mlgate-file",
            "suites/demo/mlgate.yaml",
            "--mlgate-report-dir",
            str(report_dir),
            "-p",
            "no:cacheprovider",
            "suites/demo",
        ],
        cwd=REPO,
    )
    assert proc.returncode == 0, _explain(proc)
    result = report_dir / "result.json"
    assert result.is_file(), f"no {result}\n{_explain(proc)}"
    doc = json.loads(result.read_text(encoding="utf-8"))
    assert doc["verdict"] == "promote", _explain(proc)
    assert {s["name"]: s["verdict"] for s in doc["stages"]} == {
        "staging": "promote",
        "production": "promote",
    }
    assert "stage production: PROMOTE" in proc.stdout
