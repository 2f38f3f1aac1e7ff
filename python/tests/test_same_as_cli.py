"""Each function returns the dict its subcommand prints with --format json, on the committed fixtures."""

import hashlib
import shutil

import paramscope
import pytest

from conftest import FIXTURES, cli_json

TINY = "fixtures/tiny/model.safetensors"
INDEX = "fixtures/sharded/model.safetensors.index.json"
GGUF = "fixtures/gguf/tiny-quantized.gguf"
SPLIT = "fixtures/gguf/split/tiny-00001-of-00003.gguf"


@pytest.mark.parametrize(
    "paths, kwargs, flags",
    [
        ([TINY], {}, []),
        ([INDEX], {}, []),
        (["fixtures/sharded"], {}, []),
        ([GGUF], {"metadata": "full"}, ["--metadata", "full"]),
        ([SPLIT], {}, []),
        ([TINY, INDEX], {}, []),
        ([TINY], {"tensors": True, "sort": "size", "limit": 5}, ["--tensors", "--sort", "size", "--limit", "5"]),
        ([TINY], {"filter": "*.layer.0.*"}, ["--filter", "*.layer.0.*"]),
        ([INDEX], {"group_by": "layer"}, ["--group-by", "layer"]),
        ([INDEX], {"group_by": "module"}, ["--group-by", "module"]),
        ([TINY], {"tree": True, "depth": 2}, ["--tree", "--depth", "2"]),
        (["fixtures/gguf"], {"recursive": True}, ["--recursive"]),
    ],
)
def test_inspect(paths, kwargs, flags):
    expected, code = cli_json("inspect", *paths, *flags)
    assert code == 0
    given = paths[0] if len(paths) == 1 else paths
    assert paramscope.inspect(given, **kwargs) == expected


def test_inspect_takes_path_objects():
    assert paramscope.inspect(FIXTURES.relative_to(FIXTURES.parent) / "tiny" / "model.safetensors") == cli_json(
        "inspect", TINY
    )[0]


def test_inspect_counts_are_exact_ints():
    report = paramscope.inspect(TINY)
    # fixtures/README.md: 145,472 parameters in 40 tensors.
    assert (report["parameters"], report["tensor_count"]) == (145472, 40)
    assert type(report["parameters"]) is int


@pytest.mark.parametrize(
    "path, kwargs, flags",
    [
        (INDEX, {}, []),
        (GGUF, {"context": 8192, "batch": 2, "kv_dtype": "f8"}, ["--context", "8192", "--batch", "2", "--kv-dtype", "f8"]),
        (INDEX, {"training": "adam", "overhead": 20}, ["--training", "adam", "--overhead", "20"]),
        (INDEX, {"fits": "1GiB"}, ["--fits", "1GiB"]),
        (INDEX, {"fits": 1000}, ["--fits", "1000B"]),
        (GGUF, {"fits": "2x80GB", "kv_dtype": "q8_0"}, ["--fits", "2x80GB", "--kv-dtype", "q8_0"]),
        (GGUF, {"fits": "24GiB,24GiB", "device_overhead": "2GiB"}, ["--fits", "24GiB,24GiB", "--device-overhead", "2GiB"]),
        (
            INDEX,
            {"layers": 32, "kv_heads": 8, "head_dim": 128, "max_context": 8192},
            ["--layers", "32", "--kv-heads", "8", "--head-dim", "128", "--max-context", "8192"],
        ),
    ],
)
def test_footprint(path, kwargs, flags):
    expected, code = cli_json("footprint", path, *flags)
    assert code in (0, 1)
    report = paramscope.footprint(path, **kwargs)
    assert report == expected
    if "fits" in kwargs:
        # Exit 1 is the CLI's "does not fit"; the dict says so instead.
        assert report["fits"]["fits"] == (code == 0)


@pytest.mark.parametrize(
    "paths, kwargs, flags",
    [
        ([TINY], {"max_params": "8.1B"}, ["--max-params", "8.1B"]),
        ([TINY], {"max_params": 100000}, ["--max-params", "100000"]),
        ([TINY], {"dtype": ["BF16", "F32"]}, ["--dtype", "BF16,F32"]),
        ([TINY], {"dtype": "BF16,F32,I64", "max_bytes": "1MiB"}, ["--dtype", "BF16,F32,I64", "--max-bytes", "1MiB"]),
        ([TINY], {"forbid_dtype": ["I64"], "no_nan": True}, ["--forbid-dtype", "I64", "--no-nan"]),
        ([TINY, INDEX], {"min_params": "20K"}, ["--min-params", "20K"]),
        (["fixtures/gguf"], {"recursive": True, "max_params": "1M"}, ["--recursive", "--max-params", "1M"]),
    ],
)
def test_check(paths, kwargs, flags):
    expected, code = cli_json("check", *paths, *flags)
    assert code in (0, 1)
    assert paramscope.check(paths[0] if len(paths) == 1 else paths, **kwargs) == expected


def test_check_fails_a_broken_rule_without_raising():
    # 145,472 parameters is above 100K: the CLI exits 1, the function says "fail".
    report = paramscope.check(TINY, max_params="100K")
    assert report["status"] == "fail"
    assert cli_json("check", TINY, "--max-params", "100K") == (report, 1)


def test_check_rules_file(tmp_path):
    rules = tmp_path / "paramscope.toml"
    rules.write_text('max-params = "1M"\ndtype = ["BF16"]\n')
    expected, code = cli_json("check", TINY, "--rules", rules, "--max-params", "100K")
    assert code == 1
    assert paramscope.check(TINY, rules=rules, max_params="100K") == expected


@pytest.mark.parametrize(
    "paths, kwargs, flags",
    [
        ([TINY], {}, []),
        ([TINY], {"hist": True, "filter": ["*.bias"]}, ["--hist", "--filter", "*.bias"]),
        ([INDEX], {}, []),
        ([TINY, INDEX], {}, []),
    ],
)
def test_stats(paths, kwargs, flags):
    expected, code = cli_json("stats", *paths, *flags)
    assert code == 0
    assert paramscope.stats(paths[0] if len(paths) == 1 else paths, **kwargs) == expected


@pytest.mark.parametrize(
    "a, b, kwargs, flags",
    [
        (TINY, TINY, {}, []),
        (INDEX, "fixtures/sharded", {"identical": True}, ["--identical"]),
        (TINY, INDEX, {"group_by": "dtype"}, ["--group-by", "dtype"]),
        (TINY, TINY, {"values": True, "rtol": 0.01}, ["--values", "--rtol", "0.01"]),
    ],
)
def test_diff(a, b, kwargs, flags):
    expected, code = cli_json("diff", a, b, *flags)
    report = paramscope.diff(a, b, **kwargs)
    assert report == expected
    # Exit 1 is "they differ".
    assert code == (1 if a != b and "identical" not in kwargs else 0)


def test_verify_against_hashlib():
    digest = hashlib.sha256((FIXTURES / "tiny" / "model.safetensors").read_bytes()).hexdigest()
    expected, code = cli_json("verify", TINY, "--sha256", digest)
    assert code == 0
    report = paramscope.verify(TINY, sha256=digest)
    assert report == expected
    assert report["verdict"] == "verified"
    wrong = "0" * 64
    expected, code = cli_json("verify", TINY, "--sha256", wrong)
    assert code == 1
    assert paramscope.verify(TINY, sha256=wrong) == expected
    assert paramscope.verify(TINY, sha256=wrong)["verdict"] == "failed"


def test_verify_manifest(tmp_path):
    # A copy of the shards with a manifest beside them, as `sha256sum * > SHA256SUMS` writes it.
    folder = tmp_path / "sharded"
    shutil.copytree(FIXTURES / "sharded", folder)
    sums = "".join(
        f"{hashlib.sha256(f.read_bytes()).hexdigest()}  {f.name}\n" for f in sorted(folder.iterdir())
    )
    (folder / "SHA256SUMS").write_text(sums)
    expected, code = cli_json("verify", folder, "--sha256", folder / "SHA256SUMS")
    assert (code, expected["verdict"], expected["summary"]["ok"]) == (0, "verified", 4)
    assert paramscope.verify(folder, sha256=folder / "SHA256SUMS") == expected
