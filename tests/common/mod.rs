//! Shared test helpers: running the binary, and the definitions of the committed fixtures.

pub mod fixtures;
pub mod fixtures_gguf;
pub mod fixtures_malformed;
pub mod fixtures_malformed_foreign;
pub mod fixtures_malformed_gguf;
pub mod ggml_blocks;
pub mod shapes;
pub mod stats_expect;

use assert_cmd::Command;
use std::path::{Path, PathBuf};

pub fn paramscope() -> Command {
    let mut cmd = Command::cargo_bin("paramscope").unwrap();
    // A `COLUMNS` exported by the shell running the tests would fit piped tables to it (docs/inspect.md).
    cmd.env_remove("NO_COLOR").env_remove("COLUMNS");
    cmd
}

pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Runs `inspect --format json` on the paths and returns the parsed JSON (asserting success).
pub fn inspect_json(args: &[&str]) -> serde_json::Value {
    let out = paramscope()
        .arg("inspect")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "inspect {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Caps the address space of the process `cmd` starts at 1 GiB: mapping a large (sparse) tensor then fails,
/// which shows a command never mapped it.
#[cfg(unix)]
pub fn cap_address_space(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: setrlimit is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 1 << 30,
                rlim_max: 1 << 30,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Starts the process `cmd` runs in a session of its own. Linux schedules each session as a group (autogroup): a
/// command whose wall-clock time a test bounds then gets a CPU share of its own instead of splitting this process's
/// with the tests running beside it in this one binary (`diff::speed`'s 60,000 renames on a loaded 2-core machine:
/// a median of 5.7 s instead of 8.5 s over 11 runs each, against a bound of 8 s).
#[cfg(unix)]
pub fn in_own_session(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Runs `diff A B --format json` with `extra` flags; returns (exit code, parsed JSON).
pub fn diff_json(a: &Path, b: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    diff_json_of(paramscope(), a, b, extra)
}

/// `diff_json` with the binary in a session of its own (`in_own_session`), for a test that bounds its time.
#[cfg(unix)]
pub fn diff_json_in_own_session(a: &Path, b: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_paramscope"));
    cmd.env_remove("NO_COLOR");
    in_own_session(&mut cmd);
    diff_json_of(Command::from_std(cmd), a, b, extra)
}

fn diff_json_of(mut cmd: Command, a: &Path, b: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let out = cmd
        .arg("diff")
        .arg(a)
        .arg(b)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "diff printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), json)
}

/// `diff_json` with `--values`.
pub fn diff_values_json(a: &Path, b: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    diff_json(a, b, &[&["--values"], extra].concat())
}

/// Runs `check` with `args`; returns (exit code, stdout, stderr).
pub fn check(args: &[&str]) -> (i32, String, String) {
    let out = paramscope().arg("check").args(args).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Writes `w` as `dir/name` and returns the path as a string, for argument lists.
pub fn write(dir: &Path, name: &str, w: &paramscope::format::synth::SafetensorsWriter) -> String {
    let path = dir.join(name);
    w.write(&path).unwrap();
    path.display().to_string()
}

/// Runs `footprint PATH EXTRA --format json`, asserting success; returns the parsed JSON.
pub fn footprint_json(path: &Path, extra: &[&str]) -> serde_json::Value {
    let out = paramscope()
        .arg("footprint")
        .arg(path)
        .args(extra)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Runs inspect expecting failure; returns (exit code, stderr).
pub fn inspect_fails(args: &[&str]) -> (i32, String) {
    let out = paramscope().arg("inspect").args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A deterministic stream of pseudo-random values in [-scale, scale] (a 64-bit LCG), so fixtures are
/// reproducible without a random-number crate.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next_f32(&mut self, scale: f32) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let unit = (self.0 >> 40) as f32 / (1u64 << 24) as f32; // [0, 1)
        (unit * 2.0 - 1.0) * scale
    }
}

/// Every file below `root` (recursively), sorted.
pub fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
