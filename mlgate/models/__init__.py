"""Models as the gate sees them: adapters with one ``predict`` returning :class:`Predictions`.

``load_model`` turns a gate file's ``models.<name>`` entry into an adapter; ``adapt`` wraps
an object already in memory (an sklearn estimator, a ``torch.nn.Module`` or a callable).
"""

from mlgate.models.adapt import adapt
from mlgate.models.base import ModelAdapter, Predictions
from mlgate.models.loading import load_model

__all__ = ["ModelAdapter", "Predictions", "adapt", "load_model"]
