//! `paramscope._native`, the extension module behind the Python package `paramscope` (python/paramscope/): the
//! analyses as functions returning the JSON text `paramscope … --format json` prints (the package parses it into
//! the dict), and the command line itself.
//!
//! No logic lives here beyond mapping Python arguments onto the library's options and its results onto Python
//! values: each function does what the CLI's runner of the same name does, with the same library calls.

// The command line, compiled in whole from its own source: the Python package's `paramscope` command
// (`[project.scripts]` in pyproject.toml) calls `run_argv` with `sys.argv`. One pip install then gives the
// module and the command, and the command is the Rust binary's code, flags, output and exit codes. (maturin
// builds a wheel either of a pyo3 module or of binaries, not both; shipping the binary beside the module would
// need a second build.) The file must be included at the crate root: the CLI's modules refer to each other as
// `crate::args`, `crate::exit`, …
include!("../../src/cli/main.rs");

// The binary's `main` is not the extension's entry point; `run_argv` is.
const _: fn() -> ExitCode = main;

mod analyses;
mod errors;

use pyo3::prelude::*;

/// Runs `paramscope` with these arguments (the program's name first, as `sys.argv`) and returns its exit code:
/// 0 ok, 1 a check failed, 2 unusable input or usage. The GIL is released while it runs.
#[pyfunction]
fn run_cli(py: Python<'_>, argv: Vec<std::ffi::OsString>) -> u8 {
    py.detach(|| run_argv(argv))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(run_cli, m)?)?;
    analyses::register(m)
}
