"""The sweep file, read, checked and expanded into configurations.

:func:`load_sweep` reads a YAML file, :func:`parse_sweep` the mapping inside it. Both
check everything a point could get wrong before any point runs: every key, every value's
type, every code's options (built with :func:`~neurosim.coding.make_code`), every
hardware setting (built with :func:`~neurosim.hardware.load_hardware`), the model and
its data set. The schema is described in :mod:`neurosim.sweep`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from neurosim.coding import REGISTRY, make_code
from neurosim.coding.base import SpikeCode
from neurosim.coding.fs import K_AUTO
from neurosim.compiler.place import PLACERS
from neurosim.engine.run import IMAGES_PER_STREAM
from neurosim.errors import NeurosimError
from neurosim.hardware import DEFAULT_HARDWARE, load_hardware
from neurosim.hardware.loader import did_you_mean, parse_override
from neurosim.hardware.schema import KEYS, KEYS_BY_PATH
from neurosim.options import MAX_FS_K, MAX_IMAGES, MAX_SEED, MAX_T
from neurosim.pipeline import Configuration
from neurosim.version import __version__
from neurosim.yamlio import read_yaml

TOP_LEVEL_KEYS = ("model", "hardware", "dataset", "codes", "grid", "points", "placer", "seed",
                  "images", "accuracy_images", "images_per_stream")
POINT_KEYS = ("code", "placer", "seed")
MAX_POINTS = 10_000
"""Points one sweep file may expand to (a grid of 10^6 would run for months)."""
OPTION_TYPES: dict[str, tuple[type, ...]] = {
    "K": (int,), "T": (int,), "seed": (int,), "input": (str,),
    "alpha": (int, float), "alpha_percentile": (int, float), "percentile": (int, float)}
"""The value types a sweep file may give each code option (a code's own checks follow)."""
SCALAR = (str, int, float, bool)


@dataclass(frozen=True)
class SweepPoint:
    """One configuration of a sweep, the values that chose it, and its key.

    ``values`` are the sweep file's settings for this point as CSV columns: ``code``,
    ``code.K`` (each code option), ``placer``, ``seed`` and each hardware key path.
    ``key`` is :func:`configuration_key`.
    """

    configuration: Configuration
    values: tuple[tuple[str, Any], ...]
    key: str

    def label(self, columns: Iterable[str] = ()) -> str:
        """``fs K=10 core.neurons=256``: the code and the given columns' values."""
        values = dict(self.values)
        code = " ".join([values["code"]] + [f"{c[5:]}={v}" for c, v in self.values
                                            if c.startswith("code.")])
        rest = [f"{c}={values[c]}" for c in columns
                if c in values and c != "code" and not c.startswith("code.")]
        return " ".join([code, *rest])


@dataclass(frozen=True, init=False)
class Sweep:
    """A sweep, resolved and checked: its points in order, and which columns vary.

    Built from Python with keywords that are the keys of a sweep file (:mod:`neurosim.sweep`)::

        Sweep("digits-cnn", codes=[FS(K=8), Rate(T=32)], hardware=chip,
              grid={"core.neurons": [128, 512]}, images=8)

    ``hardware`` may be a shipped name, a YAML file or a :class:`Hardware` object (its
    overrides are kept); ``codes`` a sweep file's ``codes`` value or a list of code objects
    (:class:`FS`, :class:`Rate`, :class:`TTFS`). Everything is checked as a file is, so a
    bad key fails here, before anything runs. :func:`load_sweep` reads the same from YAML.
    """

    file: str
    points: tuple[SweepPoint, ...]
    columns: tuple[str, ...]  # every value column, in order
    varied: tuple[str, ...]   # the columns that take more than one value

    def __init__(self, model: str | Path, *, codes: Any, hardware: Any = None,
                 dataset: str | Path | None = None, grid: Mapping[str, Any] | None = None,
                 points: Sequence[Mapping[str, Any]] | None = None, placer: Any = None,
                 seed: Any = None, images: int | None = None,
                 accuracy_images: int | None = None, name: str = "<sweep>") -> None:
        data: dict[str, Any] = {"model": str(model), "codes": _codes_value(codes)}
        given = {"hardware": hardware, "dataset": None if dataset is None else str(dataset),
                 "grid": grid, "points": points, "placer": placer, "seed": seed,
                 "images": images, "accuracy_images": accuracy_images}
        data.update({k: v for k, v in given.items() if v is not None})
        resolved = parse_sweep(data, name)
        for f in fields(Sweep):
            object.__setattr__(self, f.name, getattr(resolved, f.name))

    @classmethod
    def resolved(cls, file: str, points: tuple[SweepPoint, ...], columns: tuple[str, ...],
                 varied: tuple[str, ...]) -> Sweep:
        """A sweep from its parts, already checked (what the sweep file reader builds)."""
        sweep = object.__new__(cls)
        for key, value in (("file", file), ("points", points), ("columns", columns),
                           ("varied", varied)):
            object.__setattr__(sweep, key, value)
        return sweep

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], name: str = "<sweep>") -> Sweep:
        """The sweep of a dict with the keys of a sweep file, checked as a file is."""
        return parse_sweep(data, name)


def _codes_value(codes: Any) -> Any:
    """A sweep file's ``codes`` value for ``codes`` given as code objects (else as given).

    Code objects of one code become that code's option lists, which the sweep crosses; so
    they must form a full cross product (``FS(K=8), FS(K=10)`` does; ``Rate(T=8, seed=1),
    Rate(T=16, seed=2)`` does not and is refused with the dict form to use instead).
    """
    if not isinstance(codes, (list, tuple)) or not codes or not all(
            isinstance(c, SpikeCode) for c in codes):
        return codes
    by_name: dict[str, list[dict[str, Any]]] = {}
    for code in codes:
        defaults = make_code(code.name).options()
        by_name.setdefault(code.name, []).append(
            {k: v for k, v in code.options().items() if v != defaults.get(k)})
    value: dict[str, dict[str, list[Any]]] = {}
    for code_name, variants in by_name.items():
        options: dict[str, list[Any]] = {}
        for variant in variants:
            for key, v in variant.items():
                options.setdefault(key, [])
                if v not in options[key]:
                    options[key].append(v)
        crossed = math.prod(len(v) for v in options.values())
        complete = all(set(v) == set(options) for v in variants) or not options
        if not complete or crossed != len({tuple(sorted(v.items())) for v in variants}):
            raise NeurosimError(
                f"codes: the {code_name} variants {variants} are not a full cross product "
                f"of their options", where="sweep",
                fix=f"give codes as a dict, e.g. codes={{'{code_name}': {{'T': [8, 16]}}}}, "
                    f"and use points= for single combinations")
        value[code_name] = options
    return value


def _content_hash(name: str | None) -> str | None:
    """sha256 of a file named by path (a model or data set file); None for a built-in name."""
    if not name or not Path(name).is_file():
        return None
    return hashlib.sha256(Path(name).read_bytes()).hexdigest()


def configuration_key(configuration: Configuration, hardware_file_hash: str) -> str:
    """sha256 of the configuration, the content of its hardware, model and data set files
    (a retrained model file is a new configuration), and the neurosim version."""
    text = json.dumps({"configuration": configuration.describe(),
                       "hardware_file_hash": hardware_file_hash,
                       "model_file_hash": _content_hash(configuration.model),
                       "dataset_file_hash": _content_hash(configuration.dataset),
                       "neurosim_version": __version__},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


# ----------------------------------------------------------------------------- reading


def load_sweep(path: str | Path) -> Sweep:
    """The sweep described in the YAML file at ``path``, checked and expanded."""
    file = str(path)
    data = read_yaml(path, what="sweep file", fix="give the path of a sweep YAML file")
    return parse_sweep(data, file)


def parse_sweep(data: Any, file: str = "<sweep>") -> Sweep:
    """The sweep described by ``data`` (the YAML document as Python objects).

    From Python, ``hardware`` may also be a :class:`~neurosim.hardware.model.Hardware`
    object: the sweep then starts from its file and its overrides (e.g. one made with
    ``Hardware.with_values``), and each grid or point setting goes on top of those.
    """
    from neurosim.hardware.model import Hardware

    if isinstance(data, Mapping) and isinstance(data.get("hardware"), Hardware):
        hw = data["hardware"]
        data = {**data, "hardware": hw.file}
        return _Reader(file, base_overrides=dict(hw.overrides)).sweep(data)
    return _Reader(file).sweep(data)


class _Reader:
    """Checks one sweep document, naming the file and key in every error."""

    def __init__(self, file: str, base_overrides: Mapping[str, str] | None = None) -> None:
        self.file = file
        # The overrides of a Hardware object given as the base, under every setting.
        self.base_overrides = {key: parse_override(f"{key}={text}")[1]
                               for key, text in (base_overrides or {}).items()}

    def fail(self, where: str, what: str, fix: str | None = None) -> NeurosimError:
        return NeurosimError(what, where=f"{self.file}: {where}" if where else self.file, fix=fix)

    # --- the document --------------------------------------------------------------------
    def sweep(self, data: Any) -> Sweep:
        if not isinstance(data, Mapping):
            raise self.fail("", f"expected a mapping of sweep keys, found {_kind(data)}",
                            fix="start from the example in 'neurosim sweep --help'")
        for key in data:
            self.check_top_key(key)
        if "model" not in data:
            raise self.fail("model", "missing", fix="name a zoo model (e.g. digits-cnn) or a file")
        if "codes" not in data:
            raise self.fail("codes", "missing",
                            fix="list the codes, e.g. codes: {fs: {K: [8, 10]}}")
        model = self.text(data, "model")
        hardware = self.text(data, "hardware", DEFAULT_HARDWARE)
        dataset = self.text(data, "dataset", None)
        images = self.count(data, "images", Configuration.images)
        accuracy_images = self.count(data, "accuracy_images", None)
        per_stream = self.count(data, "images_per_stream", IMAGES_PER_STREAM)
        placers = [self.placer(v, f"placer{i}") for i, v in
                   self.values(data, "placer", Configuration.placer)]
        seeds = [self.seed(v, f"seed{i}") for i, v in self.values(data, "seed", Configuration.seed)]
        variants = self.codes(data["codes"])
        settings = self.hardware_settings(data)
        base = Configuration(model=model, hardware=hardware, placer=placers[0], seed=seeds[0],
                             images=images, accuracy_images=accuracy_images,
                             images_per_stream=per_stream, dataset=dataset)
        rows = self.expand(settings, variants, placers, seeds)
        return self.resolve(base, rows)

    def check_top_key(self, key: Any) -> None:
        if key in TOP_LEVEL_KEYS:
            return
        if key in KEYS_BY_PATH:
            fix = f"hardware keys go under grid: (e.g. grid: {{{key}: [...]}}) or points:"
        elif key in REGISTRY:
            fix = f"codes go under codes: (e.g. codes: {{{key}: {{}}}})"
        else:
            hint = did_you_mean(str(key), TOP_LEVEL_KEYS)
            fix = (hint if hint
                   else f"the keys of a sweep file are: {', '.join(TOP_LEVEL_KEYS)}")
        raise self.fail(str(key), "unknown key", fix=fix)

    # --- single values -------------------------------------------------------------------
    def text(self, data: Mapping[str, Any], key: str, default: Any = ...) -> Any:
        value = data.get(key, default)
        if value is ... or (value is None and default is not None):
            raise self.fail(key, "missing a value")
        if value is not None and not isinstance(value, str):
            raise self.fail(key, f"expected a name, found {_kind(value)}")
        return value

    def count(self, data: Mapping[str, Any], key: str, default: int | None) -> int | None:
        value = data.get(key, default)
        if value is None and default is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_IMAGES:
            raise self.fail(key, f"expected a whole number from 1 to {MAX_IMAGES:,}, "
                            f"found {_kind(value)}",
                            fix=f"write e.g. {key}: 16")
        return value

    def values(self, data: Mapping[str, Any], key: str, default: Any) -> list[tuple[str, Any]]:
        """``(where, value)`` of a key that takes one value or a non-empty list of them."""
        value = data.get(key, default)
        if isinstance(value, list):
            if not value:
                raise self.fail(key, "empty list", fix="give at least one value")
            return [(f"[{i}]", v) for i, v in enumerate(value)]
        return [("", value)]

    def placer(self, value: Any, where: str) -> str:
        if value not in PLACERS:
            hint = did_you_mean(str(value), PLACERS) if isinstance(value, str) else ""
            raise self.fail(where, f"unknown placer {_kind(value)}",
                            fix=hint or f"use one of: {', '.join(PLACERS)}")
        return str(value)

    def seed(self, value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
            raise self.fail(where, f"expected a whole number from 0 to {MAX_SEED}, "
                            f"found {_kind(value)}")
        return value

    def scalar(self, value: Any, where: str) -> Any:
        if value is None or not isinstance(value, SCALAR):
            raise self.fail(where, f"expected a number or a text, found {_kind(value)}")
        return value

    def swept(self, value: Any, where: str) -> list[Any]:
        """A grid value: one value, or a non-empty list of them."""
        if isinstance(value, list):
            if not value:
                raise self.fail(where, "empty list of values", fix="give at least one value")
            return [self.scalar(v, f"{where}[{i}]") for i, v in enumerate(value)]
        return [self.scalar(value, where)]

    # --- codes ---------------------------------------------------------------------------
    def code_name(self, name: Any, where: str) -> str:
        if name not in REGISTRY:
            hint = did_you_mean(str(name), REGISTRY) if isinstance(name, str) else ""
            raise self.fail(where, f"unknown code {_kind(name)}",
                            fix=hint or f"use one of: {', '.join(REGISTRY)}")
        return str(name)

    def code_option(self, code: str, option: Any, where: str) -> str:
        accepted = REGISTRY[code].sweep_options
        if option not in accepted:
            hint = did_you_mean(str(option), accepted) if isinstance(option, str) else ""
            raise self.fail(f"{where}.{option}", f"the {code} code has no option {option!r} here",
                            fix=hint or f"its options are: {', '.join(accepted)}")
        return str(option)

    def codes(self, value: Any) -> list[tuple[str, tuple[tuple[str, Any], ...]]]:
        """``(code, options)`` of every code variant: each code's option lists, crossed."""
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list):
            value = {self.code_name(v, f"codes[{i}]"): None for i, v in enumerate(value)}
        if not isinstance(value, Mapping) or not value:
            raise self.fail("codes", f"expected codes and their options, found {_kind(value)}",
                            fix="write e.g. codes: {fs: {K: [8, 10]}, rate: {T: [16, 64]}}")
        variants = []
        for name, options in value.items():
            code = self.code_name(name, f"codes.{name}")
            if options is None:
                options = {}
            if not isinstance(options, Mapping):
                raise self.fail(f"codes.{code}", f"expected options, found {_kind(options)}",
                                fix=f"write e.g. {code}: {{}} for the defaults")
            names = [self.code_option(code, k, f"codes.{code}") for k in options]
            grids = [self.swept(options[k], f"codes.{code}.{k}") for k in options]
            self.bounded(math.prod(len(v) for v in grids), f"codes.{code}")
            variants += [(code, tuple(zip(names, combo))) for combo in itertools.product(*grids)]
        return variants

    # --- hardware ------------------------------------------------------------------------
    def hardware_key(self, key: Any, where: str) -> str:
        if key in KEYS_BY_PATH:
            return str(key)
        text = str(key)
        owners = [c for c, info in REGISTRY.items() if text in info.sweep_options]
        if owners:
            fix = (f"{text!r} is a code option: set it under codes: "
                   f"(e.g. codes: {{{owners[0]}: {{{text}: [...]}}}})")
        elif text in ("placer", "seed"):
            fix = f"{text!r} is a top-level key of the sweep file"
        else:
            hint = did_you_mean(text, [k.path for k in KEYS])
            fix = hint or "use a hardware key path such as core.neurons (see 'neurosim hw -h')"
        raise self.fail(where, f"unknown hardware key {text!r}", fix=fix)

    def hardware_settings(self, data: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Each hardware setting: the grid's product, then the points (one dict each).

        A setting maps hardware key paths to values; a point's setting may also name
        ``code`` (with its options), ``placer`` and ``seed``.
        """
        settings: list[dict[str, Any]] = []
        if "grid" in data:
            grid = data["grid"]
            if not isinstance(grid, Mapping) or not grid:
                what = "the grid is empty" if isinstance(grid, Mapping | None) else (
                    f"expected hardware keys and their values, found {_kind(grid)}")
                raise self.fail("grid", what, fix="write e.g. grid: {core.neurons: [256, 1024]}, "
                                "or leave grid out to run the base hardware only")
            keys = [self.hardware_key(k, f"grid.{k}") for k in grid]
            lists = [self.swept(grid[k], f"grid.{k}") for k in grid]
            self.bounded(math.prod(len(v) for v in lists), "grid")
            settings += [dict(zip(keys, combo)) for combo in itertools.product(*lists)]
        if "points" in data:
            points = data["points"]
            if not isinstance(points, list) or not points:
                raise self.fail("points", f"expected a list of points, found {_kind(points)}",
                                fix="write e.g. points: [{core.neurons: 512}, {code: fs, K: 8}]")
            settings += [self.point(p, f"points[{i}]") for i, p in enumerate(points)]
        return settings or [{}]

    def point(self, point: Any, where: str) -> dict[str, Any]:
        if not isinstance(point, Mapping) or not point:
            raise self.fail(where, f"expected a mapping of keys to values, found {_kind(point)}")
        setting: dict[str, Any] = {}
        code = point.get("code")
        if code is not None:
            setting["code"] = self.code_name(code, f"{where}.code")
        options = []
        for key, value in point.items():
            if isinstance(value, list):
                raise self.fail(f"{where}.{key}", "a point takes one value per key",
                                fix="put lists of values in grid: or codes:")
            if key == "code":
                continue
            if key == "placer":
                setting["placer"] = self.placer(value, f"{where}.placer")
            elif key == "seed":
                setting["seed"] = self.seed(value, f"{where}.seed")
            elif isinstance(key, str) and "." not in key and code is not None:
                options.append((self.code_option(setting["code"], key, where),
                                self.scalar(value, f"{where}.{key}")))
            elif (isinstance(key, str) and "." not in key
                  and any(key in info.sweep_options for info in REGISTRY.values())):
                raise self.fail(f"{where}.{key}", f"the code option {key!r} needs the point's code",
                                fix=f"add code: NAME to this point (one of {', '.join(REGISTRY)})")
            else:
                path = self.hardware_key(key, f"{where}.{key}")
                setting[path] = self.scalar(value, f"{where}.{key}")
        if code is not None:
            setting["code"] = (setting["code"], tuple(options))
        return setting

    # --- expansion -----------------------------------------------------------------------
    def bounded(self, count: int, where: str) -> None:
        """Refuse a grid of more than :data:`MAX_POINTS` points before expanding it."""
        if count > MAX_POINTS:
            raise self.fail(where, f"the grid has {count:,} points, more than the "
                            f"{MAX_POINTS:,} a sweep runs",
                            fix="sweep fewer values, or split the sweep into several files")

    def expand(self, settings: Sequence[dict[str, Any]],
               variants: Sequence[tuple[str, tuple[tuple[str, Any], ...]]],
               placers: Sequence[str], seeds: Sequence[int]) -> list[dict[str, Any]]:
        """Every point: each hardware setting × code variant × placer × seed."""
        self.bounded(sum(
            (1 if "code" in st else len(variants)) * (1 if "placer" in st else len(placers))
            * (1 if "seed" in st else len(seeds)) for st in settings), "the sweep")
        rows = []
        for setting in settings:
            hw = {k: v for k, v in setting.items() if k not in POINT_KEYS}
            for code, options in ([setting["code"]] if "code" in setting else variants):
                for placer in [setting["placer"]] if "placer" in setting else placers:
                    for seed in [setting["seed"]] if "seed" in setting else seeds:
                        rows.append({"code": code, "options": options, "placer": placer,
                                     "seed": seed, "hardware": hw})
        return rows

    def resolve(self, base: Configuration, rows: list[dict[str, Any]]) -> Sweep:
        """Configurations from rows, after checking every code, hardware setting and model."""
        for r in rows:
            r["hardware"] = {**self.base_overrides, **r["hardware"]}
        for code, options in {(r["code"], r["options"]) for r in rows}:
            self.check_code(code, options)
        hardware_file_hash = self.check_hardware(base.hardware, [r["hardware"] for r in rows])
        self.check_model(base)
        points: dict[str, SweepPoint] = {}
        for r in rows:
            config = Configuration(
                model=base.model, hardware=base.hardware,
                overrides=tuple(sorted(r["hardware"].items())), code=r["code"],
                code_options=tuple(sorted(r["options"])), placer=r["placer"], seed=r["seed"],
                images=base.images, accuracy_images=base.accuracy_images,
                images_per_stream=base.images_per_stream, dataset=base.dataset)
            values = (("code", r["code"]), *((f"code.{k}", v) for k, v in r["options"]),
                      ("placer", r["placer"]), ("seed", r["seed"]), *r["hardware"].items())
            key = configuration_key(config, hardware_file_hash)
            points.setdefault(key, SweepPoint(config, values, key))  # a repeat runs once
        columns: dict[str, set[str]] = {}
        for p in points.values():
            for column, value in p.values:
                columns.setdefault(column, set()).add(json.dumps(value))
        ordered = sorted(columns, key=_column_order)
        varied = tuple(c for c in ordered if len(columns[c]) > 1 or any(
            c not in dict(p.values) for p in points.values()))
        return Sweep.resolved(self.file, tuple(points.values()), tuple(ordered), varied)

    def check_code(self, code: str, options: tuple[tuple[str, Any], ...]) -> None:
        where = f"codes.{code}" + "".join(f" {k}={v!r}" for k, v in options)
        for name, value in options:
            if name == "K" and value == K_AUTO:
                continue  # chosen per model on held-out training images (neurosim.choose_k)
            types = OPTION_TYPES.get(name)  # a registered code's own options: its checks only
            if types and (isinstance(value, bool) or not isinstance(value, types)):
                wanted = "a whole number" if types == (int,) else (
                    "a text" if types == (str,) else "a number")
                raise self.fail(f"codes.{code}.{name}", f"expected {wanted}, found {_kind(value)}")
            high = {"K": MAX_FS_K, "T": MAX_T, "seed": MAX_SEED}.get(name)
            if high is not None and not 1 - (name == "seed") <= value <= high:
                raise self.fail(f"codes.{code}.{name}", f"{value} is outside the allowed "
                                f"{1 - (name == 'seed')} to {high:,}")
        try:
            make_code(code, **dict(options))
        except NeurosimError as exc:
            raise self.fail(where, exc.what, fix=exc.fix) from None
        except (TypeError, ValueError) as exc:
            raise self.fail(where, f"a value of the wrong type ({exc})") from None

    def check_hardware(self, hardware: str, settings: list[dict[str, Any]]) -> str:
        """Build every distinct setting; the base file's hash."""
        try:
            base = load_hardware(hardware)
        except NeurosimError as exc:
            raise self.fail("hardware", exc.message) from None
        for setting in {json.dumps(s, sort_keys=True): s for s in settings}.values():
            try:
                load_hardware(hardware, setting)
            except NeurosimError as exc:
                raise self.hardware_error(hardware, setting, exc) from None
        return base.file_hash

    def hardware_error(self, hardware: str, setting: dict[str, Any],
                       exc: NeurosimError) -> NeurosimError:
        """The error of a setting, named by the one value that fails alone if there is one."""
        for key, value in setting.items():
            try:
                load_hardware(hardware, {key: value})
            except NeurosimError as alone:
                return self.fail(f"{key} = {value!r}", alone.what, fix=alone.fix)
        where = ", ".join(f"{k} = {v!r}" for k, v in setting.items())
        return self.fail(where, exc.what, fix=exc.fix)

    def check_model(self, base: Configuration) -> None:
        from neurosim.workload import load_workload
        try:
            load_workload(base.model, base.dataset)
        except NeurosimError as exc:
            raise self.fail("model" if base.dataset is None else "model/dataset",
                            exc.message) from None


def _column_order(column: str) -> tuple[int, str]:
    fixed = {"code": 0, "placer": 2, "seed": 3}
    if column in fixed:
        return fixed[column], ""
    return (1, "") if column.startswith("code.") else (4, "")


def _kind(value: Any) -> str:
    """A value as an error message shows it."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str | int | float):
        return repr(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__
