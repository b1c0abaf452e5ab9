"""Command-line options, all in one ``mlgate`` group."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mlgate", "mlgate: quality gate for machine-learning models")
    group.addoption(
        "--mlgate",
        action="store_true",
        default=False,
        help="run the gate: collect the gate file's checks and decide each stage.",
    )
    group.addoption(
        "--mlgate-file",
        metavar="PATH",
        default=None,
        help="gate file (YAML); relative to the invocation directory. "
        "Default: mlgate.yaml in the rootdir.",
    )
    group.addoption(
        "--mlgate-stage",
        metavar="NAME",
        action="append",
        default=[],
        help="decide only this stage (repeatable). Default: every stage.",
    )
    group.addoption(
        "--mlgate-report-dir",
        metavar="DIR",
        default=None,
        help="where result.json is written; relative to the invocation "
        "directory. Default: reports/ in the rootdir.",
    )
    group.addoption(
        "--mlgate-seed",
        metavar="N",
        type=int,
        default=None,
        help="seed for every random draw (bootstrap, sampling). "
        "Default: the gate file's 'seed', else 0.",
    )
    group.addoption(
        "--mlgate-device",
        metavar="DEVICE",
        default=None,
        help="torch device for model inference (cpu, cuda, cuda:1, ...). "
        "Default: cuda when available, else cpu.",
    )
    group.addoption(
        "--mlgate-update-golden",
        action="store_true",
        default=False,
        help="(re)write golden files from the current candidate instead of checking them.",
    )
    group.addoption(
        "--mlgate-history",
        metavar="PATH",
        default=None,
        help="SQLite database the run is recorded in; 'off' to not record. "
        "Default: history.sqlite in the report directory.",
    )
    group.addoption(
        "--mlgate-engine",
        choices=("local", "dask"),
        default=None,
        help="where rows are read and predicted: local (this process) or dask (needs "
        "mlgate[dask]; docs/dask.md). Default: the gate file's 'engine', else local.",
    )
    group.addoption(
        "--mlgate-scheduler",
        metavar="ADDRESS",
        default=None,
        help="the Dask scheduler (tcp://host:8786) for --mlgate-engine dask; "
        "none starts a LocalCluster.",
    )
    group.addoption(
        "--mlgate-mlflow",
        metavar="URI",
        default=None,
        help="after the run, log verdicts, metrics and reports to this MLflow tracking server "
        "(needs mlgate[mlflow]; docs/mlflow.md).",
    )
    group.addoption(
        "--mlgate-promote",
        metavar="STAGE:MODEL@ALIAS",
        default=None,
        help="after the run, move MODEL@ALIAS to the candidate's version if STAGE promoted "
        "(server: --mlgate-mlflow, else MLFLOW_TRACKING_URI).",
    )
    group.addoption(
        "--mlgate-progress",
        choices=("auto", "on", "off"),
        default="auto",
        help="show the progress of long checks (bootstrap, perturbations, slice discovery). "
        "Default auto: on a terminal, not with -q, not when CI is set.",
    )
