"""The synthetic scale zoo: published shapes, calibrated BatchNorms, conversion of its blocks."""

from __future__ import annotations

import numpy as np
import pytest
from test_snn_convert import approximate_forward

from neurosim.ann.forward import forward, forward_all
from neurosim.ann.layers import Add, BatchNorm, Conv2d, Dense, MaxPool2d
from neurosim.ann.model import Model, fold_batchnorm
from neurosim.ann.summary import summarize
from neurosim.ann.zoo import resolve_model
from neurosim.ann.zoo import synthetic as zoo
from neurosim.coding.ttfs import TTFS
from neurosim.datasets import load_dataset
from neurosim.errors import NeurosimError
from neurosim.snn.convert import convert
from neurosim.snn.functional import simulate
from neurosim.snn.quantise import Precision


def _spiking(model: Model) -> int:
    return sum(r.neurons for r in summarize(model) if r.role == "spiking")


def test_weight_counts_match_the_published_networks():
    # torchvision's resnet18 / resnet50 have 11,689,512 / 25,557,032 parameters, of which
    # BatchNorm γ, β (2 × 4,800 / 2 × 26,560) and the fc bias (1,000) are not weights.
    for name, weights in (("resnet18-synthetic", 11_689_512 - 9_600 - 1_000),
                          ("resnet50-synthetic", 25_557_032 - 53_120 - 1_000)):
        model = zoo.architecture(name)
        assert sum(np.size(lyr.weight) for lyr in model.layers
                   if isinstance(lyr, Conv2d | Dense)) == weights
        assert not any(isinstance(lyr, MaxPool2d) for lyr in model.layers)


def test_neuron_counts_by_hand():
    # ResNet-20: 7 ReLU maps of 16×32×32, 6 of 32×16×16, 6 of 64×8×8, 64 pooled features.
    assert (_spiking(zoo.architecture("resnet20-synthetic"))
            == 7 * 16384 + 6 * 8192 + 6 * 4096 + 64)
    # ResNet-50: stem 64×112×112; per bottleneck (w + w + 4w) maps, the first block of a
    # stage with its 1×1 conv at the previous resolution; 2,048 pooled features.
    stem = 64 * 112 * 112
    stage1 = 3 * (64 + 64 + 256) * 56 * 56
    stage2 = 128 * 56 * 56 + (128 + 512) * 28 * 28 + 3 * (128 + 128 + 512) * 28 * 28
    stage3 = 256 * 28 * 28 + (256 + 1024) * 14 * 14 + 5 * (256 + 256 + 1024) * 14 * 14
    stage4 = 512 * 14 * 14 + (512 + 2048) * 7 * 7 + 2 * (512 + 512 + 2048) * 7 * 7
    r50 = zoo.architecture("resnet50-synthetic")
    assert _spiking(r50) == stem + stage1 + stage2 + stage3 + stage4 + 2048 == 9_610_752
    # 16 bottlenecks; 4 of them with a projection shortcut (the first of each stage).
    assert sum(isinstance(lyr, Add) for lyr in r50.layers) == 16
    assert sum(lyr.name.endswith("_proj") for lyr in r50.layers) == 4


def _small_bottleneck_net(seed: int = 0) -> tuple[Model, np.ndarray]:
    graph = zoo.resnet_imagenet((2, 1), bottleneck=True, width=2, image=32, classes=6)
    images = zoo.synthetic_images((3, 32, 32), 24, seed=seed + 1)
    return Model("small", tuple(zoo.calibrate(graph, images, seed))), images


def test_calibrated_batchnorm_normalises_every_channel():
    model, images = _small_bottleneck_net()
    folded = fold_batchnorm(model)
    values = forward_all(folded, images)
    for layer in model.layers:
        if isinstance(layer, BatchNorm):
            out = values[layer.inputs[0]]  # the folded conv / dense now outputs the BN's value
            axes = (0, *range(2, out.ndim))
            np.testing.assert_allclose(out.mean(axis=axes), 0.0, atol=1e-9)
            np.testing.assert_allclose(out.var(axis=axes), 1.0, rtol=1e-3)  # var / (var + ε)
    # The standardised logits make several classes the arg-max.
    assert len(np.unique(np.argmax(forward(folded, images), axis=1))) >= 3


def test_seeded_generation_is_repeatable():
    a, _ = _small_bottleneck_net(0)
    b, _ = _small_bottleneck_net(0)
    c, _ = _small_bottleneck_net(1)
    for la, lb, lc in zip(a.layers, b.layers, c.layers, strict=True):
        if isinstance(la, Conv2d):
            np.testing.assert_array_equal(la.weight, lb.weight)
            assert not np.array_equal(la.weight, lc.weight)


def test_bottleneck_and_projection_shortcuts_convert_exactly():
    # Ideal TTFS replaces each ReLU by a known quantiser; the converted network must equal
    # the ANN with that replacement through Adds of identity and projection shortcuts.
    model, images = _small_bottleneck_net()
    model = fold_batchnorm(model)
    x = images[:6]
    snn = convert(model, TTFS(T=12), images, Precision.ideal())
    result = simulate(snn, x, record_values=True)
    reference = approximate_forward(model, snn, x)
    np.testing.assert_allclose(result.outputs, reference[model.output], atol=1e-9, rtol=0)


@pytest.fixture
def tiny_zoo(tmp_path, monkeypatch):
    """resnet20-synthetic with few images, generated into an empty cache."""
    monkeypatch.setenv("NEUROSIM_CACHE_DIR", str(tmp_path))
    monkeypatch.setitem(zoo.CALIBRATION, "resnet20-synthetic", 16)
    monkeypatch.setitem(zoo.SPLITS, "resnet20-synthetic", (4, 12))
    zoo.synthetic_dataset.cache_clear()
    yield tmp_path
    zoo.synthetic_dataset.cache_clear()


def test_generated_on_demand_cached_and_labelled_by_the_ann(tiny_zoo):
    assert not zoo.model_path("resnet20-synthetic").exists()
    model = resolve_model("resnet20-synthetic")
    assert zoo.model_path("resnet20-synthetic").exists()
    again = resolve_model("resnet20-synthetic")  # from the cache
    assert not any(isinstance(lyr, BatchNorm) for lyr in model.layers)  # folded on load
    for la, lb in zip(model.layers, again.layers, strict=True):
        if isinstance(la, Conv2d):
            np.testing.assert_array_equal(la.weight, lb.weight)
    data = load_dataset("synthetic:resnet20-synthetic")
    assert data.x_test.shape == (12, 3, 32, 32) and data.x_train.shape == (4, 3, 32, 32)
    assert 0.0 <= data.x_test.min() and data.x_test.max() <= 1.0
    np.testing.assert_array_equal(data.y_test, np.argmax(forward(model, data.x_test), axis=1))
    assert model.metadata["dataset"] == "synthetic:resnet20-synthetic"


def test_unknown_synthetic_names_are_refused():
    with pytest.raises(NeurosimError, match="resnet18-synthetic"):
        load_dataset("synthetic:resnet34-synthetic")
    with pytest.raises(NeurosimError, match="resnet50-synthetic"):
        zoo.architecture("resnet101-synthetic")
