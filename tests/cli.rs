//! The first five minutes: help with examples, completions, the man page.
mod common;

use common::paramscope;

#[test]
fn help_of_every_subcommand_has_examples() {
    for sub in ["inspect", "diff", "completions", "man", "check"] {
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
