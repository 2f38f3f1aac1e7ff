use super::progress;
use super::{load_each, print_load_error, print_out, style_for, usage_error, EXIT_INPUT};
use crate::args::StatsArgs;
use paramscope::format::error::LoadError;
use paramscope::format::LoadOptions;
use paramscope::model::checkpoint::Checkpoint;
use paramscope::model::filter::TensorFilter;
use paramscope::render::{self, OutputFormat};
use paramscope::stats::{self, MultiStatsReport, ScanOptions};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

pub fn run(args: StatsArgs) -> ExitCode {
    let filter = match TensorFilter::new(&args.filter) {
        Ok(f) => f,
        Err(e) => return usage_error(&format!("--filter: {e}")),
    };
    let load_options = LoadOptions {
        follow_symlinks: args.read.follow_symlinks,
        ..LoadOptions::default()
    };
    let loaded = load_each(&args.paths, load_options);
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
    // Outside the bar's line (a line printed while it is drawn would be drawn over).
    let print = |f: &dyn Fn()| match &bar {
        Some(b) => b.suspend(f),
        None => f(),
    };
    let scan = |c: &Checkpoint| {
        stats::scan(c, &filter, &options).map_err(|e| (c.path.clone(), LoadError::from(e)))
    };
    let code = match args.output.format.common() {
        Some(format) => whole(&args, loaded, format, &scan, &print),
        None => lines(loaded, &scan, &print),
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    code
}

type Scanned = Result<stats::StatsReport, (PathBuf, LoadError)>;

/// Tables, Markdown or one JSON object, once every checkpoint is scanned.
fn whole(
    args: &StatsArgs,
    loaded: Vec<Result<Checkpoint, (PathBuf, LoadError)>>,
    format: OutputFormat,
    scan: &dyn Fn(&Checkpoint) -> Scanned,
    print: &dyn Fn(&dyn Fn()),
) -> ExitCode {
    let read = loaded.iter().filter(|l| l.is_ok()).count();
    let mut failed = false;
    let mut reports = Vec::new();
    for l in loaded {
        match l.and_then(|c| scan(&c)) {
            Ok(r) => reports.push(r),
            Err((_, e)) => {
                print(&|| print_load_error(&e, format));
                failed = true;
            }
        }
    }
    // Several inputs promise `{checkpoints}` in JSON even when only one could be read, as inspect does.
    let several = reports.len() > 1 || (failed && (args.paths.len() > 1 || read > 1));
    let out = match (reports.len(), format) {
        (0, _) => String::new(),
        (1, OutputFormat::Json) if !several => render::json::to_string(&reports[0]),
        (_, OutputFormat::Json) => render::json::to_string(&MultiStatsReport {
            checkpoints: reports,
        }),
        (_, f) => render::stats::render(&reports, args.tensors, style_for(f)),
    };
    print(&|| print_out(&out));
    exit_code(failed)
}

/// JSON Lines: a checkpoint's report on its line as soon as it is scanned, as `inspect --format jsonl` does; one
/// that cannot be read or scanned is a line `{"path", "errors"}`.
fn lines(
    loaded: Vec<Result<Checkpoint, (PathBuf, LoadError)>>,
    scan: &dyn Fn(&Checkpoint) -> Scanned,
    print: &dyn Fn(&dyn Fn()),
) -> ExitCode {
    let mut failed = false;
    for l in loaded {
        let line = match l.and_then(|c| scan(&c)) {
            Ok(report) => serde_json::to_string(&report).expect("report serialises"),
            Err((path, e)) => {
                failed = true;
                serde_json::json!({"path": path.to_string_lossy(), "errors": e.rows()}).to_string()
            }
        };
        print(&|| print_out(&line));
    }
    exit_code(failed)
}

fn exit_code(failed: bool) -> ExitCode {
    if failed {
        ExitCode::from(EXIT_INPUT)
    } else {
        ExitCode::SUCCESS
    }
}
