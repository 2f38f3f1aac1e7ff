//! `footprint`: the memory a checkpoint takes; with `--fits`, whether it fits (exit 1 when not).

use crate::args::{FootprintArgs, OutputFormat};
use crate::exit::{Exit, Outcome};
use crate::input::load_one;
use crate::output::{error_object, print_load_error, style_for, Output};
use paramscope::footprint::{self, ArchitectureSource, FootprintOptions};
use paramscope::format::error::LoadError;
use paramscope::render;

pub fn run(args: FootprintArgs, out: &mut Output) -> Outcome {
    let _fetch = crate::progress::remote_fetch([args.path.as_path()]);
    let format = args.output.format;
    let json = format == OutputFormat::Json;
    let path = super::with_quant(&args.read, std::slice::from_ref(&args.path)).remove(0);
    let checkpoint = match load_one(
        &path,
        super::load_options(&args.read),
        args.read.revision.as_deref(),
        json,
    )? {
        Ok(checkpoint) => checkpoint,
        Err(failures) => {
            if json {
                out.print(&error_object(&failures));
            }
            return Ok(Exit::InputUnusable);
        }
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
            let e = LoadError::from(e);
            print_load_error(&e, json);
            if json {
                out.print(&error_object(&[(checkpoint.path.clone(), e)]));
            }
            return Ok(Exit::InputUnusable);
        }
    };
    out.print(&match format {
        OutputFormat::Json => render::json::to_string(&report),
        f => render::footprint::render_files(&report, style_for(f), args.files),
    });
    Ok(match report.fits {
        Some(f) if !f.fits => Exit::CheckFailed,
        _ => Exit::Ok,
    })
}
