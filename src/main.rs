use clap::Parser;
use paramscope::cli::{Cli, Command, InspectArgs};
use paramscope::error::LoadError;
use paramscope::filter::TensorFilter;
use paramscope::format::{self, LoadOptions};
use paramscope::inspect::{self, InspectOptions, MultiReport};
use paramscope::render::{self, text::Style, OutputFormat};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

/// Exit codes, in one place: 0 ok, 1 a check failed, 2 unusable input or usage.
const EXIT_INPUT: u8 = 2;
/// How many problems to print per checkpoint before summarising the rest.
const MAX_PROBLEMS_SHOWN: usize = 50;

fn main() -> ExitCode {
    let args = paramscope::cli::with_default_subcommand(std::env::args_os().collect());
    let cli = Cli::parse_from(args);
    match cli.command {
        Command::Inspect(args) => run_inspect(args),
    }
}

fn style_for(format: OutputFormat) -> Style {
    match format {
        OutputFormat::Markdown => Style::Markdown,
        _ => Style::Terminal {
            colour: render::colour_wanted(std::io::stdout().is_terminal()),
        },
    }
}

fn print_load_error(e: &LoadError) {
    let mut stderr = std::io::stderr().lock();
    for err in e.errors.iter().take(MAX_PROBLEMS_SHOWN) {
        let _ = writeln!(stderr, "error: {}", render::escape(&err.to_string()));
    }
    if e.errors.len() > MAX_PROBLEMS_SHOWN {
        let _ = writeln!(
            stderr,
            "error: … and {} more problems",
            e.errors.len() - MAX_PROBLEMS_SHOWN
        );
    }
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(EXIT_INPUT)
}

fn run_inspect(args: InspectArgs) -> ExitCode {
    let filter = match TensorFilter::new(&args.filter) {
        Ok(f) => f,
        Err(e) => return usage_error(&format!("--filter: {e}")),
    };
    let options = InspectOptions {
        filter: Some(filter),
        list_tensors: args.tensors,
        sort: args.sort,
        limit: args.limit,
    };
    let load_options = LoadOptions {
        follow_symlinks: args.read.follow_symlinks,
    };
    let mut reports = Vec::new();
    let mut failed = false;
    for path in &args.paths {
        let sources = match format::discover(path) {
            Ok(s) => s,
            Err(e) => {
                print_load_error(&e.into());
                failed = true;
                continue;
            }
        };
        for source in sources {
            match format::load(&source, load_options) {
                Ok(checkpoint) => reports.push(inspect::inspect(&checkpoint, &options)),
                Err(e) => {
                    print_load_error(&e);
                    failed = true;
                }
            }
        }
    }
    let out = if reports.len() == 1 {
        let report = &reports[0];
        match args.output.format {
            OutputFormat::Json => render::json::to_string(report),
            f => render::inspect::render(report, style_for(f)),
        }
    } else if reports.is_empty() {
        String::new()
    } else {
        let multi = MultiReport {
            total: inspect::grand_total(&reports),
            checkpoints: reports,
        };
        match args.output.format {
            OutputFormat::Json => render::json::to_string(&multi),
            f => render::inspect::render_multi(&multi, style_for(f)),
        }
    };
    if !out.is_empty() {
        let mut stdout = std::io::stdout().lock();
        // A closed pipe (`| head`) is not an error worth a message.
        let _ = writeln!(stdout, "{}", out.trim_end());
    }
    if failed {
        ExitCode::from(EXIT_INPUT)
    } else {
        ExitCode::SUCCESS
    }
}
