"""The behavioral check types (perturbation, invariance, directional, minimum
functionality), each registered in the ``mlgate.checks`` entry-point group and callable from
Python on a gate context (``PERTURBATION(ctx, max_flip_rate=0.05)``), returning a
:class:`~mlgate.core.result.CheckResult`."""
