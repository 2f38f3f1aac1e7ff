"""The package's `paramscope` command is the Rust binary: same output, same exit codes."""

import paramscope
import pytest

from conftest import installed_command, run

TINY = "fixtures/tiny/model.safetensors"


@pytest.mark.parametrize(
    "argv",
    [
        ["inspect", TINY],
        [TINY, "--format", "json"],
        ["inspect", "fixtures/sharded", "--group-by", "layer", "--format", "markdown"],
        ["check", TINY, "--max-params", "100K"],
        ["check", TINY, "--max-params", "1B", "--format", "github"],
        ["footprint", "fixtures/sharded", "--fits", "1KiB"],
        ["diff", TINY, "fixtures/sharded"],
        ["inspect", "fixtures/malformed/empty.safetensors"],
        ["inspect", "--no-such-flag", TINY],
        ["--version"],
        ["check", "--help"],
        ["man", "footprint"],
    ],
)
def test_same_as_the_binary(argv):
    assert run(*argv, command=installed_command()) == run(*argv)


def test_version():
    code, out, _ = run("--version")
    assert code == 0
    assert out == f"paramscope {paramscope.__version__}\n"
