//! The progress bar of commands that read all the data (`stats`, `verify`): bytes done of the total, rate and
//! time left, on stderr, only on a terminal and only for work that takes more than about a second.

use indicatif::{
    BinaryBytes, HumanDuration, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Work this large is shown a progress bar from the start; smaller work only once it has run this long.
const BAR_AT_ONCE_BYTES: u64 = 256 << 20;
const BAR_AFTER: Duration = Duration::from_secs(1);
/// Rate and time left are shown once the work has run this long (a rate over a few chunks says little).
const ETA_AFTER: Duration = Duration::from_secs(1);

/// A bar on stderr, drawn at once for big work and otherwise only once it has taken a second.
pub fn bar(total_bytes: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total_bytes), target_for(total_bytes));
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

fn target_for(total_bytes: u64) -> ProgressDrawTarget {
    if total_bytes >= BAR_AT_ONCE_BYTES {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    }
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

/// Advances a bar from worker threads, drawing a hidden one once the work has run for [`BAR_AFTER`].
pub struct Ticker {
    bar: ProgressBar,
    started: Instant,
    shown: AtomicBool,
}

impl Ticker {
    pub fn new(bar: ProgressBar) -> Ticker {
        Ticker {
            shown: AtomicBool::new(!bar.is_hidden()),
            bar,
            started: Instant::now(),
        }
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    fn add(&self, bytes: u64) {
        self.bar.inc(bytes);
        if !self.shown.load(Ordering::Relaxed) && self.started.elapsed() >= BAR_AFTER {
            self.shown.store(true, Ordering::Relaxed);
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }
}

/// `verify` learns the total once it knows the files: the bar is sized (and drawn, for big work) then.
impl paramscope::verify::Progress for Ticker {
    fn start(&self, total_bytes: u64) {
        self.bar.set_length(total_bytes);
        if total_bytes >= BAR_AT_ONCE_BYTES {
            self.shown.store(true, Ordering::Relaxed);
            self.bar.set_draw_target(target_for(total_bytes));
        }
    }

    fn advance(&self, bytes: u64) {
        self.add(bytes);
    }
}

/// The scan's progress callback for a bar.
pub fn callback(bar: ProgressBar) -> paramscope::values::scan::ProgressFn {
    let ticker = Ticker::new(bar);
    Arc::new(move |bytes| ticker.add(bytes))
}

/// Remote header fetches shown after this long (most finish sooner and show nothing).
const FETCH_LINE_AFTER: Duration = Duration::from_secs(1);

/// The progress line of a remote fetch: files read of the total and bytes received, on stderr, drawn only on a
/// terminal and only once the fetch has taken [`FETCH_LINE_AFTER`]; cleared when this is dropped.
pub struct RemoteFetch {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Starts the progress line when any of `paths` names a remote source (`hf://…`, a URL) and stderr is a
/// terminal; `None` otherwise.
pub fn remote_fetch<'a>(
    paths: impl IntoIterator<Item = &'a std::path::Path>,
) -> Option<RemoteFetch> {
    use std::io::IsTerminal;
    let remote = paths.into_iter().any(|p| {
        p.to_str()
            .is_some_and(paramscope::format::remote::is_remote)
    });
    if !remote || !std::io::stderr().is_terminal() {
        return None;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::clone(&stop);
    let thread = std::thread::spawn(move || {
        let start = Instant::now();
        while start.elapsed() < FETCH_LINE_AFTER {
            if stopped.load(Ordering::Relaxed) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let line = ProgressBar::new_spinner();
        line.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("template is valid"));
        while !stopped.load(Ordering::Relaxed) {
            let (done, total, bytes) = paramscope::format::remote::progress();
            line.set_message(fetch_message(done, total, bytes));
            line.tick();
            std::thread::sleep(Duration::from_millis(100));
        }
        line.finish_and_clear();
    });
    Some(RemoteFetch {
        stop,
        thread: Some(thread),
    })
}

impl Drop for RemoteFetch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `fetching headers: 120/191 files, 7.25 MiB`; before the listing gives the total, only the bytes.
fn fetch_message(done: u64, total: u64, bytes: u64) -> String {
    let received = BinaryBytes(bytes).to_string();
    match total {
        0 => format!("fetching headers: {received}"),
        total => format!("fetching headers: {done}/{total} files, {received}"),
    }
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

    #[test]
    fn the_fetch_line_counts_files_once_the_total_is_known() {
        assert_eq!(fetch_message(0, 0, 512), "fetching headers: 512 B");
        assert_eq!(
            fetch_message(120, 191, 7 << 20),
            "fetching headers: 120/191 files, 7.00 MiB"
        );
    }
}
