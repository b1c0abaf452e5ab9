"""The deepchecks import, with a clear message when it is missing."""

from __future__ import annotations

from types import ModuleType

from mlgate.api import MlgateError

INSTALL = (
    "pip install 'deepchecks>=0.19,<0.20' 'numpy<2' 'pandas<3' 'scikit-learn<1.8' "
    "'setuptools<82' 'plotly<6'"
)


class DeepchecksNotInstalledError(MlgateError, ImportError):
    """deepchecks is not importable where the plugin runs."""


def deepchecks_module() -> ModuleType:
    """``deepchecks``, or DeepchecksNotInstalledError naming the package to install.

    deepchecks is AGPL-3.0, so mlgate never installs it on its own: the plugin's
    distribution depends on it, and this message says how to get it.
    """
    try:
        import deepchecks
        import deepchecks.tabular
    except ImportError as exc:
        raise DeepchecksNotInstalledError(
            f"mlgate-deepchecks needs the 'deepchecks' package (AGPL-3.0), which cannot be "
            f"imported here ({type(exc).__name__}: {exc}). Install it with: {INSTALL} "
            "(or: pip install mlgate-deepchecks, which pins these)"
        ) from exc
    return deepchecks
