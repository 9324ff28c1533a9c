"""Reading and writing a model as one ``.npz`` file.

The file holds the graph as JSON under the key ``__graph__`` and each layer's arrays under
``<layer>/<field>``. The JSON says ``"format": "neurosim-model"`` and a
``format_version``; a reader refuses versions it does not know. BatchNorm layers may be
stored; loading folds them into the layer before them.
"""

from __future__ import annotations

import json
import math
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

import numpy as np

from neurosim.ann.layers import ARRAY_FIELDS, LAYER_TYPES, Input, Layer
from neurosim.ann.model import Model, fold_batchnorm
from neurosim.errors import NeurosimError
from neurosim.fileio import atomic_write
from neurosim.limits import require_memory
from neurosim.npzio import read_npz

FORMAT = "neurosim-model"
FORMAT_VERSION = 1
_GRAPH_KEY = "__graph__"


def _layer_record(layer: Layer) -> dict[str, Any]:
    record: dict[str, Any] = {"type": type(layer).__name__}
    arrays = ARRAY_FIELDS.get(type(layer), ())
    for f in fields(layer):
        if f.name in arrays:
            continue
        value = getattr(layer, f.name)
        record[f.name] = list(value) if isinstance(value, tuple) else value
    return record


def save_model(model: Model, path: str | Path) -> Path:
    """Write ``model`` to ``path`` (``.npz``) and return the path."""
    path = Path(path)
    graph = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": model.name,
        "output": model.output,
        "metadata": model.metadata,
        "layers": [_layer_record(lyr) for lyr in model.layers],
    }
    arrays = {_GRAPH_KEY: np.array(json.dumps(graph))}
    for layer in model.layers:
        for name in ARRAY_FIELDS.get(type(layer), ()):
            arrays[f"{layer.name}/{name}"] = np.asarray(getattr(layer, name), dtype=np.float64)
    with atomic_write(path, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    return path


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    return read_npz(path, what="model file",
                    fix="give the path of a .npz model or a zoo name (neurosim model list)")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# What the JSON value of each non-array field must be; a damaged or hand-edited file can
# hold anything, and the dataclasses do not check types.
_FIELD_CHECKS: dict[str, tuple[str, Any]] = {
    "name": ("a non-empty string", lambda v: isinstance(v, str) and v != ""),
    "inputs": ("a list of layer names",
               lambda v: isinstance(v, list) and all(isinstance(n, str) for n in v)),
    "function": ("a string", lambda v: isinstance(v, str)),
    "shape": ("a list of integers", lambda v: isinstance(v, list) and all(map(_is_int, v))),
    "eps": ("a number", lambda v: isinstance(v, int | float) and not isinstance(v, bool)),
}
_PAIR_CHECK = ("an integer or a list of two integers",
               lambda v: _is_int(v) or (isinstance(v, list) and len(v) == 2
                                        and all(map(_is_int, v))))


def _check_field(record: dict[str, Any], field_name: str, where: str) -> None:
    what, ok = _FIELD_CHECKS.get(field_name, _PAIR_CHECK)
    if not ok(record[field_name]):
        raise NeurosimError(
            f"layer {record.get('name')!r} ({record.get('type')}): field {field_name!r} is "
            f"{record[field_name]!r}, expected {what}", where=where,
            fix="the file is corrupt or was edited by hand; save the model again")


def _real_array(array: np.ndarray, what: str, where: str) -> np.ndarray:
    """``array`` as float64 if it holds finite real numbers (complex, text or bool refused)."""
    if array.dtype.kind not in "iuf":
        raise NeurosimError(f"{what} has dtype {array.dtype}, expected real numbers", where=where,
                            fix="save the model again with real-valued weights")
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise NeurosimError(f"{what} holds NaN or infinite values", where=where,
                            fix="the weights diverged or the file is corrupt; train or save again")
    return array


def _build_layer(record: dict[str, Any], arrays: dict[str, np.ndarray], where: str) -> Layer:
    kind = record.get("type")
    name = record.get("name")
    if not isinstance(kind, str) or kind not in LAYER_TYPES:
        raise NeurosimError(f"layer {name!r} has unknown type {kind!r}", where=where,
                            fix=f"neurosim reads: {', '.join(LAYER_TYPES)}")
    cls = LAYER_TYPES[kind]
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name in ARRAY_FIELDS.get(cls, ()):
            key = f"{name}/{f.name}"
            if key not in arrays:
                raise NeurosimError(f"layer {name!r} ({kind}) has no array {f.name!r}",
                                    where=where, fix="save the model again with all its weights")
            kwargs[f.name] = _real_array(arrays[key], f"layer {name!r} ({kind}): array {f.name!r}",
                                         where)
        elif f.name in record:
            _check_field(record, f.name, where)
            value = record[f.name]
            kwargs[f.name] = tuple(value) if isinstance(value, list) else value
        elif f.name == "inputs" and cls is Input:
            kwargs[f.name] = ()
        elif f.default is MISSING and f.default_factory is MISSING:
            raise NeurosimError(f"layer {name!r} ({kind}) has no field {f.name!r}", where=where,
                                fix="save the model again with neurosim")
    unknown = set(record) - {f.name for f in fields(cls)} - {"type"}
    if unknown:
        raise NeurosimError(f"layer {name!r} ({kind}) has unknown field(s) {sorted(unknown)}",
                            where=where, fix="was it written by a newer neurosim?")
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise NeurosimError(f"layer {name!r} ({kind}) is malformed: {exc}", where=where) from None


def load_model(path: str | Path) -> Model:
    """Read a model from ``path``, check it, and fold its BatchNorm layers."""
    path = Path(path)
    where = str(path)
    arrays = _read_npz(path)
    if _GRAPH_KEY not in arrays:
        raise NeurosimError("no graph in the file (key '__graph__' is missing)", where=where,
                            fix="this .npz was not written by neurosim; see neurosim.ann.io")
    try:
        graph = json.loads(str(arrays.pop(_GRAPH_KEY)))
    except (json.JSONDecodeError, TypeError) as exc:
        raise NeurosimError(f"the graph is not valid JSON ({exc})", where=where,
                            fix="the file is corrupt; save the model again") from None
    if not isinstance(graph, dict) or graph.get("format") != FORMAT:
        raise NeurosimError("not a neurosim model file", where=where,
                            fix="save the model with neurosim.ann.io.save_model")
    version = graph.get("format_version")
    if version != FORMAT_VERSION:
        raise NeurosimError(f"unknown format version {version!r} (this neurosim reads {FORMAT_VERSION})",
                            where=where, fix="use the neurosim version that wrote it, or save it again")
    records = graph.get("layers")
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise NeurosimError("the graph has no list of layers", where=where)
    layers = [_build_layer(r, arrays, where) for r in records]
    metadata = graph.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise NeurosimError(f"metadata is {type(metadata).__name__}, expected an object",
                            where=where, fix="the file is corrupt; save the model again")
    model = Model(name=str(graph.get("name", path.stem)), layers=tuple(layers),
                  output=str(graph.get("output", "")), metadata=metadata, source=where)
    neurons = sum(math.prod(shape) for shape in model.shapes.values())
    # A forward pass holds every layer's values for a batch (16 images is a lower bound).
    require_memory(8 * 16 * neurons, f"a forward pass of {neurons:,} values per image",
                   where=where, fix="the model declares layers larger than any real one")
    return fold_batchnorm(model)
