"""Bad inputs of every kind, for the fuzz tests and ``benchmarks/fuzz_inputs.py``.

Each generator takes a :class:`random.Random` and a fresh work directory, writes the
files of one case there and returns the command line to run. Every case is *invalid by
construction* (a targeted mutation that breaks a checked rule, or hostile bytes), so the
only right outcome is exit 2 with one line on stderr and nothing written under
``WORK/out``. The ``*-bitflip`` kinds are the exception: a flipped bit may land in a byte
nothing reads (a zip timestamp), so there a load that succeeds must give back exactly the
original network.
"""

from __future__ import annotations

import copy
import json
import os
import random
import zipfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from neurosim.hardware import hw_models_dir

OUT = "out"
BAD_SCALARS: list[Any] = [None, True, -1, 0, 1.5, -1e308, float("nan"), float("inf"), "", "xyz",
                          "2001-02-30", [], {}, [1, 2, 3], {"a": 1}, 10**30]


# --------------------------------------------------------------------------- base files
@cache
def base_files(root: str) -> dict[str, Path]:
    """A small converted network (FS and rate), its mapping and a model file, made once."""
    from neurosim.ann.io import save_model
    from neurosim.ann.zoo import resolve_model
    from neurosim.coding import make_code
    from neurosim.compiler import compile_network
    from neurosim.compiler.io import save_mapping
    from neurosim.hardware import load_hardware
    from neurosim.snn.io import save_snn
    from neurosim.workload import load_workload

    directory = Path(root)
    directory.mkdir(parents=True, exist_ok=True)
    workload = load_workload("digits-mlp")
    from neurosim.snn.quantise import Precision
    files = {}
    for code, options in (("fs", {"K": 4}), ("rate", {"T": 4})):
        snn = workload.convert(make_code(code, **options), Precision())
        files[f"snn_{code}"] = save_snn(snn, directory / f"{code}.npz")
    hw = load_hardware("loihi")
    mapping = compile_network(load_snn_cached(str(files["snn_fs"])), hw)
    files["mapping"] = save_mapping(mapping, hw, directory / "mapping.yaml")
    files["model"] = save_model(resolve_model("digits-mlp"), directory / "model.npz")
    digits = workload.dataset
    files["dataset"] = directory / "digits.npz"
    np.savez_compressed(files["dataset"], x_train=digits.x_train[:50], y_train=digits.y_train[:50],
                        x_test=digits.x_test[:20], y_test=digits.y_test[:20])
    return files


@cache
def load_snn_cached(path: str) -> Any:
    from neurosim.snn.io import load_snn
    return load_snn(path)


def _npz_parts(path: Path, header_key: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    return json.loads(str(arrays.pop(header_key))), arrays


def _write_npz(path: Path, header_key: str, header: Any, arrays: dict[str, np.ndarray]) -> None:
    text = header if isinstance(header, str) else json.dumps(header)
    with path.open("wb") as fh:
        np.savez_compressed(fh, **{header_key: np.array(text), **arrays})


# --------------------------------------------------------------------------- hostile bytes
def _deep(rng: random.Random) -> bytes:
    depth = rng.randint(70, 3000)
    return ("a: " + "[" * depth + "]" * depth + "\n").encode() if rng.random() < 0.5 else \
        "".join(f"{' ' * i}k{i}:\n" for i in range(depth)).encode()


def _alias_bomb(rng: random.Random) -> bytes:
    width = rng.randint(8, 12)
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for level in range(1, rng.randint(6, 9)):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]")
    return ("\n".join(lines) + "\n").encode()


def hostile_yaml(rng: random.Random) -> bytes:
    """Bytes no YAML loader of neurosim may accept: broken text, nesting, aliases, garbage."""
    choice = rng.randrange(7)
    if choice == 0:
        return bytes(rng.randrange(128, 256) for _ in range(rng.randint(1, 64)))  # not UTF-8
    if choice == 1:
        return _deep(rng)
    if choice == 2:
        return _alias_bomb(rng)
    if choice == 3:
        return rng.choice([b"", b"   \n", b"# only a comment\n", b"- 1\n- 2\n", b"42\n",
                           b"a: 1\n---\nb: 2\n", b"a: [\n", b"{a: 1, a: 2}\n", b"\t- x\n",
                           b"x: !!python/object:os.system ls\n", b"? [a]\n: 1\n"])
    if choice == 4:
        return os.urandom(rng.randint(1, 200))
    if choice == 5:
        return "é: \udcff".encode("utf-8", "surrogatepass")
    return b"\xef\xbb\xbf" + bytes(rng.randrange(0x80, 0xc0) for _ in range(8))


def special_path(rng: random.Random, work: Path) -> str:
    """A path that is not a regular file: a FIFO, a device or a directory."""
    choice = rng.randrange(4)
    if choice == 0:
        fifo = work / "fifo.yaml"
        os.mkfifo(fifo)
        return str(fifo)
    if choice == 1:
        directory = work / "dir.yaml"
        directory.mkdir()
        return str(directory)
    return rng.choice(["/dev/zero", "/dev/urandom", "/dev/null"])


# --------------------------------------------------------------------------- SNN files
def _bad_value_for(rng: random.Random, current: Any) -> Any:
    """A value of another type than ``current`` (or a clearly wrong one of the same)."""
    pool = [v for v in BAD_SCALARS if type(v) is not type(current) or v != current]
    return copy.deepcopy(rng.choice(pool))


def _mutate_snn(rng: random.Random, header: dict, arrays: dict[str, np.ndarray]) -> None:
    pops, projs = header["populations"], header["projections"]
    pop = rng.choice(pops)
    proj = rng.choice(projs)
    choice = rng.randrange(20)
    if choice == 0:
        header[rng.choice(["name", "code", "integer", "params", "metadata", "populations",
                           "projections"])] = rng.choice([None, 3, "", [], "xyz", 1.5])
        if header.get("code") in ("fs", "rate", "ttfs") and isinstance(header.get("name"), str):
            header["code"] = "xyz"
    elif choice == 1:
        pop["shape"] = rng.choice([[0], [-1], "x", [1, 2, 3, 4], [int(np.prod(pop["shape"])) + 1],
                                   [1.5], None, []])
    elif choice == 2:
        pop["role"] = rng.choice(["", "inner", None, 1, "input" if pop is not pops[0] else "x"])
    elif choice == 3:
        pop["dynamics"] = rng.choice(["", "lif", None, 7, "if" if header["code"] == "fs" else "fs"])
    elif choice == 4:
        target = rng.choice(pops[1:])
        target["offset"] = target["offset"] + rng.choice([1, 7, 10**6]) if rng.random() < 0.7 \
            else rng.choice([-1, 1.5, "3", None])
    elif choice == 5:
        pop[rng.choice(["unit", "out_unit"])] = rng.choice([0, -1.0, float("nan"), float("inf"),
                                                            "a", None])
    elif choice == 6:
        key = f"pop/{pop['name']}/{rng.choice(['threshold', 'reset', 'out_weight', 'bias'])}"
        a = arrays[key]
        arrays[key] = rng.choice([a.astype(np.complex128) + 1j, a.astype(str), a > 0,
                                  a.reshape(1, -1), a[:-1] if len(a) > 1 else a[:0],
                                  np.concatenate([a, a])])
    elif choice == 7:
        key = f"pop/{pop['name']}/threshold"
        arrays[key] = arrays[key].astype(np.float64)
        if header["integer"] is False or rng.random() < 0.5:
            arrays[key][rng.randrange(len(arrays[key]))] = rng.choice([np.nan, np.inf])
    elif choice == 8:
        key = f"proj/{proj['name']}/weight"
        w = arrays[key]
        arrays[key] = rng.choice([np.tile(w, (1, 50)), w[:, :-1], w[None], w.ravel(),
                                  w.astype(np.complex128) * 1j, w.astype(np.float32) + 0.5])
    elif choice == 9:
        proj["source"] = rng.choice(["nowhere", proj["target"], None, 3])
    elif choice == 10:
        proj["kind"] = rng.choice(["sparse", "", None, "conv"])
    elif choice == 11:
        proj["stride"] = rng.choice([[0, 1], [1], "1", [1, -1]])
        proj["kind"] = "conv" if rng.random() < 0.3 else proj["kind"]
    elif choice == 12:
        proj["padding"] = rng.choice([[-1, 0], [1], None])
    elif choice == 13:
        proj["delay"] = proj.get("delay", 0) + rng.choice([1, 5, 10**6]) if rng.random() < 0.7 \
            else rng.choice([-1, 1.5, "2"])
    elif choice == 14:
        del arrays[f"proj/{proj['name']}/weight"]
    elif choice == 15:
        arrays[f"pop/extra{rng.randrange(9)}/bias"] = np.zeros(3)
    elif choice == 16:
        header["params"]["input_range"] = rng.choice([[1.0, 0.0], [float("nan"), 1.0], "x", [0],
                                                      [0.0, float("inf")]])
    elif choice == 17:
        key = "K" if header["code"] == "fs" else "T"
        header["params"][key] = rng.choice([0, -3, 10**9, "8", header["params"][key] + 1])
    elif choice == 18:
        header["params"]["seed"] = rng.choice([-1, 2**70, "2001-02-30", 1.5])
    else:
        pop[rng.choice(["colour", "weight", "extra"])] = 1


def snn_case(rng: random.Random, work: Path, root: str) -> list[str]:
    """A converted network with one rule broken; simulated with ``simulate``."""
    files = base_files(root)
    source = files[rng.choice(["snn_fs", "snn_rate"])]
    path = work / "bad.npz"
    choice = rng.randrange(10)
    if choice < 7:
        header, arrays = _npz_parts(source, "__snn__")
        _mutate_snn(rng, header, arrays)
        _write_npz(path, "__snn__", header, arrays)
    elif choice == 7:  # truncated
        data = source.read_bytes()
        path.write_bytes(data[: rng.randrange(len(data))])
    elif choice == 8:  # header damaged
        _, arrays = _npz_parts(source, "__snn__")
        text = rng.choice(["{", "[]", '{"format": "neurosim-snn", "format_version": 9}',
                           '{"format": "neurosim-model"}', "\"x\"", "[" * 10000])
        _write_npz(path, "__snn__", text, arrays)
    else:
        return ["simulate", special_path(rng, work), "--out", str(work / OUT)]
    return ["simulate", str(path), "--out", str(work / OUT)]


def flip_bits(rng: random.Random, data: bytes) -> bytes:
    raw = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(raw))
        raw[i] ^= 1 << rng.randrange(8)
    return bytes(raw)


# --------------------------------------------------------------------------- model files
def _huge_array_npz(path: Path, header: str) -> None:
    """An .npz whose array header declares ~80 GB but holds a few bytes."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("__graph__.npy", _npy_bytes(np.array(header)))
        fake = b"\x93NUMPY\x01\x00" + _padded_header("{'descr': '<f8', 'fortran_order': False, "
                                                      "'shape': (10000000000,), }")
        archive.writestr("d1/weight.npy", fake + b"\x00" * 64)


def _padded_header(text: str) -> bytes:
    body = text.encode("latin1")
    pad = 64 - (10 + len(body) + 1) % 64
    body += b" " * pad + b"\n"
    return len(body).to_bytes(2, "little") + body


def _npy_bytes(array: np.ndarray) -> bytes:
    import io
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def model_case(rng: random.Random, work: Path, root: str) -> list[str]:
    """A model file with one rule broken; converted with ``convert --out``."""
    source = base_files(root)["model"]
    path = work / "bad.npz"
    graph, arrays = _npz_parts(source, "__graph__")
    layers = graph["layers"]
    choice = rng.randrange(9)
    dense = [lyr for lyr in layers if lyr["type"] == "Dense"]
    if choice == 0:
        rng.choice(layers)["type"] = rng.choice(["Lstm", "", None, 3])
    elif choice == 1:
        layers[0]["shape"] = rng.choice([[0], [-3], "x", [1, 10**6, 10**6], [1.5]])
    elif choice == 2:
        rng.choice(layers[1:])["inputs"] = rng.choice([["nowhere"], "x", [3], []])
    elif choice == 3:
        key = f"{rng.choice(dense)['name']}/weight"
        arrays[key] = rng.choice([arrays[key].astype(np.complex128) * 1j,
                                  np.tile(arrays[key], (1, 50)), arrays[key].astype(str),
                                  np.full_like(arrays[key], np.nan)])
    elif choice == 4:
        del arrays[f"{rng.choice(dense)['name']}/bias"]
    elif choice == 5:
        graph[rng.choice(["format", "format_version", "layers", "metadata"])] = rng.choice(
            [9, "x", [1]])
    elif choice == 6:
        data = source.read_bytes()
        path.write_bytes(data[: rng.randrange(len(data))])
        return ["convert", str(path), "--images", "2", "--out", str(work / OUT / "x.npz")]
    elif choice == 7:
        _huge_array_npz(path, json.dumps(graph))
        return ["convert", str(path), "--images", "2", "--out", str(work / OUT / "x.npz")]
    else:
        return ["convert", special_path(rng, work), "--out", str(work / OUT / "x.npz")]
    _write_npz(path, "__graph__", graph, arrays)
    return ["convert", str(path), "--images", "2", "--out", str(work / OUT / "x.npz")]


# --------------------------------------------------------------------------- YAML kinds
def _dump(document: Any) -> bytes:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True).encode()


def _yaml_file(rng: random.Random, work: Path, good: Callable[[], bytes], name: str) -> str:
    """Hostile bytes (1 in 2), a special file (1 in 8), else the targeted mutation."""
    roll = rng.random()
    if roll < 0.125:
        return special_path(rng, work)
    path = work / name
    path.write_bytes(hostile_yaml(rng) if roll < 0.5 else good())
    return str(path)


def hardware_case(rng: random.Random, work: Path, root: str) -> list[str]:
    text = (hw_models_dir() / "loihi.yaml").read_text("utf-8")
    document = yaml.safe_load(text)

    def mutated() -> bytes:
        doc = copy.deepcopy(document)
        choice = rng.randrange(5)
        if choice == 0:
            doc["chip"]["mesh_x"] = doc["chip"]["mesh_y"] = 10**6
        elif choice == 1:
            doc["costs"][rng.choice(sorted(doc["costs"]))] = rng.choice(
                ["1e308 J", "-1 pJ", "3 parsecs", "1 J", [1, 2]])
        elif choice == 2:
            doc["core"]["neurons"] = rng.choice([0, -4, 1.5, "many", 2**60, "2001-02-30"])
        elif choice == 3:
            doc[rng.choice(["cores", "noc2", "extra"])] = {"x": 1}
        else:
            del doc[rng.choice(["core", "noc", "costs", "chip"])]
        return _dump(doc)

    return ["hw", "validate", _yaml_file(rng, work, mutated, "hw.yaml")]


def override_case(rng: random.Random, work: Path, root: str) -> list[str]:
    setting = rng.choice([
        "core.neurons=0", "core.neurons=-1", "core.neurons=2001-02-30", "core.nerons=5",
        "costs.energy_synop=1e308 J", "chip.mesh_x=1000000", "noc=1", "=3", "core.neurons",
        "core.neurons=[" + "[" * 200, "sync.mode=warp", "core.neurons=&a [*a]",
        f"core.neurons={rng.randint(-10**9, 0)}", f"costs.energy_synop={rng.random()} parsec"])
    return ["hw", "validate", "loihi", "--set", setting]


def mapping_case(rng: random.Random, work: Path, root: str) -> list[str]:
    files = base_files(root)
    document = yaml.safe_load(files["mapping"].read_text())

    def mutated() -> bytes:
        doc = copy.deepcopy(document)
        block = rng.choice(doc["blocks"])
        choice = rng.randrange(7)
        if choice == 0:
            block["neurons"] = [[0, 10**12]]
        elif choice == 1:
            block["neurons"] = rng.choice([[[5, 2]], [[-3, 1]], "x", [[0]], [["a", 2]], [[0.5, 2]]])
        elif choice == 2:
            block["core"] = rng.choice([-1, 10**9, "c", None])
        elif choice == 3:
            doc["snn"] = "another-network"
        elif choice == 4:
            doc["blocks"] = rng.choice([None, "x", [1, 2], []])
        elif choice == 5:
            block["population"] = rng.choice(["nowhere", 3, None])
        else:  # a "billion laughs" label
            bomb = _alias_bomb(rng).decode()
            deepest = bomb.strip().splitlines()[-1].split(":")[0]
            block["label"] = "ALIAS"
            return (bomb + _dump(doc).decode().replace("ALIAS", f"*{deepest}")).encode()
        return _dump(doc)

    path = _yaml_file(rng, work, mutated, "mapping.yaml")
    return ["simulate", str(files["snn_fs"]), "--mapping", path, "--images", "2",
            "--out", str(work / OUT)]


SWEEP = {"model": "digits-mlp", "hardware": "loihi", "codes": {"fs": {"K": 4}},
         "grid": {"core.neurons": [256]}, "images": 2}


def sweep_case(rng: random.Random, work: Path, root: str) -> list[str]:
    def mutated() -> bytes:
        doc = copy.deepcopy(SWEEP)
        choice = rng.randrange(6)
        if choice == 0:
            doc["seed"] = rng.choice(["2001-02-30", -1, 1.5, 2**70])
            text = _dump(doc).decode().replace("'2001-02-30'", "2001-02-30")
            return text.encode()
        if choice == 1:
            doc["grid"] = {"core.neurons": list(range(1, 1001)),
                           "core.input_axons": list(range(1, 1001))}
        elif choice == 2:
            doc["codes"] = {"fs": {"K": rng.choice([10**9, 0, "8", -1])}}
        elif choice == 3:
            doc[rng.choice(["images", "accuracy_images"])] = rng.choice([10**9, 0, -1, "2"])
        elif choice == 4:
            doc["grid"] = {"core.neurons": rng.choice([[], None, "x", [0], [-1]])}
        else:
            doc[rng.choice(["colour", "model"])] = rng.choice([None, 3, "no-such-model"])
        return _dump(doc)

    return ["sweep", _yaml_file(rng, work, mutated, "sweep.yaml"), "--out", str(work / OUT)]


def sequences_case(rng: random.Random, work: Path, root: str) -> list[str]:
    from neurosim.coding.sequences import __file__ as package
    good = Path(package).parent / "silu_K16.yaml"
    document = yaml.safe_load(good.read_text())

    def mutated() -> bytes:
        doc = copy.deepcopy(document)
        choice = rng.randrange(5)
        if choice == 0:
            doc[rng.choice(["T", "h", "d"])] = rng.choice([[1, "a"], [float("nan")] * 16, [1] * 3,
                                                            None, "x"])
        elif choice == 1:
            doc["K"] = rng.choice([0, -1, 10**9, "16", 15])
        elif choice == 2:
            doc["activation"] = "sigmoid"  # a SiLU model: sequences for an absent activation
            doc["K"] = 16
        elif choice == 3:
            doc["format"] = rng.choice([None, "x", 3])
        else:
            del doc[rng.choice(["T", "h", "d", "K", "activation"])]
        return _dump(doc)

    path = _yaml_file(rng, work, mutated, "seq.yaml")
    return ["convert", "digits-cnn-silu", "--sequences", path, "--images", "2",
            "--out", str(work / OUT / "x.npz")]


def sanafe_case(rng: random.Random, work: Path, root: str) -> list[str]:
    def mutated() -> bytes:
        choice = rng.randrange(4)
        if choice == 0:
            doc: Any = {"architecture": {"name": "x", "attributes": {"width": 10**6,
                                                                        "height": 10**6},
                                         "tile": [{"name": f"tile[0..{10**6}]",
                                                   "core": [{"name": "core[0..3]"}]}]}}
        elif choice == 1:
            doc = {"architecture": rng.choice([None, [], "x", {"name": "x"}])}
        elif choice == 2:
            doc = {"architecture": {"name": "x", "tile": [{
                "name": "t", "core": [{"name": "c"}],
                "attributes": {rng.choice(["energy_east_hop", "latency_north_hop"]):
                               rng.choice([-1, "x", 1e308, [1], None])}}]}}
        else:
            doc = {"not_architecture": 1}
        return _dump(doc)

    return ["hw", "import-sanafe", _yaml_file(rng, work, mutated, "arch.yaml"),
            "--out", str(work / OUT / "x.yaml")]


NUMERIC_OPTIONS = [
    (["convert", "digits-mlp"], "--K", (1, 64)), (["convert", "digits-mlp"], "--images", None),
    (["convert", "digits-mlp", "--code", "rate"], "--seed", None),
    (["convert", "digits-mlp", "--code", "rate"], "--T", (1, 100_000)),
    (["convert", "digits-mlp"], "--weight-bits", (2, 32)),
    (["simulate", "x.npz"], "--workers", (1, 1024)), (["sweep", "x.yaml"], "--workers", None),
    (["fit-fs", "--activation", "silu", "--K", "4"], "--restarts", (1, 1000)),
    (["fit-fs", "--activation", "silu", "--K", "4"], "--bits", (2, 32)),
    (["compile", "x.npz"], "--seed", None), (["convert", "digits-mlp"], "--alpha", None),
]


def numeric_case(rng: random.Random, work: Path, root: str) -> list[str]:
    prefix, option, _ = rng.choice(NUMERIC_OPTIONS)
    value = rng.choice(["-1", "0", "1e9", str(2**63), "nan", "inf", "-inf", "x", "",
                        str(rng.randint(2**32, 10**12)), str(-rng.randint(1, 10**9)), "1.5",
                        "0x10", "1_000_000_000_000"])
    if option == "--seed" and value == "0":
        value = "-1"  # 0 is a valid seed
    if option in ("--alpha",):
        value = rng.choice(["nan", "inf", "-1", "0", "x", "1e400"])
    if option == "--T":
        value = rng.choice(["0", "-1", "1,0", "1e9", "x", "", "1," * 200, "1000000000"])
    argv = [*prefix, f"{option}={value}"]
    if prefix[0] in ("convert", "compile"):
        argv += ["--out", str(work / OUT / "x")]
    elif prefix[0] in ("simulate", "sweep"):
        argv += ["--out", str(work / OUT)]
    return argv


def dataset_case(rng: random.Random, work: Path, root: str) -> list[str]:
    """A data set .npz that does not fit digits-mlp or breaks the format; ``convert``."""
    source = base_files(root)["dataset"]
    path = work / "data.npz"
    with np.load(source) as data:
        arrays = {k: data[k] for k in data.files}
    choice = rng.randrange(8)
    key = rng.choice(["y_train", "y_test"])
    if choice == 0:
        arrays[key] = arrays[key] + rng.choice([10, 300, 10**6])  # labels beyond 10 classes
    elif choice == 1:
        arrays[key] = arrays[key] - rng.randint(11, 1000)
    elif choice == 2:
        arrays[key] = arrays[key] + 0.5
    elif choice == 3:
        arrays[key] = arrays[key][:, None]
    elif choice == 4:
        x = rng.choice(["x_train", "x_test"])
        arrays[x] = arrays[x][..., :-1]  # 8x7 images for an 8x8 model
    elif choice == 5:
        del arrays[rng.choice(sorted(arrays))]
    elif choice == 6:
        data = source.read_bytes()
        path.write_bytes(data[: rng.randrange(len(data))])
        return ["convert", "digits-mlp", "--dataset", str(path), "--out", str(work / OUT / "x")]
    else:
        return ["convert", "digits-mlp", "--dataset", special_path(rng, work),
                "--out", str(work / OUT / "x")]
    np.savez_compressed(path, **arrays)
    return ["convert", "digits-mlp", "--dataset", str(path), "--out", str(work / OUT / "x")]


KINDS: dict[str, Callable[[random.Random, Path, str], list[str]]] = {
    "snn": snn_case, "model": model_case, "hardware": hardware_case, "override": override_case,
    "mapping": mapping_case, "sweep": sweep_case, "sequences": sequences_case,
    "sanafe": sanafe_case, "numeric": numeric_case, "dataset": dataset_case,
}
