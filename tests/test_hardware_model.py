"""The data model: barrier interpolation, derived totals, serialisation time."""

from __future__ import annotations

import dataclasses

import pytest

from neurosim.hardware import Sync, load_hardware

SANAFE_TABLE = ((1, 0.6e-6), (2, 1.0e-6), (4, 1.4e-6), (29, 1.8e-6))


@pytest.mark.parametrize(
    ("tiles", "expected_s"),
    [
        (1, 0.6e-6),  # a table point
        (2, 1.0e-6),
        (3, 1.2e-6),  # halfway between 1.0 us (2) and 1.4 us (4)
        (16, 1.4e-6 + 0.4e-6 * 12 / 25),  # 12/25 of the way from 4 to 29 tiles: 1.592 us
        (29, 1.8e-6),
        (0, 0.6e-6),  # flat below the first entry
        (100, 1.8e-6),  # flat beyond the last
    ],
)
def test_barrier_is_piecewise_linear_in_tiles(tiles, expected_s):
    sync = Sync("barrier", SANAFE_TABLE)
    assert sync.barrier_s(tiles) == pytest.approx(expected_s, rel=1e-12)


def test_davies_barrier_interpolates_between_1_and_32_tiles():
    sync = Sync("barrier", ((1, 113e-9), (32, 465e-9)))
    assert sync.barrier_s(16) == pytest.approx(113e-9 + (465e-9 - 113e-9) * 15 / 31)


def test_tick_mode_without_table_has_no_barrier():
    assert Sync("tick", (), 1e-3).barrier_s(10) == 0.0


def test_totals_and_serialisation():
    hw = load_hardware("loihi")
    assert hw.chip.tiles == 32 and hw.chip.cores == 128
    assert hw.total_chips == 32 and hw.total_cores == 32 * 128
    assert hw.total_neurons == 32 * 128 * 1024
    # 32-bit packet over 3.44 Gspike/s x 32 bit: one packet per 1/3.44 ns
    assert hw.chip.noc.serialisation_s == pytest.approx(1 / 3.44e9)


def test_models_are_frozen_and_sources_do_not_affect_equality():
    hw = load_hardware("loihi")
    with pytest.raises(dataclasses.FrozenInstanceError):
        hw.chip.core.neurons = 5  # type: ignore[misc]
    same = dataclasses.replace(hw, sources={})
    assert same == hw and hash(same) == hash(hw)
