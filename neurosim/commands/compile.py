"""``neurosim compile``: map a converted network onto a chip and write the mapping.

neurosim compile net.npz --hw loihi --out mapping.yaml
neurosim compile net.npz --hw loihi --set core.neurons=64 --placer optimised --seed 1 --out m.yaml

Expected traffic comes from a functional simulation of calibration images of the data
set the network's metadata names (``--images N``, training images); ``--images 0`` uses a
uniform estimate (one spike per neuron) instead.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from neurosim import options
from neurosim.commands import add_dataset_option
from neurosim.compiler import PLACERS, compile_network
from neurosim.compiler.io import save_mapping
from neurosim.compiler.place import PLACER_TIME_LIMIT_S
from neurosim.compiler.usage import LIMIT_LABELS
from neurosim.datasets import load_dataset, snn_input
from neurosim.errors import NeurosimError
from neurosim.hardware import load_hardware
from neurosim.hardware.model import Hardware
from neurosim.pipeline import PLACEMENT_IMAGES, for_chip, placement_traffic
from neurosim.snn.io import load_snn
from neurosim.snn.network import SNN


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compile",
        help="map a converted network onto the cores of a chip",
        description="Partition an SNN into core-sized blocks, place them on a board and "
                    "write the mapping as YAML; prints cores used, utilisation and the "
                    "expected packets × hops of the baseline and the chosen placer.",
    )
    parser.add_argument("snn", metavar="SNN", help="a converted network (.npz from neurosim convert)")
    parser.add_argument("--hw", default="loihi", metavar="NAME|FILE",
                        help="hardware: a shipped name or a YAML file (default: loihi)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="override a hardware value, e.g. --set core.neurons=64")
    parser.add_argument("--placer", choices=PLACERS, default="optimised",
                        help="layer-ordered baseline or the optimising placer (default)")
    parser.add_argument("--seed", type=options.whole(0, options.MAX_SEED), default=0, help="seed of the optimising placer")
    parser.add_argument("--images", type=options.whole(0, options.MAX_IMAGES), default=None, metavar="N",
                        help=f"calibration images for the traffic estimate (default {PLACEMENT_IMAGES}; "
                             "0: one spike per neuron)")
    add_dataset_option(parser, "the one the SNN names; its training images are the calibration")
    parser.add_argument("--effort", type=options.number(0, 1000, low_open=True), default=1.0,
                        help="scale of the annealing run (default 1)")
    parser.add_argument("--placer-time", type=options.number(0, 86_400, low_open=True),
                        default=PLACER_TIME_LIMIT_S, metavar="SECONDS",
                        help="wall-time budget of the optimising placer; past it the annealing "
                             f"cools faster (default {PLACER_TIME_LIMIT_S:g})")
    parser.add_argument("--out", required=True, metavar="FILE", help="the mapping YAML to write")
    parser.set_defaults(run=run)


def load_hardware_model(name: str, overrides: list[str]) -> Hardware:
    """The chip to compile for (a seam the tests replace with hand-built hardware)."""
    return load_hardware(name, overrides)


def calibration_spikes(snn: SNN, images: int | None, dataset: str | None = None
                       ) -> tuple[dict[str, np.ndarray] | None, str]:
    """Spike counts per neuron from calibration images, or None (uniform), and a note.

    The images are the training images of ``dataset``, or of the data set the SNN names.
    """
    if images is not None and images < 0:
        raise NeurosimError(f"--images {images} is negative", fix="use 0 or more")
    if images == 0:
        return None, "uniform estimate (one spike per neuron; --images 0)"
    dataset = dataset or snn.metadata.get("dataset")
    if not dataset:
        why = "the network's metadata names no data set"
        if images is not None:
            raise NeurosimError(f"cannot simulate {images} calibration images: {why}",
                                where=f"SNN {snn.name!r}",
                                fix="pass --dataset NAME, or --images 0 for a uniform estimate")
        return None, f"uniform estimate (one spike per neuron): {why}"
    n = PLACEMENT_IMAGES if images is None else images
    x = snn_input(load_dataset(dataset), snn, "x_train")[:n]
    return placement_traffic(snn, x, n), f"functional simulation of {len(x)} {dataset!r} training images"


def _pct(x: float) -> str:
    return f"{100 * x:5.1f}%"


def run(args: argparse.Namespace) -> int:
    hw = load_hardware_model(args.hw, args.overrides)
    snn = for_chip(load_snn(args.snn), hw)  # the traffic estimate fires as the chip does
    start = time.perf_counter()
    counts, note = calibration_spikes(snn, args.images, args.dataset)
    mapping = compile_network(snn, hw, counts, placer=args.placer, seed=args.seed, effort=args.effort,
                              placer_time_s=args.placer_time)
    mapping.stats["traffic_estimate"] = note
    elapsed = time.perf_counter() - start
    save_mapping(mapping, hw, args.out)
    _print_summary(snn, hw, mapping.stats, args.placer)
    print(f"compiled in {elapsed:.1f} s; wrote {args.out}")
    return 0


def _print_summary(snn: SNN, hw: Hardware, stats: dict[str, Any], placer: str) -> None:
    print(f"network  {snn.name}: {stats['neurons']:,} neurons, {stats['synapses']:,} synapses")
    print(f"hardware {hw.name}: {hw.total_chips} chip(s) × {hw.chip.cores} cores, "
          f"{hw.chip.core.neurons} neurons per core")
    per_pop = ", ".join(f"{k} {v}" for k, v in stats["blocks_per_population"].items())
    print(f"cores used {stats['cores_used']:,} ({per_pop}); tiles {stats['tiles_used']:,}; "
          f"chips {stats['chips_used']}")
    print("utilisation over cores in use (mean / max):")
    for limit, fr in stats["utilisation"].items():
        binds = stats["binding_limit_blocks"][limit]
        print(f"  {LIMIT_LABELS[limit]:<22} {_pct(fr['mean'])} / {_pct(fr['max'])}"
              f"   binding on {binds} core(s)")
    if stats.get("split_neurons"):
        print(f"fan-in split: {stats['split_neurons']:,} neurons wider than "
              f"{hw.chip.core.input_axons:,} input axons, with {stats['partial_blocks']:,} "
              f"partial blocks (about {stats['partial_sum_packets_per_image']:,.1f} partial-sum "
              f"packets per image)")
    print(f"traffic: {note_line(stats)}")
    cost = stats["cost"]
    kind = "tree links" if cost["multicast"] else "hops"
    base = cost["baseline"]
    line = f"expected packets × {kind} per image: baseline {base['packets_hops']:,.1f}"
    if placer == "optimised":
        opt = cost["optimised"]
        line += (f", optimised {opt['packets_hops']:,.1f} ({cost['improvement_pct']:.1f}% lower"
                 f"{'; kept the baseline' if cost['kept_baseline'] else ''})")
        inter = f"inter-chip: baseline {base['interchip_hops']:,.1f}, optimised {opt['interchip_hops']:,.1f}"
    else:
        inter = f"inter-chip: {base['interchip_hops']:,.1f}"
    print(line)
    print(f"  {inter}; packets per image {base['packets']:,.1f}")


def note_line(stats: dict[str, Any]) -> str:
    return f"{stats['traffic_estimate']} ({stats['spikes_per_image']:,.1f} spikes per image)"
