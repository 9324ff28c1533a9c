"""The Python API: what a notebook needs, from ``import neurosim``.

>>> import neurosim
>>> workload = neurosim.load_workload("digits-cnn")            # model + its data set
>>> chip = neurosim.load_hardware("loihi").with_values({"core.neurons": 256})
>>> result = neurosim.run(workload, neurosim.FS(K=8), chip, images=16)
>>> result.summary["energy_per_inference_j"]                    # doctest: +SKIP
>>> result.per_layer().to_frame()                               # doctest: +SKIP

Every function here makes the same choices as the command line: the chip's weight
precision, placement for the traffic of measured spike counts, accuracy from the
functional simulator over the test split, hardware figures from the event engine.
"""

from __future__ import annotations

import concurrent.futures as cf
from pathlib import Path

from neurosim.ann.model import Model
from neurosim.ann.zoo import resolve_model
from neurosim.coding.base import SpikeCode
from neurosim.hardware import load_hardware
from neurosim.hardware.model import Hardware
from neurosim.pipeline import Configuration, RunResult, options_tuple, run_configuration
from neurosim.workload import Workload, load_workload


def load_model(name_or_path: str | Path) -> Model:
    """A zoo model by name (``neurosim model list``) or a model ``.npz`` file."""
    return resolve_model(name_or_path)


def run(workload: Workload | str | Path, code: SpikeCode, hardware: Hardware | str = "loihi",
        *, images: int = 32, placer: str = "optimised", seed: int = 0,
        accuracy_images: int | None = None, executor: cf.Executor | None = None) -> RunResult:
    """Convert ``workload``'s model with ``code``, compile it onto ``hardware``, simulate it.

    ``workload`` is a :class:`Workload` or a model name/file (with the data set it names);
    ``hardware`` a :class:`Hardware` or a shipped name/YAML file. ``images`` test images
    stream through the event engine (on ``executor`` in parallel, if given); accuracy
    comes from the functional simulator over ``accuracy_images`` (default: all) test
    images. The result's ``summary`` has the DESIGN fields; its tables come from
    ``per_layer()``, ``per_core()``, ``per_link()`` and ``per_step()``.
    """
    if not isinstance(workload, Workload):
        workload = load_workload(workload)
    hw = hardware if isinstance(hardware, Hardware) else load_hardware(hardware)
    config = Configuration(model=workload.model.name, hardware=hw.name,
                           overrides=hw.overrides, code=code.name,
                           code_options=options_tuple(code.options()), placer=placer,
                           seed=seed, images=images, accuracy_images=accuracy_images)
    return run_configuration(config, workload=workload, hardware=hw, executor=executor)
