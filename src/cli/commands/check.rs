//! `check`: rules from flags and `--rules FILE`, evaluated on each checkpoint as it is read; a line per rule
//! (or JSON, JSON Lines, GitHub annotations) and optionally a JUnit file. Exit 0 all pass, 1 a rule failed,
//! 2 a checkpoint was unreadable or the usage wrong.

use crate::args::CheckArgs;
use crate::exit::{Exit, Outcome, UsageError};
use crate::input::overwritten_input;
use crate::output::{print_load_error, Output};
use paramscope::check::{self, settings, settings::RuleSettings, CheckReport, Summary};
use paramscope::format::error::LoadError;
use paramscope::render;
use paramscope::render::check::{self as view, junit, CheckFormat};
use paramscope::stats::ScanOptions;
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};

pub fn run(mut args: CheckArgs, out: &mut Output) -> Outcome {
    let _fetch = crate::progress::remote_fetch(args.paths.iter().map(std::path::PathBuf::as_path));
    args.paths = super::with_quant(&args.read, &args.paths);
    let flags = RuleSettings::from(args.rules);
    let format = CheckFormat::from(args.format);
    let settings = match &args.rules_file {
        Some(path) => match settings::read_file(path) {
            Ok(file) => flags.over(file),
            // Not escaped: the TOML parser's message spans lines, quoting the file.
            Err(e) => return Err(UsageError(e.to_string())),
        },
        None => flags,
    };
    if let Some(junit) = &args.junit {
        let others = [
            &args.rules_file,
            &settings.baseline,
            &settings.expect_tensors,
            &settings.verify_sha256,
        ];
        let others = others.into_iter().flatten().map(|p| p.as_path());
        if let Some(input) = overwritten_input(junit, &args.paths, args.recursive, others) {
            return Err(UsageError(format!(
                "--junit {} is the input {}; paramscope does not write over a file it reads",
                junit.display(),
                input.display()
            )));
        }
    }
    let rules = match settings.into_rules() {
        Ok(r) => r,
        // The message may quote a tensor name from an expectations file.
        Err(e) => return Err(UsageError(render::escape(&e.to_string()).into_owned())),
    };
    let mut junit_file = match &args.junit {
        Some(path) => match File::create(path) {
            Ok(f) => {
                let mut w = BufWriter::new(f);
                if let Err(e) = w.write_all(junit::HEADER.as_bytes()) {
                    return Err(UsageError(format!("--junit {}: {e}", path.display())));
                }
                Some((path, w))
            }
            Err(e) => return Err(UsageError(format!("--junit {}: {e}", path.display()))),
        },
        None => None,
    };
    let load_options = super::load_options(&args.read);
    let colour = render::colour_wanted(std::io::stdout().is_terminal());
    let mut summary = Summary::default();
    let mut collected: Vec<CheckReport> = Vec::new();
    let mut junit_error = None;

    let revision = args.read.revision.as_deref();
    crate::input::each_checkpoint(&args.paths, args.recursive, revision, |found| {
        // No progress bar: check's output is a log read later, and a scan is one step of a longer gate.
        let checked = found
            .map_err(|e| (e.path.clone(), LoadError::from(e)))
            .and_then(|source| {
                check::check_source(&source, &rules, load_options, &ScanOptions::default())
            });
        let report = match checked {
            Ok(report) => report,
            Err((path, e)) => {
                // Every subcommand's JSON keeps the problem on stderr too (one JSON line each), as on a table.
                if matches!(format, CheckFormat::Table | CheckFormat::Json) {
                    print_load_error(&e, format == CheckFormat::Json);
                }
                check::unreadable(&path, &e)
            }
        };
        summary.add(&report);
        if let Some((_, w)) = &mut junit_file {
            if let Err(e) = w.write_all(junit::suite(&report).as_bytes()) {
                junit_error.get_or_insert(e);
            }
        }
        match format {
            CheckFormat::Table if args.brief => out.print(&render::brief::check_line(&report)),
            CheckFormat::Table => out.print(&view::text(&report, colour, args.verbose)),
            CheckFormat::Github => out.print(&view::github(&report)),
            CheckFormat::Jsonl => out.print(&view::to_json(&report).to_string()),
            CheckFormat::Json => collected.push(report),
        }
    });

    // The JUnit file is closed first, so that it is well-formed whatever happens next.
    if let Some((path, mut w)) = junit_file {
        let written = w
            .write_all(junit::FOOTER.as_bytes())
            .and_then(|_| w.flush());
        if let Some(e) = junit_error.or(written.err()) {
            return Err(UsageError(format!("--junit {}: {e}", path.display())));
        }
    }
    match format {
        CheckFormat::Json => out.print(&render::json::to_string(&view::to_json_collected(
            &collected,
        ))),
        // `--brief` is its one line per checkpoint, no summary after.
        CheckFormat::Table if args.brief => {}
        CheckFormat::Table | CheckFormat::Github if summary.checkpoints > 1 => {
            out.print(&view::summary_line(&summary))
        }
        _ => {}
    }
    Ok(if summary.unreadable > 0 {
        Exit::InputUnusable
    } else if summary.failed > 0 {
        Exit::CheckFailed
    } else {
        Exit::Ok
    })
}
