use super::{load_all, print_out, style_for, usage_error, EXIT_INPUT};
use crate::args::InspectArgs;
use paramscope::format::LoadOptions;
use paramscope::inspect::{self, InspectOptions, MultiReport};
use paramscope::model::filter::TensorFilter;
use paramscope::render::{self, OutputFormat};
use std::process::ExitCode;

pub fn run(args: InspectArgs) -> ExitCode {
    let filter = match TensorFilter::new(&args.filter) {
        Ok(f) => f,
        Err(e) => return usage_error(&format!("--filter: {e}")),
    };
    let options = InspectOptions {
        filter: Some(filter),
        list_tensors: args.tensors,
        sort: args.sort,
        limit: args.limit,
        group_by: args.group_by,
        tree: args
            .tree
            .then_some(args.depth.map(|d| usize::try_from(d).unwrap_or(usize::MAX))),
        metadata: args.metadata,
    };
    let load_options = LoadOptions {
        follow_symlinks: args.read.follow_symlinks,
        metadata: args.metadata,
    };
    let Some(format) = args.output.format.common().filter(|_| !args.recursive) else {
        return super::inspect_walk::run(&args, &options, load_options);
    };
    let (checkpoints, failed) = load_all(&args.paths, load_options, format);
    let reports: Vec<_> = checkpoints
        .iter()
        .map(|c| inspect::inspect(c, &options))
        .collect();
    // Several paths promise `{checkpoints, total}` in JSON even when only one of them could be read, so a script
    // sees the same shape whichever input broke (several parts of one GGUF that all load are one checkpoint).
    let several =
        reports.len() > 1 || (failed && args.paths.len() > 1 && format == OutputFormat::Json);
    let out = match reports.len() {
        0 => String::new(),
        1 if !several => match format {
            OutputFormat::Json => render::json::to_string(&reports[0]),
            f => render::inspect::render_explained(&reports[0], style_for(f), args.explain),
        },
        _ => {
            let multi = MultiReport::new(reports);
            match format {
                OutputFormat::Json => render::json::to_string(&multi),
                f => render::inspect::render_multi(&multi, style_for(f)),
            }
        }
    };
    print_out(&out);
    // Freeing a 100k-tensor description one string at a time costs more than the process exit that follows.
    std::mem::forget(checkpoints);
    if failed {
        ExitCode::from(EXIT_INPUT)
    } else {
        ExitCode::SUCCESS
    }
}
