"""mlgate-deepchecks: deepchecks tabular suites and checks as mlgate gate checks.

Registers ``deepchecks_suite`` and ``deepchecks_check`` in the ``mlgate.checks`` entry-point
group. deepchecks is AGPL-3.0: importing this package without it fails with a message naming
the package to install.
"""

from mlgate_deepchecks._require import deepchecks_module

deepchecks_module()  # fail at import, clearly, when deepchecks is missing

from mlgate_deepchecks.checks import (  # noqa: E402
    DEEPCHECKS_CHECK,
    DEEPCHECKS_SUITE,
    deepchecks_check,
    deepchecks_suite_check,
)

__version__ = "0.1.0"
__all__ = [
    "DEEPCHECKS_CHECK",
    "DEEPCHECKS_SUITE",
    "__version__",
    "deepchecks_check",
    "deepchecks_suite_check",
]
