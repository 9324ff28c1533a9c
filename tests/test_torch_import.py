"""PyTorch import, checked against torch's own forward pass (skipped without torch)."""

from __future__ import annotations

import numpy as np
import pytest

from neurosim.ann.forward import forward
from neurosim.ann.layers import Activation, BatchNorm, Conv2d, MaxPool2d
from neurosim.errors import NeurosimError

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

from neurosim.ann.torch_import import from_torch  # noqa: E402


def _randomise_batchnorm(module):
    gen = torch.Generator().manual_seed(1)
    for bn in module.modules():
        if isinstance(bn, nn.BatchNorm1d | nn.BatchNorm2d):
            n = bn.num_features
            bn.running_mean.copy_(torch.rand(n, generator=gen) - 0.5)
            bn.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
            bn.weight.data.copy_(torch.rand(n, generator=gen) + 0.5)
            bn.bias.data.copy_(torch.rand(n, generator=gen) - 0.5)


def _max_diff(module, input_shape, batch=16):
    torch.manual_seed(0)
    model = from_torch(module, input_shape)
    x = torch.rand(batch, *input_shape)
    with torch.no_grad():
        expected = module.eval()(x).numpy()
    return model, float(np.max(np.abs(forward(model, x.numpy().astype(np.float64)) - expected)))


def test_sequential_mlp():
    torch.manual_seed(0)
    module = nn.Sequential(nn.Flatten(), nn.Linear(12, 20), nn.ReLU(), nn.Dropout(0.5),
                           nn.Linear(20, 8), nn.Sigmoid(), nn.Linear(8, 6), nn.Tanh(),
                           nn.Linear(6, 5, bias=False), nn.GELU(), nn.Identity(), nn.Linear(5, 3))
    model, diff = _max_diff(module, (3, 4))
    assert diff <= 1e-5
    assert model.shapes[model.output] == (3,)


def test_nested_cnn_with_batchnorm_is_folded():
    torch.manual_seed(0)
    module = nn.Sequential(
        nn.Sequential(nn.Conv2d(2, 6, 3, padding=1), nn.BatchNorm2d(6), nn.SiLU()),
        nn.AvgPool2d(2),
        nn.Sequential(nn.Conv2d(6, 8, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(8),
                      nn.ReLU()),
        nn.Flatten(),
        nn.Linear(8 * 2 * 2, 10), nn.BatchNorm1d(10), nn.ReLU(), nn.Linear(10, 4),
    )
    _randomise_batchnorm(module)
    module.train()  # from_torch reads inference behaviour and restores the flags
    before = [bn.running_mean.clone() for bn in module.modules() if isinstance(bn, nn.BatchNorm2d)]
    model = from_torch(module, (2, 8, 8))
    assert module.training and all(m.training for m in module.modules())
    after = [bn.running_mean for bn in module.modules() if isinstance(bn, nn.BatchNorm2d)]
    assert all(torch.equal(a, b) for a, b in zip(before, after))
    assert not any(isinstance(lyr, BatchNorm) for lyr in model.layers)
    conv = model.layer("0.0")
    assert isinstance(conv, Conv2d) and model.shapes["2.0"] == (8, 2, 2)
    _, diff = _max_diff(module, (2, 8, 8))
    assert diff <= 1e-5


class ResidualBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + x)


class ResidualNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(1, 4, 3, padding="same")
        self.block = ResidualBlock(4)
        self.head = nn.Linear(4 * 3 * 3, 5)

    def forward(self, x):
        y = self.block(F.relu(self.stem(x)))
        y = F.avg_pool2d(y, 2) if False else y  # a constant branch traces away
        return self.head(y.view(y.size(0), -1))


def test_residual_block():
    torch.manual_seed(0)
    module = ResidualNet()
    _randomise_batchnorm(module)
    model, diff = _max_diff(module, (1, 3, 3))
    assert diff <= 1e-5
    adds = [lyr for lyr in model.layers if type(lyr).__name__ == "Add"]
    assert len(adds) == 1 and len(adds[0].inputs) == 2
    assert sum(isinstance(lyr, Activation) for lyr in model.layers) == 3


def test_maxpool_is_read():
    module = nn.Sequential(nn.Conv2d(1, 2, 3), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2, 3))
    model, diff = _max_diff(module, (1, 4, 4))
    assert diff <= 1e-5 and any(isinstance(lyr, MaxPool2d) for lyr in model.layers)


@pytest.mark.parametrize(("module", "match"), [
    (nn.Sequential(nn.Linear(4, 4), nn.Sequential(nn.Identity(), nn.LeakyReLU())),
     r"'1\.1' \(LeakyReLU\)"),
    (nn.Sequential(nn.Conv2d(2, 2, 3, groups=2)), r"'0' \(Conv2d\).*groups=2"),
    (nn.Sequential(nn.Conv2d(2, 2, 3, dilation=2)), "dilation"),
    (nn.Sequential(nn.AvgPool2d(2, padding=1)), "padding"),
    (nn.Sequential(nn.AvgPool2d(2, ceil_mode=True)), "ceil_mode"),
])
def test_unsupported_module_is_named(module, match):
    shape = (4,) if isinstance(module[0], nn.Linear) else (2, 6, 6)
    with pytest.raises(NeurosimError, match=match) as info:
        from_torch(module, shape)
    assert "Linear, Conv2d" in str(info.value)  # lists what is supported


def test_unsupported_function_is_named():
    class Scaled(nn.Module):
        def forward(self, x):
            return x * 2

    with pytest.raises(NeurosimError, match="mul"):
        from_torch(Scaled(), (3,))


def test_wrong_input_shape():
    with pytest.raises(NeurosimError, match="does not run on input shape"):
        from_torch(nn.Sequential(nn.Linear(4, 2)), (5,))


def test_double_precision_module():
    torch.manual_seed(0)
    module = nn.Sequential(nn.Linear(3, 4), nn.SiLU(), nn.Linear(4, 2)).double()
    model = from_torch(module, (3,))
    x = torch.rand(5, 3, dtype=torch.float64)
    with torch.no_grad():
        expected = module(x).numpy()
    assert np.max(np.abs(forward(model, x.numpy()) - expected)) <= 1e-12
