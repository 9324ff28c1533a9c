"""Physical quantities written with units: ``23.6 pJ``, ``4.1 ns``, ``128 KiB``, ``3.44 Gbit/s``.

A quantity has a *dimension* (energy, time, power, frequency, bits, bandwidth) and is held
in SI base units (J, s, W, Hz, bit, bit/s). Text is parsed and printed with decimal
arithmetic, so ``parse_quantity(format_quantity(x, d), d) == x`` exactly when printed with
``exact=True``.

Memory sizes: ``kB``/``MB``/``GB`` are decimal (10³ⁿ bytes, SI), ``KiB``/``MiB``/``GiB``
binary (2¹⁰ⁿ bytes); ``KB`` (capital K, which SI does not define) is 1024 bytes, as JEDEC
and most chip papers use it. ``bit``, ``kbit``, ``Mbit``, ``Kibit``, ``Mibit`` … count bits.
A plain number is in SI base units (a memory size in bits).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

ENERGY = "energy"
TIME = "time"
POWER = "power"
FREQUENCY = "frequency"
BITS = "bits"
BANDWIDTH = "bandwidth"

DIMENSIONS: dict[str, tuple[str, str]] = {
    # dimension: (SI unit, example for messages)
    ENERGY: ("J", "23.6 pJ"),
    TIME: ("s", "4.1 ns"),
    POWER: ("W", "104 mW"),
    FREQUENCY: ("Hz", "1.2 GHz"),
    BITS: ("bit", "128 KiB"),
    BANDWIDTH: ("bit/s", "3.44 Gbit/s"),
}

_SI_PREFIX_EXP = {
    "f": -15,
    "p": -12,
    "n": -9,
    "u": -6,
    "µ": -6,
    "μ": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
}
_BINARY_PREFIX_EXP = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40}


class UnitError(ValueError):
    """A text that is not a quantity of the wanted dimension; ``str()`` says why."""


def _build_units() -> dict[str, tuple[str, Decimal]]:
    """Every accepted unit spelling -> (dimension, factor to the SI base unit)."""
    units: dict[str, tuple[str, Decimal]] = {}

    def add(name: str, dim: str, factor: Decimal) -> None:
        units[name] = (dim, factor)

    for p, e in _SI_PREFIX_EXP.items():
        scale = Decimal(1).scaleb(e)
        add(f"{p}J", ENERGY, scale)
        add(f"{p}W", POWER, scale)
        if e <= 0:
            add(f"{p}s", TIME, scale)
        if e >= 0 and p != "m":
            add(f"{p}Hz", FREQUENCY, scale)
        if e >= 0:
            for bit in ("bit", "bits", "b"):
                if p == "" and bit == "b":
                    continue  # a lone "b" is too easily confused with "B"
                add(f"{p}{bit}", BITS, scale)
                add(f"{p}{bit}/s", BANDWIDTH, scale)
            add(f"{p}bps", BANDWIDTH, scale)
            add(f"{p}B", BITS, scale * 8)
            add(f"{p}B/s", BANDWIDTH, scale * 8)
    for word in ("byte", "bytes"):
        add(word, BITS, Decimal(8))
    for p, e in _BINARY_PREFIX_EXP.items():
        scale = Decimal(2**e)
        add(f"{p}B", BITS, scale * 8)
        add(f"{p}bit", BITS, scale)
        add(f"{p}b", BITS, scale)
    add("KB", BITS, Decimal(1024 * 8))
    add("Kbit", BITS, Decimal(1024))
    add("min", TIME, Decimal(60))
    return units


UNITS = _build_units()
_NUMBER = re.compile(r"^\s*([-+]?(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")
_PRINT_PREFIXES = {
    ENERGY: "fpnµm",
    TIME: "fpnµm",
    POWER: "fpnµmkMG",
    FREQUENCY: "kMGT",
    BANDWIDTH: "kMGT",
}
_ZERO_PREFIX = {ENERGY: "p", TIME: "n", POWER: "m"}  # a zero printed like its neighbours
_EXP_BY_PREFIX = {
    "f": -15,
    "p": -12,
    "n": -9,
    "µ": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
}


def describe(dimension: str) -> str:
    """'an energy such as 23.6 pJ' — for messages."""
    article = "an" if dimension[0] in "aeiou" else "a"
    if dimension == BITS:
        return "a memory size such as 128 KiB or 1 Mbit"
    return f"{article} {dimension} such as {DIMENSIONS[dimension][1]}"


def parse_quantity(value: object, dimension: str) -> float:
    """``value`` (a number in SI units, or a text with a unit) as a float in SI units.

    Raises :class:`UnitError` for anything else, naming the dimension a unit belongs to
    when it is the wrong one (``3 ns`` where an energy is expected).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise UnitError(f"expected {describe(dimension)}, found {_show(value)}")
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:
            raise UnitError(f"expected {describe(dimension)}, found a number too large") from None
        return _finite(number, value, dimension)
    match = _NUMBER.match(value)
    if not match:
        raise UnitError(f"expected {describe(dimension)}, found {_show(value)}")
    number_text, unit = match.group(1).replace("_", ""), match.group(2)
    try:
        mantissa = Decimal(number_text)
    except InvalidOperation:
        raise UnitError(f"expected {describe(dimension)}, found {_show(value)}") from None
    if unit == "":
        factor = Decimal(1)
    elif unit in UNITS:
        unit_dimension, factor = UNITS[unit]
        if unit_dimension != dimension:
            raise UnitError(
                f"expected {describe(dimension)}, found {_show(value)}, which is "
                f"{'a memory size' if unit_dimension == BITS else 'a ' + unit_dimension}"
            )
    else:
        known = ", ".join(_example_units(dimension))
        raise UnitError(
            f"expected {describe(dimension)}, found {_show(value)}: unknown unit {unit!r} "
            f"(use one of {known})"
        )
    try:
        number = float(mantissa * factor)
    except (OverflowError, InvalidOperation):
        raise UnitError(f"expected {describe(dimension)}, found a number too large") from None
    return _finite(number, value, dimension)


def _finite(number: float, original: object, dimension: str) -> float:
    if not math.isfinite(number):
        raise UnitError(f"expected {describe(dimension)}, found {_show(original)} (not finite)")
    return number


def _show(value: object) -> str:
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else repr(value[:37] + "...")
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (int, float)):
        return repr(value)[:40]
    return f"{type(value).__name__} {value!r}"[:60]


def _example_units(dimension: str) -> list[str]:
    return {
        ENERGY: ["fJ", "pJ", "nJ", "uJ", "mJ", "J"],
        TIME: ["ps", "ns", "us", "ms", "s"],
        POWER: ["uW", "mW", "W"],
        FREQUENCY: ["Hz", "kHz", "MHz", "GHz"],
        BITS: ["bit", "kbit", "Mbit", "B", "KiB", "MiB", "kB", "MB"],
        BANDWIDTH: ["bit/s", "Mbit/s", "Gbit/s", "MB/s", "GB/s"],
    }[dimension]


def format_quantity(
    value: float, dimension: str, *, exact: bool = False, ascii: bool = False, digits: int = 4
) -> str:
    """``value`` (SI) printed with an engineering prefix: ``2.36e-11`` -> ``'23.6 pJ'``.

    ``exact=True`` keeps every digit of the float's shortest repr, so the text parses back
    to the same float; otherwise ``digits`` significant digits. ``ascii`` writes ``u``
    for micro. Memory sizes print in KiB/MiB when they are whole numbers of those.
    """
    if dimension == BITS:
        return _format_bits(value, exact=exact, digits=digits)
    unit = DIMENSIONS[dimension][0]
    number = _rounded(value, exact=exact, digits=digits)
    if number == 0:
        return f"0 {_ZERO_PREFIX.get(dimension, '')}{unit}"
    exponents = sorted({_EXP_BY_PREFIX[p] for p in _PRINT_PREFIXES[dimension]} | {0})
    eng = min(max((number.adjusted() // 3) * 3, exponents[0]), exponents[-1])
    prefix = next(p for p, e in _EXP_BY_PREFIX.items() if e == eng)
    text = _decimal_text(number.scaleb(-eng))
    if ascii and prefix == "µ":
        prefix = "u"
    return f"{text} {prefix}{unit}"


def _format_bits(value: float, *, exact: bool, digits: int) -> str:
    if float(value).is_integer():
        bits = int(value)
        if bits and bits % 8 == 0:
            nbytes = bits // 8
            for name, e in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
                if nbytes % (2**e) == 0:
                    return f"{nbytes // 2**e} {name}"
        if bits < 10_000 or exact:
            return f"{bits} bit"
    number = _rounded(value, exact=exact, digits=digits)
    eng = min(max((number.adjusted() // 3) * 3, 0), 12)
    prefix = {0: "", 3: "k", 6: "M", 9: "G", 12: "T"}[eng]
    return f"{_decimal_text(number.scaleb(-eng))} {prefix}bit"


def _rounded(value: float, *, exact: bool, digits: int) -> Decimal:
    """The float as a decimal: its shortest repr, or rounded to ``digits`` significant."""
    number = Decimal(repr(float(value)))
    return number if exact else Decimal(f"{number:.{digits}g}")


def _decimal_text(number: Decimal) -> str:
    return format(number.normalize(), "f")
