"""Reading and writing a converted network as one ``.npz`` file.

Like the model format: the structure as JSON under ``__snn__`` (with ``format`` and
``format_version``), arrays under ``pop/<name>/<field>`` and ``proj/<name>/weight``.
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import numpy as np

from neurosim.errors import NeurosimError
from neurosim.fileio import atomic_write
from neurosim.npzio import read_npz
from neurosim.plain import plain
from neurosim.snn.network import SNN, Population, Projection
from neurosim.snn.validate import FIX, validate_snn_file

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
    with atomic_write(path, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    return path


def load_snn(path: str | Path) -> SNN:
    """Read a network written by :func:`save_snn`, checked completely (see
    :mod:`neurosim.snn.validate`) before any other stage sees it."""
    path = Path(path)
    where = str(path)
    arrays = read_npz(path, what="SNN file",
                      fix="write one with: neurosim convert MODEL --code fs --out FILE")
    if "__snn__" not in arrays:
        raise NeurosimError("not a neurosim SNN file (no '__snn__' header)", where=where,
                            fix="a model file goes to 'neurosim convert' first")
    raw = arrays.pop("__snn__")
    try:
        if raw.dtype.kind != "U" or raw.shape != ():
            raise ValueError(f"a {raw.dtype} array of shape {raw.shape}")
        header = json.loads(str(raw))
    except (ValueError, RecursionError) as exc:
        raise NeurosimError(f"the header is not valid JSON ({' '.join(str(exc).split())[:80]})",
                            where=where, fix=FIX) from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise NeurosimError("not a neurosim SNN file", where=where,
                            fix="a model file goes to 'neurosim convert' first")
    if header.get("format_version") != FORMAT_VERSION:
        raise NeurosimError(f"unknown SNN format version {header.get('format_version')!r}",
                            where=where, fix="convert the model again with this neurosim")
    header, pops, projs = validate_snn_file(header, arrays, where)
    return SNN(name=header["name"], code=header["code"],
               populations=tuple(Population(**rec) for rec in pops),
               projections=tuple(Projection(**rec) for rec in projs),
               integer=header["integer"], params=header["params"],
               metadata=dict(header["metadata"]))
