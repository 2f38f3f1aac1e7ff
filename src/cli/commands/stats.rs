//! `stats`: value statistics of every tensor (reads all the data), with a progress bar on a terminal.

use crate::args::{OutputFormat, StatsArgs};
use crate::exit::{Exit, Outcome, UsageError};
use crate::input::load_each;
use crate::output::{error_object, load_error_line, print_load_error, several, style_for, Output};
use crate::progress;
use indicatif::ProgressBar;
use paramscope::format::error::LoadError;
use paramscope::model::checkpoint::Checkpoint;
use paramscope::model::filter::TensorFilter;
use paramscope::render;
use paramscope::stats::{self, MultiStatsReport, ScanOptions};
use std::io::IsTerminal;
use std::path::PathBuf;

pub fn run(args: StatsArgs, out: &mut Output) -> Outcome {
    let filter =
        TensorFilter::new(&args.filter).map_err(|e| UsageError(format!("--filter: {e}")))?;
    super::refuse_remote(&args.paths.iter().collect::<Vec<_>>(), "stats")?;
    let loaded = load_each(
        &args.paths,
        super::load_options(&args.read),
        args.read.revision.as_deref(),
    );
    let total_bytes: u64 = loaded
        .iter()
        .flatten()
        .map(|c| stats::bytes_to_scan(c, &filter))
        .sum();
    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(|| progress::bar(total_bytes));
    let options = ScanOptions {
        chunk_bytes: args.chunk_bytes.unwrap_or(stats::DEFAULT_CHUNK_BYTES),
        histogram: args.hist,
        progress: bar.clone().map(progress::callback),
    };
    let scan = |c: &Checkpoint| {
        stats::scan(c, &filter, &options).map_err(|e| (c.path.clone(), LoadError::from(e)))
    };
    let mut screen = Screen { bar: &bar, out };
    let exit = match args.output.format.common() {
        Some(format) => whole(&args, loaded, format, &scan, &mut screen),
        None => lines(loaded, &scan, &mut screen),
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(exit)
}

type Scanned = Result<stats::StatsReport, (PathBuf, LoadError)>;

/// Output written outside the progress bar's line (a line printed while the bar is drawn would be drawn over).
struct Screen<'a> {
    bar: &'a Option<ProgressBar>,
    out: &'a mut Output,
}

impl Screen<'_> {
    fn suspended<R>(&mut self, f: impl FnOnce(&mut Output) -> R) -> R {
        match self.bar {
            Some(b) => b.suspend(|| f(self.out)),
            None => f(self.out),
        }
    }
}

/// Tables, Markdown or one JSON object, once every checkpoint is scanned.
fn whole(
    args: &StatsArgs,
    loaded: Vec<Result<Checkpoint, (PathBuf, LoadError)>>,
    format: OutputFormat,
    scan: &dyn Fn(&Checkpoint) -> Scanned,
    screen: &mut Screen,
) -> Exit {
    let json = format == OutputFormat::Json;
    let found = loaded.len();
    let mut failed = Vec::new();
    let mut reports = Vec::new();
    for l in loaded {
        match l.and_then(|c| scan(&c)) {
            Ok(r) => {
                if r.filtered && r.tensor_count == 0 {
                    let note = TensorFilter::new(&args.filter).map(|f| f.matched_nothing());
                    let path = render::escape(&r.path.display().to_string()).into_owned();
                    screen.suspended(|_| eprintln!("note: {path}: {}", note.unwrap_or_default()));
                }
                reports.push(r)
            }
            Err((path, e)) => {
                screen.suspended(|_| print_load_error(&e, json));
                failed.push((path, e));
            }
        }
    }
    let text = match (reports.len(), format) {
        (0, OutputFormat::Json) if !failed.is_empty() => error_object(&failed),
        (0, _) => String::new(),
        (1, OutputFormat::Json) if !several(1, found, json) => render::json::to_string(&reports[0]),
        (_, OutputFormat::Json) => render::json::to_string(&MultiStatsReport {
            checkpoints: reports,
        }),
        (_, f) => render::stats::render(&reports, args.tensors, style_for(f)),
    };
    screen.suspended(|out| out.print(&text));
    Exit::input(!failed.is_empty())
}

/// JSON Lines: a checkpoint's report on its line as soon as it is scanned, as `inspect --format jsonl` does; one
/// that cannot be read or scanned is a line `{"path", "errors"}`.
fn lines(
    loaded: Vec<Result<Checkpoint, (PathBuf, LoadError)>>,
    scan: &dyn Fn(&Checkpoint) -> Scanned,
    screen: &mut Screen,
) -> Exit {
    let mut failed = false;
    for l in loaded {
        let line = match l.and_then(|c| scan(&c)) {
            Ok(report) => serde_json::to_string(&report).expect("report serialises"),
            Err((path, e)) => {
                failed = true;
                load_error_line(&path, &e)
            }
        };
        screen.suspended(|out| out.print(&line));
    }
    Exit::input(failed)
}
