"""The behavioral check types (perturbation, invariance, directional, minimum
functionality), each registered in the ``mlgate.checks`` entry-point group and callable from
Python as a plain function returning a :class:`~mlgate.core.result.CheckResult`."""
