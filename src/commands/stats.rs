use super::{load_all, print_out, style_for, usage_error, EXIT_INPUT};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use paramscope::cli::StatsArgs;
use paramscope::error::LoadError;
use paramscope::filter::TensorFilter;
use paramscope::format::LoadOptions;
use paramscope::render::{self, OutputFormat};
use paramscope::stats::{self, MultiStatsReport, ScanOptions};
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Scans this large are shown a progress bar from the start; smaller ones only once they have run this long.
const BAR_AT_ONCE_BYTES: u64 = 256 << 20;
const BAR_AFTER: Duration = Duration::from_secs(1);

pub fn run(args: StatsArgs) -> ExitCode {
    let filter = match TensorFilter::new(&args.filter) {
        Ok(f) => f,
        Err(e) => return usage_error(&format!("--filter: {e}")),
    };
    let format = args.output.format;
    let load_options = LoadOptions {
        follow_symlinks: args.read.follow_symlinks,
        ..LoadOptions::default()
    };
    let (checkpoints, mut failed) = load_all(&args.paths, load_options, format);
    let total_bytes: u64 = checkpoints
        .iter()
        .map(|c| stats::bytes_to_scan(c, &filter))
        .sum();
    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(|| progress_bar(total_bytes));
    let options = ScanOptions {
        chunk_bytes: args.chunk_bytes.unwrap_or(stats::DEFAULT_CHUNK_BYTES),
        histogram: args.hist,
        progress: bar.clone().map(progress_callback),
    };
    let mut reports = Vec::new();
    for c in &checkpoints {
        match stats::scan(c, &filter, &options) {
            Ok(r) => reports.push(r),
            Err(e) => {
                if let Some(b) = &bar {
                    b.suspend(|| super::print_load_error(&LoadError::from(e), format));
                } else {
                    super::print_load_error(&LoadError::from(e), format);
                }
                failed = true;
            }
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    // Several inputs promise `{checkpoints}` in JSON even when only one could be read, as inspect does.
    let several = reports.len() > 1 || (failed && (args.paths.len() > 1 || checkpoints.len() > 1));
    let out = match (reports.len(), format) {
        (0, _) => String::new(),
        (1, OutputFormat::Json) if !several => render::json::to_string(&reports[0]),
        (_, OutputFormat::Json) => render::json::to_string(&MultiStatsReport {
            checkpoints: reports,
        }),
        (_, f) => render::stats::render(&reports, args.tensors, style_for(f)),
    };
    print_out(&out);
    if failed {
        ExitCode::from(EXIT_INPUT)
    } else {
        ExitCode::SUCCESS
    }
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
            "{spinner} {bar:40} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
        )
        .expect("template is valid"),
    );
    bar
}

fn progress_callback(bar: ProgressBar) -> stats::scan::ProgressFn {
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
