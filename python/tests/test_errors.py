"""Unreadable inputs raise InputError with the CLI's codes; wrong arguments raise ValueError."""

import json

import paramscope
import pytest

from conftest import FIXTURES, run

TINY = "fixtures/tiny/model.safetensors"


def malformed_cases():
    rows = (FIXTURES / "malformed" / "EXPECTED.tsv").read_text().splitlines()
    return [tuple(r.split("\t")[:2]) for r in rows if r and not r.startswith("#")]


@pytest.mark.parametrize("name, code", malformed_cases())
def test_malformed_inputs_raise_the_cli_code(name, code):
    path = f"fixtures/malformed/{name}"
    exit_code, _, stderr = run("inspect", path, "--format", "json")
    assert exit_code == 2
    cli_problems = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    with pytest.raises(paramscope.InputError) as raised:
        paramscope.inspect(path)
    e = raised.value
    assert code in [p["code"] for p in e.errors]
    assert e.errors == cli_problems
    assert (e.code, e.path, e.message) == (cli_problems[0]["code"], cli_problems[0]["path"], cli_problems[0]["message"])


def test_missing_file():
    with pytest.raises(paramscope.InputError) as raised:
        paramscope.footprint("fixtures/no-such.safetensors")
    assert raised.value.code == "io"
    assert raised.value.path == "fixtures/no-such.safetensors"
    assert str(raised.value).startswith("fixtures/no-such.safetensors: ")


def test_the_readable_part_comes_with_the_error():
    with pytest.raises(paramscope.InputError) as raised:
        paramscope.inspect([TINY, "fixtures/malformed/empty.safetensors"])
    code, out, _ = run("inspect", TINY, "fixtures/malformed/empty.safetensors", "--format", "json")
    assert code == 2
    assert raised.value.code == "empty_file"
    assert raised.value.report == json.loads(out)


def test_an_unreadable_checkpoint_in_check():
    with pytest.raises(paramscope.InputError) as raised:
        paramscope.check([TINY, "fixtures/malformed/empty.safetensors"], max_params="1B")
    code, out, _ = run("check", TINY, "fixtures/malformed/empty.safetensors", "--max-params", "1B", "--format", "json")
    assert code == 2
    assert raised.value.report == json.loads(out)
    assert raised.value.code == "empty_file"


@pytest.mark.parametrize(
    "call",
    [
        lambda: paramscope.inspect(TINY, group_by="bogus"),
        lambda: paramscope.inspect(TINY, sort="size"),
        lambda: paramscope.inspect(TINY, tree=True, depth=0),
        lambda: paramscope.inspect(TINY, filter="[unclosed"),
        lambda: paramscope.footprint(TINY, kv_dtype="f4"),
        lambda: paramscope.footprint(TINY, context=0),
        lambda: paramscope.footprint(TINY, fits="lots"),
        lambda: paramscope.check(TINY, max_params="many"),
        lambda: paramscope.check(TINY, max_parms="8B"),
        lambda: paramscope.check(TINY, min_params="2B", max_params="1B"),
        lambda: paramscope.check(TINY, max_growth="2%"),
        lambda: paramscope.diff(TINY, TINY, atol=0.1),
        lambda: paramscope.diff(TINY, TINY, values=True, rtol=-1.0),
        lambda: paramscope.verify([TINY, TINY], sha256="0" * 64),
        lambda: paramscope.footprint("fixtures/gguf"),
    ],
)
def test_usage_errors_are_value_errors(call):
    with pytest.raises(ValueError):
        call()


def test_the_cli_says_the_same_usage_error():
    code, _, stderr = run("check", TINY, "--min-params", "2B", "--max-params", "1B")
    assert code == 2
    with pytest.raises(ValueError) as raised:
        paramscope.check(TINY, min_params="2B", max_params="1B")
    assert stderr.strip() == f"error: {raised.value}"
