"""Checking a network read from a file, completely, before any other stage sees it.

A ``.npz`` SNN file can hold anything: bit flips, hand edits, a weight with the wrong
number of columns, NaN thresholds, an offset of a million steps, complex arrays. The
compiler and the engine assume a well-formed network, so every field, array and
cross-reference is checked here and a mistake is one
:class:`~neurosim.errors.NeurosimError` naming the file, the population or projection,
what is wrong and how to fix it.

The timing rule checked: a converted network places population ``p`` at stage ``s_p``
with ``offset_p = s_p · stage`` (``stage`` is one step for the rate code, a window for
FS and TTFS) and gives a projection across ``g`` stages the delay ``(g − 1) · stage``, so
``offset_target − offset_source − delay == stage`` for every projection.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from neurosim.errors import NeurosimError
from neurosim.snn.network import DYNAMICS, NEURON_DEFAULTS, ROLES, neuron_model_problem

CODES = ("fs", "rate", "ttfs")
POP_ARRAYS = ("threshold", "reset", "out_weight", "bias")
POP_FIELDS = {"name", "shape", "role", "dynamics", "offset", "unit", "out_unit", "activation",
              "ann_layer", *NEURON_DEFAULTS}
POP_REQUIRED = ("name", "shape", "role", "dynamics", "offset")
PROJ_FIELDS = {"name", "source", "target", "kind", "stride", "padding", "delay"}
PROJ_REQUIRED = ("name", "source", "target", "kind")
HEADER_FIELDS = {"format", "format_version", "name", "code", "integer", "params", "metadata",
                 "populations", "projections"}
MAX_WINDOW = 1 << 20
"""More steps per image than any code uses (FS K ≤ 64, rate T in the thousands)."""
INT32_MAX = int(np.iinfo(np.int32).max)
FIX = "the file is corrupt or was edited by hand; convert the model again (neurosim convert)"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Checker:
    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, what: str, part: str | None = None, fix: str = FIX) -> NeurosimError:
        return NeurosimError(what, where=f"{self.where}: {part}" if part else self.where, fix=fix)

    def fields(self, record: Any, part: str, allowed: set[str], required: tuple[str, ...]) -> None:
        if not isinstance(record, dict):
            raise self.fail(f"expected an object, found {type(record).__name__}", part)
        missing = [k for k in required if k not in record]
        if missing:
            raise self.fail(f"missing field(s) {missing}", part)
        unknown = sorted(set(record) - allowed)
        if unknown:
            raise self.fail(f"unknown field(s) {unknown}", part,
                            fix="was it written by a newer neurosim? convert the model again")

    def string(self, value: Any, part: str, field: str, choices: tuple[str, ...] = ()) -> str:
        if not isinstance(value, str) or (not choices and value == ""):
            raise self.fail(f"{field} is {value!r}, expected a non-empty string", part)
        if choices and value not in choices:
            raise self.fail(f"{field} is {value!r}, expected one of {', '.join(choices)}", part)
        return value

    def integer(self, value: Any, part: str, field: str, low: int, high: int) -> int:
        if not _is_int(value) or not low <= value <= high:
            raise self.fail(f"{field} is {value!r}, expected a whole number in [{low}, {high}]",
                            part)
        return int(value)

    def positive(self, value: Any, part: str, field: str) -> float:
        if not _is_number(value) or not math.isfinite(value) or value <= 0:
            raise self.fail(f"{field} is {value!r}, expected a finite positive number", part)
        return float(value)

    def pair(self, value: Any, part: str, field: str, low: int, high: int) -> tuple[int, int]:
        if not (isinstance(value, list) and len(value) == 2
                and all(_is_int(v) and low <= v <= high for v in value)):
            raise self.fail(f"{field} is {value!r}, expected two whole numbers in "
                            f"[{low}, {high}]", part)
        return (int(value[0]), int(value[1]))

    def array(self, arrays: dict[str, np.ndarray], key: str, part: str, integer: bool,
              ndim: int) -> np.ndarray:
        if key not in arrays:
            raise self.fail(f"array {key!r} is missing", part)
        array = arrays.pop(key)
        if array.dtype.kind not in "iuf" or (integer and array.dtype.kind == "f"):
            want = "integers" if integer else "real numbers"
            raise self.fail(f"array {key!r} has dtype {array.dtype}, expected {want} "
                            f"({'integer' if integer else 'ideal'} network)", part)
        if array.ndim != ndim:
            raise self.fail(f"array {key!r} has {array.ndim} dimension(s) "
                            f"{tuple(array.shape)}, expected {ndim}", part)
        if integer:
            if array.dtype.kind == "u" and array.size and int(array.max()) > np.iinfo(np.int64).max:
                raise self.fail(f"array {key!r} holds values beyond int64", part)
            return array.astype(np.int64)
        array = array.astype(np.float64)
        if not np.all(np.isfinite(array)):
            raise self.fail(f"array {key!r} holds NaN or infinite values", part)
        return array


def check_header(header: Any, ch: _Checker) -> None:
    """The top-level fields: types and allowed values."""
    ch.fields(header, "header", HEADER_FIELDS, tuple(sorted(HEADER_FIELDS)))
    ch.string(header["name"], "header", "name")
    ch.string(header["code"], "header", "code", CODES)
    if not isinstance(header["integer"], bool):
        raise ch.fail(f"integer is {header['integer']!r}, expected true or false", "header")
    for key in ("params", "metadata"):
        if not isinstance(header[key], dict):
            raise ch.fail(f"{key} is {type(header[key]).__name__}, expected an object", "header")
    for key in ("populations", "projections"):
        if not isinstance(header[key], list):
            raise ch.fail(f"{key} is {type(header[key]).__name__}, expected a list", "header")
    if not header["populations"]:
        raise ch.fail("the network has no populations", "header")
    for key in ("model", "dataset"):
        value = header["metadata"].get(key)
        if value is not None and not isinstance(value, str):
            raise ch.fail(f"metadata.{key} is {value!r}, expected a string", "header")


def check_params(params: dict[str, Any], code: str, window: int, ch: _Checker) -> dict[str, Any]:
    """The code's parameters: present ones must be well-typed and agree with the network."""
    params = dict(params)
    steps_key = "K" if code == "fs" else "T"
    if steps_key in params and params[steps_key] != window:
        raise ch.fail(f"{steps_key} is {params[steps_key]!r} but the populations' window is "
                      f"{window} steps", "params")
    other = "T" if code == "fs" else "K"
    if other in params:
        raise ch.fail(f"{other} does not belong to the {code} code", "params")
    if "input_range" in params:
        value = params["input_range"]
        if not (isinstance(value, list) and len(value) == 2 and all(map(_is_number, value))
                and all(math.isfinite(v) for v in value) and value[0] < value[1]):
            raise ch.fail(f"input_range is {value!r}, expected [low, high] with finite "
                          "low < high", "params")
        params["input_range"] = (float(value[0]), float(value[1]))
    if "seed" in params:
        ch.integer(params["seed"], "params", "seed", 0, (1 << 64) - 1)
    if "input" in params:
        ch.string(params["input"], "params", "input", ("current", "poisson"))
    for key in ("percentile", "alpha_percentile"):
        if key in params:
            value = params[key]
            if not _is_number(value) or not 0 < value <= 100:
                raise ch.fail(f"{key} is {value!r}, expected a number in (0, 100]", "params")
    if "precision" in params and not isinstance(params["precision"], dict):
        raise ch.fail("precision is not an object", "params")
    return params


def check_population(rec: dict[str, Any], arrays: dict[str, np.ndarray], integer: bool,
                     ch: _Checker) -> dict[str, Any]:
    """One population record and its four arrays, as keyword arguments of Population."""
    part = f"population #{rec.get('name', '?')!r}" if isinstance(rec, dict) else "population"
    ch.fields(rec, part, POP_FIELDS, POP_REQUIRED)
    name = ch.string(rec["name"], part, "name")
    part = f"population {name!r}"
    shape = rec["shape"]
    if not (isinstance(shape, list) and 1 <= len(shape) <= 3
            and all(_is_int(n) and n >= 1 for n in shape)):
        raise ch.fail(f"shape is {shape!r}, expected 1 to 3 positive whole numbers", part)
    out = dict(rec, shape=tuple(shape))
    ch.string(rec["role"], part, "role", ROLES)
    ch.string(rec["dynamics"], part, "dynamics", DYNAMICS)
    ch.integer(rec["offset"], part, "offset", 0, MAX_WINDOW * 1024)
    for key in ("unit", "out_unit"):
        if key in rec:
            ch.positive(rec[key], part, key)
    for key in ("activation", "ann_layer"):
        if key in rec and not isinstance(rec[key], str):
            raise ch.fail(f"{key} is {rec[key]!r}, expected a string", part)
    model = {k: rec.get(k, default) for k, default in NEURON_DEFAULTS.items()}
    problem = neuron_model_problem(rec["dynamics"], rec["role"], integer=integer, **model)
    if problem:
        raise ch.fail(problem, part)
    for key in POP_ARRAYS:
        out[key] = ch.array(arrays, f"pop/{name}/{key}", part, integer, 1)
    window = len(out["threshold"])
    if not 1 <= window <= MAX_WINDOW:
        raise ch.fail(f"the window is {window} steps, expected 1 to {MAX_WINDOW}", part)
    for key in ("reset", "out_weight"):
        if len(out[key]) != window:
            raise ch.fail(f"{key} has {len(out[key])} steps, threshold has {window}", part)
    size = math.prod(shape)
    if out["bias"].shape != (size,):
        raise ch.fail(f"bias has {out['bias'].shape[0]} values for {size} neurons "
                      f"(shape {tuple(shape)})", part)
    if rec["dynamics"] == "poisson" and np.any(out["threshold"] <= 0):
        raise ch.fail("a Poisson input needs positive thresholds (it fires with "
                      "probability bias / threshold)", part)
    return out


def check_projection(rec: dict[str, Any], arrays: dict[str, np.ndarray], pops: dict[str, dict],
                     order: dict[str, int], integer: bool, ch: _Checker) -> dict[str, Any]:
    """One projection record and its weight, against the populations it joins."""
    part = "projection"
    ch.fields(rec, part, PROJ_FIELDS, PROJ_REQUIRED)
    name = ch.string(rec["name"], part, "name")
    part = f"projection {name!r}"
    source = ch.string(rec["source"], part, "source", tuple(order))
    target = ch.string(rec["target"], part, "target", tuple(order))
    if order[source] >= order[target]:
        raise ch.fail(f"it runs from {source!r} back to {target!r}; populations are in "
                      "topological order", part)
    src, tgt = pops[source], pops[target]
    if src["role"] == "output":
        raise ch.fail(f"its source {source!r} is the output, which never fires", part)
    if tgt["role"] == "input":
        raise ch.fail(f"its target {target!r} is an input, which takes no projections", part)
    kind = ch.string(rec["kind"], part, "kind", ("dense", "conv"))
    out: dict[str, Any] = dict(rec)
    out["stride"] = ch.pair(rec.get("stride", [1, 1]), part, "stride", 1, 1 << 16)
    out["padding"] = ch.pair(rec.get("padding", [0, 0]), part, "padding", 0, 1 << 16)
    out["delay"] = ch.integer(rec.get("delay", 0), part, "delay", 0, MAX_WINDOW * 1024)
    weight = ch.array(arrays, f"proj/{name}/weight", part, integer, 2 if kind == "dense" else 4)
    src_size, tgt_size = math.prod(src["shape"]), math.prod(tgt["shape"])
    if kind == "dense":
        if weight.shape != (tgt_size, src_size):
            raise ch.fail(f"weight has shape {weight.shape}, expected (target size, source "
                          f"size) = ({tgt_size}, {src_size})", part)
    else:
        if len(src["shape"]) != 3:
            raise ch.fail(f"a conv projection needs a (channels, height, width) source; "
                          f"{source!r} has shape {src['shape']}", part)
        c_in, h, w = src["shape"]
        _, w_in, kh, kw = weight.shape
        if w_in != c_in or kh < 1 or kw < 1:
            raise ch.fail(f"weight has shape {weight.shape}, expected (C_out, {c_in}, kh, kw)",
                          part)
        (sy, sx), (py, px) = out["stride"], out["padding"]
        if kh > h + 2 * py or kw > w + 2 * px or py >= kh or px >= kw:
            raise ch.fail(f"a {kh}×{kw} kernel with padding ({py}, {px}) does not fit the "
                          f"{h}×{w} source", part)
        shape = (weight.shape[0], (h + 2 * py - kh) // sy + 1, (w + 2 * px - kw) // sx + 1)
        if math.prod(shape) != tgt_size or (len(tgt["shape"]) == 3 and shape != tgt["shape"]):
            raise ch.fail(f"the convolution gives shape {shape}, the target {target!r} has "
                          f"{tgt['shape']}", part)
    if integer and weight.size and int(np.abs(weight).max()) > INT32_MAX:
        raise ch.fail("a weight exceeds the 32-bit range the engine stores", part)
    out["weight"] = weight
    return out


def check_timing(pops: list[dict], projs: list[dict], code: str, integer: bool, ch: _Checker
                 ) -> None:
    """Windows equal, dynamics fit the code, and every projection keeps the stage rule."""
    window = len(pops[0]["threshold"])
    for pop in pops:
        if len(pop["threshold"]) != window:
            raise ch.fail(f"its window is {len(pop['threshold'])} steps, the input's is {window}",
                          f"population {pop['name']!r}")
    if pops[0]["role"] != "input" or any(p["role"] == "input" for p in pops[1:]):
        raise ch.fail("the first population, and only it, must be the input", "populations")
    if sum(p["role"] == "output" for p in pops) != 1:
        raise ch.fail("there must be exactly one output population", "populations")
    allowed = {"rate": (("if", "poisson"), ("if",))}.get(code, (("fs",), ("fs",)))
    for i, pop in enumerate(pops):
        want = allowed[0] if i == 0 else allowed[1]
        if pop["dynamics"] not in want:
            raise ch.fail(f"dynamics {pop['dynamics']!r} does not belong to the {code} code "
                          f"(expected {' or '.join(want)})", f"population {pop['name']!r}")
    if pops[0]["offset"] != 0:
        raise ch.fail(f"the input's offset is {pops[0]['offset']}, expected 0",
                      f"population {pops[0]['name']!r}")
    stage = 1 if code == "rate" else window
    by_name = {p["name"]: p for p in pops}
    fed = {p["target"] for p in projs}
    for pop in pops[1:]:
        if pop["name"] not in fed:
            raise ch.fail("no projection reaches it", f"population {pop['name']!r}")
    for proj in projs:
        gap = by_name[proj["target"]]["offset"] - by_name[proj["source"]]["offset"] - proj["delay"]
        if gap != stage:
            raise ch.fail(
                f"target offset {by_name[proj['target']]['offset']} − source offset "
                f"{by_name[proj['source']]['offset']} − delay {proj['delay']} is {gap} steps; "
                f"the {code} code needs {stage}", f"projection {proj['name']!r}")


def validate_snn_file(header: Any, arrays: dict[str, np.ndarray], where: str
                      ) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """The checked header, population and projection keyword arguments of a file's network.

    ``arrays`` is consumed; an array the structure does not name is refused.
    """
    ch = _Checker(where)
    check_header(header, ch)
    integer = header["integer"]
    pops = [check_population(rec, arrays, integer, ch) for rec in header["populations"]]
    names = [p["name"] for p in pops]
    if len(set(names)) != len(names):
        raise ch.fail("two populations share a name", "populations")
    by_name = {p["name"]: p for p in pops}
    order = {n: i for i, n in enumerate(names)}
    projs = [check_projection(rec, arrays, by_name, order, integer, ch)
             for rec in header["projections"]]
    if len({p["name"] for p in projs}) != len(projs):
        raise ch.fail("two projections share a name", "projections")
    check_timing(pops, projs, header["code"], integer, ch)
    if arrays:
        raise ch.fail(f"array(s) no population or projection names: {sorted(arrays)[:3]}")
    header = dict(header, params=check_params(header["params"], header["code"],
                                              len(pops[0]["threshold"]), ch))
    if header["code"] == "rate" and "input" in header["params"]:
        poisson = pops[0]["dynamics"] == "poisson"
        if poisson != (header["params"]["input"] == "poisson"):
            raise ch.fail(f"input is {header['params']['input']!r} but the input population's "
                          f"dynamics is {pops[0]['dynamics']!r}", "params")
    return header, pops, projs
