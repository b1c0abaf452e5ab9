"""Named, seeded, vectorised transformations of feature frames (tabular, text, image) and
the registry gate files look them up in."""

from mlgate.checks.behavior.transforms.registry import (
    ENTRY_POINT_GROUP,
    Transform,
    TransformRegistry,
    as_transform,
    default_columns,
    default_registry,
    register_transform,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "Transform",
    "TransformRegistry",
    "as_transform",
    "default_columns",
    "default_registry",
    "register_transform",
]
