"""mlgate's built-in checks. Each module publishes one :class:`~mlgate.core.registry.CheckType`,
registered through the ``mlgate.checks`` entry-point group like any third party's."""
