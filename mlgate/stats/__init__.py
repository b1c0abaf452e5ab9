"""Statistics: metric definitions and confidence intervals."""
