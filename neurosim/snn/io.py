"""Reading and writing a converted network as one ``.npz`` file.

Like the model format: the structure as JSON under ``__snn__`` (with ``format`` and
``format_version``), arrays under ``pop/<name>/<field>`` and ``proj/<name>/weight``.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import fields
from pathlib import Path

import numpy as np

from neurosim.errors import NeurosimError
from neurosim.plain import plain
from neurosim.snn.network import SNN, Population, Projection

FORMAT = "neurosim-snn"
FORMAT_VERSION = 1
_POP_ARRAYS = ("threshold", "reset", "out_weight", "bias")




def save_snn(snn: SNN, path: str | Path) -> Path:
    """Write ``snn`` to ``path`` (``.npz``) and return the path."""
    path = Path(path)
    arrays: dict[str, np.ndarray] = {}
    pops = []
    for pop in snn.populations:
        record = {f.name: plain(getattr(pop, f.name)) for f in fields(pop) if f.name not in _POP_ARRAYS}
        pops.append(record)
        for name in _POP_ARRAYS:
            arrays[f"pop/{pop.name}/{name}"] = np.asarray(getattr(pop, name))
    projs = []
    for proj in snn.projections:
        projs.append({f.name: plain(getattr(proj, f.name)) for f in fields(proj) if f.name != "weight"})
        arrays[f"proj/{proj.name}/weight"] = np.asarray(proj.weight)
    header = {"format": FORMAT, "format_version": FORMAT_VERSION, "name": snn.name,
              "code": snn.code, "integer": snn.integer, "params": plain(snn.params),
              "metadata": plain(snn.metadata), "populations": pops, "projections": projs}
    arrays["__snn__"] = np.array(json.dumps(header))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        np.savez_compressed(fh, **arrays)
    return path


def load_snn(path: str | Path) -> SNN:
    """Read a network written by :func:`save_snn`."""
    path = Path(path)
    where = str(path)
    if not path.is_file():
        raise NeurosimError("no such SNN file", where=where,
                            fix="write one with: neurosim convert MODEL --code fs --out FILE")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        header = json.loads(str(arrays.pop("__snn__")))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError) as exc:
        raise NeurosimError(f"not a readable SNN file ({exc.__class__.__name__})", where=where,
                            fix="convert the model again") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise NeurosimError("not a neurosim SNN file", where=where,
                            fix="a model file goes to 'neurosim convert' first")
    if header.get("format_version") != FORMAT_VERSION:
        raise NeurosimError(f"unknown SNN format version {header.get('format_version')!r}",
                            where=where, fix="convert the model again with this neurosim")
    try:
        pops = []
        for rec in header["populations"]:
            rec = dict(rec, shape=tuple(rec["shape"]))
            pops.append(Population(**rec, **{n: arrays[f"pop/{rec['name']}/{n}"] for n in _POP_ARRAYS}))
        projs = []
        for rec in header["projections"]:
            rec = dict(rec, stride=tuple(rec["stride"]), padding=tuple(rec["padding"]))
            projs.append(Projection(**rec, weight=arrays[f"proj/{rec['name']}/weight"]))
        params = dict(header["params"])
        if "input_range" in params:
            params["input_range"] = tuple(params["input_range"])
        return SNN(name=header["name"], code=header["code"], populations=tuple(pops),
                   projections=tuple(projs), integer=bool(header["integer"]), params=params,
                   metadata=dict(header["metadata"]))
    except (KeyError, TypeError) as exc:
        raise NeurosimError(f"the SNN file is incomplete ({exc})", where=where,
                            fix="convert the model again") from None
