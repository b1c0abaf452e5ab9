"""Turn a gate file's ``models.<name>`` entry into a :class:`ModelAdapter`.

Formats that run code when loaded (pickle, joblib, whole pickled torch modules) are refused
unless the entry says ``trust: true``; a skops file holding types skops does not trust by
default is refused unless the entry lists them under ``trusted`` (or says ``trust: true``).
"""

from __future__ import annotations

import contextlib
import pickle
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from mlgate.config.schema import ModelSpec
from mlgate.core.errors import ModelLoadError, UntrustedModelError, require
from mlgate.core.imports import call_factory
from mlgate.core.task import Task
from mlgate.models.adapt import adapt
from mlgate.models.base import ModelAdapter
from mlgate.models.mlflow import load_mlflow_model
from mlgate.models.torch import import_torch

PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")
TORCH_SUFFIXES = (".pt", ".pth")
SUPPORTED_SUFFIXES = (".skops", ".safetensors", *TORCH_SUFFIXES, *PICKLE_SUFFIXES)


def load_model(
    spec: ModelSpec, *, name: str, base_dir: Path, task: Task, seed: int, device: str | None = None
) -> ModelAdapter:
    """Load the model ``spec`` describes and return its adapter.

    ``factory`` (``module:callable``) is imported with ``base_dir`` at the front of
    ``sys.path`` and called with ``spec.args`` (plus ``seed`` when it takes one); ``path``
    is relative to ``base_dir``. With both, the factory builds a torch architecture and
    the file holds its weights. ``uri`` (an MLflow model) is loaded through MLflow's own
    flavour loaders by :mod:`mlgate.models.mlflow`.

    Raises:
        ModelLoadError: the factory or file is missing, unreadable or of an unknown format.
        UntrustedModelError: the file would run code when loaded and ``spec.trust`` is off.
        MissingDependencyError: the format needs skops, torch, safetensors or mlflow.
    """
    if spec.uri is not None:
        return load_mlflow_model(spec, name=name, task=task, seed=seed, device=device)
    base_dir = Path(base_dir)
    ctx = _Context(spec=spec, name=name, base_dir=base_dir, seed=seed)
    with _path_front(base_dir):  # pickled classes may live next to the gate file too
        obj = ctx.load_file() if spec.path is not None else ctx.call_factory()
    try:
        return adapt(
            obj,
            task,
            kind=spec.kind,
            classes=spec.classes,
            batch_size=spec.batch_size,
            device=device,
            seed=seed,
            labels=spec.labels,
        )
    except ModelLoadError as exc:
        raise ModelLoadError(f"model {name!r}: {exc}") from exc


class _Context:
    def __init__(self, *, spec: ModelSpec, name: str, base_dir: Path, seed: int) -> None:
        self.spec, self.name, self.base_dir, self.seed = spec, name, base_dir, seed

    def error(self, message: str) -> ModelLoadError:
        return ModelLoadError(f"model {self.name!r}: {message}")

    def untrusted(self, what: str) -> UntrustedModelError:
        return UntrustedModelError(
            f"model {self.name!r}: {what} To load it anyway, set 'trust: true' under "
            f"'models.{self.name}' in the gate file, but only for files from a source you "
            "trust. Prefer formats that cannot run code: .skops for scikit-learn, "
            ".safetensors (weights plus a 'factory' building the architecture) for torch."
        )

    # -- factories -------------------------------------------------------------------

    def call_factory(self) -> Any:
        """Import and call ``spec.factory``; return what it returns."""
        assert self.spec.factory is not None
        return call_factory(
            self.spec.factory,
            args=self.spec.args,
            base_dir=self.base_dir,
            seed=self.seed,
            what=f"model {self.name!r}",
            error=ModelLoadError,
        )

    def architecture(self, suffix: str) -> Any:
        """Return the ``torch.nn.Module`` the factory builds, ready for a state dict."""
        if self.spec.factory is None:
            raise self.error(
                f"{self.spec.path!r} holds only weights (a state dict); add "
                "'factory: module:function' returning the torch.nn.Module they belong to."
            )
        module = self.call_factory()
        torch = import_torch()
        if not isinstance(module, torch.nn.Module):
            raise self.error(
                f"factory {self.spec.factory!r} returned {type(module).__name__}; with a "
                f"{suffix} file it must return the torch.nn.Module the weights belong to."
            )
        return module

    def with_weights(self, state: Mapping[str, Any], suffix: str) -> Any:
        module = self.architecture(suffix)
        try:
            module.load_state_dict(state, strict=True)
        except (RuntimeError, TypeError, ValueError) as exc:
            raise self.error(
                f"the weights in {self.spec.path!r} do not fit the module from factory "
                f"{self.spec.factory!r}: {exc}"
            ) from exc
        return module

    # -- files -----------------------------------------------------------------------

    def load_file(self) -> Any:
        """Load ``spec.path`` by its extension; return the model object."""
        assert self.spec.path is not None
        path = (self.base_dir / self.spec.path).resolve()
        if not path.is_file():
            raise self.error(
                f"model file {path} does not exist "
                f"(path {self.spec.path!r} is relative to {self.base_dir})"
            )
        suffix = path.suffix.lower()
        if suffix == ".safetensors":
            storage = require(
                "safetensors.torch",
                extra="torch",
                package="safetensors",
                feature="Loading .safetensors models",
            )
            import_torch()
            return self.with_weights(self._read(storage.load_file, path), suffix)
        if suffix in TORCH_SUFFIXES:
            return self._load_torch(path, suffix)
        if self.spec.factory is not None:
            raise self.error(
                f"'factory' together with 'path' means a torch architecture plus its weights "
                f"(.safetensors, .pt, .pth); {path.name} is a {suffix} file. Drop one of them."
            )
        if suffix == ".skops":
            return self._load_skops(path)
        if suffix in PICKLE_SUFFIXES:
            if not self.spec.trust:
                raise self.untrusted(
                    f"{path} is a {suffix} file, and unpickling runs arbitrary code on load."
                )
            if suffix == ".joblib":
                import joblib

                return self._read(joblib.load, path)
            with path.open("rb") as fh:
                return self._read(pickle.load, fh)
        raise self.error(
            f"cannot load {path}: unknown extension {suffix!r}; supported: "
            f"{', '.join(SUPPORTED_SUFFIXES)}"
        )

    def _read(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (ModelLoadError, MemoryError):
            raise
        except Exception as exc:
            raise self.error(
                f"could not read {self.spec.path!r}: {type(exc).__name__}: {exc}"
            ) from exc

    def _load_skops(self, path: Path) -> Any:
        """Load a .skops file whose every type skops trusts by default, is listed under
        ``trusted``, or is allowed by ``trust: true``. Raises UntrustedModelError naming the
        types outside those (exactly them) and the ``trusted:`` line that would allow them."""
        sio = require("skops.io", extra="skops", package="skops", feature="Loading .skops models")
        untrusted = list(self._read(sio.get_untrusted_types, file=path))
        outside = [t for t in untrusted if t not in set(self.spec.trusted)]
        if outside and not self.spec.trust:
            raise self.untrusted_types(path, outside)
        return self._read(sio.load, path, trusted=untrusted or None)

    def untrusted_types(self, path: Path, outside: list[str]) -> UntrustedModelError:
        """The refusal of a .skops file holding ``outside``: those types, and the gate-file
        line (the types already listed plus these) that would allow exactly them."""
        allowed = ", ".join([*self.spec.trusted, *outside])
        listed = " and not listed under 'trusted'" if self.spec.trusted else ""
        return UntrustedModelError(
            f"model {self.name!r}: {path} holds {len(outside)} type(s) that skops does not "
            f"trust by default{listed}, which could run code when loaded: "
            f"{', '.join(outside)}. If the file comes from a source you trust, allow exactly "
            f"these types under 'models.{self.name}' in the gate file: 'trusted: [{allowed}]' "
            "('trust: true' would allow any type)."
        )

    def _load_torch(self, path: Path, suffix: str) -> Any:
        torch = import_torch()
        try:
            obj = torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as exc:
            if not self.spec.trust:
                raise self.untrusted(
                    f"{path} holds pickled Python objects (such as a whole torch.nn.Module), "
                    "not only tensors, and unpickling them runs arbitrary code on load. "
                    "Better: save module.state_dict() and give 'factory'."
                ) from exc
            obj = self._read(torch.load, path, map_location="cpu", weights_only=False)
        except Exception as exc:
            raise self.error(f"could not read {path}: {type(exc).__name__}: {exc}") from exc
        if isinstance(obj, Mapping):
            return self.with_weights(obj, suffix)
        if self.spec.factory is not None:
            raise self.error(
                f"{path} holds a whole {type(obj).__name__}, not a state dict; "
                "drop 'factory' (it is only for weights-only files)."
            )
        return obj


@contextlib.contextmanager
def _path_front(directory: Path) -> Iterator[None]:
    """Put ``directory`` first on ``sys.path`` for the block; remove it afterwards."""
    entry = str(directory.resolve())
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(entry)
