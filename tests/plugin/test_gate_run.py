"""The plugin end to end with pytester: items, verdicts, exit codes, result.json, JUnit."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from mlgate.core.decision import ExitCode


@pytest.fixture
def gate(pytester, gate_writer):
    gate_writer.folder = pytester.path
    gate_writer.module = "gatefix_plugin"
    return gate_writer


def read_result(pytester) -> dict:
    return json.loads((pytester.path / "reports" / "result.json").read_text())


def test_good_candidate_promotes_every_stage(pytester, gate):
    gate.write()
    result = pytester.runpytest("--mlgate", "-v")
    assert result.ret == ExitCode.PROMOTE
    result.stdout.fnmatch_lines(
        [
            "*mlgate.yaml::staging::accuracy PASSED*",
            "*mlgate.yaml::production::log_loss PASSED*",
            "*mlgate gate 'tiny'*",
            "PASSED*block staging::accuracy accuracy=0.8* >= 0.8 n=400",
            "WARNED*warn  production::log_loss log_loss=* <= 0.1 n=400 — log_loss of *",
            "stage staging: PROMOTE",
            "stage production: PROMOTE WITH WARNINGS",
            "    warned by: log_loss warned",
        ]
    )
    doc = read_result(pytester)
    assert [s["verdict"] for s in doc["stages"]] == ["promote", "promote_with_warnings"]
    assert doc["verdict"] == "promote_with_warnings" and doc["exit_code"] == 0
    by_id = {(c["stages"][0], c["id"]): c for c in doc["checks"]}
    acc = by_id[("staging", "accuracy")]
    assert acc["status"] == "passed" and acc["sample_size"] == 400
    assert acc["interval"]["low"] <= acc["value"] <= acc["interval"]["high"]
    assert acc["interval"]["low"] >= 0.8 and acc["interval"]["level"] == 0.95
    assert by_id[("production", "log_loss")]["status"] == "warned"


def test_worse_candidate_is_held_with_reasons(pytester, gate):
    gate.write(candidate="bad")
    result = pytester.runpytest("--mlgate")
    assert result.ret == ExitCode.HOLD
    result.stdout.fnmatch_lines(
        [
            "FAILED*block staging::accuracy accuracy=* — accuracy of 'candidate' on "
            "'evaluation' = *wrong side of >= 0.8",
            "stage staging: HOLD",
            "    held by: accuracy failed, roc_auc failed",
            "stage production: HOLD",
            "    held by: accuracy failed",
        ]
    )
    # mlgate's own summary (pytest's short summary below it prints each failure's message
    # too: whole under CI, cut to the terminal's width elsewhere)
    summary = result.stdout.str().split("mlgate gate 'tiny'")[1].split("short test summary")[0]
    assert summary.count("wrong side of >= 0.8\n") == 1  # each reason printed once
    doc = read_result(pytester)
    assert doc["verdict"] == "hold" and doc["exit_code"] == ExitCode.HOLD
    assert any("accuracy failed" in r for r in doc["stages"][0]["reasons"])


def test_stage_option_decides_only_that_stage(pytester, gate):
    gate.write(candidate="good")
    result = pytester.runpytest("--mlgate", "--mlgate-stage", "staging", "-v")
    assert result.ret == ExitCode.PROMOTE
    result.assert_outcomes(passed=2, deselected=2)
    doc = read_result(pytester)
    assert [s["name"] for s in doc["stages"]] == ["staging"]
    assert doc["run"]["stages"] == ["staging"]


def test_unknown_stage_is_a_usage_error(pytester, gate):
    gate.write()
    result = pytester.runpytest("--mlgate", "--mlgate-stage", "prod")
    assert result.ret == ExitCode.USAGE_ERROR
    assert (
        "unknown stage(s) ['prod'] for --mlgate-stage; the gate declares ['staging', 'production']"
    ) in result.stderr.str()


def test_keyword_selection_never_promotes_a_partial_stage(pytester, gate):
    gate.write()
    result = pytester.runpytest("--mlgate", "-k", "staging and accuracy")
    result.assert_outcomes(passed=1, deselected=3)
    assert result.ret == ExitCode.HOLD
    doc = read_result(pytester)
    staging = doc["stages"][0]
    assert staging["verdict"] == "hold"
    assert staging["reasons"] == [
        "roc_auc skipped: did not run: deselected (-k, -m, --lf, --sw or --deselect)"
    ]
    assert doc["run"]["partial"] is True
    assert doc["run"]["partial_reason"] == (
        "3 of 4 planned checks did not run: 3 deselected (-k, -m, --lf, --sw or --deselect)"
    )


def test_exitfirst_stops_and_holds(pytester, gate):
    gate.write(candidate="bad")
    result = pytester.runpytest("--mlgate", "-x")
    result.assert_outcomes(failed=1)
    assert result.ret == ExitCode.HOLD
    statuses = [c["status"] for c in read_result(pytester)["checks"]]
    assert statuses[0] == "failed" and set(statuses[1:]) == {"skipped"}


def test_junitxml_carries_check_results_as_properties(pytester, gate):
    gate.write()
    result = pytester.runpytest("--mlgate", "--junitxml=junit.xml")
    assert result.ret == ExitCode.PROMOTE
    root = ET.parse(pytester.path / "junit.xml").getroot()
    case = next(
        tc
        for tc in root.iter("testcase")
        if tc.get("name") == "accuracy" and "staging" in tc.get("classname")
    )
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert props["mlgate.status"] == "passed"
    assert props["mlgate.threshold"] == ">= 0.8"
    assert float(props["mlgate.ci_low"]) <= float(props["mlgate.value"])
    assert json.loads(props["mlgate.core.result"])["id"] == "accuracy"


def test_report_dir_and_gate_file_options(pytester, gate):
    sub = pytester.mkdir("gates")
    gate.folder = sub
    gate.write(name="my-gate.yaml")
    result = pytester.runpytest(
        "--mlgate",
        "--mlgate-file",
        "gates/my-gate.yaml",
        "--mlgate-report-dir",
        "out/gate",
        "gates",
    )
    assert result.ret == ExitCode.PROMOTE
    doc = json.loads((pytester.path / "out" / "gate" / "result.json").read_text())
    assert doc["gate"]["file"] == "gates/my-gate.yaml"
    assert not (pytester.path / "reports").exists()


def test_gate_file_outside_the_given_paths_is_still_collected(pytester, gate):
    gate.write()
    pytester.makepyfile(test_other="def test_ok():\n    pass\n")
    result = pytester.runpytest("--mlgate", "test_other.py")
    result.assert_outcomes(passed=5)
    assert result.ret == ExitCode.PROMOTE


def test_model_is_predicted_once_per_dataset(pytester, gate):
    counter = pytester.path / "calls.txt"
    gate.write(counter=counter)
    assert pytester.runpytest("--mlgate").ret == ExitCode.PROMOTE
    # four checks on (candidate, evaluation): one model call
    assert counter.read_text().splitlines() == ["call"]


def test_same_seed_same_bytes_other_seed_other_intervals(pytester, gate):
    gate.write()

    def run(*args):
        assert pytester.runpytest("--mlgate", *args).ret == ExitCode.PROMOTE
        doc = read_result(pytester)
        for key in ("started_at", "finished_at", "duration_s"):
            doc["run"].pop(key)
        return json.dumps(doc, indent=2)

    first, second = run(), run()
    assert first == second
    reseeded = json.loads(run("--mlgate-seed", "123"))
    assert reseeded["run"]["seed"] == 123
    assert reseeded["checks"][0]["interval"] != json.loads(first)["checks"][0]["interval"]
    assert reseeded["checks"][0]["value"] == json.loads(first)["checks"][0]["value"]


def test_result_json_is_byte_identical_except_timestamps(pytester, gate):
    gate.write()
    texts = []
    for _ in range(2):
        assert pytester.runpytest("--mlgate").ret == ExitCode.PROMOTE
        texts.append((pytester.path / "reports" / "result.json").read_text())
    differing = [
        (a, b) for a, b in zip(texts[0].splitlines(), texts[1].splitlines(), strict=True) if a != b
    ]
    assert all(
        any(k in a for k in ('"started_at"', '"finished_at"', '"duration_s"')) for a, _ in differing
    ), differing
