"""Without deepchecks, importing the plugin fails with a message naming the package to
install, and a gate naming its checks says so instead of crashing."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# Hides deepchecks from the import system, as if it were not installed.
HIDE = textwrap.dedent(
    """
    import sys

    class _Hide:
        def find_spec(self, fullname, path=None, target=None):
            if fullname.partition(".")[0] == "deepchecks":
                raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
            return None

    sys.meta_path.insert(0, _Hide())
    """
)


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", HIDE + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_import_without_deepchecks_names_the_package_to_install():
    done = run(
        """
        try:
            import mlgate_deepchecks
        except ImportError as exc:
            print(type(exc).__name__, exc)
            raise SystemExit(0)
        raise SystemExit("imported without deepchecks")
        """
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("DeepchecksNotInstalledError")
    assert "needs the 'deepchecks' package" in done.stdout
    assert "pip install 'deepchecks>=0.19,<0.20'" in done.stdout


def test_a_gate_using_the_checks_without_deepchecks_is_a_clear_config_error():
    done = run(
        """
        from mlgate.core.errors import ConfigError
        from mlgate.core.registry import CheckRegistry

        try:
            CheckRegistry.from_entry_points().get("deepchecks_suite")
        except ConfigError as exc:
            print(exc)
            raise SystemExit(0)
        raise SystemExit("loaded without deepchecks")
        """
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "could not be loaded" in done.stdout and "pip install" in done.stdout
