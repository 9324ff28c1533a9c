"""A hardware model as a readable table: values in engineering units, each with its
evidence code and source, grouped by section, with the totals and a few derived figures."""

from __future__ import annotations

import textwrap

from neurosim.hardware import schema, units
from neurosim.hardware.model import EVIDENCE_CODES, Hardware
from neurosim.hardware.schema import KEYS_BY_SECTION, SECTIONS, Key
from neurosim.hardware.writer import field_value

SECTION_TITLES = {
    "board": "Board",
    "chip": "Chip",
    "core": "Core limits and features",
    "costs": "Event costs (per event)",
    "noc": "Network on chip",
    "sync": "Synchronisation",
}


def display_value(key: Key, value: object) -> str:
    """``value`` of ``key`` for people: engineering units, yes/no, a compact table."""
    if key.kind == schema.FLAG:
        return "yes" if value else "no"
    if key.kind == schema.CLOCK:
        return "asynchronous" if value is None else units.format_quantity(value, units.FREQUENCY)
    if key.kind == schema.TABLE:
        return "\n".join(
            f"{t} tile{'s' if t != 1 else ''}: {units.format_quantity(s, units.TIME)}"
            for t, s in value
        )
    if key.kind == schema.OPTIONAL_TIME:
        return units.format_quantity(value, units.TIME)
    if key.kind in units.DIMENSIONS:
        return units.format_quantity(value, key.kind)
    return str(value)


def _rows(hw: Hardware, section: str) -> list[tuple[str, str, str, str, str]]:
    rows = []
    for key in KEYS_BY_SECTION[section]:
        value = field_value(hw, key)
        if (value is None and key.kind != schema.CLOCK) or (key.kind == schema.TABLE and not value):
            continue
        if not key.required and key.path not in hw.sources:
            continue
        source = hw.sources.get(key.path)
        rows.append(
            (
                key.name,
                display_value(key, value),
                source.evidence if source else "",
                source.source if source else "",
                source.note if source else "",
            )
        )
    return rows


def _derived(hw: Hardware, section: str) -> list[str]:
    chip = hw.chip
    if section == "board":
        counts = (
            (hw.total_chips, "chip"),
            (hw.total_tiles, "tile"),
            (hw.total_cores, "core"),
            (hw.total_neurons, "neuron"),
        )
        return [", ".join(f"{n} {w}{'s' if n != 1 else ''}" for n, w in counts) + " in all"]
    if section == "chip":
        per = "core" if chip.cores_per_tile == 1 else "cores"
        return [f"{chip.tiles} tiles × {chip.cores_per_tile} {per} = {chip.cores} cores per chip"]
    if section == "noc":
        serial = units.format_quantity(chip.noc.serialisation_s, units.TIME)
        return [f"a link is busy {serial} per packet (packet_bits / link_bandwidth)"]
    if section == "sync":
        if chip.sync.mode == "tick":
            return [f"every step lasts {units.format_quantity(chip.sync.tick_s, units.TIME)}"]
        full = units.format_quantity(chip.sync.barrier_s(chip.tiles), units.TIME)
        return [f"barrier with all {chip.tiles} tiles of one chip: {full}"]
    return []


def format_hardware(hw: Hardware, *, notes: bool = False, width: int = 120) -> str:
    """The table ``neurosim hw show`` prints."""
    lines = [
        f"{hw.name} — {hw.description}",
        f"file       {hw.file}  (sha256 {hw.file_hash[:12]}…)",
    ]
    if hw.overrides:
        lines.append("overrides  " + ", ".join(f"{k}={v}" for k, v in hw.overrides))
    used: set[str] = set()
    all_rows = {s: _rows(hw, s) for s in SECTIONS}
    name_w = max(len(r[0]) for rows in all_rows.values() for r in rows)
    value_w = max(len(v) for rows in all_rows.values() for r in rows for v in r[1].splitlines())
    indent = " " * (2 + name_w + 2 + value_w + 2 + 3 + 2)
    for section in SECTIONS:
        lines += ["", f"{SECTION_TITLES[section]}  [{section}.*]"]
        for name, value, evidence, source, note in all_rows[section]:
            used.add(evidence)
            first, *more = value.splitlines()
            lines.append(f"  {name:<{name_w}}  {first:>{value_w}}  {evidence:<3}  {source}")
            lines += [f"  {'':<{name_w}}  {v:>{value_w}}" for v in more]
            if notes and note:
                for part in textwrap.wrap(note, max(40, width - len(indent))):
                    lines.append(f"{indent}{part}")
        for text in _derived(hw, section):
            lines.append(f"  = {text}")
    legend = [f"{c} {EVIDENCE_CODES[c]}" for c in EVIDENCE_CODES if c in used]
    lines += ["", "evidence: " + "; ".join(legend)]
    if not notes:
        lines.append("(--notes shows the note of each value: assumptions, bounds, conversions)")
    return "\n".join(lines)
