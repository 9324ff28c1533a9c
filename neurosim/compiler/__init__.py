"""The compiler: an SNN onto the cores of a described board.

:func:`compile_network` (:mod:`~neurosim.compiler.compile`) partitions every population
into blocks that fit one core on every limit (:mod:`~neurosim.compiler.partition`), places
the blocks on cores (:mod:`~neurosim.compiler.place`) so that the expected packets × hops
are small, checks the routes (:mod:`~neurosim.compiler.route`, XY routing in
:mod:`~neurosim.compiler.xy`) and returns a :class:`CoreMapping` with the figures
(:mod:`~neurosim.compiler.io` saves and loads it as YAML)::

    >>> mapping = compile_network(snn, load_hardware("loihi"), spike_counts)
    >>> mapping.stats["cost"]["improvement_pct"]
"""

from __future__ import annotations

from neurosim.compiler.compile import (
    board_that_fits,
    check_fits_board,
    check_weights,
    compile_network,
    mapping_usage,
    spike_estimate,
)
from neurosim.compiler.fanin import destination_cores
from neurosim.compiler.mapping import Block, CoreMapping, layout_hash
from neurosim.compiler.partition import Partition, partition
from neurosim.compiler.place import PLACERS
from neurosim.compiler.route import (
    Fanout,
    traffic_cost,
    traffic_matrix,
    xy_path,
)
from neurosim.compiler.usage import Usage

__all__ = [
    "PLACERS",
    "Block",
    "CoreMapping",
    "Fanout",
    "Partition",
    "Usage",
    "board_that_fits",
    "check_fits_board",
    "check_weights",
    "compile_network",
    "destination_cores",
    "layout_hash",
    "mapping_usage",
    "partition",
    "spike_estimate",
    "traffic_cost",
    "traffic_matrix",
    "xy_path",
]
