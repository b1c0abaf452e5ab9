"""Rates of what a model predicts (alert and approval budgets); the worked example of a check
family written to the kernel contract (docs/architecture.md)."""
