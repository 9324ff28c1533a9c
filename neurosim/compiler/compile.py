"""Compiling an SNN onto a board: partition, place, route, check, and the figures.

:func:`compile_network` is the whole compiler; its steps live in
:mod:`~neurosim.compiler.partition`, :mod:`~neurosim.compiler.place` and
:mod:`~neurosim.compiler.route`. (Named so as not to shadow the builtin ``compile``.)
"""

from __future__ import annotations

from collections.abc import Mapping as MappingABC
from dataclasses import replace

import numpy as np

from neurosim.compiler.fanin import split_mapping_usage
from neurosim.compiler.mapping import CoreMapping, layout_hash
from neurosim.compiler.partition import Partition, partition
from neurosim.compiler.place import (
    PLACER_TIME_LIMIT_S,
    PLACERS,
    layer_ordered,
    optimise,
    placement_cost,
)
from neurosim.compiler.route import (
    Fanout,
    TrafficCost,
    traffic_cost,
    traffic_matrix,
)
from neurosim.compiler.usage import LIMIT_LABELS, Usage, unit_usage
from neurosim.errors import NeurosimError
from neurosim.hardware.model import Hardware
from neurosim.snn.network import SNN


def spike_estimate(snn: SNN, spike_counts: MappingABC[str, np.ndarray] | np.ndarray | None = None
                   ) -> np.ndarray:
    """Expected spikes per image of every neuron (network-wide numbering).

    ``spike_counts`` is a mapping population → spikes per neuron (as
    :meth:`FunctionalResult.mean_spike_counts` gives), an array over all neurons, or
    ``None`` for the uniform estimate: one spike per spiking neuron.
    """
    if spike_counts is None:
        spikes = np.zeros(snn.n_neurons)
        for pop in snn.populations:
            if pop.spiking:
                first = snn.first_neuron(pop.name)
                spikes[first:first + pop.size] = 1.0
        return spikes
    if isinstance(spike_counts, MappingABC):
        spikes = np.zeros(snn.n_neurons)
        for name, counts in spike_counts.items():
            try:
                pop = snn.population(name)
            except KeyError:
                raise NeurosimError(f"spike counts name {name!r}, which is no population",
                                    where=f"SNN {snn.name!r}") from None
            counts = np.asarray(counts, dtype=np.float64).reshape(-1)
            if counts.size != pop.size:
                raise NeurosimError(f"spike counts of {name!r} have {counts.size} values, the "
                                    f"population has {pop.size} neurons", where=f"SNN {snn.name!r}")
            spikes[snn.first_neuron(name):snn.first_neuron(name) + pop.size] = counts
        return spikes
    spikes = np.asarray(spike_counts, dtype=np.float64).reshape(-1)
    if spikes.size != snn.n_neurons:
        raise NeurosimError(f"spike counts have {spikes.size} values for {snn.n_neurons} neurons",
                            where=f"SNN {snn.name!r}")
    return spikes


def check_weights(snn: SNN, hw: Hardware) -> None:
    """Every integer weight must fit the chip's weight width (signed).

    A 1-bit crossbar (TrueNorth) holds connectivity, with the signed values elsewhere
    (per axon type), so it is not checked here.
    """
    bits = int(hw.chip.core.weight_bits)
    limit = 2 ** (bits - 1) - 1
    for proj in snn.projections:
        top = int(np.abs(proj.weight).max(initial=0))
        if snn.integer and bits > 1 and top > limit:
            raise NeurosimError(
                f"projection {proj.name!r} has weights up to ±{top}, beyond the {bits}-bit "
                f"weights (±{limit}) of {hw.name!r}", where=f"SNN {snn.name!r}",
                fix=f"convert again with --weight-bits {bits} (compare and sweeps do this)")
    if not snn.integer:
        raise NeurosimError("the network is in ideal float mode; a chip needs integers",
                            where=f"SNN {snn.name!r}", fix="convert without --ideal")


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def check_fits_board(part: Partition, hw: Hardware) -> None:
    """Fewer blocks than cores, or an error saying what the network needs and why."""
    need = part.n_blocks
    if need <= hw.total_cores:
        return
    core = hw.chip.core
    binding = np.bincount(part.usage.binding(core), minlength=len(Usage.limits()))
    top = int(np.argmax(binding))
    label = LIMIT_LABELS[Usage.limits()[top]]
    share = 100.0 * binding[top] / need
    chips = -(-need // hw.chip.cores)
    raise NeurosimError(
        f"the network needs {need:,} cores on {_count(chips, 'chip')} ({label} binds: "
        f"{share:.0f}% of blocks are {label}-bound) but the board has "
        f"{_count(hw.total_chips, 'chip')} × {hw.chip.cores} cores = {hw.total_cores:,}",
        where=f"hardware {hw.name!r}",
        fix=f"use a board with more chips (--set board.chips_x=N --set board.chips_y=M), cores "
            f"with more {label}, or a smaller network")


def board_that_fits(snn: SNN, hw: Hardware,
                    spike_counts: MappingABC[str, np.ndarray] | np.ndarray | None = None
                    ) -> tuple[Hardware, Partition]:
    """``hw``, or the same chip on a board grown to hold ``snn``; and the partition.

    The partition depends on the chip's cores only, not on the board, so it is made once
    and serves the grown board (pass it to :func:`compile_network` as ``partitioned``).
    A network that needs more cores than the board has gets the fewest chips that hold its
    blocks, laid out as near a square as a whole rectangle allows (``chips_x`` =
    ⌈√chips⌉, ``chips_y`` = ⌈chips / chips_x⌉), set with the same overrides ``--set
    board.chips_x=… --set board.chips_y=…`` would set, so the result says what changed. A
    network that fits keeps the board as given.
    """
    check_weights(snn, hw)
    part = partition(snn, hw, spike_estimate(snn, spike_counts))
    if part.n_blocks <= hw.total_cores:
        return hw, part
    chips = -(-part.n_blocks // hw.chip.cores)
    chips_x = int(np.ceil(np.sqrt(chips)))
    chips_y = -(-chips // chips_x)
    return hw.with_values({"board.chips_x": chips_x, "board.chips_y": chips_y}), part


def compile_network(snn: SNN, hw: Hardware,
            spike_counts: MappingABC[str, np.ndarray] | np.ndarray | None = None,
            placer: str = "optimised", seed: int = 0, effort: float = 1.0,
            placer_time_s: float = PLACER_TIME_LIMIT_S,
            partitioned: Partition | None = None) -> CoreMapping:
    """Map ``snn`` onto ``hw``: partition, place, route; figures in ``CoreMapping.stats``.

    ``spike_counts`` (see :func:`spike_estimate`) weigh the traffic; ``placer`` is
    ``"baseline"`` (layer order) or ``"optimised"``; ``effort`` scales the annealing and
    ``placer_time_s`` bounds the optimising placer's wall time
    (:func:`~neurosim.compiler.place.optimise`).
    The stats give the expected packets × hops per image for the baseline and, with the
    optimised placer, for it too; the optimised placement is never worse than the baseline.
    ``partitioned`` is the partition :func:`board_that_fits` made of the same network,
    spike counts and chip (trusted, not re-checked), which skips partitioning again.
    """
    if placer not in PLACERS:
        raise NeurosimError(f"unknown placer {placer!r}", fix=f"use one of {', '.join(PLACERS)}")
    if not (np.isfinite(effort) and 0 < effort <= 100):
        raise NeurosimError(f"effort {effort} is outside (0, 100]", fix="use e.g. 1 (the default)")
    if not (np.isfinite(placer_time_s) and placer_time_s > 0):
        raise NeurosimError(f"placer time limit {placer_time_s} s is not positive",
                            fix=f"use e.g. {PLACER_TIME_LIMIT_S:g} (the default)")
    check_weights(snn, hw)
    spikes = spike_estimate(snn, spike_counts)
    part = partition(snn, hw, spikes) if partitioned is None else partitioned
    check_fits_board(part, hw)
    spike_traffic = traffic_matrix(part.fanout, spikes, part.block_of_neuron, part.n_blocks)
    p_src, p_dst, p_packets = part.partial_traffic
    src, dst = np.concatenate([spike_traffic[0], p_src]), np.concatenate([spike_traffic[1], p_dst])
    packets = np.concatenate([spike_traffic[2], p_packets])
    placements = {"baseline": layer_ordered(part.n_blocks)}
    placer_details: dict = {}
    if placer == "optimised":
        placements["optimised"] = optimise(hw, part.n_blocks, src, dst, packets, seed, effort,
                                           placer_time_s, placer_details)
    costs = {name: _with_partial_sums(hw, _spike_cost(hw, part, spikes, spike_traffic, cores),
                                      part, cores)
             for name, cores in placements.items()}
    chosen = placer
    if placer == "optimised" and costs["optimised"].packets_hops > costs["baseline"].packets_hops:
        # The layer order is one of the optimiser's candidates: it never returns worse.
        chosen = "baseline"
        placements["optimised"], costs["optimised"] = placements["baseline"], costs["baseline"]
    cores = placements[chosen]
    blocks = tuple(replace(b, core=int(cores[i]), usage=part.usage.record(i))
                   for i, b in enumerate(part.blocks))
    stats = _stats(snn, hw, part, cores, costs, placer, chosen, spikes, spike_counts is None)
    if placer_details:  # the moves, not the seconds: equal inputs give equal stats
        stats["placer_run"] = {key: placer_details[key] for key in
                               ("anneal_moves_planned", "anneal_moves", "time_limit_s",
                                "time_limited")}
    return CoreMapping(snn_name=snn.name, hardware_name=hw.name, layout_hash=layout_hash(hw),
                       file_hash=hw.file_hash,
                   blocks=blocks, placer=placer, seed=int(seed), stats=stats,
                   fanin_groups=dict(part.fanin_groups))


def _spike_cost(hw: Hardware, part: Partition, spikes: np.ndarray,
                spike_traffic: tuple[np.ndarray, np.ndarray, np.ndarray], cores: np.ndarray
                ) -> TrafficCost:
    """The expected spike traffic of the placement ``cores`` (core of every block).

    Unicast: every spike of a neuron of block a sends one packet to each destination
    block b, so Σ_n spikes(n) Σ_{b ∈ D(n)} hops = Σ_{a,b} P(a, b) · hops(a, b) over the
    block traffic matrix, which has far fewer entries than the neurons' destinations.
    Multicast: the trees are per neuron (:func:`~neurosim.compiler.route.traffic_cost`);
    their links do not depend on the order of a neuron's destinations, so the fan-out is
    renamed to cores without sorting.
    """
    if not hw.chip.core.multicast:
        src, dst, packets = spike_traffic
        hops, inter = placement_cost(hw, src, dst, packets, cores)
        return TrafficCost(float(packets.sum()), hops, inter)
    fan = part.fanout
    by_core = Fanout(fan.indptr, np.asarray(cores, dtype=np.int64)[fan.units], fan.synapses)
    return traffic_cost(hw, by_core, spikes, cores[part.block_of_neuron])


def _with_partial_sums(hw: Hardware, cost: TrafficCost, part: Partition, cores: np.ndarray
                       ) -> TrafficCost:
    """The spike traffic plus the expected partial-sum packets (one destination each)."""
    p_src, p_dst, p_packets = part.partial_traffic
    if not len(p_src):
        return cost
    hops, inter = placement_cost(hw, p_src, p_dst, p_packets, cores)
    return TrafficCost(cost.packets + float(p_packets.sum()), cost.packets_hops + hops,
                       cost.interchip_hops + inter)


def _stats(snn: SNN, hw: Hardware, part: Partition, cores: np.ndarray, costs: dict, placer: str,
           chosen: str, spikes: np.ndarray, uniform: bool) -> dict:
    core = hw.chip.core
    tiles = np.unique(cores // hw.chip.cores_per_tile)
    binding = np.bincount(part.usage.binding(core), minlength=len(Usage.limits()))
    cost = {name: c.as_dict() for name, c in costs.items()}
    if "optimised" in costs:
        base = costs["baseline"].packets_hops
        cost["improvement_pct"] = (100.0 * (base - costs["optimised"].packets_hops) / base
                                   if base > 0 else 0.0)
        cost["kept_baseline"] = chosen == "baseline"
    cost["multicast"] = bool(core.multicast)
    cost["per"] = "image"
    return {
        "neurons": snn.n_neurons,
        "synapses": snn.synapse_count(),
        "blocks": part.n_blocks,
        "cores_used": len(np.unique(cores)),
        "chips_used": len(np.unique(cores // hw.chip.cores)),
        "tiles_used": len(tiles),
        "blocks_per_population": {p.name: int(sum(b.population == p.name for b in part.blocks))
                                  for p in snn.populations},
        "split_neurons": len({(b.population, int(n)) for b in part.blocks if b.group
                              for n in b.neurons}),
        "partial_blocks": sum(1 for b in part.blocks if b.group),
        "partial_sum_packets_per_image": float(part.partial_traffic[2].sum()),
        "utilisation": part.usage.summary(core),
        "binding_limit_blocks": {name: int(n) for name, n in zip(Usage.limits(), binding)},
        "traffic_estimate": "uniform: one spike per spiking neuron" if uniform
        else "spike counts given",
        "spikes_per_image": float(spikes.sum()),
        "cost": cost,
        "placer": placer,
    }


def mapping_usage(snn: SNN, hw: Hardware, mapping: CoreMapping) -> tuple[np.ndarray, Usage]:
    """(cores, exact usage of each of those cores) of a mapping, from the synapses."""
    if mapping.fanin_groups:
        return split_mapping_usage(snn, hw, mapping)
    cores = mapping.cores_used()
    core_of_neuron = mapping.core_of_neuron(snn)
    index = np.searchsorted(cores, core_of_neuron)
    usage, _ = unit_usage(snn, hw, index, len(cores))
    return cores, usage
