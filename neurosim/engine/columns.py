"""Column layouts the engine's compiled code and its callers share: the count kinds, the
latency vector and the packet trace.

They live here, below :mod:`neurosim.engine.network` and :mod:`neurosim.engine.kernel`,
so that both can use them; :mod:`neurosim.engine.kernel` re-exports them.
"""

from __future__ import annotations

COUNT_KINDS = (
    "synaptic_events",          # synapses processed (per core: received; per image: sender's)
    "updates_active",
    "updates_inactive",
    "spikes",
    "packets_out",
    "packets_in",
    "hops_ew",
    "hops_ns",
    "hops_interchip",
    "synaptic_events_caused",   # synapses processed because of this core's / layer's spikes
    "partial_sum_packets",      # of packets_out: partial sums sent to a home core (split fan-in)
    "synaptic_events_dense",    # of synaptic_events: of each synapse kind
    "synaptic_events_sparse",   # (neurosim.compiler.synapse_kinds), counted where
    "synaptic_events_conv",     # synaptic_events is
)
(SYN, UPD_ACTIVE, UPD_INACTIVE, SPIKES, PK_OUT, PK_IN, HOP_EW, HOP_NS, HOP_IC, SYN_CAUSED,
 PARTIAL, SYN_DENSE, SYN_SPARSE, SYN_CONV) = range(14)
SYN_KIND = SYN_DENSE  # column of kind k: SYN_KIND + k (compiler.synapse_kinds.KIND_*)
N_KINDS = len(COUNT_KINDS)
# Columns of the per-delivery trace (record_packets).
TRACE_COLUMNS = ("step", "source_neuron", "core_index", "inject_s", "arrival_s", "start_s", "end_s",
                 "synapses")

# Latency vector layout (seconds).
L_ACTIVE, L_INACTIVE, L_SPIKE_GEN, L_PK_OUT, L_PK_IN, L_SYNOP, L_ROUTER = range(7)
