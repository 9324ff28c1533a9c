"""Writing a :class:`~neurosim.hardware.model.Hardware` back to the YAML schema.

Values are printed with units and every digit of the float (``23.6 pJ``), so a saved file
loads back to an equal model; sources, evidence codes and notes are kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from neurosim.fileio import write_text
from neurosim.hardware import schema, units
from neurosim.hardware.model import Hardware
from neurosim.hardware.schema import KEYS, Key


def section_object(hw: Hardware, section: str) -> Any:
    """The dataclass that holds the fields of a schema section."""
    return {
        "board": hw.board,
        "chip": hw.chip,
        "core": hw.chip.core,
        "costs": hw.chip.costs,
        "noc": hw.chip.noc,
        "sync": hw.chip.sync,
    }[section]


def field_value(hw: Hardware, key: Key) -> Any:
    """The SI value of a schema key in ``hw`` (``None`` for an absent optional key)."""
    if key.path in schema.TOP_LEVEL_TEXTS:
        return getattr(hw, key.path)
    return getattr(section_object(hw, key.section), key.field)


def value_text(key: Key, value: Any, *, exact: bool = True) -> Any:
    """A YAML-ready value: quantities as text with a unit, counts and flags as they are."""
    if key.kind == schema.CLOCK:
        if value is None:
            return schema.ASYNCHRONOUS
        return units.format_quantity(value, units.FREQUENCY, exact=exact, ascii=exact)
    if key.kind == schema.TABLE:
        return {t: units.format_quantity(s, units.TIME, exact=exact, ascii=exact) for t, s in value}
    if key.kind == schema.OPTIONAL_TIME:
        return units.format_quantity(value, units.TIME, exact=exact, ascii=exact)
    if key.kind in units.DIMENSIONS:
        return units.format_quantity(value, key.kind, exact=exact, ascii=exact)
    return value


def hardware_to_dict(hw: Hardware, *, with_sources: bool = True) -> dict[str, Any]:
    """``hw`` as a nested dict in the YAML schema, values wrapped with their sources."""
    result: dict[str, Any] = {}
    for key in KEYS:
        value = field_value(hw, key)
        if value is None and key.kind != schema.CLOCK:
            continue
        if key.kind == schema.TABLE and not value:
            continue
        if not key.required and key.path not in hw.sources and value in (
                0, "xy", "changed", "after_updates", "interpolate", "ge", "links"):
            continue  # an optional key at its default, absent from the original file
        text = value_text(key, value)
        source = hw.sources.get(key.path)
        if with_sources and source and (source.source or source.evidence or source.note):
            text = {"value": text} | {
                name: getattr(source, name)
                for name in ("source", "evidence", "note")
                if getattr(source, name)
            }
        if key.path in schema.TOP_LEVEL_TEXTS:
            result[key.path] = text
        else:
            result.setdefault(key.section, {})[key.name] = text
    return result


def dump_hardware(hw: Hardware, *, header: str = "", with_sources: bool = True) -> str:
    """The YAML text of ``hw``, with ``header`` as a leading comment."""
    body = yaml.safe_dump(
        hardware_to_dict(hw, with_sources=with_sources),
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )
    comment = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    return comment + ("\n" if comment else "") + body


def save_hardware(
    hw: Hardware, path: str | Path, *, header: str = "", with_sources: bool = True
) -> Path:
    """Write ``hw`` to ``path`` as YAML (see :func:`dump_hardware`); returns the path."""
    path = Path(path)
    return write_text(path, dump_hardware(hw, header=header, with_sources=with_sources))
