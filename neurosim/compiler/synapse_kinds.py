"""Which synapse kind each projection is stored as, and so which synapse cost it pays.

A chip may charge a synaptic event by how the synapse is stored (SANA-FE's Loihi has a
dense, a sparse and a convolutional synapse unit; ``costs.*_synop``, ``*_synop_sparse``,
``*_synop_conv`` in :mod:`neurosim.hardware.schema`). The compiler chooses the kind per
projection, by this rule:

``conv``
    a convolution on a chip with ``core.weight_sharing``: the kernel is stored once per
    core and shared by every output position;
``sparse``
    a convolution on a chip without weight sharing (it is stored expanded, one indexed
    synapse per non-zero weight), and a dense projection with fewer than
    :data:`DENSE_MIN_DENSITY` of its weights non-zero (stored as indexed synapses);
``dense``
    every other dense projection: stored as its whole weight matrix, one weight per
    (source, target), with no index.

The threshold is the one at which the engine itself switches between dense rows and
compressed rows (:data:`neurosim.engine.tables.DENSE_ROWS_MIN_DENSITY`, the same number):
a matrix a quarter full costs as much memory stored whole as stored with a 32-bit index
beside each 8-bit weight. The synapse-memory check of the compiler
(:mod:`neurosim.compiler.usage`) still counts the non-zero weights of a dense projection
either way; the kind only chooses the cost per event.
"""

from __future__ import annotations

import numpy as np

from neurosim.hardware.model import SYNAPSE_KINDS, CoreLimits
from neurosim.snn.network import Projection

KIND_DENSE, KIND_SPARSE, KIND_CONV = range(3)
DENSE_MIN_DENSITY = 0.25
"""A dense projection with at least this fraction of non-zero weights is stored whole."""


def synapse_kind(proj: Projection, core: CoreLimits) -> int:
    """The kind (an index into :data:`~neurosim.hardware.model.SYNAPSE_KINDS`) of ``proj``."""
    if proj.kind == "conv":
        return KIND_CONV if core.weight_sharing else KIND_SPARSE
    weight = np.asarray(proj.weight)
    dense = np.count_nonzero(weight) >= DENSE_MIN_DENSITY * weight.size
    return KIND_DENSE if dense else KIND_SPARSE


def synapse_kind_name(proj: Projection, core: CoreLimits) -> str:
    """:func:`synapse_kind` as its name: ``dense``, ``sparse`` or ``conv``."""
    return SYNAPSE_KINDS[synapse_kind(proj, core)]
