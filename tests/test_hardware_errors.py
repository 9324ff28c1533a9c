"""Every kind of mistake in a hardware file names the file, the key path and the line,
what was expected and what was found."""

from __future__ import annotations

import re

import pytest

from neurosim.errors import NeurosimError
from neurosim.hardware import hw_models_dir, load_hardware

GOOD = (hw_models_dir() / "loihi.yaml").read_text("utf-8")


def _block(key: str, after: str) -> str:
    """The text of one key's block (key line and its indented value lines) after `after`."""
    start = GOOD.index(f"\n  {key}:", GOOD.index(after))
    following = re.compile(r"\n  \S|\n\S").search(GOOD, start + 1)
    end = following.start() if following else len(GOOD)
    return GOOD[start:end]


def _line_of(text: str, needle: str) -> int:
    """1-based line on which `needle` (without a leading newline) starts."""
    return text[: text.index(needle) + needle.startswith("\n")].count("\n") + 1


def _error(tmp_path, text: str) -> tuple[str, str]:
    path = tmp_path / "chip.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(NeurosimError) as info:
        load_hardware(path)
    return str(info.value), str(path)


def _replace_value(key: str, section: str, new_value: str) -> str:
    block = _block(key, f"\n{section}:\n")
    new_block = re.sub(r"value: .*", f"value: {new_value}", block, count=1)
    return GOOD.replace(block, new_block, 1)


def _assert_names(message: str, path: str, key_path: str, text: str, needle: str) -> None:
    assert message.startswith(f"{path}: {key_path} (line {_line_of(text, needle)})"), message


def test_missing_key_names_section_line(tmp_path):
    text = GOOD.replace(_block("neurons", "\ncore:\n"), "", 1)
    message, path = _error(tmp_path, text)
    _assert_names(message, path, "core.neurons", text, "\ncore:\n")
    assert "missing key 'neurons'" in message and "Add 'neurons: 1024'" in message


def test_unknown_key_suggests_the_closest(tmp_path):
    text = GOOD.replace("\n  neurons:\n", "\n  nuerons:\n", 1)
    message, path = _error(tmp_path, text)
    _assert_names(message, path, "core.nuerons", text, "\n  nuerons:")
    assert "Did you mean 'neurons'?" in message


def test_key_in_the_wrong_section_says_where_it_belongs(tmp_path):
    text = GOOD.replace("\ncore:\n", "\ncore:\n  energy_synop: 3 pJ\n", 1)
    message, _ = _error(tmp_path, text)
    assert "'energy_synop' belongs in 'costs.energy_synop'" in message


def test_unknown_top_level_key(tmp_path):
    message, path = _error(tmp_path, GOOD.replace("\ncore:\n", "\ncores:\n", 1))
    assert message.startswith(f"{path}: cores (line ") and "Did you mean 'core'?" in message


@pytest.mark.parametrize(
    ("section", "key", "value", "expected"),
    [
        ("core", "neurons", "many", "expected a whole number of at least 1, found 'many'"),
        ("core", "neurons", "2.5", "expected a whole number of at least 1, found 2.5"),
        ("core", "fs_neurons", "'no'", "expected true or false, found 'no'"),
        (
            "costs",
            "energy_synop",
            "3 ns",
            "expected an energy such as 23.6 pJ, found '3 ns', which is a time",
        ),
        ("costs", "energy_synop", "-1 pJ", "cannot be negative"),
        ("costs", "latency_synop", "fast", "expected a time such as 4.1 ns, found 'fast'"),
        ("chip", "mesh_x", "0", "expected a whole number of at least 1, found 0"),
        ("noc", "link_bandwidth", "0 Gbit/s", "must be greater than zero"),
        ("noc", "routing", "yx", "expected one of xy, found 'yx'"),
        ("sync", "mode", "barier", "Did you mean 'barrier'?"),
        ("chip", "clock", "fast", "or 'asynchronous'"),
        ("core", "synapse_memory", "128 pJ", "which is a energy"),
    ],
)
def test_bad_value_names_key_line_expected_and_found(tmp_path, section, key, value, expected):
    text = _replace_value(key, section, value)
    message, path = _error(tmp_path, text)
    _assert_names(message, path, f"{section}.{key}", text, f"\n  {key}:")
    assert expected.replace("a energy", "an energy") in message.replace("a energy", "an energy")


def test_weight_wider_than_potential_is_inconsistent(tmp_path):
    text = _replace_value("weight_bits", "core", "30")
    message, path = _error(tmp_path, text)
    _assert_names(message, path, "core.weight_bits", text, "\n  weight_bits:")
    assert "weight_bits (30) exceeds potential_bits (24)" in message


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("{4: 1 us, 2: 2 us}", "tiles must increase down the table, found 2 after 4"),
        ("{1: 1 us, 2: 1 ns}", "the barrier time falls from 1 µs at 1 tile to 1 ns at 2 tiles"),
        ("{0: 1 us}", "number of tiles of at least 1"),
        ("{1: 5 pJ}", "entry 1: expected a time"),
        ("{}", "found an empty table"),
    ],
)
def test_bad_barrier_table(tmp_path, table, expected):
    text = _replace_value("barrier", "sync", table)
    message, path = _error(tmp_path, text)
    _assert_names(message, path, "sync.barrier", text, "\n  barrier:")
    assert expected in message


def test_tick_mode_needs_a_tick(tmp_path):
    text = _replace_value("mode", "sync", "tick")
    message, path = _error(tmp_path, text)
    _assert_names(message, path, "sync.tick", text, "\nsync:\n")
    assert "missing key 'tick' in section 'sync' (sync.mode is tick)" in message


def test_graded_spikes_need_a_payload_width(tmp_path):
    text = _replace_value("graded_spikes", "core", "true")
    message, _ = _error(tmp_path, text)
    assert "core.graded_spike_bits" in message and "(graded_spikes is true)" in message


def test_unknown_evidence_code(tmp_path):
    text = GOOD.replace("    evidence: C\n", "    evidence: Z\n", 1)
    message, _ = _error(tmp_path, text)
    assert "unknown evidence code 'Z'" in message and "(line " in message


def test_unknown_field_in_a_value_wrapper(tmp_path):
    text = GOOD.replace(
        "    source: Davies et al., IEEE Micro 38(1):82-99, 2018, p.86", "    sorce: x", 1
    )
    message, _ = _error(tmp_path, text)
    assert "core.neurons.sorce" in message and "did you mean 'source'?" in message.lower()


def test_repeated_key(tmp_path):
    text = GOOD.replace("\ncore:\n", "\ncore:\n  neurons: 5\n", 1)
    message, path = _error(tmp_path, text)
    assert message.startswith(f"{path}: core.neurons (line ") and "appears twice" in message


def test_missing_section(tmp_path):
    start = GOOD.index("\nnoc:\n")
    text = GOOD[:start] + GOOD[GOOD.index("\nsync:\n") :]
    message, path = _error(tmp_path, text)
    assert message.startswith(f"{path}: missing section 'noc'")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "the file is empty"),
        ("   \n# only a comment\n", "the file is empty"),
        ("- a\n- b\n", "expected a mapping of sections"),
        ("core: [1, 2\n", "not valid YAML (line"),
        ("core:\n\tneurons: 3\n", "not valid YAML"),
        ("a: 1\n---\nb: 2\n", "not valid YAML"),
    ],
)
def test_malformed_files(tmp_path, text, expected):
    message, path = _error(tmp_path, text)
    assert message.startswith(path) and expected in message


def test_binary_garbage(tmp_path):
    path = tmp_path / "chip.yaml"
    path.write_bytes(b"\x80\x81garbage\x00")
    with pytest.raises(NeurosimError, match="not UTF-8 text"):
        load_hardware(path)
    path.write_bytes(b"\xff\xfe\x00\x01garbage\x00")  # decodes (UTF-16) to a lone text
    with pytest.raises(NeurosimError, match=f"{path}.*expected a mapping of sections"):
        load_hardware(path)


def test_missing_file_and_unknown_name(tmp_path):
    with pytest.raises(NeurosimError, match="no such hardware file"):
        load_hardware(tmp_path / "nope.yaml")
    with pytest.raises(NeurosimError, match=r"unknown hardware 'loihii'.*did you mean 'loihi'"):
        load_hardware("loihii")
    with pytest.raises(NeurosimError, match="is a directory"):
        load_hardware(tmp_path)
