"""``neurosim export SNN --format nir|sanafe --out FILE``: a network for another tool.

``nir``: a NIR graph (``nir.write``; needs ``pip install nir``) of IF nodes whose metadata
records neurosim's rule (fire on ``v ≥ θ``, reset by subtraction), Affine/Conv2d nodes for
the projections and an I node for the output. ``sanafe``: a SANA-FE network file holding
one image (``--image N`` of the test split, default 0) as input spike trains, mapped onto
``--hw`` (compiled now unless ``--mapping`` is given); SANA-FE runs it with neurosim's
spikes. Only codes the format can express are written: rate-coded (IF) networks; FS and
TTFS are refused with what the format lacks.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from neurosim import options
from neurosim.commands import add_dataset_option
from neurosim.errors import NeurosimError


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export", help="write an SNN as a NIR graph or a SANA-FE network file",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("snn", metavar="SNN", help="a converted or imported network (.npz)")
    parser.add_argument("--format", choices=("nir", "sanafe"), required=True)
    parser.add_argument("--out", required=True, metavar="FILE", help="the file to write")
    parser.add_argument("--hw", default="loihi", help="sanafe: the chip to map onto (default loihi)")
    parser.add_argument("--mapping", default=None, help="sanafe: a mapping from 'neurosim compile'")
    parser.add_argument("--image", type=options.whole(0, options.MAX_IMAGES), default=0,
                        metavar="N", help="sanafe: the test image to hold (default 0)")
    add_dataset_option(parser, "the one the SNN names")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from neurosim.interop import export_network
    from neurosim.snn.io import load_snn

    snn = load_snn(args.snn)
    if args.format == "nir":
        path = export_network(snn, args.out, "nir")
        print(f"{args.snn}: NIR graph written to {path}")
        return 0
    from neurosim.interop.nir import refuse_code
    refuse_code(snn, "SANA-FE")  # before the data set and the compiler
    from neurosim.compiler import compile_network
    from neurosim.compiler.io import load_mapping
    from neurosim.datasets import load_dataset, snn_input
    from neurosim.hardware import load_hardware

    hw = load_hardware(args.hw)
    name = args.dataset or snn.metadata.get("dataset")
    if not name:
        raise NeurosimError("the SNN does not name its data set", where=args.snn,
                            fix="pass --dataset NAME (e.g. digits)")
    dataset = load_dataset(name)
    images = np.asarray(snn_input(dataset, snn))
    if args.image >= len(images):
        raise NeurosimError(f"--image {args.image}: the test split has {len(images)} images",
                            fix=f"use 0 to {len(images) - 1}")
    mapping = (load_mapping(args.mapping, snn, hw) if args.mapping
               else compile_network(snn, hw, placer="baseline"))
    path = export_network(snn, args.out, "sanafe", mapping=mapping, hardware=hw,
                          image=images[args.image])
    print(f"{args.snn}: SANA-FE network (test image {args.image}) written to {path}; "
          f"run {snn.stream_steps(1) + 1} steps")
    return 0
