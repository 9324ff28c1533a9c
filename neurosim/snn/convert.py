"""ANN → SNN conversion, the same for every spike code.

1. Every spiking layer of the ANN (the input and each non-identity activation) becomes a
   population; the model's output becomes a non-spiking output population.
2. The linear layers between them fold into projections (:mod:`neurosim.snn.linear`):
   average pooling and BatchNorm cost no neurons, and each Add becomes several
   projections into one population.
3. Each population sits at a pipeline stage (its longest path from the input); a
   projection that skips stages (a residual shortcut) is delayed to meet the others in
   the same window.
4. The code (:mod:`neurosim.coding`) chooses each population's sequences from the layer's
   ANN activations on calibration images.
5. The network, built in ANN units, is quantised to integers (or kept ideal).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from neurosim.ann.forward import forward_all
from neurosim.ann.layers import Activation, Input
from neurosim.ann.model import Model
from neurosim.coding.base import SpikeCode
from neurosim.errors import NeurosimError
from neurosim.snn.linear import affine_bias, fold_chain, is_spiking_layer, linear_terms
from neurosim.snn.network import SNN, Population, Projection
from neurosim.snn.quantise import Precision, check_exact, make_finite, quantise

# Read-outs that keep the arg-max of their input, so the output population may stop before them.
_MONOTONE = ("relu", "sigmoid", "tanh", "identity")


def _readout_layer(model: Model) -> str:
    """The layer whose values the output population holds."""
    out = model.layer(model.output)
    if isinstance(out, Activation) and out.function != "identity":
        if out.function not in _MONOTONE:
            raise NeurosimError(
                f"the output applies {out.function!r}, which can change the arg-max",
                where=f"{model.source}: layer {out.name!r}",
                fix="end the model with a linear layer (logits)")
        return out.inputs[0]
    if isinstance(out, Input):
        raise NeurosimError("the model's output is its input", where=model.source)
    return out.name


def _stages(sources: dict[str, list[str]], order: list[str]) -> dict[str, int]:
    stage: dict[str, int] = {}
    for name in order:
        stage[name] = 1 + max((stage[s] for s in sources[name]), default=-1)
    return stage


def convert(model: Model, code: SpikeCode, calibration: np.ndarray,
            precision: Precision | None = None) -> SNN:
    """The spiking network for ``model`` in ``code``.

    ``calibration`` is a batch of training images in the model's input shape; the code sets
    each layer's scale from the ANN's activations on them.
    """
    return convert_codes(model, [code], calibration, precision)[0]


def convert_codes(model: Model, codes: Sequence[SpikeCode], calibration: np.ndarray,
                  precision: Precision | None = None) -> list[SNN]:
    """:func:`convert` for each of ``codes``, folding the layers and running the ANN once.

    What does not depend on the code (the populations' linear terms, the folded
    projections, the calibration activations) is computed once, so a T sweep costs one
    conversion plus a cheap step per T; each network is the one :func:`convert` gives.
    """
    precision = precision or Precision()
    readout = _readout_layer(model)
    spiking = [lyr for lyr in model.layers if is_spiking_layer(lyr) and lyr.name != model.output]
    functions = {lyr.function for lyr in spiking if isinstance(lyr, Activation)}
    codes = [code.for_model(functions) for code in codes]
    for code in codes:
        for layer in spiking:
            if isinstance(layer, Activation):
                code.check_activation(layer.function, layer.name)
    # Pre-activation of each population: what its linear terms read.
    pre = {lyr.name: (lyr.inputs[0] if isinstance(lyr, Activation) else None) for lyr in spiking}
    pre[readout] = readout
    order = [lyr.name for lyr in spiking] + [readout]
    terms = {name: (linear_terms(model, pre[name]) if pre[name] else []) for name in order}
    reachable = {lyr.name for lyr in spiking}
    for name in order:
        for term in terms[name]:
            if term.source not in reachable:
                raise NeurosimError(f"reads {term.source!r}, which is not a spiking layer",
                                    where=f"{model.source}: layer {name!r}")
    stage = _stages({n: [t.source for t in terms[n]] for n in order}, order)
    calibration = np.asarray(calibration, dtype=np.float64)
    activations = forward_all(model, calibration) if codes else {}
    input_range = (float(calibration.min()), float(calibration.max()))
    biases = {name: affine_bias(model, pre[name], {t.source for t in terms[name]})
              for name in order if not isinstance(model.layer(name), Input)}
    folded = {(name, i): fold_chain(term.chain, tuple(model.shapes[term.source]),
                                    f"{model.source}: layer {name!r}")
              for name in order for i, term in enumerate(terms[name])}
    return [_network(model, code, precision, readout, order, terms, stage, activations,
                     input_range, biases, folded) for code in codes]


def _network(model: Model, code: SpikeCode, precision: Precision, readout: str,
             order: list[str], terms: dict[str, list], stage: dict[str, int],
             activations: dict[str, np.ndarray], input_range: tuple[float, float],
             biases: dict[str, np.ndarray], folded: dict[tuple[str, int], tuple]) -> SNN:
    """One code's network from the code-independent parts of :func:`convert_codes`."""
    populations: list[Population] = []
    for name in order:
        layer = model.layer(name)
        role = "input" if isinstance(layer, Input) else ("output" if name == readout else "hidden")
        function = layer.function if isinstance(layer, Activation) and role == "hidden" else "identity"
        window = code.window
        if role == "output":
            seq_t = seq_h = seq_d = np.zeros(window)
        else:
            seqs = code.neuron_sequences(function, activations[name], role)
            seq_t, seq_h, seq_d = seqs.threshold, seqs.reset, seqs.out_weight
        bias = (np.zeros(int(np.prod(model.shapes[name]))) if role == "input"
                else biases[name].copy())
        if code.dynamics == "if":
            bias = bias / window  # the bias is a current, delivered every step of the window
        populations.append(Population(
            name=name, shape=tuple(model.shapes[name]), role=role,
            dynamics=code.input_dynamics if role == "input" else code.dynamics,
            threshold=np.asarray(seq_t, np.float64), reset=np.asarray(seq_h, np.float64),
            out_weight=np.asarray(seq_d, np.float64), bias=bias,
            offset=stage[name] * code.stage_steps, activation=function, ann_layer=name))

    projections: list[Projection] = []
    for name in order:
        for i, term in enumerate(terms[name]):
            kind, weight, stride, padding = folded[(name, i)]
            gap = stage[name] - stage[term.source]
            suffix = f"#{i}" if len(terms[name]) > 1 else ""
            projections.append(Projection(
                name=f"{term.source}->{name}{suffix}", source=term.source, target=name, kind=kind,
                weight=weight.copy(), stride=stride, padding=padding,
                delay=(gap - 1) * code.stage_steps))

    params = {**code.params(), "input_range": input_range,
              "precision": {"integer": precision.integer, "weight_bits": precision.weight_bits,
                            "sequence_bits": precision.sequence_bits,
                            "input_bits": precision.input_bits}}
    snn = SNN(name=f"{model.name}-{code.name}", code=code.name, populations=tuple(populations),
              projections=tuple(projections), integer=False, params=params,
              metadata={"model": model.name, **{k: v for k, v in model.metadata.items()
                                                if isinstance(v, str | int | float)}})
    input_peak = max(abs(input_range[0]), abs(input_range[1]))
    if precision.integer:
        snn = quantise(snn, precision, input_range)
    snn = make_finite(snn, input_peak)
    if snn.integer:
        check_exact(snn, input_peak)
    return snn
