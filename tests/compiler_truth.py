"""Brute-force reference figures for small mappings: Python sets over explicit synapses.

Independent of the compiler's vectorised accounting: every synapse is visited one by one.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from neurosim.snn.connectivity import synapses


def explicit_synapses(snn):
    """Every non-zero synapse as (projection, network-wide source, network-wide target)."""
    out = []
    for proj in snn.projections:
        src, tgt, _ = synapses(proj, snn.population(proj.source).shape)
        for s, t in zip(src.tolist(), tgt.tolist()):
            out.append((proj, s + snn.first_neuron(proj.source), t + snn.first_neuron(proj.target)))
    return out


def brute_usage(snn, hw, core_of_neuron):
    """{core: {limit: used}} by the conventions of neurosim.compiler.usage/route."""
    core = hw.chip.core
    cores = sorted(set(core_of_neuron.tolist()))
    use = {c: dict(neurons=0, synapse_memory_bits=0, input_axons=0, output_routes=0,
                   routing_table_entries=0) for c in cores}
    for c in core_of_neuron.tolist():
        use[c]["neurons"] += 1
    sources = defaultdict(set)
    dests = defaultdict(set)
    explicit = defaultdict(int)
    channels = defaultdict(set)  # (core, projection) -> target channels held
    for proj, s, t in explicit_synapses(snn):
        c = int(core_of_neuron[t])
        sources[c].add(s)
        dests[s].add(c)
        if proj.kind == "conv" and core.weight_sharing:
            continue
        explicit[c] += 1
    if core.weight_sharing:
        for proj in snn.projections:
            if proj.kind != "conv":
                continue
            pop = snn.population(proj.target)
            per_channel = int(np.prod(pop.shape[1:]))
            for j in range(pop.size):
                channels[(int(core_of_neuron[snn.first_neuron(pop.name) + j]), proj.name)].add(j // per_channel)
        for (c, name), chans in channels.items():
            proj = next(p for p in snn.projections if p.name == name)
            use[c]["synapse_memory_bits"] += len(chans) * int(np.prod(proj.weight.shape[1:])) * core.weight_bits
    for c in cores:
        use[c]["synapse_memory_bits"] += explicit[c] * core.weight_bits
        use[c]["input_axons"] = len(sources[c])
    sets = defaultdict(set)
    for n, c in enumerate(core_of_neuron.tolist()):
        d = dests.get(n, set())
        if core.multicast:
            use[c]["output_routes"] += 1 if d else 0
            if d:
                sets[c].add(frozenset(d))
        else:
            use[c]["output_routes"] += len(d)
            use[c]["routing_table_entries"] += len(d)
    if core.multicast:
        for c in cores:
            use[c]["routing_table_entries"] = len(sets[c])
    return use, dests
