//! `verify`: hash the files the paths name and compare them with the references found (`--sha256`, the Hugging
//! Face cache, `--against hf://…`); a line per file (or JSON, GitHub annotations) and optionally a JUnit file. Exit 0 every file
//! verified, 1 a file differs or is missing, 2 unusable input or a file that has no reference (see
//! `paramscope::verify`: an unverified file is neither proven wrong, which 1 would tell a script to re-fetch,
//! nor verified, which 0 would let a CI gate pass silently).

use crate::args::VerifyArgs;
use crate::exit::{Exit, Outcome, UsageError};
use crate::input::overwritten_input;
use crate::output::Output;
use crate::progress::{self, Ticker};
use paramscope::render::{self, verify as view, verify::VerifyFormat};
use paramscope::verify::{self, reference, Progress, Verdict, VerifyOptions};
use std::io::IsTerminal;

pub fn run(args: VerifyArgs, out: &mut Output) -> Outcome {
    let mut options = VerifyOptions::default();
    let mut read = Vec::new();
    if let Some(given) = &args.sha256 {
        match reference::parse_sha256(&given.to_string_lossy()) {
            Some(hex) => {
                if args.paths.len() != 1 || !verify::is_one_file(&args.paths[0]) {
                    return Err(UsageError(
                        "--sha256 HEX is the hash of one file: name that one file (a manifest, --sha256 FILE, \
                         covers several)"
                            .into(),
                    ));
                }
                options.digest = Some(hex);
            }
            None => match reference::read_manifest(given) {
                Ok(list) => {
                    options.lists.push(list);
                    read.push(given.as_path());
                }
                Err(e) => return Err(UsageError(format!("--sha256 {e}"))),
            },
        }
    }
    if let Some(spec) = &args.against {
        for target in &args.paths {
            // Paths in the listing are relative to the repository: the local copy's folder.
            let root = if target.is_dir() {
                target.as_path()
            } else {
                target.parent().unwrap_or(std::path::Path::new(""))
            };
            match reference::hub_listing(root, spec) {
                Ok(list) => options.lists.push(list),
                Err(e) => {
                    let json = matches!(VerifyFormat::from(args.format), VerifyFormat::Json);
                    crate::output::print_load_error(&e.into(), json);
                    return Ok(Exit::InputUnusable);
                }
            }
        }
    }
    if let Some(junit) = &args.junit {
        if let Some(input) = overwritten_input(junit, &args.paths, false, read) {
            return Err(UsageError(format!(
                "--junit {} is the input {}; paramscope does not write over a file it reads",
                junit.display(),
                input.display()
            )));
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
    match VerifyFormat::from(args.format) {
        VerifyFormat::Table => out.print(&view::text(&report, colour)),
        VerifyFormat::Github => out.print(&view::github(&report)),
        VerifyFormat::Json => out.print(&render::json::to_string(&report)),
    }
    if let Some(path) = &args.junit {
        if let Err(e) = std::fs::write(path, view::junit(&report)) {
            return Err(UsageError(format!("--junit {}: {e}", path.display())));
        }
    }
    Ok(match report.verdict {
        Verdict::Verified => Exit::Ok,
        Verdict::Failed => Exit::CheckFailed,
        Verdict::Incomplete => Exit::InputUnusable,
    })
}
