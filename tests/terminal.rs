//! Tables on a terminal that reports no size.
#![cfg(target_os = "linux")]

mod common;

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

/// Runs the binary with stdout on a fresh pseudo-terminal of 0×0 cells, as `script` or `docker run -t` give,
/// in a new session so that the terminal size is read from that pseudo-terminal; returns what it printed.
fn on_unsized_terminal(args: &[&str]) -> String {
    let (mut leader, mut follower) = (0, 0);
    // SAFETY: openpty writes two descriptors; the name, termios and size arguments may be null (size 0×0).
    let rc = unsafe {
        libc::openpty(
            &mut leader,
            &mut follower,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty");
    // SAFETY: both descriptors were just opened and are owned here alone.
    let (mut leader, follower) = unsafe {
        (
            std::fs::File::from_raw_fd(leader),
            OwnedFd::from_raw_fd(follower),
        )
    };
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("paramscope"));
    cmd.args(args)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::from(follower))
        .stderr(Stdio::null());
    // SAFETY: setsid is async-signal-safe; without a controlling terminal the size comes from stdout.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
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
    let out = on_unsized_terminal(&["stats", fixture.to_str().unwrap(), "--quiet"]);
    assert!(out.contains("│ tensors "), "{out}");
    assert!(out.contains("│ BF16  ┆      16 ┆  143.49K ┆"), "{out}");
}
