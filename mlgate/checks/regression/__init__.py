"""Regression checks: golden cases, non-inferiority to the champion, and the previous run."""
