"""Bad hardware files never produce a traceback: only a one-line NeurosimError, exit 2.

Mutations of a good file (deleted keys, values replaced by random values of random types,
random text, truncation) and plain garbage bytes go through ``neurosim hw validate``.
"""

from __future__ import annotations

import contextlib
import copy
import io
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurosim.cli import main
from neurosim.errors import NeurosimError
from neurosim.hardware import hw_models_dir, load_hardware
from neurosim.hardware.schema import KEYS

GOOD_TEXT = (hw_models_dir() / "loihi.yaml").read_text("utf-8")
GOOD = yaml.safe_load(GOOD_TEXT)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(
        [
            "23.6 pJ",
            "3 ns",
            "-1 pJ",
            "0",
            "1e999 J",
            "12 KiB",
            "asynchronous",
            "tick",
            "barrier",
            "xy",
            "2001-13-45",
            "0x1F",
            "!!",
            "{",
            "1..2",
        ]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(st.text(max_size=8), st.integers(-3, 40)), inner, max_size=3),
    ),
    max_leaves=6,
)


def _paths(tree, prefix=()):
    """Every key path of a nested dict (to mutate)."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))


ALL_PATHS = list(_paths(GOOD))


def _validate(data: bytes) -> tuple[int, str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "chip.yaml"
        path.write_bytes(data)
        err, out = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            status = main(["hw", "validate", str(path)])
        try:
            load_hardware(path)
        except NeurosimError:
            pass
    return status, err.getvalue()


def _check(status: int, stderr: str) -> None:
    assert status in (0, 2)
    if status == 2:
        lines = stderr.strip().splitlines()
        assert len(lines) == 1, stderr
        assert lines[0].startswith("neurosim: error: ")
    else:
        assert stderr == ""


@pytest.mark.slow
@SETTINGS
@given(
    st.lists(
        st.tuples(st.sampled_from(ALL_PATHS), st.sampled_from(["delete", "replace"]), values),
        min_size=1,
        max_size=3,
    )
)
def test_mutated_good_file_gives_clean_error_or_ok(mutations):
    tree = copy.deepcopy(GOOD)
    for path, action, value in mutations:
        node = tree
        for key in path[:-1]:
            if not isinstance(node, dict) or key not in node:
                break
            node = node[key]
        else:
            if isinstance(node, dict) and path[-1] in node:
                if action == "delete":
                    del node[path[-1]]
                else:
                    node[path[-1]] = value
    text = yaml.safe_dump(tree, allow_unicode=True)
    _check(*_validate(text.encode("utf-8")))


@SETTINGS
@given(st.integers(0, len(GOOD_TEXT)), st.text(max_size=30))
def test_cut_or_spliced_text_gives_clean_error_or_ok(position, insert):
    text = GOOD_TEXT[:position] + insert + GOOD_TEXT[position + len(insert) :]
    _check(*_validate(text.encode("utf-8", "surrogatepass")))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_garbage_bytes_give_clean_error(data):
    status, stderr = _validate(data)
    _check(status, stderr)
    assert status == 2


@SETTINGS
@given(st.sampled_from([k.path for k in KEYS]), values)
def test_random_override_values_give_clean_error_or_a_model(key, value):
    try:
        hw = load_hardware("loihi", {key: value})
    except NeurosimError as exc:
        assert key in str(exc) or "--set" in str(exc) or "core." in str(exc)
    else:
        assert hw.chip.cores >= 1


@SETTINGS
@given(st.text(max_size=40))
def test_random_override_text_gives_clean_error_or_a_model(text):
    try:
        load_hardware("truenorth", [text])
    except NeurosimError:
        pass
