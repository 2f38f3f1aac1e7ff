//! How a command ends, and the one place that turns it into the process's exit code: 0 ok, 1 a check failed (for
//! diff: a difference; for footprint --fits: it does not fit), 2 unusable input or usage.

use crate::output::Output;
/// What a command found, once it has written its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok,
    /// A rule failed, the checkpoints differ, the model does not fit.
    CheckFailed,
    /// An input could not be read (each problem was written as it was met; the rest was still reported).
    InputUnusable,
}

impl Exit {
    /// `InputUnusable` when anything failed to read, else `Ok`.
    pub fn input(failed: bool) -> Exit {
        if failed {
            Exit::InputUnusable
        } else {
            Exit::Ok
        }
    }
}

/// A usage error: wrong flags, a file named that cannot serve its purpose (`--junit` onto an input). Written as
/// `error: MESSAGE`.
#[derive(Debug)]
pub struct UsageError(pub String);

/// What every subcommand's `run` returns.
pub type Outcome = Result<Exit, UsageError>;

/// The exit code of a finished command; output that could not be written (a full disk, not a closed pipe) makes
/// any run exit 2 with a message, so `inspect … --format json > baseline.json` on a full disk does not pass.
pub fn finish(outcome: Outcome, output: Output) -> u8 {
    let code = match outcome {
        Ok(Exit::Ok) => 0,
        Ok(Exit::CheckFailed) => 1,
        Ok(Exit::InputUnusable) => 2,
        Err(UsageError(message)) => {
            eprintln!("error: {message}");
            2
        }
    };
    match output.into_error() {
        Some(e) => {
            eprintln!("error: cannot write the output: {e}");
            2
        }
        None => code,
    }
}
