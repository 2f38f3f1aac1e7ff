//! Tables on a terminal: one that reports no size, one narrower than the tables.
#![cfg(target_os = "linux")]

use crate::common;
use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Command, Stdio};

/// Runs the binary with stdout on a fresh pseudo-terminal of `columns` × 24 cells (0 × 0 for `columns` 0, as
/// `script` or `docker run -t` give), in a new session so that the terminal size is read from that
/// pseudo-terminal, with `NO_COLOR` set to `no_color` or unset; returns what it printed.
fn on_terminal(args: &[&str], columns: u16, no_color: Option<&str>) -> String {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("paramscope"));
    cmd.args(args).env_remove("NO_COLOR").env_remove("COLUMNS");
    if let Some(value) = no_color {
        cmd.env("NO_COLOR", value);
    }
    on_pty(cmd, columns, Stream::Stdout)
}

/// Which of the child's streams goes to the pseudo-terminal (the other is discarded).
pub enum Stream {
    /// Tables and reports.
    Stdout,
    /// Notes, errors and progress lines.
    Stderr,
}

/// Runs `cmd` with `stream` on a fresh pseudo-terminal of `columns` × 24 cells (0 × 0 for `columns` 0), in a new
/// session; returns what it wrote there.
pub fn on_pty(mut cmd: Command, columns: u16, stream: Stream) -> String {
    let (mut leader, mut follower) = (0, 0);
    let size = libc::winsize {
        ws_row: if columns == 0 { 0 } else { 24 },
        ws_col: columns,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two descriptors; the name and termios arguments may be null, `size` outlives the call.
    let rc = unsafe {
        libc::openpty(
            &mut leader,
            &mut follower,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(rc, 0, "openpty");
    // openpty cannot open them close-on-exec: other tests' threads spawn children meanwhile, and a copy of the
    // follower in one of those would hold the read below open past this child's exit.
    for fd in [leader, follower] {
        // SAFETY: F_SETFD on a descriptor just opened here.
        assert_eq!(
            unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) },
            0
        );
    }
    // SAFETY: both descriptors were just opened and are owned here alone.
    let (mut leader, follower) = unsafe {
        (
            std::fs::File::from_raw_fd(leader),
            OwnedFd::from_raw_fd(follower),
        )
    };
    cmd.stdin(Stdio::null());
    match stream {
        Stream::Stdout => cmd.stdout(Stdio::from(follower)).stderr(Stdio::null()),
        Stream::Stderr => cmd.stderr(Stdio::from(follower)).stdout(Stdio::null()),
    };
    // Without a controlling terminal the size comes from stdout.
    common::in_own_session(&mut cmd);
    let mut child = cmd.spawn().unwrap();
    // The parent's copy of the follower is closed (moved into `cmd`): dropping `cmd` leaves the child's only.
    drop(cmd);
    let mut out = Vec::new();
    // Reading the leader ends with EIO once the child has exited and closed the follower.
    let _ = leader.read_to_end(&mut out);
    child.wait().unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn tables_keep_their_columns_on_a_terminal_without_a_size() {
    let fixture = common::repo_path("fixtures/tiny/model.safetensors");
    let out = on_terminal(&["stats", fixture.to_str().unwrap(), "--quiet"], 0, None);
    assert!(out.contains("│ tensors "), "{out}");
    assert!(out.contains("│ BF16  ┆      16 ┆  143.49K ┆"), "{out}");
}

/// NO_COLOR removes colour, nothing else: the tables still fit a 70-column terminal (the `By dtype` table is 115
/// characters wide when it has room).
#[test]
fn tables_fit_a_narrow_terminal_with_or_without_colour() {
    // A short path, so that the heading naming it fits too.
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.safetensors");
    std::fs::copy(common::repo_path("fixtures/tiny/model.safetensors"), &model).unwrap();
    let args = ["stats", model.to_str().unwrap(), "--quiet"];
    for no_color in [None, Some("1")] {
        let out = on_terminal(&args, 70, no_color);
        assert!(out.contains("By dtype"), "{out}");
        for line in out.lines() {
            let visible = strip_escapes(line.trim_end_matches('\r'));
            assert!(
                visible.chars().count() <= 70,
                "NO_COLOR={no_color:?}: {line}\n{out}"
            );
        }
        assert_eq!(
            out.contains('\u{1b}'),
            no_color.is_none(),
            "NO_COLOR={no_color:?}: {out}"
        );
    }
}

/// `line` without its SGR sequences (`ESC [ … m`), as a terminal displays it.
fn strip_escapes(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.by_ref().find(|&c| c == 'm');
        } else {
            out.push(c);
        }
    }
    out
}
