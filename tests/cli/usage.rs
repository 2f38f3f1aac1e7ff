//! The first five minutes: help with examples, completions, the man page.

use crate::common::{self, paramscope};

#[test]
fn help_of_every_subcommand_has_examples() {
    for sub in [
        "inspect",
        "diff",
        "footprint",
        "completions",
        "man",
        "stats",
        "check",
    ] {
        let out = paramscope().args([sub, "--help"]).output().unwrap();
        assert!(out.status.success(), "{sub}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("Example"),
            "{sub} --help has no examples:\n{text}"
        );
    }
}

#[test]
fn completions_and_man_page_are_generated() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef paramscope"),
        ("fish", "complete -c paramscope"),
    ] {
        let out = paramscope().args(["completions", shell]).output().unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains(marker),
            "{shell}: {}",
            &text[..200.min(text.len())]
        );
        assert!(
            text.contains("inspect"),
            "{shell} completion lacks subcommands"
        );
    }
    let man = paramscope().arg("man").output().unwrap();
    let text = String::from_utf8(man.stdout).unwrap();
    assert!(
        text.starts_with(".ie") && text.contains(".TH paramscope 1"),
        "{}",
        &text[..100]
    );
}

/// Doc comments become help text: a rustdoc link (`[`NAME`]`) would show up verbatim to the user.
#[test]
fn help_text_has_no_rustdoc_links() {
    for sub in ["inspect", "diff", "footprint", "stats", "check"] {
        let out = paramscope().args([sub, "--help"]).output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(!text.contains("[`"), "{sub} --help:\n{text}");
    }
}

/// A file name that is not UTF-8 (Unix allows any bytes) is still a path, never a subcommand.
#[cfg(unix)]
#[test]
fn a_non_utf8_path_alone_runs_inspect() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"\xffmodel.safetensors"));
    std::fs::copy(common::repo_path("fixtures/tiny/model.safetensors"), &path).unwrap();
    let out = paramscope().arg(&path).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // 145,472 parameters: the tiny fixture's count (tests/cli/inspect/mod.rs checks it against its shapes).
    assert!(String::from_utf8(out.stdout).unwrap().contains("145,472"));
}

#[test]
fn no_arguments_print_usage_and_exit_2() {
    let out = paramscope().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("Usage: paramscope"));
}

/// A misspelled subcommand is refused with the subcommand it resembles; it used to be inspected as a missing
/// file ("insepct: cannot read") and the paths after it inspected anyway.
#[test]
fn a_misspelled_subcommand_is_named_not_inspected() {
    let out = paramscope()
        .arg("insepct")
        .arg(common::repo_path("fixtures/tiny/model.safetensors"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr,
        "error: 'insepct' is neither a subcommand nor a file or folder; did you mean `paramscope inspect`? \
         (paramscope --help lists the subcommands)\n"
    );
    // A word with a dot is a path, even when it resembles a subcommand: a missing one is reported as a file.
    let out = paramscope().arg("stats.safetensors").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("error: stats.safetensors: cannot read:"),
        "{stderr}"
    );
}

/// A file whose name resembles a subcommand is still a path when it exists.
#[test]
fn an_existing_file_named_like_a_subcommand_is_inspected() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        common::repo_path("fixtures/tiny/model.safetensors"),
        dir.path().join("chek"),
    )
    .unwrap();
    let out = paramscope()
        .current_dir(dir.path())
        .arg("chek")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8(out.stdout).unwrap().contains("145,472"));
}

/// Output that cannot be written (here `/dev/full`, as a full disk) is an error with exit 2: it was dropped
/// silently and `inspect … > baseline.json` exited 0, and `completions` panicked.
#[cfg(target_os = "linux")]
#[test]
fn output_that_cannot_be_written_is_an_error() {
    let tiny = common::repo_path("fixtures/tiny/model.safetensors");
    let tiny = tiny.to_str().unwrap();
    let runs: [&[&str]; 4] = [
        &["inspect", tiny, "--format", "json"],
        &["check", tiny, "--max-params", "1B"],
        &["completions", "bash"],
        &["man"],
    ];
    for args in runs {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("paramscope"))
            .args(args)
            .stdout(full)
            .output()
            .unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("error: cannot write the output: No space left on device"),
            "{args:?}: {stderr}"
        );
    }
}

/// The main man page refers to a page per subcommand (`paramscope-check(1)`); those pages exist, each with its
/// subcommand's options (only the main page existed, so `man paramscope-check` found nothing).
#[test]
fn every_man_page_the_main_page_names_is_written() {
    let main = paramscope().arg("man").output().unwrap();
    let main = String::from_utf8(main.stdout).unwrap();
    let named: Vec<&str> = main
        .split("paramscope\\-")
        .skip(1)
        .filter_map(|rest| rest.split_once("(1)").map(|(name, _)| name))
        .collect();
    assert_eq!(
        named,
        [
            "inspect",
            "check",
            "footprint",
            "diff",
            "stats",
            "verify",
            "completions",
            "man"
        ]
    );
    let dir = tempfile::tempdir().unwrap();
    let out = paramscope()
        .args(["man", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("paramscope.1")).unwrap(),
        main
    );
    for name in named {
        let page =
            std::fs::read_to_string(dir.path().join(format!("paramscope-{name}.1"))).unwrap();
        assert!(page.contains(&format!(".TH paramscope-{name} 1")), "{name}");
        let printed = paramscope().args(["man", name]).output().unwrap();
        assert_eq!(String::from_utf8(printed.stdout).unwrap(), page, "{name}");
    }
    let check = std::fs::read_to_string(dir.path().join("paramscope-check.1")).unwrap();
    let footer = concat!("paramscope ", env!("CARGO_PKG_VERSION"));
    assert!(check.contains("\\-\\-max\\-params") && check.contains(footer));
}

/// Every subcommand that reads checkpoints reads GGUF files too, and its help says so (the PATH help named
/// only safetensors files, indexes and folders).
#[test]
fn help_of_every_reading_subcommand_names_gguf() {
    for sub in ["inspect", "check", "stats", "footprint", "diff"] {
        let out = paramscope().args([sub, "--help"]).output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let arguments = text.split("Options:").next().unwrap();
        assert!(arguments.contains("GGUF"), "{sub} --help:\n{arguments}");
    }
}

/// Inspect's flags may come before the path when the subcommand is left out, as after it; they were refused
/// ("unexpected argument '--format'") with the program's usage.
#[test]
fn inspect_flags_before_a_path_alone() {
    let tiny = common::repo_path("fixtures/tiny/model.safetensors");
    let out = paramscope()
        .args(["--format", "json"])
        .arg(&tiny)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["parameters"], 145_472);
    // The program's own flags keep their meaning.
    let out = paramscope().arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        concat!("paramscope ", env!("CARGO_PKG_VERSION"), "\n")
    );
}
