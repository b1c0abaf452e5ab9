"""mlgate-alibi-detect: alibi-detect's drift detectors as mlgate gate checks.

Installed next to mlgate, it registers ``alibi_ks_drift``, ``alibi_chi2_drift``,
``alibi_tabular_drift``, ``alibi_mmd_drift``, ``alibi_lsdd_drift`` and
``alibi_classifier_drift`` in the ``mlgate.checks`` entry-point group (see
:mod:`mlgate_alibi_detect.checks`). alibi-detect is BSL-1.1 licensed; see README.md.
"""

__version__ = "0.1.0"
