//! Errors as Python sees them: input problems as `paramscope.InputError` (every problem's `code`, `path` and
//! `message`, as the CLI writes them on stderr with `--format json`, and the report of what could be read),
//! usage errors as `ValueError` with the CLI's message.

use paramscope::format::error::{ErrorRow, LoadError};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// A usage error: what the CLI prints as `error: MESSAGE` and exits 2 for.
pub fn usage(message: impl Into<String>) -> PyErr {
    PyValueError::new_err(message.into())
}

/// `paramscope.InputError` for these problems; `report` is the JSON the CLI prints beside them (the checkpoints
/// that could be read), if any.
pub fn input(py: Python<'_>, problems: &[ErrorRow], report: Option<String>) -> PyErr {
    let rows = serde_json::to_string(problems).expect("error rows serialise");
    // The class is defined in Python (python/paramscope/__init__.py) so that it has plain attributes and a
    // docstring; the package is imported by the time any function of this module runs.
    let made = py
        .import("paramscope")
        .and_then(|m| m.getattr("InputError"))
        .and_then(|class| class.call_method1("_from_json", (rows, report)));
    match made {
        Ok(error) => PyErr::from_value(error),
        Err(e) => e,
    }
}

/// Every problem of these failed loads, in order.
pub fn rows<'a>(failed: impl IntoIterator<Item = &'a LoadError>) -> Vec<ErrorRow> {
    failed.into_iter().flat_map(LoadError::rows).collect()
}
