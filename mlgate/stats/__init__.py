"""Statistics: metrics on mergeable accumulators, confidence intervals and paired tests.

``metrics`` (definitions and the registry), ``accumulators`` / ``confusion`` / ``losses`` /
``ranking`` (mergeable state per metric family), ``cells`` and ``resampling`` / ``bootstrap``
(seeded percentile and BCa intervals without a resamples × rows matrix), ``intervals`` (Wilson,
DeLong), ``paired`` (McNemar, Tango, paired DeLong, paired bootstrap), ``multiple_testing``,
``power`` and ``evaluate`` (what checks call). See docs/checks/statistics.md.
"""
