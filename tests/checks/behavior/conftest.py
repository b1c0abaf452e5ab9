"""Fixtures of the behavioral tests; helpers live in behavior_helpers.py (a unique module
name: every test folder's conftest is a module called ``conftest``)."""

from behavior_helpers import bimodal  # noqa: F401
