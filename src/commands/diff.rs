use super::{load_one, print_out, style_for, EXIT_CHECK_FAILED, EXIT_INPUT};
use paramscope::cli::DiffArgs;
use paramscope::diff;
use paramscope::format::LoadOptions;
use paramscope::render::{self, OutputFormat};
use std::process::ExitCode;

pub fn run(args: DiffArgs) -> ExitCode {
    let options = LoadOptions {
        follow_symlinks: args.read.follow_symlinks,
        ..LoadOptions::default()
    };
    let format = args.output.format;
    let a = load_one(&args.a, options, format);
    let b = load_one(&args.b, options, format);
    let (Some(a), Some(b)) = (a, b) else {
        return ExitCode::from(EXIT_INPUT);
    };
    let (report, _pairs) = diff::compare(&a, &b);
    let out = match format {
        OutputFormat::Json => render::json::to_string(&report),
        f => render::diff::render(&report, style_for(f), args.limit),
    };
    print_out(&out);
    if report.structure_identical {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_CHECK_FAILED)
    }
}
