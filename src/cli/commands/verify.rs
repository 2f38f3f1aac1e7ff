//! `verify`: hash the files the paths name and compare them with the references found (`--sha256`, the Hugging
//! Face cache); a line per file (or JSON, GitHub annotations) and optionally a JUnit file. Exit 0 every file
//! verified, 1 a file differs or is missing, 2 unusable input or a file that has no reference (see
//! `paramscope::verify`: an unverified file is neither proven wrong, which 1 would tell a script to re-fetch,
//! nor verified, which 0 would let a CI gate pass silently).

use super::progress::{self, Ticker};
use super::{print_out, usage_error, EXIT_CHECK_FAILED, EXIT_INPUT};
use crate::args::VerifyArgs;
use paramscope::render::{self, verify as view, verify::VerifyFormat};
use paramscope::verify::{self, reference, Progress, Verdict, VerifyOptions};
use std::io::IsTerminal;
use std::process::ExitCode;

pub fn run(args: VerifyArgs) -> ExitCode {
    let mut options = VerifyOptions::default();
    let mut read = Vec::new();
    if let Some(given) = &args.sha256 {
        match reference::parse_sha256(&given.to_string_lossy()) {
            Some(hex) => {
                if args.paths.len() != 1 || !verify::is_one_file(&args.paths[0]) {
                    return usage_error(
                        "--sha256 HEX is the hash of one file: name that one file (a manifest, --sha256 FILE, \
                         covers several)",
                    );
                }
                options.digest = Some(hex);
            }
            None => match reference::read_manifest(given) {
                Ok(list) => {
                    options.lists.push(list);
                    read.push(given.as_path());
                }
                Err(e) => return usage_error(&format!("--sha256 {e}")),
            },
        }
    }
    if let Some(junit) = &args.junit {
        if let Some(input) = super::inputs::overwritten_input(junit, &args.paths, false, read) {
            return usage_error(&format!(
                "--junit {} is the input {}; paramscope does not write over a file it reads",
                junit.display(),
                input.display()
            ));
        }
    }
    let ticker =
        (!args.quiet && std::io::stderr().is_terminal()).then(|| Ticker::new(progress::bar(0)));
    let report = verify::verify(
        &args.paths,
        &options,
        ticker.as_ref().map(|t| t as &dyn Progress),
    );
    if let Some(t) = &ticker {
        t.finish();
    }
    let colour = render::colour_wanted(std::io::stdout().is_terminal());
    match args.format {
        VerifyFormat::Table => print_out(&view::text(&report, colour)),
        VerifyFormat::Github => print_out(&view::github(&report)),
        VerifyFormat::Json => print_out(&render::json::to_string(&report)),
    }
    if let Some(path) = &args.junit {
        if let Err(e) = std::fs::write(path, view::junit(&report)) {
            return usage_error(&format!("--junit {}: {e}", path.display()));
        }
    }
    match report.verdict {
        Verdict::Verified => ExitCode::SUCCESS,
        Verdict::Failed => ExitCode::from(EXIT_CHECK_FAILED),
        Verdict::Incomplete => ExitCode::from(EXIT_INPUT),
    }
}
