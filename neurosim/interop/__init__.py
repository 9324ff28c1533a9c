"""Spiking networks from and to other tools: NIR graphs and SANA-FE network files.

Readers and writers are kept apart from the data model: each format's module turns a file
into the format-neutral :class:`~neurosim.interop.build.Layer` /
:class:`~neurosim.interop.build.Edge` description (or an SNN into that format), and
:func:`~neurosim.interop.build.if_network` alone builds the :class:`~neurosim.snn.network.SNN`.

* :func:`import_network` (``neurosim import FILE --out snn.npz``): a ``.nir`` file
  (:mod:`neurosim.interop.nir`, needs the optional ``nir`` package) or a SANA-FE network
  YAML (:mod:`neurosim.interop.sanafe_net`), with the SANA-FE file's mappings when a chip
  is given;
* :func:`export_network` (``neurosim export SNN --format nir|sanafe``): the networks each
  format can express faithfully (integrate-and-fire, rate-coded); FS and TTFS are refused
  with what the format lacks.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from neurosim.errors import NeurosimError

if TYPE_CHECKING:
    import numpy as np

    from neurosim.compiler.mapping import CoreMapping
    from neurosim.hardware.model import Hardware
    from neurosim.snn.network import SNN

FORMATS = ("nir", "sanafe")


def detect_format(path: str | Path) -> str:
    """``nir`` for ``.nir``/``.h5`` files, ``sanafe`` for ``.yaml``/``.yml``."""
    suffix = Path(path).suffix.lower()
    if suffix in (".nir", ".h5", ".hdf5"):
        return "nir"
    if suffix in (".yaml", ".yml"):
        return "sanafe"
    raise NeurosimError(f"cannot tell the format of a {suffix or 'suffix-less'} file",
                        where=str(path), fix="name a NIR graph .nir and a SANA-FE network .yaml, "
                                             "or pass --format nir|sanafe")


def import_network(path: str | Path, *, format: str | None = None, steps: int | None = None,
                   hardware: Hardware | None = None) -> tuple[SNN, CoreMapping | None]:
    """Read another tool's spiking network as a neurosim SNN (and its mapping, if any).

    ``steps`` is the window (steps per image) of the SNN; a file written by neurosim
    carries its own. ``hardware`` checks weights against the chip's weight bits and turns a
    SANA-FE file's mappings into a :class:`CoreMapping` for that chip (a NIR graph has
    none). Returns ``(snn, mapping or None)``.
    """
    fmt = format or detect_format(path)
    if fmt == "nir":
        from neurosim.interop.nir import read_nir
        snn, mapping = read_nir(path, steps=steps), None
    elif fmt == "sanafe":
        from neurosim.interop.sanafe_net import read_sanafe_network
        snn, mapping = read_sanafe_network(path, steps=steps, hardware=hardware)
    else:
        raise NeurosimError(f"unknown network format {fmt!r}", fix=f"use one of {', '.join(FORMATS)}")
    if hardware is not None:
        from neurosim.interop.build import check_weight_bits
        check_weight_bits(snn, hardware, str(path))
    return snn, mapping


def export_network(snn: SNN, path: str | Path, format: str, *,
                   mapping: CoreMapping | None = None, hardware: Hardware | None = None,
                   image: np.ndarray | None = None) -> Path:
    """Write ``snn`` as a NIR graph (``format="nir"``) or a SANA-FE network (``"sanafe"``).

    SANA-FE files hold one input: ``image`` (one image, as fed to :meth:`SNN.encode`) becomes
    the input neurons' spike trains; ``mapping`` and ``hardware`` place the neurons on
    SANA-FE cores (tile numbering translated). Returns the path written.
    """
    if format == "nir":
        from neurosim.interop.nir import write_nir
        return write_nir(snn, path)
    if format == "sanafe":
        from neurosim.interop.sanafe_net import write_sanafe_network
        return write_sanafe_network(snn, path, image=image, mapping=mapping, hardware=hardware)
    raise NeurosimError(f"unknown network format {format!r}", fix=f"use one of {', '.join(FORMATS)}")
