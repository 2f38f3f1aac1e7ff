#!/usr/bin/env python3
"""Writes fixtures/torch/: PyTorch files made once with torch itself, and beside each what torch reported.

Run with a torch installed in a throwaway venv outside the repository (never from the tests or CI):

    python3 -m venv /work/torchvenv && /work/torchvenv/bin/pip install torch safetensors
    /work/torchvenv/bin/python tools/make_torch_fixtures.py fixtures/torch [LPIPS_VGG_PTH FACENET_PNET_PT]

For every file F it writes F.counts.json: the tensors torch finds (name, dtype, shape, stride, storage
offset, numel) by walking what `torch.load` returns (dicts by key, lists and tuples by index; a TorchScript
archive through `torch.jit.load(F).state_dict()`), the sum of their numel, and the bytes of their storages,
each storage counted once. The malicious pickles are written with `pickle`/`torch.save` and never loaded:
their counts are taken from the objects before saving.
"""

import collections
import json
import os
import pickle
import shutil
import sys

import torch

# The command the malicious pickles would run: it creates this file. The tests assert it never appears.
PAYLOAD_MARKER = "/tmp/paramscope-payload-ran"
PAYLOAD = f"touch {PAYLOAD_MARKER}"


class Payload:
    """Pickles as `os.system(PAYLOAD)`: what a malicious checkpoint does."""

    def __reduce__(self):
        return (os.system, (PAYLOAD,))


class Config:
    """A plain class of this script: `__main__.Config`, a global no allow-list knows."""

    def __init__(self):
        self.lr = 0.001
        self.layers = 2


def tensors_of(obj, prefix=""):
    """(name, tensor) for every tensor reachable by key path, as paramscope names them."""
    if isinstance(obj, torch.Tensor):
        yield prefix, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from tensors_of(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from tensors_of(v, f"{prefix}.{i}" if prefix else str(i))


def counts(named, note=""):
    named = list(named)
    storages = {}
    rows = []
    for name, t in named:
        s = t.untyped_storage()
        storages[s.data_ptr() if s.nbytes() else id(s)] = s.nbytes()
        rows.append(
            {
                "name": name,
                "dtype": str(t.dtype).removeprefix("torch."),
                "shape": list(t.shape),
                "stride": list(t.stride()),
                "storage_offset": t.storage_offset(),
                "numel": t.numel(),
            }
        )
    shared = collections.Counter(
        t.untyped_storage().data_ptr() for _, t in named if t.untyped_storage().nbytes()
    )
    out = {
        "torch": torch.__version__,
        "tensors": len(rows),
        "parameters": sum(r["numel"] for r in rows),
        "storage_bytes": sum(storages.values()),
        "storages": len(storages),
        "shared_storages": sum(1 for n in shared.values() if n > 1),
        "tensor_list": rows,
    }
    if note:
        out["note"] = note
    return out


def write_counts(path, c):
    with open(path + ".counts.json", "w") as f:
        json.dump(c, f, indent=1)
        f.write("\n")


def loaded_counts(path):
    obj = torch.load(path, map_location="cpu", weights_only=False)
    if isinstance(obj, torch.nn.Module):
        return counts(obj.state_dict().items(), "torch.load(F).state_dict()")
    return counts(tensors_of(obj))


# The legacy format stores these through typed storages only; torch cannot load the newer unsigned and float8
# types back from it (their storage pickles as UntypedStorage, which the legacy loader has no dtype for).
LEGACY_DTYPES = {
    torch.float32, torch.float16, torch.bfloat16, torch.float64, torch.int8, torch.int16, torch.int32,
    torch.int64, torch.uint8, torch.bool, torch.complex64, torch.complex128,
}


def every_dtype(legacy=False):
    g = torch.Generator().manual_seed(0)
    base = torch.randn(6, generator=g) * 4
    out = {}
    for dt in [
        torch.float32, torch.float16, torch.bfloat16, torch.float64, torch.int8, torch.int16,
        torch.int32, torch.int64, torch.uint8, torch.uint16, torch.uint32, torch.uint64, torch.bool,
        torch.complex64, torch.complex128, torch.float8_e4m3fn, torch.float8_e5m2,
        torch.float8_e4m3fnuz, torch.float8_e5m2fnuz, torch.float8_e8m0fnu,
    ]:
        if legacy and dt not in LEGACY_DTYPES:
            continue
        name = str(dt).removeprefix("torch.")
        if dt.is_complex:
            t = torch.complex(base, -base).to(dt)
        elif dt == torch.bool:
            t = base > 0
        elif dt in (torch.uint8, torch.uint16, torch.uint32, torch.uint64):
            t = base.abs().to(torch.int64).to(dt)
        else:
            t = base.to(dt)
        out[name] = t.reshape(2, 3)
    out["scalar"] = torch.tensor(2.5)
    out["empty"] = torch.zeros(0, 3)
    return out


def views():
    w = torch.arange(12, dtype=torch.float32).reshape(4, 3)
    return {
        "weight": w,
        "weight_t": w.t(),  # strides (1, 3), same storage
        "row": w[1],  # storage offset 3
        "tail": w.view(-1)[5:],  # offset 5, contiguous
        "own": torch.ones(2, 2),
    }


class Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = torch.nn.Sequential(
            torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Linear(8, 2)
        )
        self.register_buffer("scale", torch.tensor([0.5, 2.0]))

    def forward(self, x):
        return self.layers(x) * self.scale


def lightning_checkpoint():
    torch.manual_seed(0)
    model = Mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.randn(3, 4)).sum().backward()
    opt.step()
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=10)
    return {
        "epoch": 3,
        "global_step": 120,
        "pytorch-lightning_version": "2.4.0",
        "state_dict": collections.OrderedDict(("model." + k, v) for k, v in model.state_dict().items()),
        "optimizer_states": [opt.state_dict()],
        "lr_schedulers": [sched.state_dict()],
        "hyper_parameters": {"lr": 0.001, "hidden": 8, "name": "mlp"},
    }


def tiny_llama_state():
    g = torch.Generator().manual_seed(1)
    sd = collections.OrderedDict()
    sd["model.embed_tokens.weight"] = torch.randn(64, 16, generator=g).to(torch.bfloat16)
    for i in range(2):
        p = f"model.layers.{i}."
        for n in ["q_proj", "k_proj", "v_proj", "o_proj"]:
            sd[p + f"self_attn.{n}.weight"] = torch.randn(16, 16, generator=g).to(torch.bfloat16)
        sd[p + "mlp.up_proj.weight"] = torch.randn(32, 16, generator=g).to(torch.bfloat16)
        # Stored transposed: a view with strides (1, 32) of a storage of its own.
        sd[p + "mlp.down_proj.weight"] = torch.randn(32, 16, generator=g).to(torch.bfloat16).t()
        sd[p + "input_layernorm.weight"] = torch.ones(16)
    sd["model.norm.weight"] = torch.ones(16)
    sd["lm_head.weight"] = torch.randn(64, 16, generator=g).to(torch.bfloat16)
    return sd


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)

    def save(name, obj, legacy=False):
        path = os.path.join(out, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        torch.save(obj, path, _use_new_zipfile_serialization=not legacy)
        write_counts(path, loaded_counts(path))
        return path

    save("dtypes.pt", every_dtype())
    save("dtypes-legacy.pt", every_dtype(legacy=True), legacy=True)
    save("views.pt", views())
    save("views-legacy.pt", views(), legacy=True)
    save("lightning.ckpt", lightning_checkpoint())
    torch.manual_seed(0)
    save("whole-module.pt", Mlp())

    torch.manual_seed(0)
    scripted = torch.jit.script(Mlp().eval())
    path = os.path.join(out, "scripted.pt")
    scripted.save(path)
    write_counts(path, counts(torch.jit.load(path).state_dict().items(), "torch.jit.load(F).state_dict()"))

    # A checkpoint and its safetensors conversion, for `diff --values`.
    from safetensors.torch import save_file

    sd = tiny_llama_state()
    conv = os.path.join(out, "convert")
    save("convert/pytorch_model.bin", sd)
    save_file({k: v.contiguous() for k, v in sd.items()}, os.path.join(conv, "model.safetensors"))

    # transformers' sharded layout: two shards and their index.
    sharded = os.path.join(out, "sharded")
    os.makedirs(sharded, exist_ok=True)
    names = list(sd)
    halves = [names[: len(names) // 2], names[len(names) // 2 :]]
    weight_map = {}
    total = 0
    all_named = []
    for i, part in enumerate(halves, 1):
        shard = f"pytorch_model-{i:05d}-of-{len(halves):05d}.bin"
        torch.save({k: sd[k] for k in part}, os.path.join(sharded, shard))
        loaded = torch.load(os.path.join(sharded, shard), weights_only=True)
        for k, v in loaded.items():
            weight_map[k] = shard
            total += v.untyped_storage().nbytes()
            all_named.append((k, v))
    with open(os.path.join(sharded, "pytorch_model.bin.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
        f.write("\n")
    write_counts(os.path.join(sharded, "pytorch_model.bin.index.json"), counts(all_named))

    # Malicious pickles: written, never loaded.
    mal = os.path.join(out, "malicious")
    os.makedirs(mal, exist_ok=True)
    weights = {"weight": torch.ones(3, 2), "bias": torch.zeros(3)}
    for name, legacy in [("payload.pt", False), ("payload-legacy.pt", True)]:
        obj = dict(weights, run=Payload())
        torch.save(obj, os.path.join(mal, name), _use_new_zipfile_serialization=not legacy)
        write_counts(os.path.join(mal, name), counts(tensors_of(obj), "counted before saving; never loaded"))
    # A bare pickle, no tensors, protocol 4: the global is built by STACK_GLOBAL from memoised strings.
    with open(os.path.join(mal, "payload-bare.pkl"), "wb") as f:
        pickle.dump({"config": Payload()}, f, protocol=4)
    write_counts(os.path.join(mal, "payload-bare.pkl"), counts([], "counted before saving; never loaded"))
    # An unknown (not dangerous) global beside the tensors.
    obj = dict(weights, config=Config())
    torch.save(obj, os.path.join(mal, "unknown-global.pt"))
    write_counts(os.path.join(mal, "unknown-global.pt"), counts(tensors_of(obj), "counted before saving; never loaded"))

    # Real third-party files, copied from their PyPI wheels.
    for src, name in zip(sys.argv[2:4], ["lpips-vgg.pth", "facenet-pnet.pt"]):
        dst = os.path.join(out, name)
        shutil.copyfile(src, dst)
        write_counts(dst, loaded_counts(dst))


if __name__ == "__main__":
    main()
