//! `footprint`: the memory a checkpoint takes; with `--fits`, whether it fits (exit 1 when not).

use crate::args::{FootprintArgs, OutputFormat};
use crate::exit::{Exit, Outcome};
use crate::input::load_one;
use crate::output::{print_load_error, style_for, Output};
use paramscope::footprint::{self, ArchitectureSource, FootprintOptions};
use paramscope::format::error::LoadError;
use paramscope::render;

pub fn run(args: FootprintArgs, out: &mut Output) -> Outcome {
    let format = args.output.format;
    let json = format == OutputFormat::Json;
    let Some(checkpoint) = load_one(
        &args.path,
        super::load_options(&args.read),
        args.read.revision.as_deref(),
        json,
    )?
    else {
        return Ok(Exit::InputUnusable);
    };
    let options = FootprintOptions {
        context: args.context,
        batch: args.batch,
        kv_dtype: args.kv_dtype,
        group_size: args.group_size,
        overhead_percent: args.overhead,
        training: args.training.map(Into::into),
        fits: args.fits,
        device_overhead: args.device_overhead,
        architecture: match (args.config, args.layers, args.kv_heads, args.head_dim) {
            (Some(path), ..) => ArchitectureSource::ConfigFile(path),
            (None, Some(layers), Some(kv_heads), Some(head_dim)) => ArchitectureSource::Given {
                layers,
                kv_heads,
                head_dim,
                max_context: args.max_context,
            },
            _ => ArchitectureSource::Checkpoint,
        },
    };
    let report = match footprint::footprint(&checkpoint, &options) {
        Ok(report) => report,
        Err(e) => {
            print_load_error(&LoadError::from(e), json);
            return Ok(Exit::InputUnusable);
        }
    };
    out.print(&match format {
        OutputFormat::Json => render::json::to_string(&report),
        f => render::footprint::render(&report, style_for(f)),
    });
    Ok(match report.fits {
        Some(f) if !f.fits => Exit::CheckFailed,
        _ => Exit::Ok,
    })
}
