"""The spiking network: populations of neurons joined by projections.

Every spike code (FS, rate, TTFS) produces this one form, and both simulators (the
functional one in :mod:`neurosim.snn.functional` and the event engine) run it. A network
runs in discrete steps; population ``p`` works on image ``n`` during the steps
``offset_p + n·window … offset_p + (n+1)·window − 1`` (its *window* for image ``n``), so
images stream through the layers like a pipeline.

Two kinds of dynamics cover the three codes. At every step of its window, a neuron first
takes in ``e``, the synaptic input that arrived during the previous step, then:

``fs``  (few-spikes and TTFS codes)
    ``I ← I + e``; at the first step of a window ``v ← I + b`` and ``I ← 0``;
    then ``z = [v > T(k)]`` and ``v ← v − h(k)·z``, where ``k`` is the step in the window.
``if``  (rate code: integrate-and-fire, reset by subtraction)
    at the first step of a window ``v ← 0``; then ``v ← v + e + b``;
    ``z = [v ≥ T(k)]`` and ``v ← v − h(k)·z`` (``T`` and ``h`` constant: the threshold θ;
    ``z = [v > T(k)]`` on a chip whose ``core.threshold_compare`` is ``gt``, see
    :data:`THRESHOLD_COMPARES`).
    The neuron-model fields generalise it (defaults give exactly the rule above; they
    apply to ``if`` populations only, see :data:`NEURON_DEFAULTS` and
    :func:`neurosim.dynamics.lif_fire`): unless ``persistent``, ``v ← 0`` and ``r ← 0`` at
    the first step of a window; then, if the refractory count ``r > 0``, ``r ← r − 1``
    and the step's input is dropped (``v`` held, no spike); otherwise
    ``v ← λ(v) + e + b`` with the Loihi decay ``λ(v) = trunc(v·(4096 − leak) / 4096)``
    (toward zero; ``v·(4096 − leak)/4096`` in ideal mode), ``z = [v ≥ T(k)]``, and on a
    spike ``v ← v − h(k)`` (``reset_mode`` "subtract"), ``v ← reset_value`` ("value") or
    ``v`` unchanged ("none"), and ``r ← refractory``. The bias ``b`` is added at every
    step (always on). A ``persistent`` population never resets at a window's start: it
    integrates across the whole run, so images are no longer independent.

A spike sent at step ``k`` of the sender's window reaches each target neuron as
``w · d(k)``, where ``d`` is the sender's ``out_weight`` sequence; a projection with
``delay`` δ delivers the spikes of step ``t`` as if sent at step ``t + δ`` (this aligns
residual branches). An input population may instead be ``poisson`` (rate code with Poisson input): at
step ``k`` of image ``n`` it fires with probability ``b / T(k)``, drawn from a
counter-based generator of (seed, n, k, neuron) so every simulator draws the same spikes.
The output population never fires: its value for an image is ``v``
at the first step of its window (``fs``) or at the last (``if``). Input populations have
no projections in; their bias is the image, set per image as biases are on Loihi.

In integer mode every array holds integers (as int64) and the arithmetic is exact; the
``unit`` of a population is the ANN value of one unit of its potential, so
``unit · v`` decodes it. In ideal mode the arrays are float64 in ANN units.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from neurosim.errors import NeurosimError
from neurosim.snn.connectivity import conv_synapse_count

DYNAMICS = ("fs", "if", "poisson")
ROLES = ("input", "hidden", "output")
RESET_MODES = ("subtract", "value", "none")
LEAK_ONE = 4096
"""``leak`` is the decay of ``v`` per step in units of 1/4096, as Loihi's 12-bit ``dv``."""
THRESHOLD_COMPARES = ("ge", "gt")
"""How an ``if`` neuron compares its potential with θ: ``z = [v ≥ θ]`` (``ge``, neurosim's
rule, the default) or ``z = [v > θ]`` (``gt``, SANA-FE's). It is a rule of the chip
(``core.threshold_compare``), not of the conversion: an SNN file never holds it; the
pipeline sets it on the network (:meth:`SNN.with_threshold_compare`) before the functional
run that stands for a chip, and the engine reads it from the chip. ``fs`` neurons always
compare ``v > T(k)`` (their code fits T to that rule; a chip realises it whatever its own
comparison, as it realises the per-step sequences), and Poisson inputs are not thresholded."""
NEURON_DEFAULTS = {"leak": 0, "reset_mode": "subtract", "reset_value": 0, "refractory": 0,
                   "persistent": False}
"""The neuron-model fields of a Population and the values that give plain IF (today's rule)."""


@dataclass(frozen=True, eq=False)
class Population:
    """A layer of neurons with shared dynamics, sequences and timing.

    ``threshold``, ``reset`` and ``out_weight`` are the sequences ``T(k)``, ``h(k)``,
    ``d(k)`` over the ``window`` steps; ``bias`` has one value per neuron. ``leak``,
    ``reset_mode``, ``reset_value``, ``refractory`` and ``persistent`` are the neuron
    model of an ``if`` population (module docstring); their defaults are plain IF.
    """

    name: str
    shape: tuple[int, ...]
    role: str
    dynamics: str
    threshold: np.ndarray
    reset: np.ndarray
    out_weight: np.ndarray
    bias: np.ndarray
    offset: int
    unit: float = 1.0
    out_unit: float = 1.0
    activation: str = "identity"
    ann_layer: str = ""
    leak: int = 0
    reset_mode: str = "subtract"
    reset_value: float = 0
    refractory: int = 0
    persistent: bool = False

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @property
    def window(self) -> int:
        return len(self.threshold)

    @property
    def spiking(self) -> bool:
        return self.role != "output"

    @property
    def plain_if(self) -> bool:
        """Whether the neuron-model fields are all at their defaults (plain IF)."""
        return all(getattr(self, k) == v for k, v in NEURON_DEFAULTS.items())

    @property
    def reset_code(self) -> int:
        """``reset_mode`` as its index in :data:`RESET_MODES` (the engine tables' form)."""
        return RESET_MODES.index(self.reset_mode)


@dataclass(frozen=True, eq=False)
class Projection:
    """Synapses from ``source`` to ``target``.

    ``kind == "dense"``: ``weight`` has shape (target size, source size).
    ``kind == "conv"``: ``weight`` has shape (C_out, C_in, kh, kw), applied to the source
    map with ``stride`` and ``padding`` as in :class:`neurosim.ann.layers.Conv2d`; the
    kernel is shared, never expanded.
    """

    name: str
    source: str
    target: str
    kind: str
    weight: np.ndarray
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    delay: int = 0

    @property
    def kernel_size(self) -> tuple[int, int]:
        return (int(self.weight.shape[2]), int(self.weight.shape[3]))


@dataclass(frozen=True, eq=False)
class SNN:
    """A converted network: populations in topological order (input first) and projections."""

    name: str
    code: str
    populations: tuple[Population, ...]
    projections: tuple[Projection, ...]
    integer: bool = True
    params: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    threshold_compare: str = "ge"

    def __post_init__(self) -> None:
        object.__setattr__(self, "populations", tuple(self.populations))
        object.__setattr__(self, "projections", tuple(self.projections))
        _check(self)
        starts = np.cumsum([0] + [p.size for p in self.populations])
        object.__setattr__(self, "_start", {p.name: int(s) for p, s in zip(self.populations, starts)})

    # --- the chip's rules ---------------------------------------------------------------
    @property
    def strict_threshold(self) -> bool:
        """Whether an ``if`` neuron fires on ``v > θ`` (``threshold_compare == "gt"``)."""
        return self.threshold_compare == "gt"

    def with_threshold_compare(self, rule: str) -> SNN:
        """This network with its ``if`` neurons firing on ``v ≥ θ`` (``"ge"``) or ``v > θ``
        (``"gt"``): the chip's ``core.threshold_compare``, for the functional run that
        stands for that chip (see :data:`THRESHOLD_COMPARES`). The same object when
        unchanged."""
        if rule == self.threshold_compare:
            return self
        return replace(self, threshold_compare=rule)

    def with_ge_thresholds(self) -> SNN:
        """The network that fires the same spikes under ``ge``: under ``gt`` an ``if``
        population's θ becomes θ + 1 (integer potentials: ``v > θ ⇔ v ≥ θ + 1``) or the
        next float above θ (ideal mode); its reset ``h`` stays. For writers of formats
        that know one rule (``v ≥ θ``, as neurosim's files do)."""
        if not self.strict_threshold:
            return self
        pops = []
        for pop in self.populations:
            if pop.dynamics == "if" and pop.spiking:
                theta = np.asarray(pop.threshold)
                pop = replace(pop, threshold=theta + 1 if self.integer
                              else np.nextafter(theta.astype(np.float64), np.inf))
            pops.append(pop)
        return replace(self, populations=tuple(pops), threshold_compare="ge")

    # --- structure -----------------------------------------------------------------------
    def population(self, name: str) -> Population:
        for pop in self.populations:
            if pop.name == name:
                return pop
        raise KeyError(name)

    def incoming(self, name: str) -> list[Projection]:
        return [p for p in self.projections if p.target == name]

    def outgoing(self, name: str) -> list[Projection]:
        return [p for p in self.projections if p.source == name]

    @property
    def input(self) -> Population:
        return self.populations[0]

    @property
    def output(self) -> Population:
        return next(p for p in self.populations if p.role == "output")

    def first_neuron(self, name: str) -> int:
        """Index of the population's first neuron in the network-wide numbering."""
        return self._start[name]  # type: ignore[attr-defined,no-any-return]

    @property
    def n_neurons(self) -> int:
        return int(sum(p.size for p in self.populations))

    @property
    def n_spiking_neurons(self) -> int:
        return int(sum(p.size for p in self.populations if p.spiking))

    # --- timing --------------------------------------------------------------------------
    @property
    def window(self) -> int:
        """Steps per image: a new image can enter every ``window`` steps."""
        return self.input.window

    @property
    def latency_steps(self) -> int:
        """Steps from an image's first input step to the step after which its output is known."""
        out = self.output
        return out.offset if out.dynamics == "fs" else out.offset + out.window - 1

    def stream_steps(self, n_images: int) -> int:
        """Steps that carry the events of ``n_images`` streamed back to back."""
        return self.latency_steps + (n_images - 1) * self.window

    # --- input ---------------------------------------------------------------------------
    def encode(self, images: np.ndarray) -> np.ndarray:
        """The input population's bias for each image: shape (B, input size)."""
        x = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
        if x.shape[1] != self.input.size:
            raise NeurosimError(
                f"images have {x.shape[1]} values each, the network's input has {self.input.size}",
                where=f"SNN {self.name!r}", fix="feed images of the shape the model was trained on")
        # Inputs beyond the range seen in calibration are clipped, as an encoder with a
        # fixed number of bits would; an "if" input receives its value spread over the window.
        low, high = self.params.get("input_range", (-np.inf, np.inf))
        x = np.clip(x, low, high) / self.input.unit
        if self.input.dynamics in ("if", "poisson"):
            x = x / self.input.window
        return np.rint(x).astype(np.int64) if self.integer else x

    def synapse_count(self) -> int:
        """Synapses if every connection were stored explicitly."""
        total = 0
        for proj in self.projections:
            if proj.kind == "dense":
                total += int(np.count_nonzero(proj.weight))
            else:
                total += conv_synapse_count(proj, self.population(proj.source).shape)
        return total


def neuron_model_problem(dynamics: str, role: str, leak: Any, reset_mode: Any, reset_value: Any,
                         refractory: Any, persistent: Any, integer: bool) -> str:
    """What is wrong with a population's neuron-model fields, or "" if nothing.

    The fields belong to ``if`` dynamics (an ``if`` input integrates the image as its
    bias); an output, which never fires, may only leak and persist.
    """
    def whole(x: Any) -> bool:
        return isinstance(x, int | np.integer) and not isinstance(x, bool)

    if not whole(leak) or not 0 <= leak <= LEAK_ONE:
        return f"leak is {leak!r}, expected a whole number in [0, {LEAK_ONE}] (1/4096 per step)"
    if reset_mode not in RESET_MODES:
        return f"reset_mode is {reset_mode!r}, expected one of {', '.join(RESET_MODES)}"
    number = whole(reset_value) or (not integer and isinstance(reset_value, float | np.floating)
                                    and bool(np.isfinite(reset_value)))
    if not number or abs(reset_value) > (1 << 31):
        return (f"reset_value is {reset_value!r}, expected a "
                f"{'whole number' if integer else 'finite number'} within ±2^31")
    if not whole(refractory) or not 0 <= refractory <= (1 << 20):
        return f"refractory is {refractory!r}, expected a whole number of steps in [0, 2^20]"
    if not isinstance(persistent, bool | np.bool_):
        return f"persistent is {persistent!r}, expected true or false"
    given = [k for k, v in zip(NEURON_DEFAULTS, (leak, reset_mode, reset_value, refractory,
                                                   persistent)) if v != NEURON_DEFAULTS[k]]
    if given and dynamics != "if":
        return f"{', '.join(given)} set on a {dynamics} {role} population; only 'if' " \
               "populations have a neuron model"
    firing = [k for k in given if k in ("reset_mode", "reset_value", "refractory")]
    if firing and role == "output":
        return f"{', '.join(firing)} set on the output, which never fires"
    return ""


def _check(snn: SNN) -> None:
    where = f"SNN {snn.name!r}"
    names = [p.name for p in snn.populations]
    if len(set(names)) != len(names):
        raise NeurosimError("two populations share a name", where=where)
    if not snn.populations or snn.populations[0].role != "input":
        raise NeurosimError("the first population must be the input", where=where)
    if sum(p.role == "output" for p in snn.populations) != 1:
        raise NeurosimError("there must be exactly one output population", where=where)
    if snn.threshold_compare not in THRESHOLD_COMPARES:
        raise NeurosimError(f"threshold_compare is {snn.threshold_compare!r}", where=where,
                            fix="use " + " or ".join(THRESHOLD_COMPARES))
    windows = {p.window for p in snn.populations}
    if len(windows) != 1:
        raise NeurosimError(f"populations have different windows {sorted(windows)}", where=where)
    for pop in snn.populations:
        if pop.dynamics not in DYNAMICS or pop.role not in ROLES:
            raise NeurosimError(f"population {pop.name!r}: dynamics {pop.dynamics!r}, role {pop.role!r}",
                                where=where)
        if not (len(pop.reset) == len(pop.out_weight) == pop.window >= 1):
            raise NeurosimError(f"population {pop.name!r}: sequences differ in length", where=where)
        if np.shape(pop.bias) != (pop.size,):
            raise NeurosimError(f"population {pop.name!r}: bias has shape {np.shape(pop.bias)}",
                                where=where)
        problem = neuron_model_problem(pop.dynamics, pop.role, pop.leak, pop.reset_mode,
                                       pop.reset_value, pop.refractory, pop.persistent,
                                       snn.integer)
        if problem:
            raise NeurosimError(f"population {pop.name!r}: {problem}", where=where,
                                fix="use leak in [0, 4096], reset_mode subtract|value|none, "
                                    "refractory >= 0, and these fields on 'if' populations only")
    order = {n: i for i, n in enumerate(names)}
    for proj in snn.projections:
        if proj.source not in order or proj.target not in order:
            raise NeurosimError(f"projection {proj.name!r} joins unknown populations", where=where)
        if order[proj.source] >= order[proj.target]:
            raise NeurosimError(f"projection {proj.name!r} points backwards", where=where)
        if proj.kind not in ("dense", "conv") or proj.delay < 0:
            raise NeurosimError(f"projection {proj.name!r}: kind {proj.kind!r}, delay {proj.delay}",
                                where=where)
