"""Quantities with units: parsing, printing, and printing-then-parsing."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurosim.hardware import units
from neurosim.hardware.units import UnitError, format_quantity, parse_quantity


@pytest.mark.parametrize(
    ("text", "dimension", "si"),
    [
        ("23.6 pJ", units.ENERGY, 23.6e-12),
        ("23.6pJ", units.ENERGY, 23.6e-12),
        ("2.297 pJ", units.ENERGY, 2.297e-12),
        ("4.1 ns", units.TIME, 4.1e-9),
        ("0.6 us", units.TIME, 0.6e-6),
        ("0.6 µs", units.TIME, 0.6e-6),
        ("1 ms", units.TIME, 1e-3),
        ("104 mW", units.POWER, 0.104),
        ("1.2 GHz", units.FREQUENCY, 1.2e9),
        ("128 KiB", units.BITS, 128 * 1024 * 8),
        ("128 KB", units.BITS, 128 * 1024 * 8),  # JEDEC kilobyte, as chip papers write it
        ("16 kB", units.BITS, 16_000 * 8),
        ("1 Mbit", units.BITS, 1e6),
        ("1 Mibit", units.BITS, 2**20),
        ("65536 bit", units.BITS, 65536),
        ("3.44 Gbit/s", units.BANDWIDTH, 3.44e9),
        ("1 GB/s", units.BANDWIDTH, 8e9),
        ("1e-12", units.ENERGY, 1e-12),  # a plain number is SI, even as text
        (3.5e-9, units.TIME, 3.5e-9),
        (1024, units.BITS, 1024.0),
    ],
)
def test_parse_known_values(text, dimension, si):
    assert parse_quantity(text, dimension) == pytest.approx(si, rel=1e-15)


def test_parse_is_exact_for_decimal_text():
    # decimal arithmetic: "23.6 pJ" is the float nearest 23.6e-12, not 23.6 * 1e-12
    assert parse_quantity("23.6 pJ", units.ENERGY) == 23.6e-12
    assert parse_quantity("0.1 ns", units.TIME) == 1e-10


@pytest.mark.parametrize(
    ("value", "dimension", "message"),
    [
        ("3 ns", units.ENERGY, "which is a time"),
        ("104 mW", units.TIME, "which is a power"),
        ("128 KiB", units.ENERGY, "which is a memory size"),
        ("5 parsecs", units.TIME, "unknown unit 'parsecs'"),
        ("fast", units.TIME, "expected a time"),
        (True, units.TIME, "boolean true"),
        (None, units.ENERGY, "nothing"),
        ([1, 2], units.ENERGY, "a list"),
        ("1e999 J", units.ENERGY, "not finite"),
        (float("nan"), units.ENERGY, "not finite"),
        (10**400, units.ENERGY, "too large"),
    ],
)
def test_bad_values_are_rejected_with_reason(value, dimension, message):
    with pytest.raises(UnitError, match=message):
        parse_quantity(value, dimension)


@pytest.mark.parametrize(
    ("si", "dimension", "text"),
    [
        (23.6e-12, units.ENERGY, "23.6 pJ"),
        (4.1e-9, units.TIME, "4.1 ns"),
        (0.1044, units.POWER, "104.4 mW"),
        (1.2e9, units.FREQUENCY, "1.2 GHz"),
        (128 * 1024 * 8, units.BITS, "128 KiB"),
        (3.44e9 * 32, units.BANDWIDTH, "110.1 Gbit/s"),
        (1.8e-6, units.TIME, "1.8 µs"),
        (0.0, units.ENERGY, "0 pJ"),
        (999.96e-12, units.ENERGY, "1 nJ"),  # rounding carries into the next prefix
    ],
)
def test_format_uses_engineering_prefixes(si, dimension, text):
    assert format_quantity(si, dimension) == text


magnitudes = st.floats(min_value=1e-15, max_value=1e13, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(magnitudes, st.sampled_from(sorted(units.DIMENSIONS)), st.booleans())
def test_printed_value_parses_back(value, dimension, ascii):
    exact = format_quantity(value, dimension, exact=True, ascii=ascii)
    assert parse_quantity(exact, dimension) == value
    rounded = format_quantity(value, dimension)
    assert math.isclose(parse_quantity(rounded, dimension), value, rel_tol=5e-4)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=2**40))
def test_memory_sizes_print_and_parse_back(bits):
    assert parse_quantity(format_quantity(bits, units.BITS, exact=True), units.BITS) == bits
