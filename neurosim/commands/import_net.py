"""``neurosim import FILE --out snn.npz``: a spiking network from another tool.

FILE is a NIR graph (``.nir``; needs ``pip install nir``) or a SANA-FE network file
(``.yaml``: groups, edges, mappings). The network becomes a neurosim SNN of
integrate-and-fire populations (leaky, reset-to-value and refractory neurons where the
file has them) running ``--steps`` steps per image (a file written by ``neurosim export``
carries its own). With ``--hw`` the weights are checked against the chip's weight bits;
``--mapping-out`` also writes a SANA-FE file's mappings as a neurosim mapping for that
chip (SANA-FE's column-by-column tile numbers translated to neurosim's row-by-row).
"""

from __future__ import annotations

import argparse
from typing import Any

from neurosim import options
from neurosim.errors import NeurosimError


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "import", help="read a NIR graph or a SANA-FE network file as a neurosim SNN",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", metavar="FILE", help="a .nir graph or a SANA-FE network .yaml")
    parser.add_argument("--format", choices=("nir", "sanafe"), default=None,
                        help="the file's format (default: from its suffix)")
    parser.add_argument("--steps", type=options.whole(1, options.MAX_T), default=None,
                        metavar="T", help="steps per image (default: the file's, if it has one)")
    parser.add_argument("--hw", default=None,
                        help="a chip (name or YAML): check weight bits, and map for --mapping-out")
    parser.add_argument("--out", required=True, metavar="SNN", help="the SNN file to write (.npz)")
    parser.add_argument("--mapping-out", default=None, metavar="M.yaml",
                        help="write the SANA-FE file's mappings as a neurosim mapping (needs --hw)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from neurosim.compiler.io import save_mapping
    from neurosim.hardware import load_hardware
    from neurosim.interop import detect_format, import_network
    from neurosim.snn.io import save_snn

    fmt = args.format or detect_format(args.file)
    if args.mapping_out and args.hw is None:
        raise NeurosimError("--mapping-out needs --hw: a mapping is for one chip",
                            fix="add --hw CHIP (e.g. --hw loihi)")
    if args.mapping_out and fmt != "sanafe":
        raise NeurosimError("a NIR graph holds no mapping", where=args.file,
                            fix="drop --mapping-out and compile with: neurosim compile")
    hw = load_hardware(args.hw) if args.hw is not None else None
    snn, mapping = import_network(args.file, format=fmt, steps=args.steps, hardware=hw)
    if args.mapping_out and mapping is None:
        raise NeurosimError("the file has no mappings section", where=args.file,
                            fix="drop --mapping-out and compile with: neurosim compile")
    save_snn(snn, args.out)
    written = [args.out]
    if args.mapping_out:
        assert hw is not None and mapping is not None
        save_mapping(mapping, hw, args.mapping_out)
        written.append(args.mapping_out)
    sizes = ", ".join(f"{p.name} {p.size}" for p in snn.populations)
    print(f"{args.file}: {len(snn.populations)} populations ({sizes}), "
          f"{len(snn.projections)} projections, {snn.window} steps per image, "
          f"{'integer' if snn.integer else 'float'} weights")
    if snn.metadata.get("notes"):
        print(f"  notes: {snn.metadata['notes']}")
    print(f"  written to {', '.join(written)}")
    return 0
