"""The few-spikes (FS) neuron of Stöckl & Maass (2021).

An FS neuron approximates an activation function f with at most K spikes. It has three
sequences of length K shared by every neuron with the same f: thresholds T, resets h and
output weights d. Its input x is loaded once, then it runs K steps (t = 1..K)::

    v(1) = x
    z(t) = [v(t) > T(t)]            (strict)
    v(t+1) = v(t) − h(t)·z(t)
    y = Σ_t d(t)·z(t) ≈ f(x)

There is no leak and no input during the K steps. This module holds the parameters, the
pure step, the K-step forward pass, the closed form for ReLU, spike statistics, b-bit
quantisation and the YAML files that store fitted sequences. Fitting lives in
:mod:`neurosim.coding.fs_fit`.

Because every comparison is against ``x`` minus a sum of resets, the spike pattern is
constant on intervals of x: :func:`spike_pieces` lists those intervals, which gives exact
spike statistics (:func:`expected_spikes`) and cheap exact losses for fitting.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from neurosim.coding.base import CodeInfo, NeuronSequences, SpikeCode
from neurosim.dynamics import fs_fire
from neurosim.errors import NeurosimError
from neurosim.fileio import write_text
from neurosim.plain import plain
from neurosim.yamlio import parse_yaml, read_yaml

PAPER_RELU_ALPHA = 25.0
"""The fixed ReLU scale α of Stöckl & Maass (2021): T = h = d = 25·2^(−t)."""

SEQUENCES_FORMAT = "neurosim-fs-sequences"
SEQUENCES_VERSION = 1


def _frozen_array(values: Any, name: str, K: int) -> np.ndarray:
    array = np.array(values, dtype=np.float64).reshape(-1)
    if array.shape != (K,):
        raise NeurosimError(
            f"sequence {name} has {array.size} values, expected K = {K}",
            where=f"FS parameters: {name}",
            fix=f"give exactly {K} values",
        )
    if not np.all(np.isfinite(array)):
        raise NeurosimError(
            f"sequence {name} contains NaN or infinity",
            where=f"FS parameters: {name}",
            fix="use finite numbers",
        )
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class FSParams:
    """The shared sequences of one FS activation.

    ``T``, ``h`` and ``d`` are read-only float64 arrays of length ``K``. ``fit`` (the settings
    that produced them) and ``errors`` (how well they approximate ``activation``) are
    metadata: they are stored in YAML files but play no part in equality.
    """

    activation: str
    K: int
    T: np.ndarray
    h: np.ndarray
    d: np.ndarray
    fit: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.K, bool) or not isinstance(self.K, (int, np.integer)) or self.K < 1:
            raise NeurosimError(
                f"K must be a whole number of at least 1, found {self.K!r}",
                where="FS parameters: K",
                fix="use K >= 1 (the paper uses 10 for ReLU, 16 for SiLU, 12 for sigmoid)",
            )
        object.__setattr__(self, "K", int(self.K))
        for name in ("T", "h", "d"):
            object.__setattr__(self, name, _frozen_array(getattr(self, name), name, self.K))
        object.__setattr__(self, "fit", dict(self.fit))
        object.__setattr__(self, "errors", dict(self.errors))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FSParams):
            return NotImplemented
        return (
            self.activation == other.activation
            and self.K == other.K
            and all(np.array_equal(getattr(self, n), getattr(other, n)) for n in ("T", "h", "d"))
        )

    def __hash__(self) -> int:
        return hash((self.activation, self.K, self.T.tobytes(), self.h.tobytes(), self.d.tobytes()))


# --- running the neuron -------------------------------------------------------------------


def fs_step(v: np.ndarray, t: int, params: FSParams) -> tuple[np.ndarray, np.ndarray]:
    """One step at zero-based index ``t``: ``z = [v > T(t)]``, ``v_next = v − h(t)·z``.

    Works on an array of any shape; returns ``(v_next, z)`` with ``z`` boolean.
    """
    return fs_fire.py_func(v, params.T[t], params.h[t])


def fs_forward(x: np.ndarray, params: FSParams) -> tuple[np.ndarray, np.ndarray]:
    """Run all K steps from ``v(1) = x``; return the output ``Σ d(t)·z(t)`` and spike count.

    Both results have the shape of ``x``; the spike count is an integer array.
    """
    v = np.asarray(x, dtype=np.float64)
    y = np.zeros(v.shape)
    spikes = np.zeros(v.shape, dtype=np.int64)
    for t in range(params.K):
        v, z = fs_step(v, t, params)
        y += params.d[t] * z
        spikes += z
    return y, spikes


def relu_params(alpha: float, K: int = 10) -> FSParams:
    """ReLU in closed form: ``T(t) = h(t) = d(t) = α·2^(−t)``, t = 1..K.

    The neuron writes the K-bit binary expansion of x/α: its output is the largest multiple
    of the step α/2^K strictly below x, clipped to [0, α(1 − 2^(−K))]. x ≤ 0 never spikes.
    Choose α per layer from the data (a high percentile of the layer's activations), or use
    :data:`PAPER_RELU_ALPHA`.
    """
    if not (isinstance(alpha, (int, float, np.floating)) and math.isfinite(alpha) and alpha > 0):
        raise NeurosimError(
            f"the ReLU scale α must be a positive finite number, found {alpha!r}",
            where="FS ReLU",
            fix="choose α from a high percentile of the layer's activations",
        )
    steps = float(alpha) * 2.0 ** -np.arange(1, K + 1) if isinstance(K, int) and K >= 1 else []
    return FSParams(
        "relu", K, steps, steps, steps, fit={"method": "closed-form", "alpha": float(alpha)}
    )


# --- spike statistics ---------------------------------------------------------------------


def spike_pieces(params: FSParams) -> tuple[np.ndarray, np.ndarray]:
    """The intervals of x on which the spike pattern is constant.

    Returns ``(edges, patterns)``: piece ``i`` is the half-open interval
    ``(edges[i], edges[i+1]]`` (the first starts at −∞, the last ends at +∞) and
    ``patterns[i]`` is its boolean spike train of length K. At step t a piece whose resets so
    far sum to c fires exactly for x > T(t) + c, so each step splits at most every piece in two.
    """
    K = params.K
    lo = np.array([-np.inf])
    hi = np.array([np.inf])
    reset_sum = np.zeros(1)
    patterns = np.zeros((1, K), dtype=bool)
    for t in range(K):
        split_at = params.T[t] + reset_sum
        split = (split_at > lo) & (split_at < hi)
        keep = ~split
        fires = np.concatenate(
            [split_at[keep] <= lo[keep], np.zeros(split.sum(), bool), np.ones(split.sum(), bool)]
        )
        lo = np.concatenate([lo[keep], lo[split], split_at[split]])
        hi = np.concatenate([hi[keep], split_at[split], hi[split]])
        patterns = np.concatenate([patterns[keep], patterns[split], patterns[split]])
        patterns[:, t] = fires
        reset_sum = np.concatenate([reset_sum[keep], reset_sum[split], reset_sum[split]])
        reset_sum = reset_sum + params.h[t] * fires
    order = np.argsort(lo, kind="stable")
    edges = np.append(lo[order], np.inf)
    return edges, patterns[order]


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    return np.array([0.5 * math.erfc(-value / math.sqrt(2.0)) for value in x])


def expected_spikes(params: FSParams, mu: float, sigma: float) -> float:
    """Mean spike count per input when x ~ N(μ, σ), integrated exactly over the pieces."""
    if not (math.isfinite(mu) and math.isfinite(sigma) and sigma > 0):
        raise NeurosimError(
            f"expected a finite mean and a positive standard deviation, found μ={mu}, σ={sigma}",
            where="FS expected spikes",
            fix="use σ > 0",
        )
    edges, patterns = spike_pieces(params)
    cdf = _normal_cdf((edges - mu) / sigma)
    return float(np.sum(np.diff(cdf) * patterns.sum(axis=1)))


def mean_spikes_uniform(params: FSParams, lo: float, hi: float) -> float:
    """Mean spike count per input when x is uniform on [lo, hi], exact from the pieces."""
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise NeurosimError(
            f"expected a finite range lo < hi, found [{lo}, {hi}]",
            where="FS mean spikes",
            fix="give the lower bound first",
        )
    edges, patterns = spike_pieces(params)
    lengths = np.diff(np.clip(edges, lo, hi))
    return float(np.sum(lengths * patterns.sum(axis=1)) / (hi - lo))


# --- quantisation -------------------------------------------------------------------------


@dataclass(frozen=True)
class IntegerSequences:
    """FS sequences as b-bit signed integers and the two scales that give them meaning.

    ``T ≈ T_int·potential_scale``, ``h ≈ h_int·potential_scale``, ``d ≈ d_int·output_scale``.
    T and h share one scale because both are compared with, or subtracted from, the same
    membrane potential; d has its own, which the next layer folds into its weights.
    """

    bits: int
    T_int: np.ndarray
    h_int: np.ndarray
    d_int: np.ndarray
    potential_scale: float
    output_scale: float


def _scale(values: np.ndarray, bits: int) -> float:
    largest = float(np.max(np.abs(values)))
    return largest / (2 ** (bits - 1) - 1) if largest > 0 else 1.0


def quantise_to_integers(params: FSParams, bits: int) -> IntegerSequences:
    """Round T, h and d to ``bits``-bit signed integers in [−(2^(b−1)−1), 2^(b−1)−1].

    Symmetric, per-tensor scaling: the largest magnitude of (T, h) maps to 2^(b−1)−1 and so
    does the largest magnitude of d. The scales are plain reals (not powers of two).
    """
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or bits < 2:
        raise NeurosimError(
            f"quantisation needs at least 2 bits, found {bits!r}",
            where="FS quantisation: bits",
            fix="use bits >= 2 (e.g. 8)",
        )
    potential_scale = _scale(np.concatenate([params.T, params.h]), bits)
    output_scale = _scale(params.d, bits)
    as_int = lambda values, scale: np.rint(values / scale).astype(np.int64)  # noqa: E731
    return IntegerSequences(
        int(bits),
        as_int(params.T, potential_scale),
        as_int(params.h, potential_scale),
        as_int(params.d, output_scale),
        potential_scale,
        output_scale,
    )


def quantise(params: FSParams, bits: int) -> FSParams:
    """The sequences after :func:`quantise_to_integers`, back in real units."""
    q = quantise_to_integers(params, bits)
    return FSParams(
        params.activation,
        params.K,
        q.T_int * q.potential_scale,
        q.h_int * q.potential_scale,
        q.d_int * q.output_scale,
        fit={**params.fit, "bits": int(bits)},
    )


# --- YAML files ---------------------------------------------------------------------------


def save_sequences(params: FSParams, path: str | Path, header: str = "") -> None:
    """Write the sequences, their fit settings and errors to a YAML file.

    ``header`` becomes leading comment lines (e.g. the command that produced the file).
    Floats are written with full precision, so :func:`load_sequences` gives back equal params.
    """
    document = {
        "format": SEQUENCES_FORMAT,
        "version": SEQUENCES_VERSION,
        "activation": params.activation,
        "K": params.K,
        "T": [float(value) for value in params.T],
        "h": [float(value) for value in params.h],
        "d": [float(value) for value in params.d],
        "fit": plain(params.fit),
        "errors": plain(params.errors),
    }
    comments = "".join(f"# {line}\n" for line in header.splitlines())
    text = comments + yaml.safe_dump(document, sort_keys=False, default_flow_style=None)
    write_text(path, text)




def load_sequences(path: str | Path, K: int | None = None) -> FSParams:
    """Read a file written by :func:`save_sequences`; check it holds ``K`` steps if given."""
    path = Path(path)
    document = read_yaml(path, what="FS sequence file",
                         fix="give a file written by neurosim fit-fs")
    return _from_document(document, str(path), K)


def _from_document(document: Any, where: str, K: int | None) -> FSParams:
    if not isinstance(document, dict):
        raise NeurosimError(
            "expected a mapping with keys activation, K, T, h, d",
            where=where,
            fix="write the file with neurosim fit-fs",
        )
    for key, expected in (("format", SEQUENCES_FORMAT), ("version", SEQUENCES_VERSION)):
        if key in document and document[key] != expected:
            raise NeurosimError(f"{key} is {document[key]!r}, expected {expected!r}",
                                where=f"{where}: {key}", fix="write the file with neurosim fit-fs")
    for key in ("activation", "K", "T", "h", "d"):
        if key not in document:
            raise NeurosimError(
                f"missing key {key!r}", where=f"{where}: {key}", fix="write the file with neurosim fit-fs"
            )
    file_K = document["K"]
    if isinstance(file_K, bool) or not isinstance(file_K, int) or not 1 <= file_K <= 64:
        raise NeurosimError(
            f"K must be a whole number from 1 to 64, found {file_K!r}",
            where=f"{where}: K",
            fix="use K >= 1",
        )
    if K is not None and file_K != K:
        raise NeurosimError(
            f"the file holds sequences for K = {file_K}, but K = {K} was asked for",
            where=f"{where}: K",
            fix=f"fit sequences for K = {K} with neurosim fit-fs --K {K}, or ask for K = {file_K}",
        )
    for key in ("T", "h", "d"):
        values = document[key]
        if not isinstance(values, list) or len(values) != file_K:
            found = len(values) if isinstance(values, list) else type(values).__name__
            raise NeurosimError(
                f"sequence {key} must be a list of K = {file_K} numbers, found {found}",
                where=f"{where}: {key}",
                fix="write the file with neurosim fit-fs",
            )
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            raise NeurosimError(
                f"sequence {key} must hold numbers only",
                where=f"{where}: {key}",
                fix="write the file with neurosim fit-fs",
            )
    for key in ("fit", "errors"):
        if not isinstance(document.get(key, {}), dict):
            raise NeurosimError(
                f"{key} must be a mapping", where=f"{where}: {key}", fix="write the file with neurosim fit-fs"
            )
    try:
        return FSParams(
            str(document["activation"]),
            file_K,
            document["T"],
            document["h"],
            document["d"],
            fit=document.get("fit") or {},
            errors=document.get("errors") or {},
        )
    except NeurosimError as exc:
        raise NeurosimError(exc.what, where=where, fix=exc.fix) from None


@functools.cache
def default_sequences(activation: str, K: int) -> FSParams:
    """The sequences shipped for ``activation`` at ``K`` steps (``sequences/<act>_K<K>.yaml``).

    ReLU needs no file: use :func:`relu_params`.
    """
    name = f"{activation}_K{K}.yaml"
    resource = resources.files("neurosim.coding.sequences").joinpath(name)
    if activation == "relu":
        raise NeurosimError(
            "ReLU has no shipped sequence file: it uses the closed form",
            where="FS default sequences: relu",
            fix="use relu_params(alpha, K) with α from the layer's activations (or PAPER_RELU_ALPHA)",
        )
    if not resource.is_file():
        raise NeurosimError(
            f"no shipped FS sequences for {activation!r} with K = {K}",
            where=f"neurosim/coding/sequences/{name}",
            fix=(
                f"fit them with: neurosim fit-fs --activation {activation} --K {K} "
                f"--out {name}, then load that file"
            ),
        )
    document = parse_yaml(resource.read_text(encoding="utf-8"), str(resource))
    return _from_document(document, f"neurosim/coding/sequences/{name}", K)


# --- the FS code for network conversion ---------------------------------------------------

DEFAULT_K = {"relu": 10, "sigmoid": 12, "silu": 16}
"""Steps per window the paper used for each activation; a network takes the largest."""


def input_encoding_params(peak: float, K: int) -> FSParams:
    """The encoding layer: pixels in [0, peak] as a K-bit expansion, rounded to nearest.

    ``α = 2·peak`` and ``T(t) = α·2^(−t) − α·2^(−K−1)`` (the half-step shift turns
    truncation into rounding), ``h = d = α·2^(−t)``. A pixel sends as many spikes as its
    rounded value has ones in binary, and is reproduced within ``peak·2^(−K)``.
    """
    alpha = 2.0 * peak
    powers = alpha * 2.0 ** -np.arange(1, K + 1)
    return FSParams("identity", K, T=powers - alpha * 2.0 ** -(K + 1), h=powers, d=powers)


K_AUTO = "auto"
"""The value of ``FS.K`` that asks a run to choose K (:mod:`neurosim.choose_k`)."""


@dataclass(frozen=True)
class FS(SpikeCode):
    """The few-spikes code (Stöckl & Maass 2021) for converting a network.

    ``K``: steps per window for the whole network (``None``: the largest of
    :data:`DEFAULT_K` over the network's activations; ``"auto"``: the smallest K that keeps
    the ANN's accuracy on held-out training images, chosen by the run). ReLU layers use the closed form
    with ``alpha`` if given (the paper: 25) or the ``alpha_percentile`` of the layer's
    activations on calibration images. Other activations use ``sequences`` supplied by the
    user (fitted :class:`FSParams`) or the shipped defaults; a sequence shorter than the
    window is padded with steps that never fire.
    """

    K: int | str | None = None
    alpha: float | None = None
    alpha_percentile: float = 99.99
    sequences: tuple[FSParams, ...] = ()

    name = "fs"
    dynamics = "fs"
    input_dynamics = "fs"

    def __post_init__(self) -> None:
        if self.K != K_AUTO and self.K is not None and (
                isinstance(self.K, bool) or not isinstance(self.K, int | np.integer) or self.K < 1):
            raise NeurosimError(f"K = {self.K!r} is not a whole number of at least 1 nor "
                                f"{K_AUTO!r}", where="FS code",
                                fix="use K ≥ 1 (the paper: 10 for ReLU), or K='auto'")
        if self.alpha is not None and not (math.isfinite(self.alpha) and self.alpha > 0):
            raise NeurosimError(f"alpha = {self.alpha!r} is not a positive number", where="FS code",
                                fix="give α > 0 (the paper used 25) or leave it to the data")
        if not 0 < self.alpha_percentile <= 100:
            raise NeurosimError(f"alpha percentile {self.alpha_percentile} is outside (0, 100]",
                                where="FS code", fix="use a high percentile such as 99.99")

    def for_model(self, activations: set[str]) -> FS:
        """This code with ``K`` fixed for a network using ``activations``.

        Sequences for an activation the network lacks are refused: silently ignoring them
        would hide a mix-up of files (e.g. sigmoid sequences for a SiLU model).
        """
        if self.K == K_AUTO:
            raise NeurosimError("K = 'auto' is chosen by a run, not by the code", where="FS code",
                                fix="run it through neurosim.run or compare, or give K")
        unused = sorted({p.activation for p in self.sequences} - set(activations))
        if unused:
            raise NeurosimError(
                f"FS sequences are given for {', '.join(map(repr, unused))}, which the network "
                f"does not use (it uses {', '.join(map(repr, sorted(activations))) or 'none'})",
                where="--sequences", fix="drop that file, or give the sequences of the "
                "network's own activation")
        if self.K is not None:
            return self
        supplied = {p.activation: p.K for p in self.sequences}
        steps = [supplied.get(a, DEFAULT_K.get(a, 0)) for a in activations]
        return replace(self, K=max(steps, default=DEFAULT_K["relu"]) or DEFAULT_K["relu"])

    @property
    def window(self) -> int:
        if self.K is None:
            raise NeurosimError("the FS window is not fixed yet", where="FS code",
                                fix="call for_model() first, or give K")
        return int(self.K)

    @property
    def stage_steps(self) -> int:
        return self.window

    def check_activation(self, activation: str, layer: str) -> None:
        if activation != "relu":
            self._fitted(activation, layer)  # raises if no sequences fit this window

    def _fitted(self, activation: str, layer: str) -> FSParams:
        for params in self.sequences:
            if params.activation == activation:
                chosen = params
                break
        else:
            try:
                chosen = default_sequences(activation, DEFAULT_K.get(activation, self.window))
            except NeurosimError as exc:
                raise NeurosimError(exc.what, where=f"layer {layer!r}", fix=exc.fix) from None
        if self.K is not None and chosen.K > self.K:
            raise NeurosimError(
                f"the {activation!r} sequences have K = {chosen.K}, longer than the window K = {self.K}",
                where=f"layer {layer!r}",
                fix=f"use K ≥ {chosen.K}, or fit shorter sequences with neurosim fit-fs --K {self.K}")
        return chosen

    def layer_params(self, activation: str, samples: np.ndarray, role: str) -> FSParams:
        """The FS parameters of one population (before padding to the window)."""
        samples = np.asarray(samples, dtype=np.float64)
        if role == "input":
            return input_encoding_params(float(max(samples.max(initial=0.0), 1e-12)), self.window)
        if activation == "relu":
            if self.alpha is not None:
                return relu_params(self.alpha, self.window)
            positive = samples[samples > 0]
            alpha = float(np.percentile(positive, self.alpha_percentile)) if positive.size else 1.0
            return relu_params(alpha, self.window)
        return self._fitted(activation, f"a {activation} layer")

    def neuron_sequences(self, activation: str, samples: np.ndarray, role: str
                         ) -> NeuronSequences:
        params = self.layer_params(activation, samples, role)
        pad = self.window - params.K
        never = np.full(pad, np.inf)
        return NeuronSequences(threshold=np.concatenate([params.T, never]),
                               reset=np.concatenate([params.h, np.zeros(pad)]),
                               out_weight=np.concatenate([params.d, np.zeros(pad)]))

    def params(self) -> dict[str, Any]:
        return {"K": self.K, "alpha": self.alpha if self.alpha is not None else "data",
                "alpha_percentile": self.alpha_percentile}


INFO = CodeInfo(name="fs", code=FS, label="FS", colour="#1b9e77", marker="*",
                step_option="K", sweep_options=("K", "alpha", "alpha_percentile"))
"""The FS code's entry in :data:`neurosim.coding.REGISTRY`."""
