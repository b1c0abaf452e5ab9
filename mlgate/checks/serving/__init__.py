"""Serving readiness on the target device: ``latency``, ``throughput``, ``resources`` and
``parity`` (a compressed or exported variant against its original). See docs/checks/serving.md.

The shared pieces: :mod:`.units` (budgets with their units), :mod:`.timing` (timed calls with
warm-up, device synchronisation and a deadline; distribution-free order-statistic intervals
for percentiles), :mod:`.requests` (what one timed request runs), :mod:`.environment` (the
device, library versions and thread settings every measurement records) and :mod:`.memory`
(peak host memory of a prediction pass).
"""
