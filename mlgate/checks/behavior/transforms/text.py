"""Text transformations, rule-based (nothing is downloaded): typos, case and punctuation
changes, swapping person or place names from a list, and simple negation templates.

Each works on string columns of the feature frame and returns a new frame. Random choices
for all rows are drawn from ``rng`` at once; only applying them is a loop over strings.
Missing values stay missing; a string the rule does not apply to stays unchanged (checks
then leave that row out of their rates).
"""

from __future__ import annotations

import re
import string
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from mlgate.checks.behavior.transforms.registry import Transform

PERSON_NAMES = (
    "Mary", "John", "Maria", "José", "Wei", "Li", "Fatima", "Mohammed", "Aisha", "Ahmed",
    "Priya", "Rahul", "Yuki", "Hiroshi", "Olga", "Ivan", "Chloe", "Lucas", "Emma", "Noah",
    "Amara", "Kwame", "Sofia", "Mateo", "Ana", "Diego", "Leila", "Omar", "Hannah", "David",
    "Grace", "Samuel", "Mei", "Jun", "Zanele", "Thabo", "Ingrid", "Lars", "Hope", "Joy",
)  # fmt: skip
PLACE_NAMES = (
    "London", "Paris", "Lagos", "Mumbai", "Tokyo", "Cairo", "Lima", "Sydney", "Toronto",
    "Berlin", "Nairobi", "Jakarta", "Moscow", "Mexico City", "São Paulo", "Istanbul", "Seoul",
    "Dublin", "Madrid", "Karachi", "Chicago", "Beijing", "Manila", "Accra", "France",
    "Nigeria", "India", "Japan", "Egypt", "Peru", "Australia", "Canada", "Germany", "Kenya",
    "Brazil", "Mexico", "China", "Chile",
)  # fmt: skip

_KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS: dict[str, str] = {}
for _r, _row in enumerate(_KEYBOARD):
    for _c, _ch in enumerate(_row):
        near = [_row[j] for j in (_c - 1, _c + 1) if 0 <= j < len(_row)]
        for _dr in (-1, 1):
            if 0 <= _r + _dr < len(_KEYBOARD):
                other = _KEYBOARD[_r + _dr]
                near += [other[j] for j in (_c - 1, _c, _c + 1) if 0 <= j < len(other)]
        _NEIGHBOURS[_ch] = "".join(dict.fromkeys(near))

TypoKind = Literal["swap", "delete", "insert", "replace"]


def typo(
    X: pd.DataFrame,
    rng: np.random.Generator,
    *,
    columns: list[str],
    n: Annotated[int, Field(ge=1, le=20)] = 1,
    kinds: list[TypoKind] = ["swap", "delete", "insert", "replace"],  # noqa: B006
) -> pd.DataFrame:
    """Make ``n`` keyboard typos in each string, at letters chosen uniformly: swap a letter
    with the next (the last letter: with the previous), delete it, insert a keyboard
    neighbour after it, or replace it by one (also when a swap would change nothing). Every
    edit changes the string, so one typo is exactly one edit (Damerau–Levenshtein distance
    1) and ``n`` typos are at most ``n`` edits."""
    out = X.copy(deep=False)
    for col in columns:
        values = X[col].to_numpy(dtype=object)
        u = rng.random((len(values), n, 3))
        new = [_typos(v, u[i], kinds) if isinstance(v, str) else v for i, v in enumerate(values)]
        out[col] = _like(X[col], new)
    return out


def _typos(text: str, draws: np.ndarray, kinds: list[str]) -> str:
    for u_pos, u_kind, u_char in draws:
        letters = [i for i, ch in enumerate(text) if ch.isalpha()]
        if not letters:
            return text
        i = letters[int(u_pos * len(letters))]
        kind = kinds[int(u_kind * len(kinds))]
        ch = text[i]
        near = _NEIGHBOURS.get(ch.lower(), "")
        sub = near[int(u_char * len(near))] if near else ("a" if ch.lower() != "a" else "e")
        sub = sub.upper() if ch.isupper() else sub
        if kind == "swap" and i + 1 < len(text) and text[i + 1] != ch:
            text = text[:i] + text[i + 1] + ch + text[i + 2 :]
        elif kind == "swap" and i > 0 and text[i - 1] != ch:  # the last letter: swap back
            text = text[: i - 1] + ch + text[i - 1] + text[i + 1 :]
        elif kind == "delete":
            text = text[:i] + text[i + 1 :]
        elif kind == "insert":
            text = text[: i + 1] + sub + text[i + 1 :]
        else:
            text = text[:i] + sub + text[i + 1 :]
    return text


def case(
    X: pd.DataFrame,
    rng: np.random.Generator,
    *,
    columns: list[str],
    mode: Literal["lower", "upper", "title", "swap", "random"] = "lower",
    rate: Annotated[float, Field(gt=0.0, le=1.0)] = 0.5,
) -> pd.DataFrame:
    """Change letter case: all ``lower``, ``upper``, ``title`` case, ``swap`` case, or
    ``random``: each letter flips its case with probability ``rate``."""
    out = X.copy(deep=False)
    for col in columns:
        s = X[col]
        if mode != "random":
            out[col] = getattr(s.str, "swapcase" if mode == "swap" else mode)()
            continue
        values = s.to_numpy(dtype=object)
        new = [
            "".join(
                c.swapcase() if f else c for c, f in zip(v, rng.random(len(v)) < rate, strict=True)
            )
            if isinstance(v, str)
            else v
            for v in values
        ]
        out[col] = _like(s, new)
    return out


_PUNCT = re.compile(f"[{re.escape(string.punctuation)}]")


def punctuation(
    X: pd.DataFrame,
    rng: np.random.Generator,
    *,
    columns: list[str],
    mode: Literal["strip", "add"] = "strip",
) -> pd.DataFrame:
    """``strip`` every ASCII punctuation mark, or ``add`` one of ``. ! ?`` at the end."""
    out = X.copy(deep=False)
    for col in columns:
        s = X[col]
        if mode == "strip":
            out[col] = s.str.replace(_PUNCT, "", regex=True)
        else:
            marks = np.array([".", "!", "?"], dtype=object)[rng.integers(0, 3, size=len(s))]
            out[col] = s + pd.Series(marks, index=s.index)
    return out


def name_swap(
    X: pd.DataFrame,
    rng: np.random.Generator,
    *,
    columns: list[str],
    names: list[str] | None = None,
    kind: Literal["person", "place"] = "person",
) -> pd.DataFrame:
    """Replace every whole-word occurrence of a name from ``names`` (default: a built-in list
    of person or place names, by ``kind``) with another name of the list, drawn uniformly."""
    pool = list(names or (PERSON_NAMES if kind == "person" else PLACE_NAMES))
    index = {name: i for i, name in enumerate(pool)}
    alternation = "|".join(re.escape(n) for n in sorted(pool, key=len, reverse=True))
    pattern = re.compile(rf"\b(?:{alternation})\b")
    out = X.copy(deep=False)
    for col in columns:
        values = X[col].to_numpy(dtype=object)
        found = [list(pattern.finditer(v)) if isinstance(v, str) else [] for v in values]
        offsets = iter(rng.integers(1, len(pool), size=sum(map(len, found))).tolist())
        new = [
            _replace(v, matches, pool, index, offsets) if matches else v
            for v, matches in zip(values, found, strict=True)
        ]
        out[col] = _like(X[col], new)
    return out


def _replace(text: str, matches, pool, index, offsets) -> str:
    parts, last = [], 0
    for m in matches:
        parts += [text[last : m.start()], pool[(index[m.group(0)] + next(offsets)) % len(pool)]]
        last = m.end()
    return "".join(parts) + text[last:]


# Negation templates, tried in order; the first that matches a string is applied once.
_AUX = re.compile(
    r"\b(is|are|was|were|am|can|could|will|would|should|must|do|does|did)\b(?!\s+not\b)",
    re.IGNORECASE,
)
_NEGATED = re.compile(r"\b(not|never|no|nothing|nobody|cannot)\b|n't\b", re.IGNORECASE)
_PLURAL_SUBJECT = re.compile(r"^(\s*(?:I|We|You|They))\s+(\w+)", re.IGNORECASE)
_SINGULAR_SUBJECT = re.compile(r"^(\s*(?:He|She|It))\s+(\w+?)(ies|es|s)\b", re.IGNORECASE)


def negate(X: pd.DataFrame, rng: np.random.Generator, *, columns: list[str]) -> pd.DataFrame:
    """Negate simple sentences with templates: ``is`` → ``is not`` (and other auxiliaries;
    ``can`` → ``cannot``), ``I like`` → ``I do not like``, ``She likes`` → ``She does not
    like``. Strings that are already negated, or that no template fits, stay unchanged."""
    out = X.copy(deep=False)
    for col in columns:
        values = X[col].to_numpy(dtype=object)
        out[col] = _like(X[col], [_negate(v) if isinstance(v, str) else v for v in values])
    return out


def _negate(text: str) -> str:
    if _NEGATED.search(text):
        return text
    if _AUX.search(text):
        return _AUX.sub(_add_not, text, count=1)
    if _PLURAL_SUBJECT.search(text):
        return _PLURAL_SUBJECT.sub(r"\1 do not \2", text, count=1)
    m = _SINGULAR_SUBJECT.search(text)
    if m:
        stem = m.group(2) + ("y" if m.group(3).lower() == "ies" else "")
        if m.group(3).lower() == "es" and not re.search(r"(sh|ch|x|s|z|o)$", stem):
            stem += "e"
        return text[: m.start()] + f"{m.group(1)} does not {stem}" + text[m.end() :]
    return text


def _add_not(m: re.Match) -> str:
    word = m.group(1)
    return word + ("not" if word.lower() == "can" else " not")


def _like(s: pd.Series, values: list) -> pd.Series:
    """A Series of ``values`` with ``s``'s index, name and dtype."""
    out = pd.Series(values, index=s.index, name=s.name, dtype=object)
    try:
        return out.astype(s.dtype)
    except (TypeError, ValueError):
        return out


TEXT_TRANSFORMS = (
    Transform(
        "typo", typo, modality="text", columns="text", strength="n", summary="keyboard typos"
    ),
    Transform("case", case, modality="text", columns="text", summary="change letter case"),
    Transform(
        "punctuation",
        punctuation,
        modality="text",
        columns="text",
        summary="strip or add punctuation",
    ),
    Transform(
        "name_swap",
        name_swap,
        modality="text",
        columns="text",
        summary="replace person or place names by others from a list",
    ),
    Transform("negate", negate, modality="text", columns="text", summary="negate simple sentences"),
)
