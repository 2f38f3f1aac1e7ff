//! `inspect --recursive` and `inspect --format jsonl`: checkpoints read, reported and dropped one at a time, so a
//! model store of any size is walked in constant memory (except `--format json`, which is one object at the end).

use super::{print_load_error, print_out, style_for, EXIT_INPUT};
use crate::args::InspectArgs;
use paramscope::format::discover::walk;
use paramscope::format::LoadOptions;
use paramscope::inspect::{self, InspectOptions, MultiReport};
use paramscope::render::{self, InspectFormat, OutputFormat};
use std::process::ExitCode;

pub fn run(args: &InspectArgs, options: &InspectOptions, load_options: LoadOptions) -> ExitCode {
    let format = args.output.format;
    let mut failed = false;
    let mut collected = Vec::new();
    walk::each_checkpoint(&args.paths, args.recursive, |source| {
        match (walk::load(source, load_options), format.common()) {
            (Ok(checkpoint), None) => {
                let report = inspect::inspect(&checkpoint, options);
                print_out(&serde_json::to_string(&report).expect("report serialises"));
            }
            (Ok(checkpoint), Some(OutputFormat::Json)) => {
                collected.push(inspect::inspect(&checkpoint, options));
            }
            (Ok(checkpoint), Some(f)) => {
                let report = inspect::inspect(&checkpoint, options);
                print_out(&format!(
                    "{}\n",
                    render::inspect::render_explained(&report, style_for(f), args.explain)
                ));
            }
            (Err((path, e)), None) => {
                failed = true;
                let line = serde_json::json!({"path": path.to_string_lossy(), "errors": e.rows()});
                print_out(&line.to_string());
            }
            (Err((_, e)), Some(f)) => {
                failed = true;
                print_load_error(&e, f);
            }
        }
    });
    if format == InspectFormat::Json {
        let out = if collected.len() == 1 {
            render::json::to_string(&collected[0])
        } else {
            render::json::to_string(&MultiReport::new(collected))
        };
        print_out(&out);
    }
    if failed {
        ExitCode::from(EXIT_INPUT)
    } else {
        ExitCode::SUCCESS
    }
}
