//! One module per subcommand: each turns parsed arguments into output and an exit code.
//! Shared here: loading the user's paths, printing input errors, choosing the text style.

pub mod check;
pub mod diff;
pub mod docs;
pub mod footprint;
mod inputs;
pub mod inspect;
pub mod inspect_walk;
mod progress;
pub mod stats;
pub mod verify;

use paramscope::format::error::LoadError;
use paramscope::format::{self, LoadOptions};
use paramscope::model::checkpoint::Checkpoint;
use paramscope::render::{self, text::Style, OutputFormat};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Exit codes, in one place: 0 ok, 1 a check failed (or, for diff, a difference found), 2 unusable input or usage.
pub const EXIT_CHECK_FAILED: u8 = 1;
pub const EXIT_INPUT: u8 = 2;

/// How many problems to print per checkpoint before summarising the rest.
const MAX_PROBLEMS_SHOWN: usize = 50;

pub fn style_for(format: OutputFormat) -> Style {
    match format {
        OutputFormat::Markdown => Style::Markdown,
        _ => Style::Terminal {
            colour: render::colour_wanted(std::io::stdout().is_terminal()),
        },
    }
}

/// Prints every problem of a failed load, one line each: `error: PATH: REASON`, or a JSON object per line
/// (`{"path", "code", "message"}`) when the output format is JSON.
pub fn print_load_error(e: &LoadError, format: OutputFormat) {
    let mut stderr = std::io::stderr().lock();
    for err in e.errors.iter().take(MAX_PROBLEMS_SHOWN) {
        let _ = if format == OutputFormat::Json {
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

pub fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(EXIT_INPUT)
}

/// Loads every checkpoint the paths name (a folder can hold several). Problems are printed as they are found and
/// the rest are still loaded; the flag says whether any input was unusable.
pub fn load_all(
    paths: &[PathBuf],
    options: LoadOptions,
    format: OutputFormat,
) -> (Vec<Checkpoint>, bool) {
    let mut checkpoints = Vec::new();
    let mut failed = false;
    for loaded in load_each(paths, options) {
        match loaded {
            Ok(c) => checkpoints.push(c),
            Err((_, e)) => {
                print_load_error(&e, format);
                failed = true;
            }
        }
    }
    (checkpoints, failed)
}

/// Every checkpoint the paths name, or why one could not be read with the path it is reported under: paths that
/// name nothing readable first, then each checkpoint in turn (one named twice is read once).
pub fn load_each(
    paths: &[PathBuf],
    options: LoadOptions,
) -> Vec<Result<Checkpoint, (PathBuf, LoadError)>> {
    let mut loaded = Vec::new();
    let mut sources = Vec::new();
    for path in paths {
        match format::discover(path) {
            Ok(s) => sources.extend(s),
            Err(e) => loaded.push(Err((e.path.clone(), e.into()))),
        }
    }
    let mut splits_seen = paramscope::format::discover::walk::SplitsSeen::default();
    for source in format::discover::without_repeats(sources, |s| Some(s)) {
        if splits_seen.repeated(&source) {
            continue;
        }
        let path = paramscope::format::discover::walk::source_path(&source).to_path_buf();
        loaded.push(format::load(&source, options).map_err(|e| (path, e)));
    }
    loaded
}

/// Loads the one checkpoint a path names; a folder holding several is a usage error naming them.
pub fn load_one(path: &Path, options: LoadOptions, format: OutputFormat) -> Option<Checkpoint> {
    let (mut checkpoints, failed) = load_all(&[path.to_path_buf()], options, format);
    if failed {
        return None;
    }
    if checkpoints.len() > 1 {
        let names: Vec<String> = checkpoints
            .iter()
            .map(|c| c.path.display().to_string())
            .collect();
        eprintln!(
            "error: {}: holds {} checkpoints ({}); name one of them",
            path.display(),
            checkpoints.len(),
            names.join(", ")
        );
        return None;
    }
    checkpoints.pop()
}

/// Writes the output and a final newline.
pub fn print_out(out: &str) {
    if !out.is_empty() {
        write_out(&[out.trim_end().as_bytes(), b"\n"]);
    }
}

/// The first error met writing to stdout (a full disk, a closed file), reported by `finish`.
static OUTPUT_ERROR: std::sync::OnceLock<std::io::Error> = std::sync::OnceLock::new();

/// Writes to stdout. A closed pipe (`| head`) is not worth a message; any other failure is kept for
/// `finish`, so that `paramscope inspect … --format json > baseline.json` on a full disk does not exit 0 with
/// the report lost.
pub fn write_out(parts: &[&[u8]]) {
    let mut stdout = std::io::stdout().lock();
    let written = parts.iter().try_for_each(|part| stdout.write_all(part));
    if let Err(e) = written.and_then(|_| stdout.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            let _ = OUTPUT_ERROR.set(e);
        }
    }
}

/// The command's exit code, unless its output could not be written: then an error and exit 2.
pub fn finish(code: ExitCode) -> ExitCode {
    match OUTPUT_ERROR.get() {
        Some(e) => usage_error(&format!("cannot write the output: {e}")),
        None => code,
    }
}
