"""Fitting the FS sequences T, h, d to an elementwise activation function.

The fit minimises, on a dense grid of inputs over a range,

    loss = Σ_i w_i·(y(x_i) − f(x_i))²  +  W·Σ_i w_i·spikes(x_i)          (Σ_i w_i = 1)

where the importance weights w come from the measured input distribution (uniform on the
range, or a normal N(μ, σ) mixed with a little of the uniform) and W is the spike weight:
raising W buys fewer spikes with a larger error.

It runs in two stages (``method="sg+search"``, the default):

1. **Surrogate gradient** (:func:`surrogate_train`): back-propagation through the K steps in
   numpy with the pseudo-derivative ``max(1 − |v_s|, 0)``, ``v_s = (v − T)/(|v| + 1)``
   (Stöckl & Maass 2021), Adam with a learning rate redrawn in a range every step, a small
   penalty keeping each threshold within the range of v, random restarts, each with patience.
2. **Exact search** (:func:`exact_search`): for fixed T and h the spike pattern of every input
   is fixed and the output is linear in d, so d has an exact weighted least-squares solution;
   the pattern is constant on intervals of x, so that solution, the loss and the spike count
   on the whole grid come from the intervals (:class:`ExactLoss`). A (1+1) evolution strategy
   over T and h on that exact loss refines every restart; the best few are refined further.

``method="sg"`` stops after stage 1 (d then comes from least squares too); ``"search"``
starts stage 2 from random sequences. Everything is deterministic for a given seed.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

import numba
import numpy as np

from neurosim.ann.activations import get_activation
from neurosim.coding.fs import (
    PAPER_RELU_ALPHA,
    FSParams,
    expected_spikes,
    fs_forward,
    quantise,
    relu_params,
)
from neurosim.errors import NeurosimError
from neurosim.version import __version__

Activation = Callable[[np.ndarray], np.ndarray]

GRID_POINTS = 100_000
"""Grid size of the issue's targets; fits and reported errors use the same grid."""

METHODS = ("sg+search", "sg", "search")

# Spike weights W tuned so that the default fit on [−5, 5] keeps the mean spike count per
# input below 2.0 with margin (see the Pareto fronts in the report). For a function not
# listed, W is DEFAULT_RELATIVE_SPIKE_WEIGHT times the variance of f on the range, which
# makes W scale with the squared error it trades against.
DEFAULT_SPIKE_WEIGHTS = {"silu": 2e-3, "sigmoid": 3e-4, "tanh": 1e-3, "gelu": 2e-3}
DEFAULT_RELATIVE_SPIKE_WEIGHT = 1e-3

MAX_FIT_K = 62  # spike patterns are kept as bits of an int64 while fitting


# --- what to fit ---------------------------------------------------------------------------


@dataclass(frozen=True)
class InputDistribution:
    """Where the neuron's inputs lie: a range, optionally with normal importance weights.

    With ``mu`` and ``sigma`` the weights are ``(1 − uniform_share)·N(μ, σ) +
    uniform_share·uniform`` on the range: the normal puts the accuracy where the inputs are,
    the uniform share keeps the rare inputs in the tails from being ignored altogether.
    """

    lo: float = -5.0
    hi: float = 5.0
    mu: float | None = None
    sigma: float | None = None
    uniform_share: float = 0.05

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lo) and math.isfinite(self.hi) and self.lo < self.hi):
            raise NeurosimError(
                f"the input range must be finite with A < B, found [{self.lo}, {self.hi}]",
                where="fit-fs --range",
                fix="give the lower bound first, e.g. --range -5 5",
            )
        if (self.mu is None) != (self.sigma is None):
            raise NeurosimError("give both μ and σ for a normal input", where="fit-fs --normal")
        if self.mu is not None and not (
            math.isfinite(self.mu) and math.isfinite(self.sigma) and self.sigma > 0
        ):
            raise NeurosimError(
                f"the normal input needs a finite μ and σ > 0, found μ={self.mu}, σ={self.sigma}",
                where="fit-fs --normal",
                fix="give the measured mean and a positive standard deviation",
            )
        if not 0.0 <= self.uniform_share <= 1.0:
            raise NeurosimError(
                f"uniform_share must lie in [0, 1], found {self.uniform_share}",
                where="fit-fs input distribution",
            )

    @classmethod
    def normal(cls, mu: float, sigma: float, lo: float | None = None, hi: float | None = None):
        """N(μ, σ) on [μ − 5σ, μ + 5σ] unless a range is given."""
        if lo is None or hi is None:
            width = 5.0 * sigma if math.isfinite(sigma) and sigma > 0 else 1.0
            lo, hi = mu - width, mu + width
        return cls(lo, hi, mu, sigma)

    @property
    def is_normal(self) -> bool:
        return self.mu is not None

    def grid(self, points: int = GRID_POINTS) -> np.ndarray:
        return np.linspace(self.lo, self.hi, points)

    def weights(self, x: np.ndarray) -> np.ndarray:
        """Importance weights on the grid ``x``, summing to 1."""
        uniform = np.full(x.shape, 1.0 / x.size)
        if not self.is_normal:
            return uniform
        density = np.exp(-0.5 * ((x - self.mu) / self.sigma) ** 2)
        return (1.0 - self.uniform_share) * density / density.sum() + self.uniform_share * uniform


@dataclass(frozen=True)
class FitSettings:
    """Everything that determines a fit; stored with the sequences it produced.

    ``restarts`` surrogate-gradient runs of at most ``sg_steps`` Adam steps (stopping after
    ``patience`` steps without improvement) on ``sg_points`` inputs; each result is refined
    by ``search_evals`` evaluations of the exact loss, and the best ``finalists`` by
    ``final_evals`` more.
    """

    activation: str
    K: int
    inputs: InputDistribution = field(default_factory=InputDistribution)
    spike_weight: float = 0.0
    seed: int = 0
    bits: int | None = None
    method: str = "sg+search"
    restarts: int = 12
    sg_steps: int = 800
    sg_points: int = 1000
    patience: int = 200
    learning_rate: tuple[float, float] = (0.005, 0.05)
    search_evals: int = 5000
    finalists: int = 3
    final_evals: int = 20000
    grid_points: int = GRID_POINTS

    def __post_init__(self) -> None:
        _check_K(self.K)
        if self.K > MAX_FIT_K:
            raise NeurosimError(
                f"fitting supports K <= {MAX_FIT_K}, found K = {self.K}", where="fit-fs --K"
            )
        if self.method not in METHODS:
            raise NeurosimError(
                f"unknown fit method {self.method!r}",
                where="fit-fs --method",
                fix=f"use one of: {', '.join(METHODS)}",
            )
        if not (math.isfinite(self.spike_weight) and self.spike_weight >= 0):
            raise NeurosimError(
                f"the spike weight must be a finite number >= 0, found {self.spike_weight}",
                where="fit-fs --spike-weight",
            )
        if self.bits is not None and (isinstance(self.bits, bool) or self.bits < 2):
            raise NeurosimError(
                f"quantised sequences need at least 2 bits, found {self.bits}",
                where="fit-fs --bits",
            )
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise NeurosimError(
                f"the seed must be a whole number >= 0, found {self.seed!r}", where="fit-fs --seed"
            )
        for name in ("restarts", "sg_steps", "sg_points", "patience", "finalists"):
            if getattr(self, name) < 1:
                raise NeurosimError(f"{name} must be at least 1", where=f"fit settings: {name}")
        if self.grid_points < 2 or self.sg_points < 2:
            raise NeurosimError("the fitting grids need at least 2 points", where="fit settings")
        low, high = self.learning_rate
        if not 0 < low <= high:
            raise NeurosimError(
                f"the learning rate range must satisfy 0 < low <= high, found {self.learning_rate}",
                where="fit settings: learning_rate",
            )

    def to_dict(self) -> dict:
        """Plain values for the YAML file (and to compare a file with the defaults)."""
        settings = asdict(self)
        settings["inputs"] = asdict(self.inputs)
        settings["learning_rate"] = list(self.learning_rate)
        return settings


def _check_K(K: object) -> None:
    if isinstance(K, bool) or not isinstance(K, (int, np.integer)) or K < 1:
        raise NeurosimError(
            f"K must be a whole number of at least 1, found {K!r}",
            where="fit-fs --K",
            fix="use K >= 1 (e.g. 16 for SiLU, 12 for sigmoid)",
        )


def default_settings(
    activation: str,
    K: int,
    inputs: InputDistribution | None = None,
    function: Activation | None = None,
    **overrides: object,
) -> FitSettings:
    """The settings ``neurosim fit-fs`` uses, with the activation's default spike weight."""
    inputs = inputs or InputDistribution()
    _check_K(K)
    if "spike_weight" not in overrides or overrides["spike_weight"] is None:
        overrides["spike_weight"] = default_spike_weight(activation, inputs, function)
    return FitSettings(activation, K, inputs, **overrides)


def default_spike_weight(
    activation: str, inputs: InputDistribution, function: Activation | None = None
) -> float:
    """The tuned W for a known activation, else a multiple of the variance of f."""
    if activation in DEFAULT_SPIKE_WEIGHTS:
        return DEFAULT_SPIKE_WEIGHTS[activation]
    function = function or resolve_activation(activation)
    x = inputs.grid(1001)
    values = check_activation(activation, function, x)
    variance = float(np.sum(inputs.weights(x) * (values - np.mean(values)) ** 2))
    return DEFAULT_RELATIVE_SPIKE_WEIGHT * max(variance, 1e-12)


def resolve_activation(name: str) -> Activation:
    """A built-in activation by name, or a user function given as ``module:function``."""
    if ":" not in name:
        return get_activation(name)
    module_name, _, attribute = name.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise NeurosimError(
            f"cannot import module {module_name!r} ({exc})",
            where=f"activation {name!r}",
            fix="give an importable module:function, e.g. mypkg.acts:softplus",
        ) from None
    function = getattr(module, attribute, None)
    if not callable(function):
        raise NeurosimError(
            f"module {module_name!r} has no function {attribute!r}",
            where=f"activation {name!r}",
            fix="give an importable module:function",
        )
    return function


def check_activation(name: str, function: Activation, x: np.ndarray) -> np.ndarray:
    """f on ``x`` after checking it is elementwise and finite there; returns f(x).

    Elementwise means f of a permuted, reshaped or sliced array is the permuted, reshaped or
    sliced f: a function that mixes its inputs (a softmax, a normalisation, a cumulative
    sum) cannot be an FS neuron.
    """
    where = f"activation {name!r}"
    try:
        values = np.asarray(function(x.copy()), dtype=np.float64)
        order = np.random.default_rng(0).permutation(x.size)
        permuted = np.asarray(function(x[order].copy()), dtype=np.float64)
        rows = 2 if x.size % 2 == 0 else 1
        reshaped = np.asarray(function(x.reshape(rows, -1).copy()), dtype=np.float64)
        subset = np.asarray(function(x[::3].copy()), dtype=np.float64)
    except NeurosimError:
        raise
    except Exception as exc:  # a user's function may fail in any way
        raise NeurosimError(
            f"calling the activation on an array failed ({type(exc).__name__}: {exc})",
            where=where,
            fix="give a function that maps a numpy array to an array of the same shape",
        ) from None
    if values.shape != x.shape or reshaped.shape != (rows, x.size // rows):
        raise NeurosimError(
            "the activation is not elementwise: it does not return an array of its input's shape",
            where=where,
            fix="give an elementwise function",
        )
    if not np.all(np.isfinite(values)):
        bad = x[~np.isfinite(values)][0]
        raise NeurosimError(
            f"the activation returns NaN or infinity on the range (at x = {bad:g})",
            where=where,
            fix="choose a range on which f is finite (--range A B)",
        )
    close = lambda a, b: np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True)  # noqa: E731
    same = close(permuted, values[order]) and close(reshaped.reshape(-1), values)
    if not (same and subset.shape == x[::3].shape and close(subset, values[::3])):
        raise NeurosimError(
            "the activation is not elementwise: its output at one input depends on the others",
            where=where,
            fix="an FS neuron can approximate only an elementwise function",
        )
    return values


# --- stage 1: surrogate-gradient training ----------------------------------------------------


def surrogate_loss_and_gradient(
    T: np.ndarray,
    h: np.ndarray,
    d: np.ndarray,
    x: np.ndarray,
    target: np.ndarray,
    weights: np.ndarray,
    spike_weight: float,
    threshold_penalty: float = 1e-2,
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """The loss and its surrogate gradients with respect to T, h and d.

    Forward in the inference order of :func:`~neurosim.coding.fs.fs_forward`. Backward, the
    Heaviside step z = H(v − T) gets the pseudo-derivative ``max(1 − |v_s|, 0)`` through
    ``v_s = (v − T)/(|v| + 1)``, so dz/dT = −g/(|v|+1) and dz/dv = g·(|v|+1 − (v−T)·sign v)/(|v|+1)².
    The loss adds W·(weighted spike count) and ``threshold_penalty`` times the squared
    distance of each T(t) outside [min v(t), max v(t)] (a threshold outside never changes).
    """
    K = T.size
    potentials = np.empty((K, x.size))
    spikes = np.empty((K, x.size))
    v = x
    for t in range(K):
        potentials[t] = v
        spikes[t] = v > T[t]
        v = v - h[t] * spikes[t]
    error = d @ spikes - target
    above = np.maximum(T - potentials.max(axis=1), 0.0)
    below = np.maximum(potentials.min(axis=1) - T, 0.0)
    loss = (
        float(weights @ error**2)
        + spike_weight * float(weights @ spikes.sum(axis=0))
        + threshold_penalty * float(np.sum(above**2 + below**2))
    )

    grad_output = 2.0 * weights * error
    grad_d = spikes @ grad_output
    grad_T = 2.0 * threshold_penalty * (above - below)
    grad_h = np.zeros(K)
    grad_v_next = np.zeros(x.size)  # dL/dv(t+1)
    for t in range(K - 1, -1, -1):
        v = potentials[t]
        scale = np.abs(v) + 1.0
        pseudo = np.maximum(1.0 - np.abs((v - T[t]) / scale), 0.0)
        grad_z = grad_output * d[t] - grad_v_next * h[t] + spike_weight * weights
        grad_h[t] = -float(grad_v_next @ spikes[t])
        grad_T[t] -= float(grad_z @ (pseudo / scale))
        grad_v_next = grad_v_next + grad_z * pseudo * (scale - (v - T[t]) * np.sign(v)) / scale**2
    return loss, grad_T, grad_h, grad_d


def surrogate_train(
    T: np.ndarray,
    h: np.ndarray,
    d: np.ndarray,
    x: np.ndarray,
    target: np.ndarray,
    weights: np.ndarray,
    spike_weight: float,
    rng: np.random.Generator,
    steps: int = 800,
    patience: int = 200,
    learning_rate: tuple[float, float] = (0.005, 0.05),
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[float]]:
    """Adam on the surrogate gradient; returns the best (T, h, d) seen and the loss history.

    The learning rate is drawn uniformly from ``learning_rate`` at every step; training stops
    after ``patience`` steps without a new best loss.
    """
    params = np.concatenate([T, h, d]).astype(np.float64)
    K = T.size
    moment1 = np.zeros_like(params)
    moment2 = np.zeros_like(params)
    beta1, beta2 = 0.9, 0.999
    best_loss, best = math.inf, params.copy()
    history: list[float] = []
    since_best = 0
    for step in range(1, steps + 1):
        loss, *grads = surrogate_loss_and_gradient(
            params[:K], params[K : 2 * K], params[2 * K :], x, target, weights, spike_weight
        )
        history.append(loss)
        if loss < best_loss:
            best_loss, best, since_best = loss, params.copy(), 0
        else:
            since_best += 1
            if since_best >= patience:
                break
        gradient = np.concatenate(grads)
        moment1 = beta1 * moment1 + (1 - beta1) * gradient
        moment2 = beta2 * moment2 + (1 - beta2) * gradient**2
        rate = rng.uniform(*learning_rate)
        params = params - rate * (moment1 / (1 - beta1**step)) / (
            np.sqrt(moment2 / (1 - beta2**step)) + 1e-8
        )
    return best[:K], best[K : 2 * K], best[2 * K :], history


# --- stage 2: the exact loss and a search on it -----------------------------------------------


@numba.njit(cache=True)
def _piece_statistics(T, h, x, cum_w, cum_wf, cum_wff):  # pragma: no cover - numba
    """Least-squares statistics over the grid ``x`` (sorted), walking the spike-pattern tree.

    Depth first from the interval (x[0] − 1, x[-1]]: at step t a node whose resets so far sum
    to c fires for x > T(t) + c, so it passes on whole or splits in two. Each leaf is an
    interval with one spike pattern z; it adds (Σw)·z zᵀ to the Gram matrix, (Σw f)·z to the
    right-hand side, Σw f² to the constant and (Σw)·|z| to the spike count.
    """
    K = T.size
    gram = np.zeros((K, K))
    rhs = np.zeros(K)
    constant = 0.0
    spike_sum = 0.0
    stack_lo = np.empty(K + 2)
    stack_hi = np.empty(K + 2)
    stack_reset = np.empty(K + 2)
    stack_step = np.empty(K + 2, np.int64)
    stack_pattern = np.empty(K + 2, np.int64)
    fired = np.empty(K, np.int64)
    stack_lo[0], stack_hi[0], stack_reset[0] = x[0] - 1.0, x[-1], 0.0
    stack_step[0], stack_pattern[0] = 0, 0
    top = 1
    while top > 0:
        top -= 1
        lo, hi = stack_lo[top], stack_hi[top]
        reset, t, pattern = stack_reset[top], stack_step[top], stack_pattern[top]
        if t == K:
            first = np.searchsorted(x, lo, side="right")
            last = np.searchsorted(x, hi, side="right")
            w = cum_w[last] - cum_w[first]
            if w <= 0.0:
                continue
            wf = cum_wf[last] - cum_wf[first]
            constant += cum_wff[last] - cum_wff[first]
            n = 0
            for k in range(K):
                if (pattern >> k) & 1:
                    fired[n] = k
                    n += 1
            spike_sum += w * n
            for a in range(n):
                rhs[fired[a]] += wf
                for b in range(n):
                    gram[fired[a], fired[b]] += w
            continue
        split = T[t] + reset
        if split >= hi or split <= lo:
            fires = split <= lo
            stack_lo[top], stack_hi[top] = lo, hi
            stack_reset[top] = reset + h[t] if fires else reset
            stack_step[top] = t + 1
            stack_pattern[top] = pattern | (1 << t) if fires else pattern
            top += 1
        else:  # push the firing upper part first so the lower part is walked first
            stack_lo[top], stack_hi[top], stack_reset[top] = split, hi, reset + h[t]
            stack_step[top], stack_pattern[top] = t + 1, pattern | (1 << t)
            stack_lo[top + 1], stack_hi[top + 1], stack_reset[top + 1] = lo, split, reset
            stack_step[top + 1], stack_pattern[top + 1] = t + 1, pattern
            top += 2
    return gram, rhs, constant, spike_sum


@numba.njit(cache=True)
def _ridge_solve(gram, rhs):  # pragma: no cover - numba
    """Solve (G + λI) d = r by Cholesky; the tiny λ gives d = 0 to steps that never fire."""
    K = rhs.size
    ridge = 1e-12 * (np.trace(gram) / K + 1e-300)
    lower = np.zeros((K, K))
    for i in range(K):
        for j in range(i + 1):
            total = gram[i, j] + (ridge if i == j else 0.0)
            for k in range(j):
                total -= lower[i, k] * lower[j, k]
            if i == j:
                lower[i, i] = math.sqrt(max(total, 1e-300))
            else:
                lower[i, j] = total / lower[j, j]
    y = np.empty(K)
    for i in range(K):
        total = rhs[i]
        for k in range(i):
            total -= lower[i, k] * y[k]
        y[i] = total / lower[i, i]
    d = np.empty(K)
    for i in range(K - 1, -1, -1):
        total = y[i]
        for k in range(i + 1, K):
            total -= lower[k, i] * d[k]
        d[i] = total / lower[i, i]
    return d


class ExactLoss:
    """The weighted loss on a grid, exact for any T and h, with d from least squares.

    Built once per grid (prefix sums of w, w·f, w·f²); each evaluation walks the intervals on
    which the spike pattern is constant, so it costs about pieces × K², not grid × K.
    """

    def __init__(
        self,
        x: np.ndarray,
        target: np.ndarray,
        weights: np.ndarray,
        spike_weight: float,
        bits: int | None = None,
    ) -> None:
        self.x = np.ascontiguousarray(x, dtype=np.float64)
        weights = weights / weights.sum()
        prefix = lambda values: np.concatenate([[0.0], np.cumsum(values)])  # noqa: E731
        self.cum_w = prefix(weights)
        self.cum_wf = prefix(weights * target)
        self.cum_wff = prefix(weights * target * target)
        self.spike_weight = spike_weight
        self.bits = bits

    def _round(self, values: np.ndarray) -> np.ndarray:
        """b-bit rounding with one scale for the whole vector, as in fs.quantise."""
        largest = np.max(np.abs(values))
        if self.bits is None or largest == 0:
            return values
        scale = largest / (2 ** (self.bits - 1) - 1)
        return np.rint(values / scale) * scale

    def evaluate(self, T: np.ndarray, h: np.ndarray) -> tuple[float, float, np.ndarray]:
        """(weighted MSE, weighted mean spikes, least-squares d) for these T and h."""
        if self.bits is not None:
            both = self._round(np.concatenate([T, h]))
            T, h = both[: T.size], both[T.size :]
        gram, rhs, constant, spikes = _piece_statistics(
            np.ascontiguousarray(T), np.ascontiguousarray(h), self.x,
            self.cum_w, self.cum_wf, self.cum_wff,
        )
        d = self._round(_ridge_solve(gram, rhs))
        mse = max(constant - 2.0 * d @ rhs + d @ gram @ d, 0.0)
        return float(mse), float(spikes), d

    def score(self, T: np.ndarray, h: np.ndarray) -> float:
        mse, spikes, _ = self.evaluate(T, h)
        return mse + self.spike_weight * spikes


def exact_search(
    loss: ExactLoss,
    T: np.ndarray,
    h: np.ndarray,
    rng: np.random.Generator,
    evaluations: int,
    lo: float,
    hi: float,
    step: float = 0.05,
    reseed_probability: float = 0.1,
) -> tuple[np.ndarray, np.ndarray, float]:
    """A (1+1) evolution strategy over (T, h) on the exact score; returns the best found.

    A move either nudges 1–3 entries by ``step·(span/10 + |value|)·N(0, 1)`` or, with
    ``reseed_probability``, redraws one step's threshold and reset (which revives a step
    that never fires). ``step`` grows by 1.2 on success and shrinks by 1.2^(−1/4) on failure
    (the one-fifth rule). Equal scores are accepted, so the search drifts along plateaus.
    """
    K = T.size
    span = hi - lo
    current = np.concatenate([T, h]).astype(np.float64)
    best = loss.score(current[:K], current[K:])
    for _ in range(evaluations):
        candidate = current.copy()
        if rng.random() < reseed_probability:
            t = rng.integers(K)
            candidate[t] = rng.uniform(lo, hi)
            candidate[K + t] = rng.uniform(-0.1, 0.4) * span
        else:
            entries = rng.integers(0, 2 * K, size=rng.integers(1, 4))
            noise = rng.normal(size=entries.size)
            candidate[entries] += step * (span / 10 + np.abs(candidate[entries])) * noise
        score = loss.score(candidate[:K], candidate[K:])
        if score <= best:
            current, best = candidate, score
            step = min(step * 1.2, 1.0)
        else:
            step = max(step * 1.2**-0.25, 1e-4)
    return current[:K], current[K:], best


# --- the whole fit --------------------------------------------------------------------------


def _initial_sequences(
    K: int, lo: float, hi: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Falling thresholds spread over the middle of the range, positive resets."""
    T = np.sort(rng.uniform(lo + 0.2 * (hi - lo), hi - 0.2 * (hi - lo), K))[::-1].copy()
    h = rng.uniform(0.0, 0.2 * (hi - lo), K)
    return T, h


def fit_fs(settings: FitSettings, function: Activation | None = None) -> FSParams:
    """Fit T, h, d for ``settings.activation`` (or ``function``); errors in ``params.errors``."""
    function = function or resolve_activation(settings.activation)
    inputs = settings.inputs
    x = inputs.grid(settings.grid_points)
    target = check_activation(settings.activation, function, x)
    weights = inputs.weights(x)
    loss = ExactLoss(x, target, weights, settings.spike_weight, settings.bits)
    x_sg = inputs.grid(settings.sg_points)
    target_sg = np.asarray(function(x_sg), dtype=np.float64)
    weights_sg = inputs.weights(x_sg)

    streams = np.random.SeedSequence(settings.seed).spawn(settings.restarts)
    candidates = []
    for stream in streams:
        rng = np.random.default_rng(stream)
        T, h = _initial_sequences(settings.K, inputs.lo, inputs.hi, rng)
        if settings.method != "search":
            d = loss.evaluate(T, h)[2]
            T, h, d, _ = surrogate_train(
                T, h, d, x_sg, target_sg, weights_sg, settings.spike_weight, rng,
                settings.sg_steps, settings.patience, settings.learning_rate,
            )
        if settings.method != "sg":
            T, h, _ = exact_search(loss, T, h, rng, settings.search_evals, inputs.lo, inputs.hi)
        candidates.append((loss.score(T, h), T, h, rng))
    candidates.sort(key=lambda candidate: candidate[0])
    if settings.method != "sg":
        finals = [
            exact_search(loss, T, h, rng, settings.final_evals, inputs.lo, inputs.hi)
            for _, T, h, rng in candidates[: settings.finalists]
        ]
        T, h, _ = min(finals, key=lambda final: final[2])
    else:
        _, T, h, _ = candidates[0]
    d = loss.evaluate(T, h)[2]

    params = FSParams(settings.activation, settings.K, T, h, d)
    if settings.bits is not None:
        params = quantise(params, settings.bits)
    fit = {**settings.to_dict(), "neurosim_version": __version__}
    return replace(params, fit=fit, errors=evaluate(params, function, inputs, settings.grid_points))


def evaluate(
    params: FSParams,
    function: Activation,
    inputs: InputDistribution,
    grid_points: int = GRID_POINTS,
) -> dict:
    """How well ``params`` approximate ``function``, by running the neuron on the grid.

    ``mse``, ``max_error`` and ``mean_spikes`` are over the evenly spaced grid on the range
    (the issue's targets); with a normal input also the weighted MSE and the exact expected
    spike count under N(μ, σ).
    """
    x = inputs.grid(grid_points)
    output, spikes = fs_forward(x, params)
    error = output - np.asarray(function(x), dtype=np.float64)
    errors = {
        "grid_points": int(grid_points),
        "range": [float(inputs.lo), float(inputs.hi)],
        "mse": float(np.mean(error**2)),
        "max_error": float(np.max(np.abs(error))),
        "mean_spikes": float(np.mean(spikes)),
    }
    if inputs.is_normal:
        errors["normal"] = [float(inputs.mu), float(inputs.sigma)]
        errors["weighted_mse"] = float(inputs.weights(x) @ error**2)
        errors["expected_spikes_normal"] = expected_spikes(params, inputs.mu, inputs.sigma)
    return errors


def relu_fit(alpha: float = PAPER_RELU_ALPHA, K: int = 10, inputs: InputDistribution | None = None,
             bits: int | None = None):
    """The closed-form ReLU sequences (quantised to ``bits`` if given) with their errors on
    [0, α) (and under a normal input), measured on the sequences returned."""
    params = relu_params(alpha, K)
    if bits is not None:
        params = quantise(params, bits)
    x = np.linspace(0.0, alpha, GRID_POINTS, endpoint=False)
    output, spikes = fs_forward(x, params)
    error = output - np.maximum(x, 0.0)
    errors = {
        "grid_points": GRID_POINTS,
        "range": [0.0, float(alpha)],
        "mse": float(np.mean(error**2)),
        "max_error": float(np.max(np.abs(error))),
        "step": float(alpha) / 2**K,
        "mean_spikes": float(np.mean(spikes)),
    }
    if inputs is not None and inputs.is_normal:
        errors["normal"] = [float(inputs.mu), float(inputs.sigma)]
        errors["expected_spikes_normal"] = expected_spikes(params, inputs.mu, inputs.sigma)
    return replace(params, errors=errors)


def pareto_front(settings: FitSettings, spike_weights: list[float], function=None) -> list[FSParams]:
    """One fit per spike weight W (other settings unchanged): MSE against mean spikes."""
    return [fit_fs(replace(settings, spike_weight=float(w)), function) for w in spike_weights]
