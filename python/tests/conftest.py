"""Shared helpers: the repository's fixtures, and the Rust binary whose JSON every function must equal.

The binary is $PARAMSCOPE_BIN (.ci/run sets it), else target/debug/paramscope built by `cargo build`.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"


def binary() -> str:
    path = os.environ.get("PARAMSCOPE_BIN", str(ROOT / "target" / "debug" / "paramscope"))
    if not os.access(path, os.X_OK):
        pytest.fail(f"no paramscope binary at {path}: run `cargo build` or set PARAMSCOPE_BIN")
    return path


def run(*args, command=None):
    """Runs the Rust binary (or `command`) in the repository's folder: (exit code, stdout, stderr)."""
    argv = [command or binary(), *map(str, args)]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
    return done.returncode, done.stdout, done.stderr


def cli_json(*args):
    """The JSON the binary prints for `args --format json`, and its exit code."""
    code, out, err = run(*args, "--format", "json")
    assert out, f"no JSON from {args}: exit {code}, stderr {err!r}"
    return json.loads(out), code


def installed_command() -> str:
    """The `paramscope` command the package installed (the venv's), not the Rust binary."""
    found = shutil.which("paramscope", path=os.path.dirname(os.path.realpath(os.sys.executable)))
    found = found or shutil.which("paramscope", path=os.path.dirname(os.sys.executable))
    if found is None:
        pytest.fail("the package's paramscope command is not installed beside this Python")
    return found


@pytest.fixture(autouse=True)
def in_root(monkeypatch):
    # Paths in reports are as named: the functions and the binary are given the same relative paths.
    monkeypatch.chdir(ROOT)
