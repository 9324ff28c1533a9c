"""Overrides (``--set key=value``) are applied before validation and meet the same checks."""

from __future__ import annotations

import pytest

from neurosim.errors import NeurosimError
from neurosim.hardware import load_hardware, parse_override
from neurosim.hardware.loader import OVERRIDE_SOURCE
from neurosim.hardware.schema import KEYS


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("core.neurons=2048", "core.neurons", 2048),
        ("costs.energy_synop=30 pJ", "costs.energy_synop", "30 pJ"),
        ("core.multicast=true", "core.multicast", True),
        (" noc.link_bandwidth = 1 Gbit/s ", "noc.link_bandwidth", "1 Gbit/s"),
        ("sync.barrier={1: 1 us, 8: 2 us}", "sync.barrier", {1: "1 us", 8: "2 us"}),
        ("sync.tick=null", "sync.tick", None),
    ],
)
def test_parse_override(text, key, value):
    assert parse_override(text) == (key, value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("core.neurons", "expected key=value"),
        ("=5", "expected key=value"),
        ("core.neurons=", "expected key=value"),
        ("core.nerons=5", "Did you mean 'core.neurons'?"),
        ("neurons=5", "Did you mean 'core.neurons'?"),
        ("costs.energy_synap=1 pJ", "Did you mean 'costs.energy_synop'?"),
    ],
)
def test_bad_override_text(text, message):
    with pytest.raises(NeurosimError, match=message):
        parse_override(text)


def test_every_schema_key_is_an_override_key():
    for key in KEYS:
        assert parse_override(f"{key.path}=1")[0] == key.path


def test_overrides_change_values_and_record_their_source():
    hw = load_hardware("loihi", ["core.neurons=2048", "costs.energy_synop=30 pJ"])
    assert hw.chip.core.neurons == 2048
    assert hw.chip.costs.energy_synop_j == 30e-12
    assert hw.overrides == (("core.neurons", "2048"), ("costs.energy_synop", "30 pJ"))
    source = hw.sources["costs.energy_synop"]
    assert source.source == OVERRIDE_SOURCE and "35.5 pJ" in source.note
    # nothing leaks into the next load
    assert load_hardware("loihi").chip.core.neurons == 1024


def test_mapping_overrides_equal_text_overrides():
    a = load_hardware("loihi", {"core.neurons": 2048, "sync.barrier": {1: "1 us", 8: "2 us"}})
    b = load_hardware("loihi", ["core.neurons=2048", "sync.barrier={1: 1 us, 8: 2 us}"])
    assert a == b
    assert a.chip.sync.barrier_s_by_tiles == ((1, 1e-6), (8, 2e-6))


def test_overrides_can_switch_sync_mode():
    hw = load_hardware("loihi", ["sync.mode=tick", "sync.tick=1 ms"])
    assert hw.chip.sync.mode == "tick" and hw.chip.sync.tick_s == 1e-3
    with pytest.raises(NeurosimError, match=r"sync\.tick.*missing key 'tick'"):
        load_hardware("loihi", ["sync.mode=tick"])


def test_null_removes_an_optional_key():
    hw = load_hardware("truenorth", ["sync.mode=barrier", "sync.barrier=1 us", "sync.tick=null"])
    assert hw.chip.sync.tick_s is None and hw.chip.sync.barrier_s(5) == 1e-6


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            "costs.energy_synop=3 ns",
            r"costs\.energy_synop \(--set\): expected an energy .* which is a time",
        ),
        (
            "core.neurons=0",
            r"core\.neurons \(--set\): expected a whole number of at least 1, found 0",
        ),
        ("core.weight_bits=40", r"weight_bits \(40\) exceeds potential_bits \(24\)"),
        ("noc.link_bandwidth=-1 Gbit/s", "must be greater than zero"),
        ("chip.mesh_x=two", "expected a whole number"),
    ],
)
def test_bad_override_values_get_the_file_checks(override, message):
    with pytest.raises(NeurosimError, match=message):
        load_hardware("loihi", [override])


def test_loading_is_cached():
    assert load_hardware("loihi", ["core.neurons=7"]) is load_hardware("loihi", ["core.neurons=7"])
