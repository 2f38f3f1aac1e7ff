//! What the binary writes: reports on stdout (the first failed write remembered, for the exit code), the problems
//! of unreadable inputs on stderr (one line each, or a JSON object per line), and the text style for a format.

use crate::args::OutputFormat;
use paramscope::format::error::LoadError;
use paramscope::render::{self, text::Style};
use std::io::{IsTerminal, Write};
use std::path::Path;

/// How many problems to print per checkpoint before summarising the rest.
const MAX_PROBLEMS_SHOWN: usize = 50;

/// Standard output, remembering the first error met writing to it (a full disk, a closed file). A closed pipe
/// (`| head`) is not worth a message and is not remembered.
#[derive(Debug, Default)]
pub struct Output {
    error: Option<std::io::Error>,
}

impl Output {
    /// Writes a report and a final newline (nothing for an empty report).
    pub fn print(&mut self, out: &str) {
        if !out.is_empty() {
            self.write(&[out.trim_end().as_bytes(), b"\n"]);
        }
    }

    /// Writes bytes as they are.
    pub fn write(&mut self, parts: &[&[u8]]) {
        let mut stdout = std::io::stdout().lock();
        let written = parts.iter().try_for_each(|part| stdout.write_all(part));
        if let Err(e) = written.and_then(|_| stdout.flush()) {
            if e.kind() != std::io::ErrorKind::BrokenPipe && self.error.is_none() {
                self.error = Some(e);
            }
        }
    }

    /// The first write error, if any.
    pub fn into_error(self) -> Option<std::io::Error> {
        self.error
    }
}

/// Tables for a terminal or Markdown; colour only on a terminal and without NO_COLOR.
pub fn style_for(format: OutputFormat) -> Style {
    match format {
        OutputFormat::Markdown => Style::Markdown,
        _ => Style::Terminal {
            colour: render::colour_wanted(std::io::stdout().is_terminal()),
        },
    }
}

/// Writes every problem of a failed load on stderr, one line each: `error: PATH: REASON`, or a JSON object per
/// line (`{"path", "code", "message"}`) when the output is JSON.
pub fn print_load_error(e: &LoadError, json: bool) {
    let mut stderr = std::io::stderr().lock();
    for err in e.errors.iter().take(MAX_PROBLEMS_SHOWN) {
        let _ = if json {
            let line = serde_json::json!({
                "path": err.path.to_string_lossy(),
                "code": err.problem.code(),
                "message": err.problem.to_string(),
            });
            writeln!(stderr, "{line}")
        } else {
            writeln!(stderr, "error: {}", render::escape(&err.to_string()))
        };
    }
    if e.errors.len() > MAX_PROBLEMS_SHOWN {
        let _ = writeln!(
            stderr,
            "error: … and {} more problems",
            e.errors.len() - MAX_PROBLEMS_SHOWN
        );
    }
}

/// The JSON Lines record of a checkpoint that could not be read: `{"path", "errors": [{code, message, path}]}`.
pub fn load_error_line(path: &Path, e: &LoadError) -> String {
    serde_json::json!({"path": path.to_string_lossy(), "errors": e.rows()}).to_string()
}

/// What `--format json` writes on stdout when no report could be written because the input is unusable: the
/// shape `check` gives an unreadable checkpoint, `{"path", "status": "error", "errors": [{code, message, path}]}`,
/// `path` the first input that failed and `errors` the problems of every input that failed. The problems are
/// still written on stderr too (one JSON line each).
pub fn error_object(failures: &[(std::path::PathBuf, LoadError)]) -> String {
    let path = failures
        .first()
        .map(|(p, _)| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let errors: Vec<_> = failures.iter().flat_map(|(_, e)| e.rows()).collect();
    let object = serde_json::json!({"path": path, "status": "error", "errors": errors});
    serde_json::to_string_pretty(&object).expect("error object serialises")
}

/// Whether a JSON report takes the several-checkpoints shape (`{checkpoints, …}`): when more than one checkpoint
/// was read, and in JSON also when more than one was named or found even if some could not be read, so that a
/// script sees the same shape whichever input broke.
pub fn several(read: usize, found: usize, json: bool) -> bool {
    read > 1 || (json && found > 1)
}
