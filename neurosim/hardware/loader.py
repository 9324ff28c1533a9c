"""Reading a hardware YAML file into a :class:`~neurosim.hardware.model.Hardware`.

Three steps, so that an override meets the same checks as a file value:

1. *read*: YAML nodes (with their line numbers) become one entry per key path; structure
   errors (not a mapping, unknown or repeated keys, a malformed value wrapper) stop here.
2. *override*: ``key=value`` settings replace entries.
3. *validate*: every key is converted to SI and checked (type, unit dimension, sign),
   then the keys are checked against each other; the dataclasses are built.

Every error is a :class:`~neurosim.errors.NeurosimError` whose ``where`` names the file,
the key path and the line (or the ``--set`` that gave the value). Parsed files and built
models are cached by content, so sweeps can call :func:`load_hardware` freely.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib.resources
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from neurosim.errors import NeurosimError
from neurosim.fileio import read_regular_file
from neurosim.hardware import schema, units
from neurosim.hardware.model import (
    EVIDENCE_CODES,
    Board,
    Chip,
    CoreLimits,
    EventCosts,
    Hardware,
    NoC,
    Source,
    Sync,
)
from neurosim.hardware.schema import KEYS, KEYS_BY_PATH, KEYS_BY_SECTION, SECTIONS, Key
from neurosim.yamlio import compose_yaml, construct_node, parse_yaml

DEFAULT_HARDWARE = "loihi"
MAX_COUNT = 2**53  # counts beyond this lose precision as floats downstream
MAX_CORES = 2**24
"""Cores on a board neurosim simulates: 16× the largest real system (SpiNNaker, 10^6 cores);
the engine keeps per-core and per-link tables, so a 10^6 × 10^6 mesh is refused here."""
# Beyond these a per-event or per-hop figure is a unit mistake, not a chip (real ones are
# pJ to nJ, ns to µs, mW to kW), and sums of them overflow to inf or lose all precision.
PLAUSIBLE_LIMITS = {units.ENERGY: (1e-3, "1 mJ"), units.TIME: (3600.0, "1 h"),
                    units.POWER: (1e6, "1 MW")}
OVERRIDE_SOURCE = "command-line override"

# Errors a YAML library call may raise on hostile input besides yaml.YAMLError (a bad
# timestamp raises ValueError, a huge exponent OverflowError, deep nesting RecursionError).
_YAML_FAILURES = (yaml.YAMLError, ValueError, TypeError, ArithmeticError, RecursionError)


# ----------------------------------------------------------------------------- finding files


def hw_models_dir() -> Traversable:
    """The directory of shipped hardware files: the installed package ``neurosim.hw_models``,
    or ``<repository>/hw_models`` when running from a source tree."""
    try:
        return importlib.resources.files("neurosim.hw_models")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "hw_models"


def list_hardware() -> list[str]:
    """Names of the shipped hardware models, sorted, e.g. ``['loihi', 'loihi2', ...]``."""
    directory = hw_models_dir()
    if not directory.is_dir():
        return []
    return sorted(p.name[: -len(".yaml")] for p in directory.iterdir() if p.name.endswith(".yaml"))


def _looks_like_path(name_or_path: str | Path) -> bool:
    if isinstance(name_or_path, Path):
        return True
    text = str(name_or_path)
    return "/" in text or "\\" in text or text.endswith((".yaml", ".yml")) or text.startswith(".")


def read_hardware_bytes(name_or_path: str | Path) -> tuple[str, bytes]:
    """``(file name to show, file bytes)`` for a shipped name or a path."""
    if _looks_like_path(name_or_path):
        path = Path(name_or_path)
        return str(path), read_regular_file(
            path, what="hardware file",
            fix=f"Give the path of a hardware YAML file or a shipped name ({_names()})")
    name = str(name_or_path)
    entry = hw_models_dir() / f"{name}.yaml"
    if name and not entry.is_file() and Path(name).is_file():
        return read_hardware_bytes(Path(name))  # a file without a .yaml suffix
    if not name or not entry.is_file():
        close = difflib.get_close_matches(name, list_hardware(), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise NeurosimError(
            f"unknown hardware {name!r}",
            fix=f"{hint}Shipped models: {_names()}; or give a path to a YAML file",
        )
    return f"hw_models/{name}.yaml" if not isinstance(entry, Path) else str(
        entry
    ), entry.read_bytes()


def _names() -> str:
    return ", ".join(list_hardware()) or "none found"


# ----------------------------------------------------------------------------- step 1: read


@dataclass(frozen=True)
class Entry:
    """One key's value as found in the file (or set by an override), not yet checked."""

    value: Any
    text: str  # the value as written
    at: str  # "line 12" or "--set"
    source: str = ""
    evidence: str = ""
    note: str = ""


@dataclass(frozen=True)
class ParsedFile:
    file: str
    file_hash: str
    entries: Mapping[str, Entry]
    section_at: Mapping[str, str]  # section -> "line N" where it starts


def _where(file: str, path: str, at: str | None) -> str:
    return f"{file}: {path} ({at})" if at else f"{file}: {path}"


def _line(node: yaml.Node) -> str:
    return f"line {node.start_mark.line + 1}"


def did_you_mean(word: str, candidates: Sequence[str]) -> str:
    """' Did you mean 'x'?' for the closest candidate, or ''."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


def _suggest_key(word: str, section: str | None) -> str:
    """A fix for an unknown key: the closest key of the section, else of the whole schema."""
    if section is not None:
        names = [k.name for k in KEYS_BY_SECTION[section]]
        hint = did_you_mean(word, names)
        if hint:
            return hint.capitalize()
    elsewhere = [k.path for k in KEYS if k.name == word]
    if elsewhere:
        return f"'{word}' belongs in {elsewhere[0]!r}"
    hint = did_you_mean(word, [k.path for k in KEYS] + list(SECTIONS))
    if hint:
        return hint.capitalize()
    known = ", ".join(k.name for k in KEYS_BY_SECTION[section]) if section else ", ".join(SECTIONS)
    return f"Known keys here: {known}"


def _mapping_items(
    node: yaml.MappingNode, file: str, path: str
) -> list[tuple[str, yaml.Node, yaml.Node]]:
    """The ``(key, key node, value node)`` of a mapping; keys must be unique texts."""
    items, seen = [], {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.value == "":
            raise NeurosimError(
                "expected a plain key name here",
                where=_where(file, path or "top level", _line(key_node)),
            )
        key = key_node.value
        if key in seen:
            raise NeurosimError(
                f"key {key!r} appears twice (first at {seen[key]})",
                where=_where(file, f"{path}.{key}" if path else key, _line(key_node)),
                fix="Keep one of them",
            )
        seen[key] = _line(key_node)
        items.append((key, key_node, value_node))
    return items


def _construct(node: yaml.Node, file: str, path: str) -> Any:
    try:
        return construct_node(node)
    except _YAML_FAILURES as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise NeurosimError(
            f"cannot read this value: {problem}", where=_where(file, path, _line(node))
        ) from None


def _text(node: yaml.Node, depth: int = 0) -> str:
    """The value as the user wrote it (for sources), compact for tables."""
    if depth > 3:
        return "..."  # also stops at a recursive alias
    if isinstance(node, yaml.ScalarNode):
        return str(node.value)
    if isinstance(node, yaml.MappingNode):
        inner = (f"{_text(k, depth + 1)}: {_text(v, depth + 1)}" for k, v in node.value)
        return "{" + ", ".join(inner) + "}"
    if isinstance(node, yaml.SequenceNode):
        return "[" + ", ".join(_text(v, depth + 1) for v in node.value) + "]"
    return ""


def _read_entry(key_node: yaml.Node, node: yaml.Node, key: Key, file: str) -> Entry:
    at = _line(key_node)
    wrapped = isinstance(node, yaml.MappingNode) and any(
        isinstance(k, yaml.ScalarNode) and k.value == "value" for k, _ in node.value
    )
    if not wrapped:
        if isinstance(node, yaml.MappingNode) and key.kind != schema.TABLE:
            raise NeurosimError(
                f"expected {key.expected()} or a mapping with 'value' (and 'source', "
                "'evidence', 'note'); found a mapping without 'value'",
                where=_where(file, key.path, at),
            )
        return Entry(_construct(node, file, key.path), _text(node), at)
    fields: dict[str, Any] = {}
    value_node = node
    for name, name_node, sub in _mapping_items(node, file, key.path):
        if name not in schema.VALUE_KEYS:
            hint = did_you_mean(name, schema.VALUE_KEYS)
            raise NeurosimError(
                f"unknown field {name!r} in a value",
                where=_where(file, f"{key.path}.{name}", _line(name_node)),
                fix=(hint.capitalize() + " " if hint else "")
                + "A value may have: value, source, evidence, note",
            )
        if name == "value":
            value_node = sub
            continue
        if not isinstance(sub, yaml.ScalarNode):
            raise NeurosimError(
                f"expected a text for {name!r}, found a {type(sub).__name__[:-4].lower()}",
                where=_where(file, f"{key.path}.{name}", _line(name_node)),
            )
        fields[name] = str(sub.value)
    evidence = fields.get("evidence", "")
    if evidence and evidence not in EVIDENCE_CODES:
        codes = ", ".join(EVIDENCE_CODES)
        raise NeurosimError(
            f"unknown evidence code {evidence!r}",
            where=_where(file, f"{key.path}.evidence", at),
            fix=f"Use one of {codes} (A = assumed, stating the assumption in the note)",
        )
    if isinstance(value_node, yaml.MappingNode) and key.kind != schema.TABLE:
        raise NeurosimError(
            f"expected {key.expected()}, found a mapping", where=_where(file, key.path, at)
        )
    return Entry(
        _construct(value_node, file, key.path),
        _text(value_node),
        at,
        fields.get("source", ""),
        evidence,
        fields.get("note", ""),
    )


@lru_cache(maxsize=64)
def parse_file(file: str, data: bytes) -> ParsedFile:
    """Step 1: the entries of a hardware file (cached by content)."""
    if not data.strip():
        raise NeurosimError(
            "the file is empty", where=file, fix="Describe a chip; see hw_models/loihi.yaml"
        )
    root = compose_yaml(data, file, "hardware file")
    if root is None:
        raise NeurosimError(
            "the file is empty", where=file, fix="Describe a chip; see hw_models/loihi.yaml"
        )
    if not isinstance(root, yaml.MappingNode):
        raise NeurosimError(
            "expected a mapping of sections (name, description, board, chip, core, costs, "
            "noc, sync) at the top of the file",
            where=f"{file} ({_line(root)})",
        )
    entries: dict[str, Entry] = {}
    section_at: dict[str, str] = {}
    for top, key_node, node in _mapping_items(root, file, ""):
        if top in schema.TOP_LEVEL_TEXTS:
            entries[top] = _read_entry(key_node, node, KEYS_BY_PATH[top], file)
            continue
        if top not in SECTIONS:
            raise NeurosimError(
                f"unknown key {top!r}",
                where=_where(file, top, _line(key_node)),
                fix=_suggest_key(top, None),
            )
        if not isinstance(node, yaml.MappingNode):
            raise NeurosimError(
                f"expected a mapping of the keys of section {top!r}",
                where=_where(file, top, _line(key_node)),
            )
        section_at[top] = _line(key_node)
        for name, name_node, value_node in _mapping_items(node, file, top):
            path = f"{top}.{name}"
            key = KEYS_BY_PATH.get(path)
            if key is None:
                raise NeurosimError(
                    f"unknown key {name!r} in section {top!r}",
                    where=_where(file, path, _line(name_node)),
                    fix=_suggest_key(name, top),
                )
            entries[path] = _read_entry(name_node, value_node, key, file)
    return ParsedFile(
        file,
        hashlib.sha256(data).hexdigest(),
        MappingProxyType(entries),
        MappingProxyType(section_at),
    )


# ----------------------------------------------------------------------------- step 2: override


def _check_override_key(key: str) -> Key:
    found = KEYS_BY_PATH.get(key)
    if found is None:
        section, _, name = key.partition(".")
        hint = did_you_mean(key, [k.path for k in KEYS])
        if not hint and section in SECTIONS:
            hint = _suggest_key(name, section)
            hint = hint.replace("'", f"'{section}.", 1) if hint.startswith("Did") else hint
        elif not hint:
            hint = _suggest_key(key, None)
        raise NeurosimError(
            f"unknown key {key!r}", where=f"--set {key}", fix=hint[0].upper() + hint[1:]
        )
    return found


def parse_override(text: str) -> tuple[str, Any]:
    """``"core.neurons=2048"`` -> ``("core.neurons", 2048)``; the value is read as YAML."""
    key, sep, value_text = text.partition("=")
    key, value_text = key.strip(), value_text.strip()
    if not sep or not key or not value_text:
        raise NeurosimError(
            f"expected key=value, found {text!r}",
            where="--set",
            fix="Write e.g. --set core.neurons=2048 or --set costs.energy_synop='30 pJ'",
        )
    _check_override_key(key)
    try:
        value = parse_yaml(value_text, "--set")
    except NeurosimError:
        value = value_text
    return key, value_text if value is None and value_text.lower() not in ("null", "~") else value


def _normalise_overrides(
    overrides: Mapping[str, Any] | Sequence[str],
) -> tuple[tuple[str, str, Any], ...]:
    """Overrides as ``(key, text, value)`` triples (the text keys the cache)."""
    if isinstance(overrides, str):
        overrides = [overrides]
    pairs: list[tuple[str, Any]] = []
    if isinstance(overrides, Mapping):
        for key, value in overrides.items():
            _check_override_key(str(key))
            pairs.append((str(key), value))
    else:
        pairs = [parse_override(item) for item in overrides]
    result = []
    for key, value in pairs:
        if isinstance(value, str):
            text = value
        else:
            try:
                text = yaml.safe_dump(value, default_flow_style=True).strip()
            except yaml.YAMLError:
                text = repr(value)
            text = text.removesuffix("...").strip()
        result.append((key, f"{type(value).__name__}:{text}", value))
    return tuple(result)


# ----------------------------------------------------------------------------- step 3: validate


class _Checker:
    """Converts entries to SI values, naming file, key and line in every error."""

    def __init__(self, file: str, entries: Mapping[str, Entry], section_at: Mapping[str, str]):
        self.file = file
        self.entries = entries
        self.section_at = section_at

    def fail(self, path: str, what: str, fix: str | None = None) -> NeurosimError:
        entry = self.entries.get(path)
        at = entry.at if entry else self.section_at.get(path.split(".")[0])
        fix = fix[0].upper() + fix[1:] if fix else None
        return NeurosimError(what, where=_where(self.file, path, at), fix=fix)

    def missing(self, path: str, why: str = "") -> NeurosimError:
        key = KEYS_BY_PATH[path]
        section = key.section if "." in path else None
        inside = f" in section {section!r}" if section else ""
        at = self.section_at.get(section) if section else None
        example = {
            schema.COUNT: "1024",
            schema.FLAG: "false",
            schema.TEXT: "...",
            schema.TABLE: "{1: 113 ns, 32: 465 ns}",
        }.get(key.kind, units.DIMENSIONS.get(key.kind, ("", "..."))[1])
        return NeurosimError(
            f"missing key {key.name!r}{inside}{why} ({key.doc})",
            where=_where(self.file, path, at),
            fix=f"Add '{key.name}: {example}' ({key.expected()})",
        )

    def get(self, path: str, *, required: bool | None = None, why: str = "") -> Any:
        """The checked SI value of ``path`` (``None`` if absent and not required)."""
        key = KEYS_BY_PATH[path]
        entry = self.entries.get(path)
        if entry is None:
            if key.required if required is None else required:
                raise self.missing(path, why)
            return None
        return self.convert(key, entry.value)

    def convert(self, key: Key, value: Any) -> Any:
        kind, path = key.kind, key.path
        found = units._show(value)
        if kind in (schema.COUNT, schema.COUNT0):
            if isinstance(value, bool) or not isinstance(value, int):
                raise self.fail(path, f"expected {key.expected()}, found {found}")
            least = 1 if kind == schema.COUNT else 0
            if value < least:
                raise self.fail(
                    path,
                    f"expected {key.expected()}, found {value}",
                    "zero or a negative count makes no sense here" if least else None,
                )
            if value > MAX_COUNT:
                raise self.fail(path, f"expected {key.expected()} below 2^53, found {value}")
            return value
        if kind == schema.FLAG:
            if not isinstance(value, bool):
                raise self.fail(path, f"expected true or false, found {found}")
            return value
        if kind == schema.TEXT:
            if not isinstance(value, str) or not value.strip():
                raise self.fail(path, f"expected a non-empty text, found {found}")
            return value.strip()
        if kind == schema.CHOICE:
            if not isinstance(value, str) or value not in key.choices:
                hint = did_you_mean(str(value), key.choices) if isinstance(value, str) else ""
                raise self.fail(
                    path, f"expected {key.expected()}, found {found}", hint.capitalize() or None
                )
            return value
        if kind == schema.CLOCK:
            if isinstance(value, str) and value.strip().lower() == schema.ASYNCHRONOUS:
                return None
            try:
                return self.quantity(key, value, units.FREQUENCY, positive=True)
            except NeurosimError:
                raise self.fail(path, f"expected {key.expected()}, found {found}") from None
        if kind == schema.TABLE:
            return self.table(key, value)
        if kind == schema.OPTIONAL_TIME:
            return self.quantity(key, value, units.TIME, positive=True)
        return self.quantity(key, value, kind, positive=key.minimum == "positive")

    def quantity(self, key: Key, value: Any, dimension: str, *, positive: bool) -> float:
        try:
            number = units.parse_quantity(value, dimension)
        except units.UnitError as exc:
            raise self.fail(key.path, str(exc)) from None
        if positive and number <= 0:
            raise self.fail(
                key.path,
                f"expected {key.expected()}, found {units._show(value)}",
                "it must be greater than zero",
            )
        if number < 0:
            raise self.fail(
                key.path,
                f"expected {key.expected()}, found {units._show(value)}",
                "costs and powers cannot be negative",
            )
        limit = PLAUSIBLE_LIMITS.get(dimension)
        if limit is not None and number > limit[0]:
            raise self.fail(
                key.path,
                f"{units._show(value)} is more than {limit[1]}, beyond any chip",
                "check the unit (e.g. pJ, not J)",
            )
        return number

    def table(self, key: Key, value: Any) -> tuple[tuple[int, float], ...]:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            pairs: list[Any] = [(1, value)]  # one barrier time for any number of tiles
        elif isinstance(value, Mapping):
            pairs = list(value.items())
        elif isinstance(value, list):
            pairs = value
        else:
            raise self.fail(key.path, f"expected {key.expected()}, found {units._show(value)}")
        if not pairs:
            raise self.fail(key.path, f"expected {key.expected()}, found an empty table")
        table: list[tuple[int, float]] = []
        for pair in pairs:
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise self.fail(
                    key.path, f"expected a [tiles, time] pair, found {units._show(pair)}"
                )
            tiles, time = pair
            if isinstance(tiles, bool) or not isinstance(tiles, int) or not 1 <= tiles <= MAX_COUNT:
                raise self.fail(
                    key.path,
                    f"expected a number of tiles of at least 1 as a table "
                    f"key, found {units._show(tiles)}",
                )
            try:
                seconds = units.parse_quantity(time, units.TIME)
            except units.UnitError as exc:
                raise self.fail(key.path, f"entry {tiles}: {exc}") from None
            if seconds < 0:
                raise self.fail(
                    key.path,
                    f"entry {tiles}: a barrier time cannot be negative, found {units._show(time)}",
                )
            if table and tiles <= table[-1][0]:
                raise self.fail(
                    key.path,
                    f"tiles must increase down the table, found {tiles} after {table[-1][0]}",
                    "sort the entries by tiles",
                )
            if table and seconds < table[-1][1]:
                raise self.fail(
                    key.path,
                    f"the barrier time falls from {units.format_quantity(table[-1][1], units.TIME)}"
                    f" at {_tiles(table[-1][0])} to {units.format_quantity(seconds, units.TIME)} "
                    f"at {_tiles(tiles)}",
                    "a barrier over more tiles cannot be faster; check the units",
                )
            table.append((tiles, seconds))
        return tuple(table)


def _tiles(n: int) -> str:
    return f"{n} tile" if n == 1 else f"{n} tiles"


def _build(parsed: ParsedFile, overrides: tuple[tuple[str, str, Any], ...]) -> Hardware:
    entries = dict(parsed.entries)
    for key, text, value in overrides:
        old = entries.get(key)
        if value is None:
            entries.pop(key, None)
            continue
        note = f"replaces the file's value {old.text}" if old else "not in the file"
        entries[key] = Entry(value, text.split(":", 1)[1], "--set", OVERRIDE_SOURCE, "A", note)
    c = _Checker(parsed.file, entries, parsed.section_at)
    g = c.get

    # Section presence first, so a missing section is reported as such.
    for section in SECTIONS:
        if section not in parsed.section_at and not any(
            k.startswith(section + ".") for k in entries
        ):
            raise NeurosimError(
                f"missing section {section!r}",
                where=parsed.file,
                fix="Add it with its keys: "
                + ", ".join(k.name for k in KEYS_BY_SECTION[section] if k.required),
            )

    weight_bits, potential_bits = g("core.weight_bits"), g("core.potential_bits")
    if weight_bits > potential_bits:
        raise c.fail(
            "core.weight_bits",
            f"weight_bits ({weight_bits}) exceeds potential_bits ({potential_bits})",
            "a potential must hold at least one weight",
        )
    graded = g("core.graded_spikes")
    graded_bits = g("core.graded_spike_bits", required=graded, why=" (graded_spikes is true)")
    graded_bits = graded_bits or 0
    if not graded and graded_bits:
        raise c.fail(
            "core.graded_spike_bits",
            f"graded_spike_bits is {graded_bits} but graded_spikes is false",
            "set graded_spike_bits to 0 or graded_spikes to true",
        )
    packet_bits = g("noc.packet_bits")
    if graded_bits > packet_bits:
        raise c.fail(
            "core.graded_spike_bits",
            f"a {graded_bits}-bit payload does not fit in a "
            f"{packet_bits}-bit packet (noc.packet_bits)",
        )
    memory = g("core.synapse_memory")
    if not float(memory).is_integer():
        raise c.fail("core.synapse_memory", f"expected a whole number of bits, found {memory} bits")
    if memory < weight_bits:
        raise c.fail(
            "core.synapse_memory", f"{int(memory)} bits cannot hold one {weight_bits}-bit weight"
        )

    mode = g("sync.mode")
    barrier = g("sync.barrier", required=mode == "barrier", why=" (sync.mode is barrier)")
    tick = g("sync.tick", required=mode == "tick", why=" (sync.mode is tick)")

    core = CoreLimits(
        neurons=g("core.neurons"),
        synapse_memory_bits=int(memory),
        input_axons=g("core.input_axons"),
        output_routes=g("core.output_routes"),
        routing_table_entries=g("core.routing_table_entries"),
        weight_bits=weight_bits,
        potential_bits=potential_bits,
        fs_neurons=g("core.fs_neurons"),
        graded_spikes=graded,
        multicast=g("core.multicast"),
        weight_sharing=g("core.weight_sharing"),
        graded_spike_bits=graded_bits,
        fanin_split=bool(g("core.fanin_split")),
        active_update=g("core.active_update") or "changed",
        service=g("core.service") or "after_updates",
        threshold_compare=g("core.threshold_compare") or "ge",
    )
    costs = EventCosts(**{KEYS_BY_PATH[k].field: g(k) for k in _section_paths("costs")})
    noc = NoC(
        energy_hop_ew_j=g("noc.energy_hop_ew"),
        energy_hop_ns_j=g("noc.energy_hop_ns"),
        latency_hop_ew_s=g("noc.latency_hop_ew"),
        latency_hop_ns_s=g("noc.latency_hop_ns"),
        router_delay_s=g("noc.router_delay"),
        link_bandwidth_bits_per_s=g("noc.link_bandwidth"),
        packet_bits=packet_bits,
        buffer_depth_packets=g("noc.buffer_depth"),
        routing=g("noc.routing") or "xy",
        congestion=g("noc.congestion") or "links",
    )
    if noc.congestion == "inflight" and core.multicast:
        raise c.fail("noc.congestion", "inflight timing models unicast packets; "
                     "core.multicast must be false")
    chip = Chip(
        mesh_x=g("chip.mesh_x"),
        mesh_y=g("chip.mesh_y"),
        cores_per_tile=g("chip.cores_per_tile"),
        clock_hz=g("chip.clock"),
        core=core,
        costs=costs,
        noc=noc,
        sync=Sync(mode=mode, barrier_s_by_tiles=barrier or (), tick_s=tick,
                  barrier_lookup=g("sync.barrier_lookup") or "interpolate"),
        static_power_chip_w=g("chip.static_power_chip"),
        static_power_core_w=g("chip.static_power_core"),
    )
    board = Board(**{KEYS_BY_PATH[k].field: g(k) for k in _section_paths("board")})
    cores = board.chips_x * board.chips_y * chip.mesh_x * chip.mesh_y * chip.cores_per_tile
    if cores > MAX_CORES:
        raise c.fail(
            "chip.mesh_x",
            f"the board has {cores:,} cores (chips {board.chips_x}×{board.chips_y}, mesh "
            f"{chip.mesh_x}×{chip.mesh_y}, {chip.cores_per_tile} per tile), more than the "
            f"{MAX_CORES:,} neurosim simulates",
            "describe a smaller board; the largest real system has about 10^6 cores",
        )
    sources = {
        path: Source(e.text, e.source, e.evidence, e.note)
        for path, e in entries.items()
        if path not in schema.TOP_LEVEL_TEXTS
    }
    return Hardware(
        name=g("name"),
        description=g("description"),
        file=parsed.file,
        file_hash=parsed.file_hash,
        board=board,
        chip=chip,
        overrides=tuple((k, text.split(":", 1)[1]) for k, text, _ in overrides),
        sources=MappingProxyType(sources),
    )


def _section_paths(section: str) -> list[str]:
    return [k.path for k in KEYS_BY_SECTION[section]]


_BUILT: dict[tuple[str, str, tuple[tuple[str, str], ...]], Hardware] = {}


def load_hardware(
    name_or_path: str | Path = DEFAULT_HARDWARE,
    overrides: Mapping[str, Any] | Sequence[str] = (),
) -> Hardware:
    """The hardware model called ``name_or_path`` (a shipped name or a YAML file), with
    ``overrides`` (``{"core.neurons": 2048}`` or ``["core.neurons=2048"]``) applied before
    validation; an override to null removes an optional key. Raises
    :class:`~neurosim.errors.NeurosimError` for any problem."""
    file, data = read_hardware_bytes(name_or_path)
    parsed = parse_file(file, data)
    normalised = _normalise_overrides(overrides)
    cache_key = (file, parsed.file_hash, tuple((k, text) for k, text, _ in normalised))
    hardware = _BUILT.get(cache_key)
    if hardware is None:
        hardware = _build(parsed, normalised)
        if len(_BUILT) >= 1024:
            _BUILT.clear()
        _BUILT[cache_key] = hardware
    return hardware
