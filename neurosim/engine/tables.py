"""Packed arrays for the engine, built once from (SNN, CoreMapping, Hardware).

Everything the simulation loop touches is a flat numpy array (struct of arrays):

* **neurons** (network-wide numbering of :meth:`SNN.first_neuron`): population, bias, and
  where its input sits in a ring slot (:func:`slot_positions`: channel-last for a
  convolution's targets);
* **populations**: dynamics, role, offset, first neuron, size, the sequences
  ``T(k), h(k), d(k)`` as rows of int64 tables, and the projections leaving each;
* **projections**: their stored form (:mod:`neurosim.engine.synapses`), target, delay;
* **cores** in use (ascending board core number): their tile and the neurons they hold,
  in the order of the mapping's blocks, cut into segments of one population
  (:func:`core_segments`), and how many neurons and compartments of each population;
* **destinations** of every source neuron: the cores holding its targets (ascending),
  with the number of synapses onto each (the ``n_syn`` that times a packet's service),
  the number of synapses onto each target population, and per neuron the totals one
  spike causes (synapses; hops of its XY routes, or of its XY tree under multicast);
* **tiles**: the cores in use on each tile of the board-wide mesh;
* **partial compartments** (fan-in split, :mod:`neurosim.compiler.fanin`): per core the
  compartments it holds, each with its neuron, its partial-sum row, its home core and the
  hops to it; per projection and source neuron, where the synapses land (``src_off``
  into ``tgt_core``, the home cores followed by one table per partial group) and which
  partial-sum row they feed (``src_row``, −1 for the home).

Synaptic *effects* use the projections (shared conv kernels, dense rows); synaptic
*timing* uses the per-(neuron, core) counts. Both describe the same synapses, which
the tests check against the explicit lists of :mod:`neurosim.snn.connectivity`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from neurosim.compiler.mapping import CoreMapping, mesh_coordinates
from neurosim.compiler.synapse_kinds import DENSE_MIN_DENSITY, KIND_DENSE, synapse_kind
from neurosim.compiler.xy import xy_direction, xy_hops
from neurosim.dynamics import DYNAMICS, ROLES
from neurosim.engine.mesh import Mesh, build_mesh
from neurosim.engine.synapses import (
    CONV,
    G_COUT,
    G_H,
    G_HO,
    G_KH,
    G_KW,
    G_PX,
    G_PY,
    G_SX,
    G_SY,
    G_W,
    G_WO,
    ROWS,
    SPARSE,
    first_tap,
    list_targets,
)
from neurosim.errors import NeurosimError
from neurosim.hardware.model import Hardware
from neurosim.snn.connectivity import conv_output_shape
from neurosim.snn.network import SNN, Population

# A dense projection at least this full is stored as rows of its transposed matrix
# (4 bytes per stored weight); a sparser one as compressed rows (8 bytes per synapse).
# The compiler's synapse kinds (which cost a synaptic event pays) cut at the same density.
DENSE_ROWS_MIN_DENSITY = DENSE_MIN_DENSITY
_INT32 = np.iinfo(np.int32)


@dataclass(frozen=True, eq=False)
class EngineTables:
    """The packed form of one (SNN, CoreMapping, Hardware); see the module docstring."""

    # neurons
    pop_of: np.ndarray
    bias: np.ndarray
    # populations
    pop_dynamics: np.ndarray
    pop_role: np.ndarray
    pop_offset: np.ndarray
    pop_first: np.ndarray
    pop_size: np.ndarray
    seq_threshold: np.ndarray
    seq_reset: np.ndarray
    seq_out_weight: np.ndarray
    pop_out_ptr: np.ndarray
    pop_out_proj: np.ndarray
    pop_model: np.ndarray       # (populations, MODEL_COLUMNS) the neuron model of IF populations
    # projections
    proj_kind: np.ndarray
    proj_geom: np.ndarray
    proj_w_off: np.ndarray
    proj_ptr_off: np.ndarray
    proj_tgt_first: np.ndarray
    proj_tgt_size: np.ndarray
    proj_delay: np.ndarray
    weights: np.ndarray
    csr_ptr: np.ndarray
    csr_idx: np.ndarray
    csr_w: np.ndarray
    ring: int
    slot_of: np.ndarray  # (neurons,) position of each neuron's input in a ring slot
    proj_tgt_pop: np.ndarray  # (projections,) target population
    # cores
    cores: np.ndarray
    core_tile: np.ndarray
    core_chip: np.ndarray
    core_ptr: np.ndarray
    core_neurons: np.ndarray
    core_of_neuron: np.ndarray
    tile_core_ptr: np.ndarray   # (tiles + 1,) cores in use on each board tile ...
    tile_cores: np.ndarray      # ... listed here (indices into ``cores``)
    seg_ptr: np.ndarray         # (cores + 1,) segments of each core (runs of one population) ...
    seg_start: np.ndarray       # (segments + 1,) ... each from this index into core_neurons ...
    seg_pop: np.ndarray         # (segments,) ... holding this population
    # destinations
    dest_ptr: np.ndarray
    dest_core: np.ndarray
    dest_nsyn: np.ndarray
    dest_tile: np.ndarray
    src_synapses: np.ndarray  # (neurons,) synapses of each neuron (its synaptic events per spike)
    src_hops: np.ndarray      # (neurons, 3) E–W, N–S, inter-chip hops of one spike's packets
    tpop_ptr: np.ndarray
    tpop_id: np.ndarray
    tpop_syn: np.ndarray
    # synapse kinds (neurosim.compiler.synapse_kinds): what each synaptic event costs
    proj_cost_kind: np.ndarray  # (projections,) the kind of each projection
    tpop_kind: np.ndarray       # (tpop entries,) the kind of each entry's synapses
    pop_out_kind: np.ndarray    # (populations,) the kind of all its outgoing synapses, or −1
    src_kind_syn: np.ndarray    # (neurons, 3) synapses of each kind, or (0, 3): no −1 above
    core_syn_col: np.ndarray    # (cores,) count column of the one kind a core receives, or −1
    core_syn_s: np.ndarray      # (cores,) latency of that kind's synaptic event (−1: mixed)
    dest_kind_nsyn: np.ndarray  # (pairs, 3) synapses of each kind, or (0, 3): no core mixed
    dest_syn_s: np.ndarray      # (pairs,) their service latency, or (0,): no core mixed
    comp_kind_nsyn: np.ndarray  # (compartments, 3) a partial sum: one dense event
    comp_syn_s: np.ndarray      # (compartments,) its latency
    # partial compartments
    comp_ptr: np.ndarray        # (cores + 1,) compartments of each core ...
    comp_neuron: np.ndarray     # ... their neuron (network-wide)
    comp_row: np.ndarray        # ... their partial-sum row
    comp_home: np.ndarray       # ... the index of their neuron's home core
    comp_tile: np.ndarray       # ... the home core's tile
    comp_hops: np.ndarray       # ... (E–W, N–S, inter-chip) hops of the partial-sum packet
    n_rows: int                 # partial-sum rows (one per split population and group >= 1)
    row_pop: np.ndarray         # (rows,) the split population of each row
    row_base: np.ndarray        # (rows + 1,) where each row starts in the packed partial sums
    comp_psum: np.ndarray       # (compartments,) where each compartment's sum sits in them
    proj_src_ptr: np.ndarray    # (projections,) offset of each projection's sources in ...
    src_off: np.ndarray         # ... the offset into ``tgt_core`` of each source's targets
    src_row: np.ndarray         # ... and the partial-sum row its synapses feed (−1: home)
    tgt_core: np.ndarray        # home cores of all neurons, then each partial group's cores
    # what each core holds, by population (C, P): home neurons, partial compartments
    core_pop_neurons: np.ndarray
    core_pop_compartments: np.ndarray
    split_neurons: int          # neurons whose fan-in is split over partial compartments
    # board
    mesh: Mesh
    tiles_used: int
    chips_used: int
    explicit_synapses: int

    @property
    def n_neurons(self) -> int:
        return len(self.pop_of)

    @property
    def n_cores(self) -> int:
        return len(self.cores)

    @property
    def core_population_neurons(self) -> np.ndarray:
        """(C, P) neurons and partial compartments of each population on each core."""
        return self.core_pop_neurons + self.core_pop_compartments

    def connectivity_bytes(self) -> int:
        """Bytes of every array that describes synapses (weights, indices, destinations)."""
        arrays = (self.weights, self.csr_ptr, self.csr_idx, self.csr_w, self.dest_ptr,
                  self.dest_core, self.dest_nsyn, self.dest_tile, self.src_synapses,
                  self.src_hops, self.tile_core_ptr, self.tile_cores, self.tpop_ptr, self.tpop_id,
                  self.tpop_syn, self.proj_geom, self.tpop_kind, self.src_kind_syn,
                  self.dest_kind_nsyn, self.dest_syn_s)
        return int(sum(a.nbytes for a in arrays))

    def bytes_per_synapse(self) -> float:
        """:meth:`connectivity_bytes` per explicit (non-zero) synapse."""
        return self.connectivity_bytes() / max(self.explicit_synapses, 1)


def _int32(values: np.ndarray, where: str) -> np.ndarray:
    values = np.asarray(values)
    if values.size and (values.min() < _INT32.min or values.max() > _INT32.max):
        raise NeurosimError("weights do not fit in 32 bits", where=where,
                            fix="convert with weight_bits of at most 32")
    return values.astype(np.int32)


def _projection_tables(snn: SNN) -> dict[str, np.ndarray]:
    """Stored form of every projection (see :mod:`neurosim.engine.synapses`)."""
    q_count = len(snn.projections)
    kind = np.zeros(q_count, np.int64)
    geom = np.ones((q_count, 12), np.int64)
    w_off = np.zeros(q_count, np.int64)
    ptr_off = np.zeros(q_count, np.int64)
    weights: list[np.ndarray] = []
    csr_ptr: list[np.ndarray] = []
    csr_idx: list[np.ndarray] = []
    csr_w: list[np.ndarray] = []
    n_w = n_ptr = n_idx = 0
    for q, proj in enumerate(snn.projections):
        where = f"SNN {snn.name!r}: projection {proj.name!r}"
        src_shape = snn.population(proj.source).shape
        if proj.kind == "conv":
            c_out, ho, wo = conv_output_shape(proj, src_shape)
            c_in, h, w = src_shape
            kh, kw = proj.kernel_size
            kind[q] = CONV
            geom[q] = (c_in, h, w, c_out, ho, wo, kh, kw, *proj.stride, *proj.padding)
            stored = _int32(np.transpose(proj.weight, (1, 2, 3, 0)).ravel(), where)
            w_off[q] = n_w
            weights.append(stored)
            n_w += stored.size
            continue
        matrix = np.asarray(proj.weight).T  # (source, target)
        if np.count_nonzero(matrix) >= DENSE_ROWS_MIN_DENSITY * matrix.size:
            kind[q] = ROWS
            stored = _int32(np.ascontiguousarray(matrix).ravel(), where)
            w_off[q] = n_w
            weights.append(stored)
            n_w += stored.size
        else:
            kind[q] = SPARSE
            src, tgt = np.nonzero(matrix)  # sorted by source, then target
            ptr = np.zeros(matrix.shape[0] + 1, np.int64)
            np.cumsum(np.bincount(src, minlength=matrix.shape[0]), out=ptr[1:])
            ptr_off[q] = n_ptr
            csr_ptr.append(ptr + n_idx)
            csr_idx.append(tgt.astype(np.int32))
            csr_w.append(_int32(matrix[src, tgt], where))
            n_ptr += ptr.size
            n_idx += tgt.size

    def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    return {
        "proj_kind": kind, "proj_geom": geom, "proj_w_off": w_off, "proj_ptr_off": ptr_off,
        "proj_tgt_first": np.array([snn.first_neuron(p.target) for p in snn.projections], np.int64),
        "proj_tgt_size": np.array([snn.population(p.target).size for p in snn.projections], np.int64),
        "proj_delay": np.array([p.delay for p in snn.projections], np.int64),
        "weights": cat(weights, np.int32), "csr_ptr": cat(csr_ptr, np.int64),
        "csr_idx": cat(csr_idx, np.int32), "csr_w": cat(csr_w, np.int32),
    }


def slot_positions(snn: SNN) -> np.ndarray:
    """(neurons,) where each neuron's input sits in a ring slot (its *slot order*).

    A population that a convolution feeds is laid out channel-last inside its range:
    natural ``c · H · W + y · W + x`` sits at ``(y · W + x) · C + c``, so that one kernel
    tap writes ``C`` neighbouring slots (:func:`~neurosim.engine.synapses.accumulate`).
    Every other population keeps its natural order.
    """
    slot_of = np.arange(snn.n_neurons, dtype=np.int64)
    conv_fed = {p.target for p in snn.projections if p.kind == "conv"}
    for pop in snn.populations:
        if pop.name in conv_fed and len(pop.shape) == 3:
            c, h, w = pop.shape
            local = np.arange(pop.size).reshape(c, h, w)
            channel_last = np.empty(pop.size, np.int64)
            channel_last[local.transpose(1, 2, 0).ravel()] = np.arange(pop.size)
            first = snn.first_neuron(pop.name)
            slot_of[first:first + pop.size] = first + channel_last
    return slot_of


def _to_slot_order(snn: SNN, projs: dict[str, np.ndarray], slot_of: np.ndarray) -> None:
    """Put the target columns of rows and compressed rows in slot order, in place."""
    for q, proj in enumerate(snn.projections):
        first = int(projs["proj_tgt_first"][q])
        size = int(projs["proj_tgt_size"][q])
        local = slot_of[first:first + size] - first  # natural local -> slot local
        if np.array_equal(local, np.arange(size)) or projs["proj_kind"][q] == CONV:
            continue
        if projs["proj_kind"][q] == ROWS:
            lo = int(projs["proj_w_off"][q])
            n_src = snn.population(proj.source).size
            rows = projs["weights"][lo:lo + n_src * size].reshape(n_src, size)
            placed = np.empty_like(rows)
            placed[:, local] = rows
            projs["weights"][lo:lo + n_src * size] = placed.ravel()
        else:
            ptr = projs["csr_ptr"][projs["proj_ptr_off"][q]:]
            n_src = snn.population(proj.source).size
            lo, hi = int(ptr[0]), int(ptr[n_src])
            projs["csr_idx"][lo:hi] = local[projs["csr_idx"][lo:hi]].astype(np.int32)


MODEL_COLUMNS = ("plain", "leak", "reset_mode", "reset_value", "refractory", "persistent")
"""Columns of ``pop_model``: Population's neuron-model fields, ``plain`` = all defaults."""


def _model_row(pop: Population) -> list[int]:
    return [int(pop.plain_if), int(pop.leak), pop.reset_code, int(pop.reset_value),
            int(pop.refractory), int(pop.persistent)]


def _population_tables(snn: SNN) -> dict[str, np.ndarray]:
    pops = snn.populations
    window = snn.window

    def seq(name: str) -> np.ndarray:
        table = np.zeros((len(pops), window), np.int64)
        for i, pop in enumerate(pops):
            table[i] = np.asarray(getattr(pop, name), dtype=np.int64)
        return table

    names = [p.name for p in pops]
    out_ptr = np.zeros(len(pops) + 1, np.int64)
    out_proj: list[int] = []
    for i, pop in enumerate(pops):
        if pop.spiking:  # the output never fires, so its projections (if any) carry nothing
            out_proj.extend(q for q, proj in enumerate(snn.projections) if proj.source == pop.name)
        out_ptr[i + 1] = len(out_proj)
    return {
        "pop_of": np.repeat(np.arange(len(pops), dtype=np.int64), [p.size for p in pops]),
        "bias": np.concatenate([np.asarray(p.bias, dtype=np.int64) for p in pops]),
        "pop_dynamics": np.array([DYNAMICS.index(p.dynamics) for p in pops], np.int64),
        "pop_role": np.array([ROLES.index(p.role) for p in pops], np.int64),
        "pop_offset": np.array([p.offset for p in pops], np.int64),
        "pop_first": np.array([snn.first_neuron(n) for n in names], np.int64),
        "pop_size": np.array([p.size for p in pops], np.int64),
        "seq_threshold": seq("threshold"), "seq_reset": seq("reset"),
        "seq_out_weight": seq("out_weight"),
        "pop_out_ptr": out_ptr, "pop_out_proj": np.array(out_proj, np.int64),
        "pop_model": np.array([_model_row(p) for p in pops], np.int64).reshape(len(pops), -1),
    }


def core_segments(core_ptr: np.ndarray, core_neurons: np.ndarray, pop_of: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut each core's neuron list into runs of one population (segments).

    Returns ``seg_ptr`` (cores + 1: the segments of core ``c`` are
    ``seg_ptr[c]:seg_ptr[c + 1]``), ``seg_start`` (segments + 1: segment ``s`` holds
    ``core_neurons[seg_start[s]:seg_start[s + 1]]``) and ``seg_pop``.
    """
    pops = pop_of[core_neurons]
    core_start = np.zeros(len(core_neurons), np.bool_)
    core_start[core_ptr[:-1][np.diff(core_ptr) > 0]] = True
    new = core_start.copy()
    new[1:] |= pops[1:] != pops[:-1]
    if len(new):
        new[0] = True
    seg_first = np.flatnonzero(new)
    seg_start = np.append(seg_first, len(core_neurons)).astype(np.int64)
    seg_ptr = np.searchsorted(seg_first, core_ptr).astype(np.int64)
    return seg_ptr, seg_start, pops[seg_first].astype(np.int64)


def _core_tables(snn: SNN, mapping: CoreMapping, hw: Hardware) -> dict[str, np.ndarray]:
    where = f"mapping of {mapping.snn_name!r}"
    if not mapping.blocks:
        raise NeurosimError("the mapping places no neurons", where=where,
                            fix="compile the network again")
    placed = np.zeros(snn.n_neurons, np.int64)
    per_core: dict[int, list[np.ndarray]] = {}
    for block in mapping.blocks:
        per_core.setdefault(int(block.core), [])
        try:
            pop = snn.population(block.population)
        except KeyError:
            raise NeurosimError(f"block on core {block.core} names population "
                                f"{block.population!r}, which the SNN does not have",
                                where=where, fix="compile this SNN again") from None
        local = np.asarray(block.neurons, dtype=np.int64)
        if local.size and (local.min() < 0 or local.max() >= pop.size):
            raise NeurosimError(f"block of {pop.name!r} on core {block.core} holds neurons "
                                f"outside 0..{pop.size - 1}", where=where,
                                fix="compile this SNN again")
        if not 0 <= block.core < hw.total_cores:
            raise NeurosimError(f"core {block.core} does not exist on {hw.name!r} "
                                f"({hw.total_cores} cores)", where=where,
                                fix="compile for this hardware")
        glob = local + snn.first_neuron(pop.name)
        if block.group:  # partial compartments: see _compartment_tables
            continue
        np.add.at(placed, glob, 1)
        per_core[int(block.core)].append(glob)
    if (placed != 1).any():
        bad = int(np.flatnonzero(placed != 1)[0])
        name = snn.populations[int(np.searchsorted(
            [snn.first_neuron(p.name) for p in snn.populations], bad, side="right") - 1)].name
        what = "is not placed" if placed[bad] == 0 else "is placed twice"
        raise NeurosimError(f"neuron {bad} (population {name!r}) {what}", where=where,
                            fix="compile this SNN again")
    cores = np.array(sorted(per_core), np.int64)
    neurons = [np.concatenate(per_core[int(c)] or [np.zeros(0, np.int64)]) for c in cores]
    capacity = hw.chip.core.neurons
    held_compartments = {int(c): 0 for c in cores}
    for block in mapping.blocks:
        if block.group:
            held_compartments[int(block.core)] += len(block.neurons)
    for core, held in zip(cores, neurons):
        total = len(held) + held_compartments[int(core)]
        if total > capacity:
            raise NeurosimError(f"core {core} holds {total} neurons and compartments, the chip "
                                f"allows {capacity}", where=where, fix="compile for this hardware")
    core_ptr = np.zeros(len(cores) + 1, np.int64)
    np.cumsum([len(n) for n in neurons], out=core_ptr[1:])
    core_neurons = np.concatenate(neurons).astype(np.int64)
    core_of = np.empty(snn.n_neurons, np.int64)
    core_of[core_neurons] = np.repeat(np.arange(len(cores)), np.diff(core_ptr))
    seg_ptr, seg_start, seg_pop = core_segments(core_ptr, core_neurons,
                                                np.repeat(np.arange(len(snn.populations)),
                                                          [p.size for p in snn.populations]))
    x, y, chip = mesh_coordinates(hw, cores)
    size_x = hw.board.chips_x * hw.chip.mesh_x
    return {"cores": cores, "core_tile": (y * size_x + x).astype(np.int64),
            "core_chip": chip.astype(np.int64), "core_ptr": core_ptr,
            "core_neurons": core_neurons, "core_of_neuron": core_of,
            "seg_ptr": seg_ptr, "seg_start": seg_start, "seg_pop": seg_pop}


@numba.njit(inline="always", cache=True)
def _count_conv_targets(geom, w_off, src, weights, tgt_slot, base, count, count_kind, kind,
                        touched, n_touched):  # pragma: no cover - compiled
    """Count the non-zero synapses of conv source ``src`` per target core, as
    :func:`~neurosim.engine.synapses.list_targets` lists them, walking the taps as
    :func:`~neurosim.engine.synapses.accumulate` does: each tap's ``C_out`` targets are one
    contiguous run of ``tgt_slot`` (the target cores in slot order, from ``base``).
    Returns (synapses, cores touched so far)."""
    h, w = geom[G_H], geom[G_W]
    c_out, ho, wo = geom[G_COUT], geom[G_HO], geom[G_WO]
    kh, kw = geom[G_KH], geom[G_KW]
    sy, sx, py, px = geom[G_SY], geom[G_SX], geom[G_PY], geom[G_PX]
    ci = src // (h * w)
    rest = src - ci * (h * w)
    iy = rest // w
    ix = rest - iy * w
    ky0, oy0, ky1 = first_tap(iy + py, sy, ho, kh)
    kx0, ox0, kx1 = first_tap(ix + px, sx, wo, kw)
    m = 0
    oy = oy0
    for ky in range(ky0, ky1, sy):
        ox = ox0
        for kx in range(kx0, kx1, sx):
            taps = w_off + ((ci * kh + ky) * kw + kx) * c_out
            run = base + (oy * wo + ox) * c_out
            for co in range(c_out):
                if weights[taps + co] != 0:
                    c = tgt_slot[run + co]
                    if count[c] == 0:
                        touched[n_touched] = c
                        n_touched += 1
                    count[c] += 1
                    count_kind[c, kind] += 1
                    m += 1
            ox -= 1
        oy -= 1
    return m, n_touched


@numba.njit(cache=True)
def _destinations(pop_first, pop_size, pop_role, pop_out_ptr, pop_out_proj, proj_kind,
                  proj_geom, proj_w_off, proj_ptr_off, proj_tgt_first, proj_tgt_size,
                  proj_tgt_pop, weights, csr_ptr, csr_idx, core_of_neuron, n_cores,
                  max_fanout, proj_src_ptr, src_off, tgt_core, proj_cost_kind, tgt_slot
                  ):  # pragma: no cover - compiled
    n_neurons = len(core_of_neuron)
    n_pops = len(pop_first)
    dest_ptr = np.zeros(n_neurons + 1, np.int64)
    tpop_ptr = np.zeros(n_neurons + 1, np.int64)
    cap = max(16, n_neurons)
    dest_core = np.empty(cap, np.int32)
    dest_nsyn = np.empty(cap, np.int32)
    dest_kind = np.empty((cap, 3), np.int32)
    tcap = max(16, n_neurons)
    tpop_id = np.empty(tcap, np.int32)
    tpop_syn = np.empty(tcap, np.int32)
    tpop_kind = np.empty(tcap, np.int8)
    count = np.zeros(n_cores, np.int64)
    count_kind = np.zeros((n_cores, 3), np.int64)
    touched = np.empty(n_cores, np.int64)
    scratch = np.empty(max(max_fanout, 1), np.int64)
    n_pairs = 0
    n_tp = 0
    for p in range(n_pops):
        for i in range(pop_size[p]):
            n = pop_first[p] + i
            n_touched = 0
            if pop_role[p] != 2:
                for e in range(pop_out_ptr[p], pop_out_ptr[p + 1]):
                    q = pop_out_proj[e]
                    base = src_off[proj_src_ptr[q] + i]
                    kind = proj_cost_kind[q]
                    if proj_kind[q] == CONV:
                        m, n_touched = _count_conv_targets(
                            proj_geom[q], proj_w_off[q], i, weights, tgt_slot, base, count,
                            count_kind, kind, touched, n_touched)
                    else:
                        m = list_targets(proj_kind[q], proj_geom[q], proj_w_off[q],
                                         proj_ptr_off[q], proj_tgt_size[q], i, weights, csr_ptr,
                                         csr_idx, scratch)
                    for s in range(m if proj_kind[q] != CONV else 0):
                        c = tgt_core[base + scratch[s]]
                        if count[c] == 0:
                            touched[n_touched] = c
                            n_touched += 1
                        count[c] += 1
                        count_kind[c, kind] += 1
                    if m > 0:
                        if n_tp == tcap:
                            tcap *= 2
                            tpop_id = np.concatenate((tpop_id, np.empty(tcap - n_tp, np.int32)))
                            tpop_syn = np.concatenate((tpop_syn, np.empty(tcap - n_tp, np.int32)))
                            tpop_kind = np.concatenate((tpop_kind,
                                                        np.empty(tcap - n_tp, np.int8)))
                        tpop_id[n_tp] = proj_tgt_pop[q]
                        tpop_syn[n_tp] = m
                        tpop_kind[n_tp] = kind
                        n_tp += 1
            order = np.sort(touched[:n_touched])
            if n_pairs + n_touched > cap:
                cap = max(2 * cap, n_pairs + n_touched)
                dest_core = np.concatenate((dest_core, np.empty(cap - len(dest_core), np.int32)))
                dest_nsyn = np.concatenate((dest_nsyn, np.empty(cap - len(dest_nsyn), np.int32)))
                grown = np.empty((cap, 3), np.int32)
                grown[:n_pairs] = dest_kind[:n_pairs]
                dest_kind = grown
            for c in order:
                dest_core[n_pairs] = c
                dest_nsyn[n_pairs] = count[c]
                for k in range(3):
                    dest_kind[n_pairs, k] = count_kind[c, k]
                    count_kind[c, k] = 0
                count[c] = 0
                n_pairs += 1
            dest_ptr[n + 1] = n_pairs
            tpop_ptr[n + 1] = n_tp
    return (dest_ptr, dest_core[:n_pairs].copy(), dest_nsyn[:n_pairs].copy(), tpop_ptr,
            tpop_id[:n_tp].copy(), tpop_syn[:n_tp].copy(), dest_kind[:n_pairs].copy(),
            tpop_kind[:n_tp].copy())


def _route_hops(hw: Hardware, mesh: Mesh, src_tile: np.ndarray, dst_tile: np.ndarray
                ) -> np.ndarray:
    """Hops of each XY route by kind: along x on the source's row, then along y."""
    sx, sy = mesh.tile_xy(src_tile)
    dx, dy = mesh.tile_xy(dst_tile)
    return np.column_stack(xy_hops(sx, sy, dx, dy, hw.chip.mesh_x, hw.chip.mesh_y))


@numba.njit(cache=True)
def _unicast_hops(dest_ptr, dest_tile, src_tile, size_x, mesh_x, mesh_y
                  ):  # pragma: no cover - compiled
    """Per neuron, the links of all its XY routes by kind (E–W on chip, N–S on chip,
    inter-chip): :func:`~neurosim.compiler.xy.xy_hops` of each (neuron, core) pair,
    summed over the neuron's pairs, in one pass without a temporary per pair."""
    n = len(dest_ptr) - 1
    hops = np.zeros((n, 3), np.int64)
    for i in range(n):
        sx = src_tile[i] % size_x
        sy = src_tile[i] // size_x
        ew = ns = ic = 0
        for pr in range(dest_ptr[i], dest_ptr[i + 1]):
            dx = dest_tile[pr] % size_x
            dy = dest_tile[pr] // size_x
            chip_x = abs(dx // mesh_x - sx // mesh_x)
            chip_y = abs(dy // mesh_y - sy // mesh_y)
            ew += abs(dx - sx) - chip_x
            ns += abs(dy - sy) - chip_y
            ic += chip_x + chip_y
        hops[i, 0] = ew
        hops[i, 1] = ns
        hops[i, 2] = ic
    return hops


@numba.njit(cache=True)
def _received_kinds(dest_core, dest_kind_nsyn, n_cores):  # pragma: no cover - compiled
    """(cores, 3): whether each core receives synapses of each kind from some pair."""
    received = np.zeros((n_cores, 3), np.bool_)
    for pr in range(len(dest_core)):
        for k in range(3):
            if dest_kind_nsyn[pr, k] > 0:
                received[dest_core[pr], k] = True
    return received


@numba.njit(cache=True)
def _tree_hops(dest_ptr, dest_tile, src_tile, size_x, link_next, link_kind
               ):  # pragma: no cover - compiled
    """Links of each neuron's XY multicast tree (the union of its XY paths), by kind."""
    n = len(dest_ptr) - 1
    hops = np.zeros((n, 3), np.int64)
    stamp = np.full(len(link_next), -1, np.int64)
    for i in range(n):
        for pr in range(dest_ptr[i], dest_ptr[i + 1]):
            tile = src_tile[i]
            goal = dest_tile[pr]
            while tile != goal:
                x, y = tile % size_x, tile // size_x
                gx, gy = goal % size_x, goal // size_x
                d = xy_direction(x, y, gx, gy)
                link = tile * 4 + d
                if stamp[link] != i:
                    stamp[link] = i
                    hops[i, link_kind[link]] += 1
                tile = link_next[link]
    return hops


def _compartment_tables(snn: SNN, mapping: CoreMapping, cores: dict[str, np.ndarray]
                        ) -> dict[str, np.ndarray]:
    """Partial compartments by core, and where each source's synapses land (module docstring)."""
    from neurosim.compiler.fanin import source_group

    where = f"mapping of {mapping.snn_name!r}"
    index = {int(c): i for i, c in enumerate(cores["cores"])}
    core_of = cores["core_of_neuron"]
    rows: dict[tuple[str, int], int] = {}
    tgt_core = [core_of]
    table_base: dict[tuple[str, int], int] = {}
    size = snn.n_neurons
    names = [p.name for p in snn.populations]
    row_pop: list[int] = []
    row_size: list[int] = []
    for name, cuts in mapping.fanin_groups.items():
        pop = snn.population(name)
        for g in range(1, len(cuts) + 1):
            rows[(name, g)] = len(rows)
            row_pop.append(names.index(name))
            row_size.append(pop.size)
            table_base[(name, g)] = size
            tgt_core.append(np.full(pop.size, -1, np.int64))
            size += pop.size
    per_core: list[list[tuple[np.ndarray, int]]] = [[] for _ in cores["cores"]]
    for block in mapping.blocks:
        if not block.group:
            continue
        key = (block.population, int(block.group))
        if key not in rows:
            raise NeurosimError(f"block on core {block.core} is a partial block of group "
                                f"{block.group} of {block.population!r}, which the mapping "
                                f"does not split so", where=where, fix="compile this SNN again")
        local = np.asarray(block.neurons, dtype=np.int64)
        c = index[int(block.core)]
        tgt_core[1 + rows[key]][local] = c
        per_core[c].append((local + snn.first_neuron(block.population), rows[key]))
    comp_ptr = np.zeros(len(per_core) + 1, np.int64)
    np.cumsum([sum(len(n) for n, _ in parts) for parts in per_core], out=comp_ptr[1:])
    flat = [p for parts in per_core for p in parts]
    comp_neuron = np.concatenate([n for n, _ in flat] or [np.zeros(0, np.int64)]).astype(np.int64)
    comp_row = np.concatenate([np.full(len(n), r) for n, r in flat] or [np.zeros(0)]).astype(np.int64)
    comp_home = core_of[comp_neuron]
    proj_src_ptr = np.zeros(len(snn.projections), np.int64)
    src_off: list[np.ndarray] = []
    src_row: list[np.ndarray] = []
    n_src = 0
    for q, proj in enumerate(snn.projections):
        proj_src_ptr[q] = n_src
        source = snn.population(proj.source)
        first = snn.first_neuron(proj.target)
        cuts = mapping.fanin_groups.get(proj.target)
        if cuts:
            group = source_group(cuts, snn.first_neuron(proj.source) + np.arange(source.size))
            base = np.array([first] + [table_base[(proj.target, g)]
                                       for g in range(1, len(cuts) + 1)], np.int64)
            row = np.array([-1] + [rows[(proj.target, g)] for g in range(1, len(cuts) + 1)],
                           np.int64)
            src_off.append(base[group])
            src_row.append(row[group])
        else:
            src_off.append(np.full(source.size, first, np.int64))
            src_row.append(np.full(source.size, -1, np.int64))
        n_src += source.size
    row_base = np.zeros(len(rows) + 1, np.int64)
    np.cumsum(row_size, out=row_base[1:])
    return {
        "comp_ptr": comp_ptr, "comp_neuron": comp_neuron, "comp_row": comp_row,
        "comp_home": comp_home.astype(np.int64), "n_rows": len(rows),
        "row_pop": np.array(row_pop, np.int64), "row_base": row_base,
        "proj_src_ptr": proj_src_ptr,
        "src_off": np.concatenate(src_off or [np.zeros(0, np.int64)]).astype(np.int64),
        "src_row": np.concatenate(src_row or [np.zeros(0, np.int64)]).astype(np.int64),
        "tgt_core": np.concatenate(tgt_core).astype(np.int64),
    }


def _target_cores_in_slot_order(snn: SNN, mapping: CoreMapping, tgt_core: np.ndarray,
                                slot_of: np.ndarray) -> np.ndarray:
    """``tgt_core`` with each population's part (the home cores, and each partial group's
    table) in slot order, so that a convolution's targets at one position (its ``C_out``
    channels) are one contiguous run, as :func:`_count_conv_targets` reads them."""
    out = np.empty_like(tgt_core)
    out[slot_of] = tgt_core[:snn.n_neurons]
    first_of = {p.name: snn.first_neuron(p.name) for p in snn.populations}
    base = snn.n_neurons
    for name, cuts in mapping.fanin_groups.items():  # the tables' order (_compartment_tables)
        first, size = first_of[name], snn.population(name).size
        local = slot_of[first:first + size] - first
        for _ in range(len(cuts)):
            out[base + local] = tgt_core[base:base + size]
            base += size
    assert base == len(tgt_core)
    return out


def _max_fanout(snn: SNN, proj_geom: np.ndarray) -> int:
    top = 0
    for q, proj in enumerate(snn.projections):
        if proj.kind == "conv":
            g = proj_geom[q]
            top = max(top, int(g[3] * g[6] * g[7]))
        else:
            top = max(top, int(np.asarray(proj.weight).shape[0]))
    return top


def _kind_tables(hw: Hardware, proj_cost_kind: np.ndarray, pops: dict[str, np.ndarray],
                 dest_ptr: np.ndarray, dest_core: np.ndarray, dest_nsyn: np.ndarray,
                 dest_kind_nsyn: np.ndarray, comps: dict[str, np.ndarray], n_cores: int
                 ) -> dict[str, np.ndarray]:
    """What the engine needs to count and time synaptic events by kind (EngineTables).

    A core that receives synapses of one kind only (all cores of most networks) is timed
    ``n_syn × latency`` of that kind per packet and counts its events in that kind's
    column; a *mixed* core (synapses of several kinds, or a kind and partial sums, which
    are one dense event each) reads each packet's own split from the per-pair tables,
    which exist only when some core is mixed.
    """
    from neurosim.engine.kernel import SYN_KIND

    latency = hw.chip.costs.synop_latency_s()
    received = _received_kinds(dest_core, dest_kind_nsyn, n_cores)
    received[comps["comp_home"], KIND_DENSE] = True  # a partial sum is one dense event
    n_kinds = received.sum(axis=1)
    single = np.where(n_kinds > 0, np.argmax(received, axis=1), KIND_DENSE)
    core_syn_col = np.where(n_kinds <= 1, SYN_KIND + single, -1).astype(np.int64)
    core_syn_s = np.where(n_kinds <= 1, np.asarray(latency)[single], -1.0)
    mixed = bool((core_syn_col < 0).any())
    pair_kinds = dest_kind_nsyn
    n_comp = len(comps["comp_neuron"])
    comp_kind_nsyn = np.zeros((n_comp if mixed else 0, 3), np.int32)
    comp_kind_nsyn[:, KIND_DENSE] = 1
    if mixed:
        # n_syn × latency when one kind (or equal latencies) makes it so: the float sum a
        # single-kind core forms; else the sum over kinds, dense, sparse, conv in order.
        first = np.argmax(dest_kind_nsyn > 0, axis=1)
        plain = ((dest_kind_nsyn > 0).sum(axis=1) <= 1) | (len(set(latency)) == 1)
        by_kind = np.zeros(len(dest_nsyn))
        for k in range(3):
            by_kind = by_kind + dest_kind_nsyn[:, k] * latency[k]
        dest_syn_s = np.where(plain, dest_nsyn * np.asarray(latency)[first], by_kind)
    else:
        dest_kind_nsyn = np.zeros((0, 3), np.int32)
        dest_syn_s = np.zeros(0)
    # The kind of the synapses leaving each population (−1: several), and per neuron the
    # synapses of each kind when some population sends several.
    out_ptr, out_proj = pops["pop_out_ptr"], pops["pop_out_proj"]
    pop_out_kind = np.full(len(out_ptr) - 1, KIND_DENSE, np.int64)
    for p in range(len(out_ptr) - 1):
        sent = set(proj_cost_kind[out_proj[out_ptr[p]:out_ptr[p + 1]]].tolist())
        pop_out_kind[p] = sent.pop() if len(sent) == 1 else (KIND_DENSE if not sent else -1)
    src_kind_syn = np.zeros((0, 3), np.int64)
    if (pop_out_kind < 0).any():
        owner = np.repeat(np.arange(len(dest_ptr) - 1), np.diff(dest_ptr))
        src_kind_syn = np.zeros((len(dest_ptr) - 1, 3), np.int64)
        np.add.at(src_kind_syn, owner, pair_kinds)
    return {"pop_out_kind": pop_out_kind, "src_kind_syn": src_kind_syn,
            "core_syn_col": core_syn_col, "core_syn_s": core_syn_s.astype(np.float64),
            "dest_kind_nsyn": dest_kind_nsyn.astype(np.int32),
            "dest_syn_s": dest_syn_s.astype(np.float64), "comp_kind_nsyn": comp_kind_nsyn,
            "comp_syn_s": np.full(len(comp_kind_nsyn), latency[KIND_DENSE], np.float64)}


def build_tables(snn: SNN, mapping: CoreMapping, hw: Hardware) -> EngineTables:
    """Pack ``snn`` as placed by ``mapping`` on ``hw`` for the simulation loop."""
    if not snn.integer:
        raise NeurosimError("the event engine runs integer networks; this one is in ideal "
                            "(float) mode", where=f"SNN {snn.name!r}",
                            fix="convert with integer precision (the default)")
    pops = _population_tables(snn)
    projs = _projection_tables(snn)
    cores = _core_tables(snn, mapping, hw)
    comps = _compartment_tables(snn, mapping, cores)
    names = [p.name for p in snn.populations]
    tgt_pop = np.array([names.index(p.target) for p in snn.projections], np.int64)
    proj_cost_kind = np.array([synapse_kind(p, hw.chip.core) for p in snn.projections], np.int64)
    slot_of = slot_positions(snn)
    (dest_ptr, dest_core, dest_nsyn, tpop_ptr, tpop_id, tpop_syn, dest_kind_nsyn,
     tpop_kind) = _destinations(
        pops["pop_first"], pops["pop_size"], pops["pop_role"], pops["pop_out_ptr"],
        pops["pop_out_proj"], projs["proj_kind"], projs["proj_geom"], projs["proj_w_off"],
        projs["proj_ptr_off"], projs["proj_tgt_first"], projs["proj_tgt_size"], tgt_pop,
        projs["weights"], projs["csr_ptr"], projs["csr_idx"], cores["core_of_neuron"],
        len(cores["cores"]), _max_fanout(snn, projs["proj_geom"]), comps["proj_src_ptr"],
        comps["src_off"], comps["tgt_core"], proj_cost_kind,
        _target_cores_in_slot_order(snn, mapping, comps["tgt_core"], slot_of))
    kinds = _kind_tables(hw, proj_cost_kind, pops, dest_ptr, dest_core, dest_nsyn,
                         dest_kind_nsyn, comps, len(cores["cores"]))
    _to_slot_order(snn, projs, slot_of)  # after _destinations, which lists natural targets
    # A row of partial sums holds its population in slot order (the engine accumulates
    # into it as into a ring slot, from 0 instead of the population's first neuron).
    comp_neuron = comps["comp_neuron"]
    comp_psum = (comps["row_base"][comps["comp_row"]] + slot_of[comp_neuron]
                 - pops["pop_first"][pops["pop_of"][comp_neuron]]).astype(np.int64)
    mesh = build_mesh(hw)
    dest_tile = cores["core_tile"][dest_core]
    src_tile = cores["core_tile"][cores["core_of_neuron"]]
    if hw.chip.core.multicast:
        src_hops = _tree_hops(dest_ptr, dest_tile, src_tile, mesh.size_x, mesh.next_tile, mesh.kind)
    else:
        src_hops = _unicast_hops(dest_ptr, dest_tile.astype(np.int64), src_tile.astype(np.int64),
                                 mesh.size_x, hw.chip.mesh_x, hw.chip.mesh_y)
    comp_tile = cores["core_tile"][comps["comp_home"]]
    comp_src_tile = cores["core_tile"][np.repeat(np.arange(len(cores["cores"])),
                                                 np.diff(comps["comp_ptr"]))]
    comp_hops = _route_hops(hw, mesh, comp_src_tile, comp_tile).astype(np.int64)
    src_synapses = np.add.reduceat(np.append(dest_nsyn, 0).astype(np.int64), dest_ptr[:-1])
    src_synapses[np.diff(dest_ptr) == 0] = 0
    order = np.argsort(cores["core_tile"], kind="stable")
    n_cores, n_pops = len(cores["cores"]), len(snn.populations)
    held = np.zeros((n_cores, n_pops), np.int64)
    np.add.at(held, (cores["core_of_neuron"], pops["pop_of"]), 1)
    held_partial = np.zeros((n_cores, n_pops), np.int64)
    np.add.at(held_partial, (np.repeat(np.arange(n_cores), np.diff(comps["comp_ptr"])),
                             pops["pop_of"][comps["comp_neuron"]]), 1)
    tile_core_ptr = np.zeros(mesh.tiles + 1, np.int64)
    np.cumsum(np.bincount(cores["core_tile"], minlength=mesh.tiles), out=tile_core_ptr[1:])
    return EngineTables(
        **pops, **projs, **cores, **comps, slot_of=slot_of, proj_tgt_pop=tgt_pop,
        comp_tile=comp_tile.astype(np.int32), comp_hops=comp_hops.reshape(-1, 3),
        ring=int(max((p.delay for p in snn.projections), default=0)) + 2,
        dest_ptr=dest_ptr, dest_core=dest_core, dest_nsyn=dest_nsyn,
        dest_tile=dest_tile.astype(np.int32),
        src_synapses=src_synapses, src_hops=src_hops.astype(np.int64),
        tile_core_ptr=tile_core_ptr, tile_cores=order.astype(np.int64),
        tpop_ptr=tpop_ptr, tpop_id=tpop_id, tpop_syn=tpop_syn,
        proj_cost_kind=proj_cost_kind, tpop_kind=tpop_kind, **kinds, comp_psum=comp_psum,
        core_pop_neurons=held, core_pop_compartments=held_partial,
        split_neurons=len(np.unique(comps["comp_neuron"])),
        mesh=mesh,
        tiles_used=len(np.unique(cores["core_tile"])),
        chips_used=len(np.unique(cores["core_chip"])),
        explicit_synapses=int(dest_nsyn.sum(dtype=np.int64)),
    )
