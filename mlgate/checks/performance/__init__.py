"""Performance checks: metric thresholds with intervals, and baselines to beat."""
