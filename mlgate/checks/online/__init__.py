"""Online stages: shadow deployments, canaries and A/B tests judged from their logs, with
always-valid (sequential) statistics so a gate can be re-run as logs arrive
(docs/checks/online.md)."""
