"""Installing mlgate must not change an unrelated test run; options and marker are registered."""

from __future__ import annotations

import pytest

UNRELATED = {
    "test_unrelated": """
        import pytest

        def test_passes():
            assert 1 + 1 == 2

        def test_fails():
            assert 1 + 1 == 3

        @pytest.mark.skip(reason="because")
        def test_skipped():
            pass
    """
}


def _outcome_lines(result) -> list[str]:
    return sorted(
        line.split(" ")[0] + " " + line.split(" ")[1]
        for line in result.stdout.lines
        if line.startswith("test_unrelated.py::")
    )


def test_unrelated_run_is_unchanged_by_the_plugin(pytester):
    pytester.makepyfile(**UNRELATED)
    with_plugin = pytester.runpytest("-v", "-p", "no:cacheprovider")
    without = pytester.runpytest("-v", "-p", "no:cacheprovider", "-p", "no:mlgate")
    assert with_plugin.ret == without.ret == pytest.ExitCode.TESTS_FAILED
    assert _outcome_lines(with_plugin) == _outcome_lines(without)
    assert len(_outcome_lines(with_plugin)) == 3
    assert "mlgate" not in with_plugin.stdout.str().replace("plugins: mlgate", "")
    assert not (pytester.path / "reports").exists()


def test_a_gate_file_is_ignored_without_the_flag(pytester, gate_writer):
    gate_writer.folder = pytester.path
    gate_writer.write()
    pytester.makepyfile(test_one="def test_one():\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    assert not (pytester.path / "reports").exists()


def test_options_live_in_one_group(pytester):
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        [
            "mlgate: quality gate for machine-learning models:",
            "*--mlgate *run the gate*",
            "*--mlgate-file=PATH*",
            "*--mlgate-stage=NAME*",
            "*--mlgate-report-dir=DIR*",
            "*--mlgate-seed=N*",
            "*--mlgate-device=DEVICE*",
        ]
    )


def test_marker_is_registered_with_help_and_strict_markers_is_clean(pytester):
    pytester.makepyfile(
        test_marked="""
        import pytest

        @pytest.mark.mlgate(kind="sanity", severity="warn")
        def test_gate_check(mlgate):
            pass

        @pytest.mark.mlgate(kind="sanity")
        def test_plain_marked():
            pass
    """
    )
    markers = pytester.runpytest("--markers")
    markers.stdout.fnmatch_lines(["@pytest.mark.mlgate(kind='custom', severity='block'*"])
    result = pytester.runpytest("--strict-markers", "-rs")
    # Without --mlgate a gate check that needs the context is skipped, saying why.
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*gate checks run only with --mlgate*"])
