//! `stats`: value statistics of every tensor (reads all the data), with a progress bar on a terminal.

use crate::args::{OutputFormat, StatsArgs};
use crate::exit::{Exit, Outcome, UsageError};
use crate::input::load_each;
use crate::output::{load_error_line, print_load_error, several, style_for, Output};
use indicatif::{
    BinaryBytes, HumanDuration, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle,
};
use paramscope::format::error::LoadError;
use paramscope::model::checkpoint::Checkpoint;
use paramscope::model::filter::TensorFilter;
use paramscope::render;
use paramscope::stats::{self, MultiStatsReport, ScanOptions};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Scans this large are shown a progress bar from the start; smaller ones only once they have run this long.
const BAR_AT_ONCE_BYTES: u64 = 256 << 20;
const BAR_AFTER: Duration = Duration::from_secs(1);
/// Rate and time left are shown once the scan has run this long (a rate over a few chunks says little).
const ETA_AFTER: Duration = Duration::from_secs(1);

pub fn run(args: StatsArgs, out: &mut Output) -> Outcome {
    let filter =
        TensorFilter::new(&args.filter).map_err(|e| UsageError(format!("--filter: {e}")))?;
    let loaded = load_each(&args.paths, super::load_options(&args.read));
    let total_bytes: u64 = loaded
        .iter()
        .flatten()
        .map(|c| stats::bytes_to_scan(c, &filter))
        .sum();
    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(|| progress_bar(total_bytes));
    let options = ScanOptions {
        chunk_bytes: args.chunk_bytes.unwrap_or(stats::DEFAULT_CHUNK_BYTES),
        histogram: args.hist,
        progress: bar.clone().map(progress_callback),
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
    let mut failed = false;
    let mut reports = Vec::new();
    for l in loaded {
        match l.and_then(|c| scan(&c)) {
            Ok(r) => reports.push(r),
            Err((_, e)) => {
                screen.suspended(|_| print_load_error(&e, json));
                failed = true;
            }
        }
    }
    let text = match (reports.len(), format) {
        (0, _) => String::new(),
        (1, OutputFormat::Json) if !several(1, found, json) => render::json::to_string(&reports[0]),
        (_, OutputFormat::Json) => render::json::to_string(&MultiStatsReport {
            checkpoints: reports,
        }),
        (_, f) => render::stats::render(&reports, args.tensors, style_for(f)),
    };
    screen.suspended(|out| out.print(&text));
    Exit::input(failed)
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

/// A bar on stderr, drawn at once for big scans and otherwise only once the scan has taken a second.
fn progress_bar(total_bytes: u64) -> ProgressBar {
    let target = if total_bytes >= BAR_AT_ONCE_BYTES {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(total_bytes), target);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {bar:40} {binary_bytes}/{binary_total_bytes} {rate_and_eta}",
        )
        .expect("template is valid")
        .with_key(
            "rate_and_eta",
            |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let total = state.len().unwrap_or(0);
                let _ = w.write_str(&rate_and_eta(state.elapsed(), state.pos(), total));
            },
        ),
    );
    bar
}

/// Rate and time left from the average since the start, once there is one: indicatif's own `{eta}` comes from
/// a doubly smoothed rate that starts far below the real one, and showed `eta 11m` on the first frame of a
/// scan that took seconds.
fn rate_and_eta(elapsed: Duration, done: u64, total: u64) -> String {
    if elapsed < ETA_AFTER || done == 0 {
        return String::new();
    }
    let secs = elapsed.as_secs_f64();
    let left = Duration::from_secs_f64(secs * total.saturating_sub(done) as f64 / done as f64);
    format!(
        "{}/s eta {:#}",
        BinaryBytes((done as f64 / secs) as u64),
        HumanDuration(left)
    )
}

fn progress_callback(bar: ProgressBar) -> paramscope::values::scan::ProgressFn {
    let started = Instant::now();
    let shown = AtomicBool::new(!bar.is_hidden());
    Arc::new(move |bytes| {
        bar.inc(bytes);
        if !shown.load(Ordering::Relaxed) && started.elapsed() >= BAR_AFTER {
            shown.store(true, Ordering::Relaxed);
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_and_eta_wait_for_a_second_of_progress_then_extrapolate_the_average() {
        let gib = 1u64 << 30;
        assert_eq!(rate_and_eta(Duration::from_millis(500), gib, 4 * gib), "");
        assert_eq!(rate_and_eta(Duration::from_secs(3), 0, 4 * gib), "");
        // 1 GiB in 2 s: 512 MiB/s, and 3 GiB left take 6 s.
        assert_eq!(
            rate_and_eta(Duration::from_secs(2), gib, 4 * gib),
            "512.00 MiB/s eta 6s"
        );
    }
}
