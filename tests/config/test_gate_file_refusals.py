"""Gate files that used to be read wrongly or hang: each is now a usage error that names the
file, the place and the fix (issue: a gate that never promotes by accident)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mlgate.config.load import MAX_EXPANDED_VALUES, load_gate
from mlgate.core.errors import ConfigError

HEAD = (
    "name: g\ntask: binary\nmodels: {candidate: {factory: 'a:b'}}\n"
    "datasets: {evaluation: {path: x.csv, label: y}}\n"
)


def write(tmp_path: Path, text: str | bytes, name: str = "mlgate.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "key", "lines"),
    [
        (  # a stage declared twice: the first would silently vanish
            "stages:\n  production:\n    checks: [{check: a}]\n"
            "  production:\n    checks: [{check: b}]\n",
            "production",
            (6, 8),
        ),
        (  # a parameter given twice in one check: the looser bound would win
            "stages:\n  s:\n    checks:\n      - check: metric_threshold\n"
            "        min: 0.95\n        min: 0.1\n",
            "min",
            (9, 10),
        ),
        ("seed: 1\nseed: 2\nstages: {s: {checks: [{check: a}]}}\n", "seed", (5, 6)),
        (  # flow style too
            "stages: {s: {checks: [{check: a, id: x, id: y}]}}\n",
            "id",
            (5, 5),
        ),
    ],
)
def test_a_key_given_twice_is_refused_naming_both_lines(tmp_path, body, key, lines):
    path = write(tmp_path, HEAD + body)
    with pytest.raises(ConfigError) as info:
        load_gate(path)
    text = str(info.value)
    assert (
        f"key {key!r} is given twice in the same mapping (lines {lines[0]} and {lines[1]})" in text
    )
    assert str(path) in text


def test_merge_keys_may_override_what_they_merge(tmp_path):
    """`<<: *defaults` followed by an override is not a duplicate."""
    body = (
        "stages:\n  s:\n    checks:\n"
        "      - &base {check: metric_threshold, metric: accuracy, min: 0.5}\n"
        "      - <<: *base\n        id: auc\n        metric: roc_auc\n"
    )
    config = load_gate(write(tmp_path, HEAD + body))
    second = config.stages["s"].checks[1]
    assert (second.id, second.params["metric"], second.params["min"]) == ("auc", "roc_auc", 0.5)


@pytest.mark.parametrize("width", [9, 20])
def test_an_alias_bomb_is_refused_fast(tmp_path, width):
    rows = ["model_card:", "  tags: &a [" + ", ".join(['"lol"'] * width) + "]"]
    for i, name in enumerate("bcdefgh"):
        prev = "a" if i == 0 else "bcdefgh"[i - 1]
        rows.append(f"x{i}: &{name} [" + ", ".join([f"*{prev}"] * width) + "]")
    path = write(tmp_path, HEAD + "\n".join(rows) + "\nstages: {s: {checks: [{check: a}]}}\n")
    started = time.perf_counter()
    with pytest.raises(ConfigError, match=f"more than {MAX_EXPANDED_VALUES:,} values"):
        load_gate(path)
    assert time.perf_counter() - started < 5


def test_a_large_value_is_shown_short_in_messages(tmp_path):
    tags = "[" + ", ".join(f'"{"x" * 50}{i}"' for i in range(2000)) + "]"
    path = write(tmp_path, HEAD + f"seed: {tags}\nstages: {{s: {{checks: [{{check: a}}]}}}}\n")
    with pytest.raises(ConfigError) as info:
        load_gate(path)
    (line,) = [x for x in str(info.value).splitlines() if x.strip().startswith("seed")]
    assert len(line) < 250


@pytest.mark.parametrize("seed", ["-1", "4294967296", "1000000000000000000000000000000"])
def test_seed_is_bounded(tmp_path, seed):
    path = write(tmp_path, HEAD + f"seed: {seed}\nstages: {{s: {{checks: [{{check: a}}]}}}}\n")
    with pytest.raises(ConfigError, match="seed: got"):
        load_gate(path)


def test_non_utf8_bytes_name_the_file_the_byte_and_the_line(tmp_path):
    path = write(tmp_path, HEAD.encode() + b"description: caf\xe9\n")
    with pytest.raises(ConfigError) as info:
        load_gate(path)
    assert str(info.value) == (
        f"{path}: not UTF-8: byte 0xe9 at offset {len(HEAD) + 16} (line 5); "
        "save the gate file as UTF-8"
    )


def test_a_directory_is_named_as_one(tmp_path):
    with pytest.raises(ConfigError, match="is a directory; pass the YAML file inside it"):
        load_gate(tmp_path)
