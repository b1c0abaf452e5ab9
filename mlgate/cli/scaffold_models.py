"""``mlgate init``: the ``models:`` entries of a scaffolded gate, and what they may trust.

A ``.skops`` file is read with ``skops.io.get_untrusted_types`` (nothing in it runs); the
types skops does not trust by default are printed, and the gate lists exactly those under
``trusted`` when ``--trust-type`` names each of them or ``--trust`` is given, so a later file
holding anything else is refused. A pickle (``.joblib``, ``.pkl``) runs code when loaded, so it
needs ``--trust`` and the gate says ``trust: true``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlgate.cli.inputs import InputError
from mlgate.core.errors import require
from mlgate.models.loading import PICKLE_SUFFIXES

#: The placeholder a gate scaffolded without ``--model`` names: the user writes it.
PLACEHOLDER_FACTORY = "my_project.models:load_candidate"


@dataclass(frozen=True)
class ModelEntry:
    """One model of the gate: its keys as written (``spec``) and the comment of each key."""

    name: str
    spec: dict[str, Any]
    comments: dict[str, str]
    #: The untrusted types skops found in the file (empty for other formats).
    found_types: tuple[str, ...] = field(default_factory=tuple)


def model_entry(
    name: str,
    ref: str | None,
    *,
    gate_dir: Path,
    trust_types: Sequence[str],
    trust: bool,
    note: Callable[[str], None],
) -> ModelEntry:
    """The entry for model ``name`` given on the command line as ``ref`` (a file or a
    ``module:callable``; None: the placeholder factory). Raises InputError for a missing
    file, or for a file that would run code when loaded and is not trusted on the command
    line (the message names the types and the option that trusts them)."""
    if ref is None:
        return ModelEntry(
            name,
            {"factory": PLACEHOLDER_FACTORY},
            {"factory": "TODO: module:callable returning your model, from this file's folder"},
        )
    path = Path(ref)
    if ":" in ref and not path.exists():
        return ModelEntry(
            name, {"factory": ref}, {"factory": "module:callable, from this file's folder"}
        )
    if not path.is_file():
        raise InputError(f"--{_option(name)} {ref}: no such model file")
    rel = os.path.relpath(path.resolve(), gate_dir)
    suffix = path.suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        if trust_types and not trust:
            raise InputError(
                f"{ref}: --trust-type applies to .skops files; {path.name} is a pickle "
                f"({suffix}), which runs code when loaded: pass --trust if it comes from a "
                "source you trust, or save the model with skops.io.dump"
            )
        if not trust:
            raise InputError(
                f"{ref}: a {suffix} file runs arbitrary code when loaded. If it comes from "
                "a source you trust pass --trust (the gate then says 'trust: true'); better, "
                "save the model with skops.io.dump and scaffold from the .skops file"
            )
        return ModelEntry(
            name,
            {"path": rel, "trust": True},
            {
                "path": "relative to this file",
                "trust": f"a pickle runs code when loaded: allowed by --trust for {path.name}",
            },
        )
    if suffix != ".skops":
        return ModelEntry(name, {"path": rel}, {"path": "relative to this file"})
    sio = require("skops.io", extra="skops", package="skops", feature="Reading .skops models")
    found = tuple(sio.get_untrusted_types(file=path))
    if not found:
        return ModelEntry(name, {"path": rel}, {"path": "relative to this file"})
    note(
        f"{path.name} holds {len(found)} type(s) that skops does not trust by default: "
        + ", ".join(found)
    )
    missing = [t for t in found if t not in trust_types]
    if missing and not trust:
        flags = " ".join(f"--trust-type {t}" for t in missing)
        raise InputError(
            f"{ref}: the file holds type(s) that skops does not trust by default, which could "
            f"run code when loaded: {', '.join(missing)}. If the file comes from a source you "
            f"trust, pass {flags} (or --trust to accept every type it holds); the gate then "
            "lists them under 'trusted'"
        )
    how = "--trust" if missing else "--trust-type"
    return ModelEntry(
        name,
        {"path": rel, "trusted": list(found)},
        {
            "path": "relative to this file",
            "trusted": f"found in {path.name} beyond skops' default trust, allowed by {how}; "
            "a file holding any other type is refused",
        },
        found,
    )


def unused_trust_types(trust_types: Sequence[str], entries: Sequence[ModelEntry]) -> list[str]:
    """The ``--trust-type`` values that no model file holds (they are not written)."""
    found = {t for e in entries for t in e.found_types}
    return [t for t in trust_types if t not in found]


def _option(name: str) -> str:
    return "model" if name == "candidate" else name
