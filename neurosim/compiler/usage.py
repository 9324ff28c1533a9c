"""What a group of neurons costs a core, measured against :class:`CoreLimits`.

Five resources, each counted per *unit* (a core, or a block while partitioning):

``neurons``
    neurons held.
``synapse_memory_bits``
    weights stored, ``weight_bits`` each (index and pointer overhead are not modelled).
    Dense projections store their non-zero synapses. Convolutions are stored expanded (one
    weight per non-zero synapse) on a chip without weight sharing; with weight sharing a
    core stores, per convolution into it, the kernel slice of the output channels it
    holds: ``channels × C_in × kh × kw`` weights, zeros included.
``input_axons``
    distinct source neurons with a synapse onto the unit (one packet address each).
``output_routes``, ``routing_table_entries``
    see :mod:`neurosim.compiler.route`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from neurosim.compiler.keys import distinct
from neurosim.compiler.route import Fanout, fanout, route_usage
from neurosim.hardware.model import CoreLimits, Hardware
from neurosim.snn.connectivity import conv_output_shape
from neurosim.snn.network import SNN, Projection

LIMIT_LABELS = {
    "neurons": "neurons",
    "synapse_memory_bits": "synapse memory",
    "input_axons": "input axons",
    "output_routes": "output routes",
    "routing_table_entries": "routing table entries",
}


@dataclass(frozen=True, eq=False)
class Usage:
    """Resources used by each unit, one int64 array per limit of :class:`CoreLimits`."""

    neurons: np.ndarray
    synapse_memory_bits: np.ndarray
    input_axons: np.ndarray
    output_routes: np.ndarray
    routing_table_entries: np.ndarray

    @staticmethod
    def limits() -> tuple[str, ...]:
        return tuple(f.name for f in fields(Usage))

    def __len__(self) -> int:
        return len(self.neurons)

    def table(self) -> np.ndarray:
        """(units, 5) array in the order of :meth:`limits`."""
        return np.stack([getattr(self, n) for n in self.limits()], axis=1)

    def fractions(self, core: CoreLimits) -> np.ndarray:
        """(units, 5) fractions of each limit; a zero limit counts as full if used."""
        caps = np.array([getattr(core, n) for n in self.limits()], dtype=np.float64)
        used = self.table().astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(caps > 0, used / np.where(caps > 0, caps, 1), np.where(used > 0, np.inf, 0))
        return frac

    def binding(self, core: CoreLimits) -> np.ndarray:
        """Index (into :meth:`limits`) of the limit each unit uses most of."""
        return np.argmax(self.fractions(core), axis=1)

    def violations(self, core: CoreLimits) -> list[tuple[int, str, int, int]]:
        """Every (unit, limit, used, capacity) over a limit."""
        out = []
        for name in self.limits():
            used = getattr(self, name)
            cap = int(getattr(core, name))
            for unit in np.flatnonzero(used > cap):
                out.append((int(unit), name, int(used[unit]), cap))
        return out

    def take(self, index: np.ndarray) -> Usage:
        return Usage(*(getattr(self, n)[index] for n in self.limits()))

    def summary(self, core: CoreLimits) -> dict[str, dict[str, float]]:
        """Mean and maximum fraction of each limit over the units."""
        frac = self.fractions(core)
        return {name: {"mean": float(frac[:, i].mean()) if len(frac) else 0.0,
                       "max": float(frac[:, i].max()) if len(frac) else 0.0}
                for i, name in enumerate(self.limits())}

    def record(self, unit: int) -> dict[str, int]:
        return {name: int(getattr(self, name)[unit]) for name in self.limits()}


def conv_fanin_counts(proj: Projection, source_shape: tuple[int, ...]) -> np.ndarray:
    """Non-zero synapses onto each target neuron of a convolution (flat C order), unexpanded."""
    _, h, w = source_shape
    _, ho, wo = conv_output_shape(proj, source_shape)
    kh, kw = proj.kernel_size
    valid_y = _valid_taps(h, ho, kh, proj.stride[0], proj.padding[0])
    valid_x = _valid_taps(w, wo, kw, proj.stride[1], proj.padding[1])
    nonzero = (proj.weight != 0).sum(axis=1)  # (C_out, kh, kw)
    return np.einsum("oyx,ay,bx->oab", nonzero, valid_y, valid_x).reshape(-1).astype(np.int64)


def _valid_taps(size: int, out_size: int, kernel: int, stride: int, pad: int) -> np.ndarray:
    """(out_size, kernel): 1 where output position o with kernel offset k reads an input."""
    pos = np.arange(out_size)[:, None] * stride - pad + np.arange(kernel)[None, :]
    return ((pos >= 0) & (pos < size)).astype(np.int64)


def kernel_slice_weights(proj: Projection) -> int:
    """Weights per output channel of a shared convolution kernel: C_in × kh × kw."""
    return int(np.prod(proj.weight.shape[1:]))


def fanin_synapses(snn: SNN, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Per neuron of population ``name``: non-zero synapses in from (dense, conv) projections."""
    size = snn.population(name).size
    dense = np.zeros(size, dtype=np.int64)
    conv = np.zeros(size, dtype=np.int64)
    for proj in snn.incoming(name):
        if proj.kind == "dense":
            dense += np.count_nonzero(proj.weight, axis=1)
        else:
            conv += conv_fanin_counts(proj, snn.population(proj.source).shape)
    return dense, conv


def synapse_memory_bits(snn: SNN, hw: Hardware, unit_of_neuron: np.ndarray, n_units: int
                        ) -> np.ndarray:
    """Synapse memory of each unit (see the module docstring)."""
    core = hw.chip.core
    weights = np.zeros(n_units, dtype=np.int64)
    for pop in snn.populations:
        units = unit_of_neuron[snn.first_neuron(pop.name) + np.arange(pop.size)]
        dense, conv = fanin_synapses(snn, pop.name)
        explicit = dense if core.weight_sharing else dense + conv
        weights += np.bincount(units, weights=explicit, minlength=n_units).astype(np.int64)
        if not core.weight_sharing:
            continue
        channel = np.arange(pop.size) // max(1, int(np.prod(pop.shape[1:])))
        for proj in snn.incoming(pop.name):
            if proj.kind != "conv":
                continue
            pairs = distinct(units * (pop.shape[0] + 1) + channel)
            channels_per_unit = np.bincount(pairs // (pop.shape[0] + 1), minlength=n_units)
            weights += channels_per_unit * kernel_slice_weights(proj)
    return weights * core.weight_bits


def unit_usage(snn: SNN, hw: Hardware, unit_of_neuron: np.ndarray, n_units: int,
               fan: Fanout | None = None) -> tuple[Usage, Fanout]:
    """Exact use of every limit by each unit, and the fan-out by unit.

    ``unit_of_neuron`` gives the unit (core or block) of each neuron, network-wide; pass
    ``fan`` if the fan-out by the same units is already known.
    """
    unit_of_neuron = np.asarray(unit_of_neuron, dtype=np.int64)
    fan = fanout(snn, unit_of_neuron, n_units) if fan is None else fan
    routes, entries = route_usage(fan, unit_of_neuron, n_units, hw.chip.core.multicast)
    usage = Usage(
        neurons=np.bincount(unit_of_neuron, minlength=n_units).astype(np.int64),
        synapse_memory_bits=synapse_memory_bits(snn, hw, unit_of_neuron, n_units),
        input_axons=np.bincount(fan.units, minlength=n_units).astype(np.int64),
        output_routes=routes,
        routing_table_entries=entries,
    )
    return usage, fan
