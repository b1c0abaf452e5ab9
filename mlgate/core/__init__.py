"""The kernel: results and verdict primitives, decision, errors, registry, gate, context,
cache, data and runner. Nothing here imports a check family or an edge (plugin, CLI, report)."""
