"""mlgate-gx: Great Expectations 1.x expectations and suites as mlgate gate checks.

Registers the ``gx_expectations`` check type in the ``mlgate.checks`` entry-point group.
"""

from mlgate_gx.checks import GX_EXPECTATIONS, gx_check, gx_frame_check

__version__ = "0.1.0"
__all__ = ["GX_EXPECTATIONS", "__version__", "gx_check", "gx_frame_check"]
