"""Import a PyTorch module as a neurosim :class:`~neurosim.ann.model.Model`.

torch is optional (``pip install neurosim[torch]``) and imported only inside
:func:`from_torch`. The module is traced with ``torch.fx``, so ``nn.Sequential`` (nested
too) and modules whose ``forward`` adds branches (residual blocks) both work, as long as
the forward pass does not branch on the data. Each traced node becomes one layer:

* modules: Linear, Conv2d (stride and zero padding; groups and dilation are refused),
  BatchNorm1d/2d (folded into the layer before it), ReLU, SiLU, Sigmoid, Tanh, GELU,
  AvgPool2d (no padding, ``ceil_mode=False``), MaxPool2d (read; conversion refuses it),
  Flatten, and Identity and Dropout (which vanish, as at inference);
* functions and methods: ``+``/``torch.add``, ``torch.flatten(x, 1)``,
  ``x.flatten(1)``, ``x.view(x.size(0), -1)``/``reshape``, and ``relu``, ``silu``,
  ``sigmoid``, ``tanh``, ``gelu`` from ``torch`` and ``torch.nn.functional``.

The module is read in evaluation mode (BatchNorm running statistics, no dropout); the
training flags of its submodules are restored afterwards.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from neurosim.ann.layers import (
    Activation,
    Add,
    AvgPool2d,
    BatchNorm,
    Conv2d,
    Dense,
    Flatten,
    Input,
    Layer,
    MaxPool2d,
)
from neurosim.ann.model import Model, fold_batchnorm, fold_input_normalisation
from neurosim.errors import NeurosimError

SUPPORTED_MODULES = (
    "Linear", "Conv2d", "BatchNorm1d", "BatchNorm2d", "ReLU", "SiLU", "Sigmoid", "Tanh",
    "GELU", "AvgPool2d", "MaxPool2d", "Flatten", "Identity", "Dropout", "Sequential",
)
_SUPPORTED_TEXT = (f"neurosim imports the modules {', '.join(SUPPORTED_MODULES)}, and "
                   "+, torch.add, torch.flatten, view/reshape(x.size(0), -1) and the "
                   "functional relu, silu, sigmoid, tanh, gelu")
_MODULE_ACTIVATIONS = {"ReLU": "relu", "SiLU": "silu", "Sigmoid": "sigmoid", "Tanh": "tanh",
                       "GELU": "gelu"}
_NAMED_ACTIVATIONS = {"relu": "relu", "relu_": "relu", "silu": "silu", "sigmoid": "sigmoid",
                      "tanh": "tanh", "gelu": "gelu"}

TORCH_MISSING_FIX = "pip install torch==2.13.0 (or pip install neurosim[torch])"


def _import_torch() -> Any:
    try:
        import torch
        import torch.fx
    except ImportError:
        raise NeurosimError("PyTorch is not installed", where="neurosim.ann.torch_import",
                            fix=TORCH_MISSING_FIX) from None
    return torch


def _array(tensor: Any) -> np.ndarray:
    return tensor.detach().cpu().double().numpy().copy()


class _Importer:
    """Walks a traced graph and collects layers; ``names`` maps fx nodes to layer names."""

    def __init__(self, torch: Any, graph_module: Any, input_shape: tuple[int, ...]) -> None:
        self.torch = torch
        self.gm = graph_module
        self.input_shape = input_shape
        self.layers: list[Layer] = []
        self.names: dict[Any, str] = {}
        self.used: set[str] = set()
        self.batch_size_nodes: set[Any] = set()
        self.output = ""

    # -- helpers ------------------------------------------------------------------------

    def _unique(self, wanted: str) -> str:
        name, k = wanted, 1
        while name in self.used:
            k += 1
            name = f"{wanted}_{k}"
        self.used.add(name)
        return name

    def _emit(self, node: Any, layer_name: str, make: Any) -> None:
        name = self._unique(layer_name)
        self.layers.append(make(name))
        self.names[node] = name

    def _alias(self, node: Any, source: Any) -> None:
        self.names[node] = self.names[source]

    def _input_of(self, node: Any, arg: Any) -> str:
        if arg not in self.names:
            raise self._unsupported(node, "reads a value that is not a tensor of the network "
                                    f"({arg!r})")
        return self.names[arg]

    @staticmethod
    def _shape(node: Any) -> tuple[int, ...]:
        meta = node.meta.get("tensor_meta")
        return tuple(int(s) for s in meta.shape) if meta is not None else ()

    def _unsupported(self, node: Any, what: str) -> NeurosimError:
        return NeurosimError(what, where=f"torch module: {self._describe(node)}",
                             fix=_SUPPORTED_TEXT)

    def _describe(self, node: Any) -> str:
        if node.op == "call_module":
            module = self.gm.get_submodule(node.target)
            return f"{node.target!r} ({type(module).__name__})"
        target = getattr(node.target, "__name__", str(node.target))
        return f"{node.name!r} ({node.op} {target})"

    # -- nodes --------------------------------------------------------------------------

    def visit(self, node: Any) -> None:
        if node.op == "placeholder":
            if self.names:
                raise self._unsupported(node, "the module takes more than one input")
            self._emit(node, "input", lambda n: Input(n, self.input_shape))
        elif node.op == "get_attr":
            raise self._unsupported(node, "reads a parameter or buffer inside forward()")
        elif node.op == "call_module":
            self._module(node)
        elif node.op == "call_function":
            self._function(node)
        elif node.op == "call_method":
            self._method(node)
        elif node.op == "output":
            result = node.args[0]
            if isinstance(result, tuple | list) and len(result) == 1:
                result = result[0]
            if result not in self.names:
                raise self._unsupported(node, "must return one tensor")
            self.output = self.names[result]

    def _module(self, node: Any) -> None:
        nn = self.torch.nn
        module = self.gm.get_submodule(node.target)
        kind = type(module).__name__
        if len(node.args) != 1 or node.kwargs:
            raise self._unsupported(node, f"{kind} is called with {len(node.args)} arguments")
        (src,) = node.args
        inp = self._input_of(node, src)
        name = str(node.target)
        if isinstance(module, nn.Identity | nn.Dropout | nn.Dropout1d | nn.Dropout2d):
            self._alias(node, src)
        elif isinstance(module, nn.Linear):
            weight = _array(module.weight)
            bias = _array(module.bias) if module.bias is not None else np.zeros(weight.shape[0])
            self._emit(node, name, lambda n: Dense(n, (inp,), weight, bias))
        elif isinstance(module, nn.Conv2d):
            self._emit(node, name, lambda n: self._conv(node, n, inp, module))
        elif isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
            self._emit(node, name, lambda n: self._batchnorm(node, n, inp, module))
        elif kind in _MODULE_ACTIVATIONS and isinstance(module, getattr(nn, kind)):
            if kind == "GELU" and module.approximate != "none":
                raise self._unsupported(node, f"GELU(approximate={module.approximate!r}) is "
                                        "not the exact GELU neurosim computes")
            self._emit(node, name, lambda n: Activation(n, (inp,), _MODULE_ACTIVATIONS[kind]))
        elif isinstance(module, nn.AvgPool2d | nn.MaxPool2d):
            self._emit(node, name, lambda n: self._pool(node, n, inp, module))
        elif isinstance(module, nn.Flatten):
            self._flatten(node, src, module.start_dim, module.end_dim, name)
        else:
            raise self._unsupported(node, "is not a layer neurosim can import")

    def _conv(self, node: Any, name: str, inp: str, module: Any) -> Conv2d:
        if module.groups != 1 or tuple(module.dilation) != (1, 1):
            raise self._unsupported(node, f"groups={module.groups}, "
                                    f"dilation={tuple(module.dilation)} are not supported "
                                    "(only groups=1, dilation=1)")
        if module.padding_mode != "zeros":
            raise self._unsupported(node, f"padding_mode={module.padding_mode!r} is not "
                                    "supported (only zero padding)")
        padding = module.padding
        if isinstance(padding, str):
            # 'same' with stride 1 pads (k-1)/2 each side, symmetric only for odd kernels.
            kernel = module.kernel_size
            if padding == "valid":
                padding = (0, 0)
            elif all(k % 2 == 1 for k in kernel):
                padding = tuple((k - 1) // 2 for k in kernel)
            else:
                raise self._unsupported(node, "padding='same' with an even kernel pads "
                                        "unevenly, which neurosim does not support")
        weight = _array(module.weight)
        bias = _array(module.bias) if module.bias is not None else np.zeros(weight.shape[0])
        return Conv2d(name, (inp,), weight, bias, stride=tuple(module.stride),
                      padding=tuple(padding))

    def _batchnorm(self, node: Any, name: str, inp: str, module: Any) -> BatchNorm:
        if module.running_mean is None or module.running_var is None:
            raise self._unsupported(node, "has no running statistics "
                                    "(track_running_stats=False)")
        channels = module.num_features
        gamma = _array(module.weight) if module.weight is not None else np.ones(channels)
        beta = _array(module.bias) if module.bias is not None else np.zeros(channels)
        return BatchNorm(name, (inp,), gamma, beta, _array(module.running_mean),
                         _array(module.running_var), float(module.eps))

    def _pool(self, node: Any, name: str, inp: str, module: Any) -> AvgPool2d | MaxPool2d:
        kind = type(module).__name__
        padding = module.padding if isinstance(module.padding, tuple) else (module.padding,)
        if any(padding) or module.ceil_mode:
            raise self._unsupported(node, f"{kind} with padding={module.padding}, "
                                    f"ceil_mode={module.ceil_mode} is not supported "
                                    "(only padding=0, ceil_mode=False)")
        stride = module.stride if module.stride is not None else module.kernel_size
        if isinstance(module, self.torch.nn.AvgPool2d):
            if module.divisor_override is not None:
                raise self._unsupported(node, "AvgPool2d with divisor_override is not supported")
            return AvgPool2d(name, (inp,), module.kernel_size, stride)
        dilation = module.dilation if isinstance(module.dilation, tuple) else (module.dilation,)
        if any(d != 1 for d in dilation) or module.return_indices:
            raise self._unsupported(node, "MaxPool2d with dilation or return_indices is not "
                                    "supported")
        return MaxPool2d(name, (inp,), module.kernel_size, stride)

    def _flatten(self, node: Any, src: Any, start_dim: int, end_dim: int,
                 name: str | None = None) -> None:
        ndim = len(self._shape(src))
        if start_dim != 1 or end_dim not in (-1, ndim - 1):
            raise self._unsupported(node, f"flattens dimensions {start_dim}..{end_dim}; "
                                    "only flattening everything but the batch (start_dim=1, "
                                    "end_dim=-1) is supported")
        inp = self._input_of(node, src)
        if ndim <= 2:
            self._alias(node, src)  # already a vector per sample
        else:
            self._emit(node, name or node.name, lambda n: Flatten(n, (inp,)))

    def _add(self, node: Any, operands: Sequence[Any]) -> None:
        if len(operands) != 2 or not all(a in self.names for a in operands):
            raise self._unsupported(node, "adds something that is not a tensor of the network "
                                    "(only tensor + tensor is supported)")
        ins = tuple(self.names[a] for a in operands)
        self._emit(node, node.name, lambda n: Add(n, ins))

    def _activation(self, node: Any, function: str) -> None:
        (src,) = node.args[:1]
        extra = dict(node.kwargs)
        extra.pop("inplace", None)
        if function == "gelu" and extra.pop("approximate", "none") != "none":
            raise self._unsupported(node, "gelu(approximate='tanh') is not supported")
        if len(node.args) > 1 or extra:
            raise self._unsupported(node, f"{function} is called with extra arguments")
        inp = self._input_of(node, src)
        self._emit(node, node.name, lambda n: Activation(n, (inp,), function))

    def _function(self, node: Any) -> None:
        torch = self.torch
        fn = node.target
        if fn in (operator.add, operator.iadd, torch.add):
            if len(node.args) != 2 or node.kwargs:
                raise self._unsupported(node, "add with alpha or extra arguments is not "
                                        "supported")
            self._add(node, node.args)
        elif fn is torch.flatten:
            args = [*node.args, None, None, None]
            start = node.kwargs.get("start_dim", args[1] if args[1] is not None else 0)
            end = node.kwargs.get("end_dim", args[2] if args[2] is not None else -1)
            self._flatten(node, node.args[0], start, end)
        elif getattr(fn, "__module__", "") in ("torch", "torch.nn.functional",
                                               "torch._C._nn") \
                and getattr(fn, "__name__", "") in _NAMED_ACTIVATIONS:
            self._activation(node, _NAMED_ACTIVATIONS[fn.__name__])
        elif fn is operator.getitem and self._is_batch_size(node):
            self.batch_size_nodes.add(node)
        elif fn is getattr and node.args[1] == "shape":
            pass  # only used through x.shape[0], checked by the getitem above
        else:
            raise self._unsupported(node, "is not an operation neurosim can import")

    def _is_batch_size(self, node: Any) -> bool:
        src, index = node.args
        return (index == 0 and getattr(src, "op", "") == "call_function"
                and src.target is getattr and src.args[1] == "shape")

    def _method(self, node: Any) -> None:
        method = node.target
        if method == "size" and node.args[1:] == (0,) and not node.kwargs:
            self.batch_size_nodes.add(node)
        elif method == "flatten":
            args = [*node.args[1:], None, None]
            start = node.kwargs.get("start_dim", args[0] if args[0] is not None else 0)
            end = node.kwargs.get("end_dim", args[1] if args[1] is not None else -1)
            self._flatten(node, node.args[0], start, end)
        elif method in ("view", "reshape"):
            src, *dims = node.args
            if len(dims) == 1 and isinstance(dims[0], tuple | list):
                dims = list(dims[0])
            per_sample = int(np.prod(self._shape(src)[1:], dtype=np.int64))
            batch_ok = len(dims) == 2 and (dims[0] in self.batch_size_nodes or dims[0] == -1)
            if not batch_ok or dims[1] not in (-1, per_sample) or node.kwargs:
                raise self._unsupported(node, f"{method}{tuple(dims)} is supported only as "
                                        f"{method}(x.size(0), -1), a flatten")
            self._flatten(node, src, 1, -1)
        elif method == "add" and not node.kwargs:
            self._add(node, node.args)
        elif method in _NAMED_ACTIVATIONS and not node.kwargs:
            self._activation(node, _NAMED_ACTIVATIONS[method])
        else:
            raise self._unsupported(node, "is not an operation neurosim can import")


def from_torch(module: Any, input_shape: Sequence[int], name: str | None = None, *,
               dataset: str | None = None,
               normalisation: tuple[float | Sequence[float], float | Sequence[float]] | None = None,
               ) -> Model:
    """The neurosim model computing what ``module`` computes at inference.

    ``input_shape`` is the shape of one sample without the batch axis, e.g. ``(1, 8, 8)``
    for a CNN or ``(64,)`` for an MLP. BatchNorm layers are folded into the layer before
    them. A module or operation that neurosim cannot represent raises a NeurosimError
    naming it (by its qualified name in ``module``) and listing what is supported.

    ``dataset`` (a :func:`neurosim.datasets.load_dataset` name such as ``"fashion-mnist"``
    or a path) is recorded in the model's metadata, so every command uses it by default.
    ``normalisation = (mean, std)``, one value or one per input channel, is the input
    transform the module was trained behind (e.g. torchvision's ``Normalize``); it is
    folded exactly into the first layer, so the model reads the data set's [0, 1] pixels
    (:func:`neurosim.ann.model.fold_input_normalisation`).
    """
    torch = _import_torch()
    if not isinstance(module, torch.nn.Module):
        raise NeurosimError(f"expected a torch.nn.Module, got {type(module).__name__}",
                            where="from_torch", fix="pass the network module itself")
    shape = tuple(int(s) for s in input_shape)
    if not shape or any(s < 1 for s in shape):
        raise NeurosimError(f"invalid input shape {shape}", where="from_torch",
                            fix="give the shape of one sample, e.g. (1, 8, 8) or (64,)")
    from torch.fx.passes.shape_prop import ShapeProp

    try:
        graph_module = torch.fx.symbolic_trace(module)
    except Exception as exc:  # fx raises several types (TraceError, TypeError, ...)
        raise NeurosimError(f"torch.fx cannot trace {type(module).__name__} "
                            f"({exc.__class__.__name__}: {exc})", where="torch module",
                            fix="keep forward() free of data-dependent control flow") from None
    modes = {sub: sub.training for sub in module.modules()}
    try:
        graph_module.eval()
        with torch.no_grad():
            try:
                dtype = next((p.dtype for p in module.parameters()), torch.float32)
                ShapeProp(graph_module).propagate(torch.zeros((1, *shape), dtype=dtype))
            except RuntimeError as exc:
                raise NeurosimError(f"the module does not run on input shape {shape} "
                                    f"({' '.join(str(exc).split())[:200]})",
                                    where=f"torch module {type(module).__name__}",
                                    fix="give the input shape the module was built for") from None
        importer = _Importer(torch, graph_module, shape)
        for node in graph_module.graph.nodes:
            importer.visit(node)
    finally:
        for sub, training in modes.items():
            sub.training = training
    metadata: dict[str, Any] = {"imported_from": f"torch module {type(module).__name__}"}
    if dataset is not None:
        metadata["dataset"] = str(dataset)
    model = fold_batchnorm(Model(name=name or type(module).__name__,
                                 layers=tuple(importer.layers), output=importer.output,
                                 metadata=metadata,
                                 source=f"torch module {type(module).__name__}"))
    if normalisation is not None:
        mean, std = normalisation
        model = fold_input_normalisation(model, np.ravel(mean), np.ravel(std))
        metadata["input_normalisation_folded"] = {"mean": np.ravel(mean).tolist(),
                                                  "std": np.ravel(std).tolist()}
    return model
