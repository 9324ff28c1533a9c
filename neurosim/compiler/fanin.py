"""Fan-in wider than a core's input axons: partial compartments joined at the home core.

A neuron whose distinct inputs exceed ``core.input_axons`` cannot sit on any core whole.
On a chip with ``core.fanin_split`` the compiler splits the inputs of such a population
the way a dendritic tree does: the population's source neurons (sorted, network-wide)
are cut into *source groups*. Group 0 synapses land on the neuron's *home* block, as
usual; the synapses from group ``g >= 1`` land on a *partial compartment* of the neuron
in a partial block (:attr:`Block.group` = g) on some core. Each step, a partial
compartment whose input sum is non-zero sends that sum in one packet to the home core,
which adds it into the neuron's input (one packet in, one synaptic accumulate) before
the step ends. The integer arithmetic is that of the unsplit neuron.

Resources: a compartment counts as a neuron of its core and holds its group's synapses;
it owns one output route (to the home core). On a chip with ``core.weight_sharing`` a
convolution's weights are shared per core as for unsplit populations, restricted to the
group: a block (home or partial, group g) stores, per output channel it holds, the kernel
slices of the source channels that reach into group g (:func:`group_kernel_weights`);
dense projections and chips without weight sharing store each synapse. At the home core every compartment that
feeds a neuron takes one input axon. The groups are sized so that one neuron always
fits: group 0 leaves room for one axon per other group.
"""

from __future__ import annotations

import numpy as np

from neurosim.compiler.keys import distinct
from neurosim.compiler.mapping import CoreMapping
from neurosim.compiler.route import Fanout, count_pairs, fanout, merge_pairs, route_usage
from neurosim.compiler.usage import Usage, kernel_slice_weights
from neurosim.hardware.model import Hardware
from neurosim.snn.connectivity import synapses
from neurosim.snn.network import SNN, Projection


def source_cuts(sources: np.ndarray, input_axons: int) -> np.ndarray | None:
    """Where source groups 1, 2, ... begin (network-wide neuron numbers), or None.

    ``sources`` are the distinct source neurons of a population, ascending. No cut is
    needed if they fit one core. Otherwise there are G groups, as few as possible such
    that group 0 holds at most ``input_axons - (G - 1)`` sources (room for the partial
    sums at the home core) and every other group at most ``input_axons``; group 0 takes
    an even share if that is smaller, the rest are shared evenly. None if even that does
    not fit (fewer than two axons, or more groups than axons).
    """
    sources = np.asarray(sources, dtype=np.int64)
    n, limit = len(sources), int(input_axons)
    if n <= limit:
        return np.zeros(0, dtype=np.int64)
    if limit < 2:
        return None
    extra = -(-(n - limit) // (limit - 1))  # groups besides group 0
    if limit - extra < 1:
        return None
    first = min(-(-n // (extra + 1)), limit - extra)
    rest = n - first
    sizes = np.full(extra, rest // extra, dtype=np.int64)
    sizes[:rest % extra] += 1
    starts = first + np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return sources[starts]


def source_group(cuts: np.ndarray | tuple[int, ...], sources: np.ndarray) -> np.ndarray:
    """The source group of each (network-wide) source neuron."""
    return np.searchsorted(np.asarray(cuts, dtype=np.int64), sources, side="right")


def group_kernel_weights(snn: SNN, proj: Projection, cuts: np.ndarray | tuple[int, ...]
                         ) -> np.ndarray:
    """Shared weights per output channel of conv ``proj`` in each source group:
    ``kh·kw × #{source channels with a neuron in the group}`` (zeros included, as for an
    unsplit shared kernel), one value per group 0 … len(cuts)."""
    shape = snn.population(proj.source).shape
    plane = int(np.prod(shape[1:]))
    first = snn.first_neuron(proj.source) + np.arange(shape[0]) * plane
    lo = source_group(cuts, first)
    hi = source_group(cuts, first + plane - 1)
    # Channel c spans groups lo[c] … hi[c]: +1 at lo, −1 after hi.
    change = np.zeros(len(cuts) + 2, dtype=np.int64)
    np.add.at(change, lo, 1)
    np.add.at(change, hi + 1, -1)
    kh, kw = proj.kernel_size
    return np.cumsum(change)[:len(cuts) + 1] * kh * kw


def compartments(snn: SNN, mapping: CoreMapping) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(neuron, group, core) of every partial compartment (neurons network-wide)."""
    parts = [(snn.first_neuron(b.population) + b.neurons, b.group, b.core)
             for b in mapping.blocks if b.group]
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), empty.copy()
    neuron = np.concatenate([n for n, _, _ in parts]).astype(np.int64)
    group = np.concatenate([np.full(len(n), g) for n, g, _ in parts]).astype(np.int64)
    core = np.concatenate([np.full(len(n), c) for n, _, c in parts]).astype(np.int64)
    return neuron, group, core


def synapse_cores(snn: SNN, mapping: CoreMapping):
    """Per projection: (projection, source, target, core holding the synapse), network-wide.

    A synapse sits on its target's home core, unless the target's fan-in is split and the
    source is in group g >= 1: then on the core of the target's partial compartment g.
    """
    home = mapping.core_of_neuron(snn)
    neuron, group, core = compartments(snn, mapping)
    n_groups = 1 + max((len(c) for c in mapping.fanin_groups.values()), default=0)
    partial = np.full((n_groups, snn.n_neurons), -1, dtype=np.int64)
    partial[np.minimum(group, n_groups - 1), neuron] = core
    out = []
    for proj in snn.projections:
        src, tgt, _ = synapses(proj, snn.population(proj.source).shape)
        src = src + snn.first_neuron(proj.source)
        tgt = tgt + snn.first_neuron(proj.target)
        unit = home[tgt].copy()
        cuts = mapping.fanin_groups.get(proj.target)
        if cuts:
            grp = source_group(cuts, src)
            far = grp > 0
            unit[far] = partial[grp[far], tgt[far]]
        out.append((proj, src, tgt, unit))
    return out


def split_mapping_usage(snn: SNN, hw: Hardware, mapping: CoreMapping) -> tuple[np.ndarray, Usage]:
    """(cores, exact usage of each) of a mapping with partial compartments (module docstring)."""
    core = hw.chip.core
    cores = mapping.cores_used()
    n_units = len(cores)
    home = np.searchsorted(cores, mapping.core_of_neuron(snn))
    c_neuron, _, c_core = compartments(snn, mapping)
    c_unit = np.searchsorted(cores, c_core)
    neurons = (np.bincount(home, minlength=n_units)
               + np.bincount(c_unit, minlength=n_units)).astype(np.int64)
    weights = np.zeros(n_units, dtype=np.int64)
    pair_parts = []
    for proj, src, tgt, unit_core in synapse_cores(snn, mapping):
        unit = np.searchsorted(cores, unit_core)
        pair_parts.append(count_pairs(src, unit, n_units))
        pop = snn.population(proj.target)
        split = proj.target in mapping.fanin_groups
        if proj.kind == "conv" and core.weight_sharing and split:
            # A shared slice of the group's kernel per (unit, output channel): group 0 on
            # the home cores of all the population's neurons, group g >= 1 on the cores of
            # the compartments (neurons with group-g synapses).
            cuts = mapping.fanin_groups[proj.target]
            per_group = group_kernel_weights(snn, proj, cuts)
            first = snn.first_neuron(proj.target)
            plane = int(np.prod(pop.shape[1:]))
            span = pop.shape[0] + 1
            keys = distinct(home[first:first + pop.size] * span + np.arange(pop.size) // plane)
            weights += np.bincount(keys // span, minlength=n_units) * per_group[0]
            group = source_group(cuts, src)
            far = group > 0
            keys = distinct((group[far] * n_units + unit[far]) * span + (tgt[far] - first) // plane)
            weights += np.bincount((keys // span) % n_units,
                                   weights=per_group[keys // span // n_units],
                                   minlength=n_units).astype(np.int64)
        elif proj.kind == "conv" and core.weight_sharing and not split:
            # A shared kernel slice per (core, output channel) held, as in usage.py.
            first = snn.first_neuron(proj.target)
            channel = np.arange(pop.size) // int(np.prod(pop.shape[1:]))
            keys = distinct(home[first:first + pop.size] * (pop.shape[0] + 1) + channel)
            weights += (np.bincount(keys // (pop.shape[0] + 1), minlength=n_units)
                        * kernel_slice_weights(proj))
        else:
            weights += np.bincount(unit, minlength=n_units)
    fan = merge_pairs(pair_parts, snn.n_neurons, n_units)
    routes, entries = route_usage(fan, home, n_units, core.multicast)
    routes = routes + np.bincount(c_unit, minlength=n_units)
    if core.multicast:  # compartments of a core sharing a home core share an entry
        keys = distinct(c_unit * (n_units + 1) + home[c_neuron])
        entries = entries + np.bincount(keys // (n_units + 1), minlength=n_units)
    else:
        entries = entries + np.bincount(c_unit, minlength=n_units)
    usage = Usage(
        neurons=neurons,
        synapse_memory_bits=weights * core.weight_bits,
        input_axons=(np.bincount(fan.units, minlength=n_units)
                     + np.bincount(home[c_neuron], minlength=n_units)).astype(np.int64),
        output_routes=routes.astype(np.int64),
        routing_table_entries=entries.astype(np.int64),
    )
    return cores, usage


def destination_cores(snn: SNN, mapping: CoreMapping) -> Fanout:
    """For every neuron of ``snn``: the cores its spikes go to, and the synapses on each.

    With split fan-in a synapse may sit on a partial compartment's core instead of its
    target's home core (:func:`synapse_cores`).
    """
    cores = mapping.core_of_neuron(snn)
    if not mapping.fanin_groups:
        return fanout(snn, cores, int(cores.max(initial=-1)) + 1)
    n_units = int(max(b.core for b in mapping.blocks)) + 1
    parts = [count_pairs(src, unit, n_units) for _, src, _, unit in synapse_cores(snn, mapping)]
    return merge_pairs(parts, snn.n_neurons, n_units)
