"""mlgate's exceptions: one root, and user-input errors that also subclass the built-in.

Messages name the thing that is wrong, repeat the value, say what was expected and how
to fix it.
"""

from __future__ import annotations


class MlgateError(Exception):
    """Root of every error mlgate raises on purpose."""


class ConfigError(MlgateError, ValueError):
    """The gate file (or an option) is invalid. Raised before anything runs."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


class SetupError(ConfigError):
    """A model, factory, file or column the gate file names cannot be resolved: a mistake in
    the setup, found before any check runs (exit code 4), never a held model."""


class ModelLoadError(MlgateError, RuntimeError):
    """A model could not be loaded from the source the gate file gives."""


class UntrustedModelError(ModelLoadError, PermissionError):
    """A model file would run arbitrary code when loaded (pickle, joblib, full torch modules)
    and the gate file did not opt in with ``trust: true``."""


class DataError(MlgateError, ValueError):
    """A dataset is missing, unreadable or does not match the roles the gate file declares."""


class EmptyDatasetError(DataError):
    """A dataset has no rows. A check that needs it is ``inconclusive``: there is nothing to
    judge, which is never a pass (and not a broken setup either)."""


class PredictionError(MlgateError, ValueError):
    """A model returned predictions of the wrong shape, type or with non-finite values."""


class MissingDependencyError(MlgateError, ImportError):
    """An optional dependency is needed for a feature and is not installed."""

    def __init__(self, package: str, *, extra: str, feature: str) -> None:
        self.package = package
        self.extra = extra
        super().__init__(
            f"{feature} needs the optional package {package!r}, which is not installed. "
            f"Install it with: pip install 'mlgate[{extra}]'"
        )


def require(module: str, *, extra: str, feature: str, package: str | None = None):
    """Import an optional module or raise :class:`MissingDependencyError` naming the extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(package or module, extra=extra, feature=feature) from exc


class HistoryError(MlgateError, RuntimeError):
    """The run-history database cannot be used: the file is corrupt, is not an mlgate
    history (another SQLite database or not SQLite at all), or was written by a newer
    mlgate. The file is left exactly as it was."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


class ResultError(MlgateError, ValueError):
    """A result document (the content of ``result.json``) is not what mlgate wrote: not a
    mapping, or a required field is missing or of the wrong type."""
