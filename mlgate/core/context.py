"""The gate context: what a check may use — models, datasets, cached predictions, seeds."""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from mlgate.config.schema import Task
from mlgate.core.cache import PredictionCache
from mlgate.core.data import Dataset, load_dataset
from mlgate.core.errors import ConfigError
from mlgate.core.gate import Gate
from mlgate.core.progress import Progress
from mlgate.core.result import jsonable
from mlgate.models import ModelAdapter, Predictions, adapt, load_model


class GateContext:
    """Lazily loads the gate's models and datasets (each once) and predicts each
    (model, dataset) pair once through :attr:`predictions`.

    ``models`` / ``datasets`` let Python callers pass ready objects instead of what the gate
    file declares (an estimator or callable; a DataFrame).
    """

    def __init__(
        self,
        gate: Gate,
        *,
        seed: int | None = None,
        device: str | None = None,
        models: Mapping[str, Any] | None = None,
        datasets: Mapping[str, Any] | None = None,
        update_golden: bool = False,
    ) -> None:
        self.gate = gate
        self.seed = gate.config.seed if seed is None else seed
        self.device = device
        #: ``--mlgate-update-golden``: golden-file checks rewrite their files instead of
        #: comparing against them.
        self.update_golden = update_golden
        self._given_models = dict(models or {})
        self._given_datasets = dict(datasets or {})
        self._models: dict[str, ModelAdapter | BaseException] = {}
        self._datasets: dict[str, Dataset | BaseException] = {}
        self.predictions = PredictionCache(self._predict)
        #: Where long checks report how far they have got (a no-op unless a terminal shows it).
        self.progress: Progress = Progress()

    # -- what checks use -------------------------------------------------------------
    @property
    def task(self) -> Task:
        return self.gate.config.task

    @property
    def model_names(self) -> list[str]:
        return sorted(set(self.gate.config.models) | set(self._given_models))

    @property
    def dataset_names(self) -> list[str]:
        return sorted(set(self.gate.config.datasets) | set(self._given_datasets))

    @property
    def candidate(self) -> ModelAdapter:
        return self.model("candidate")

    @property
    def champion(self) -> ModelAdapter | None:
        return self.model("champion") if "champion" in self.model_names else None

    def model(self, name: str) -> ModelAdapter:
        """The model called ``name``, loaded on first use. Raises the load error each time."""
        return _memo(self._models, name, self._load_model)

    def dataset(self, name: str) -> Dataset:
        """The dataset called ``name``, loaded on first use."""
        return _memo(self._datasets, name, self._load_dataset)

    def predict(self, model: str = "candidate", dataset: str = "evaluation") -> Predictions:
        """Cached predictions of ``model`` on ``dataset``."""
        return self.predictions.get(model, dataset)

    def rng(self, key: str) -> np.random.Generator:
        """A generator seeded from the run seed and ``key`` (a check id), so a check's random
        draws do not depend on which other checks ran or in what order."""
        return np.random.default_rng([self.seed, zlib.crc32(key.encode("utf-8"))])

    # -- loading ---------------------------------------------------------------------
    def _load_model(self, name: str) -> ModelAdapter:
        if name in self._given_models:
            spec = self.gate.config.models.get(name)
            return adapt(
                self._given_models[name],
                self.task,
                classes=spec.classes if spec else None,
                device=self.device,
            )
        spec = self.gate.config.models.get(name)
        if spec is None:
            raise ConfigError(f"no model called {name!r}; the gate declares {self.model_names}")
        return load_model(
            spec,
            name=name,
            base_dir=self.gate.base_dir,
            task=self.task,
            seed=self.seed,
            device=self.device,
        )

    def _load_dataset(self, name: str) -> Dataset:
        spec = self.gate.config.datasets.get(name)
        if spec is None:
            raise ConfigError(f"no dataset called {name!r}; the gate declares {self.dataset_names}")
        if name in self._given_datasets:
            from mlgate.core.data import as_frame

            frame = as_frame(self._given_datasets[name], name=name, label=spec.label)
            return Dataset(name=name, frame=frame, spec=spec)
        return load_dataset(spec, name=name, base_dir=self.gate.base_dir, seed=self.seed)

    def _predict(self, model: str, dataset: str) -> Predictions:
        data = self.dataset(dataset)
        preds = self.model(model).predict(data.X)
        return preds.validate(len(data), source=f"model {model!r} on dataset {dataset!r}")

    def describe(self) -> dict[str, Any]:
        """Models and datasets that were loaded, for result.json (nothing is loaded here)."""
        return {
            "models": {
                n: _describe_model(m, self.gate.config.models.get(n))
                for n, m in sorted(self._models.items())
                if not isinstance(m, BaseException)
            },
            "datasets": {
                n: d.describe()
                for n, d in sorted(self._datasets.items())
                if not isinstance(d, BaseException)
            },
        }


def _describe_model(adapter: ModelAdapter, spec: Any) -> dict[str, Any]:
    """The adapter's description, where it came from, and an identity hash: the adapter's
    own ``identity()`` when it has one (a content hash), else a hash of the description."""
    info = dict(adapter.describe())
    if spec is not None:
        info["source"] = {k: v for k, v in (("factory", spec.factory), ("path", spec.path)) if v}
    identity = getattr(adapter, "identity", None)
    if callable(identity):
        info["identity"] = identity()
    else:
        canonical = json.dumps(jsonable(info), sort_keys=True).encode()
        info["identity"] = "sha256:" + hashlib.sha256(canonical).hexdigest()
    return info


def _memo(store: dict[str, Any], name: str, load) -> Any:
    if name not in store:
        try:
            store[name] = load(name)
        except Exception as exc:
            store[name] = exc
    value = store[name]
    if isinstance(value, BaseException):
        raise value
    return value
