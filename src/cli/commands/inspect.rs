//! `inspect`: every checkpoint named, read and reported; with `--recursive` or `--format jsonl`, read, reported and
//! dropped one at a time, so that a model store of any size is walked in constant memory (except `--format json`,
//! which is one object at the end).

use crate::args::{InspectArgs, InspectFormat, OutputFormat};
use crate::exit::{Exit, Outcome, UsageError};
use crate::input::{self, load_all};
use crate::output::{error_object, load_error_line, print_load_error, several, style_for, Output};
use paramscope::format::discover::walk;
use paramscope::format::LoadOptions;
use paramscope::inspect::{self, InspectOptions, InspectReport, MultiReport};
use paramscope::model::filter::TensorFilter;
use paramscope::render;

pub fn run(mut args: InspectArgs, out: &mut Output) -> Outcome {
    let _fetch = crate::progress::remote_fetch(args.paths.iter().map(std::path::PathBuf::as_path));
    args.paths = super::with_quant(&args.read, &args.paths);
    let filter =
        TensorFilter::new(&args.filter).map_err(|e| UsageError(format!("--filter: {e}")))?;
    let options = InspectOptions {
        filter: Some(filter),
        // Asking for an order or a length of the tensor list asks for the list.
        list_tensors: args.tensors || args.sort.is_some() || args.limit.is_some(),
        sort: args.sort.unwrap_or_default().into(),
        limit: args.limit,
        group_by: args.group_by,
        tree: args
            .tree
            .then_some(args.depth.map(|d| usize::try_from(d).unwrap_or(usize::MAX))),
        metadata: args.metadata.into(),
    };
    let load_options = LoadOptions {
        metadata: args.metadata.into(),
    };
    match args.output.format.common().filter(|_| !args.recursive) {
        Some(format) => whole(&args, &options, load_options, format, out),
        None => walked(&args, &options, load_options, out),
    }
}

/// Every checkpoint read first, then one report (or one per checkpoint and a total).
fn whole(
    args: &InspectArgs,
    options: &InspectOptions,
    load_options: LoadOptions,
    format: OutputFormat,
    out: &mut Output,
) -> Outcome {
    let json = format == OutputFormat::Json;
    let (checkpoints, failed) = load_all(
        &args.paths,
        load_options,
        args.read.revision.as_deref(),
        json,
    );
    let reports: Vec<InspectReport> = checkpoints
        .iter()
        .map(|c| inspect::inspect(c, options))
        .collect();
    let several = several(reports.len(), reports.len() + failed.len(), json);
    let view = view(args);
    let text = match reports.len() {
        0 if json && !failed.is_empty() => error_object(&failed),
        0 => String::new(),
        _ if args.brief && !json => reports.iter().map(brief).collect(),
        1 if !several => match format {
            OutputFormat::Json => render::json::to_string(&reports[0]),
            f => render::inspect::render_view(&reports[0], style_for(f), view),
        },
        _ => {
            let multi = MultiReport::new(reports);
            match format {
                OutputFormat::Json => render::json::to_string(&multi),
                f => render::inspect::render_multi_view(&multi, style_for(f), view),
            }
        }
    };
    out.print(&text);
    // Freeing a 100k-tensor description one string at a time costs more than the process exit that follows.
    std::mem::forget(checkpoints);
    Ok(Exit::input(!failed.is_empty()))
}

fn view(args: &InspectArgs) -> render::inspect::View {
    render::inspect::View {
        explain: args.explain,
        all_files: args.files,
    }
}

/// `--brief`: the checkpoint's one line.
fn brief(report: &InspectReport) -> String {
    format!("{}\n", render::brief::line(report))
}

/// `--recursive` or `--format jsonl`: each checkpoint reported as it is read.
fn walked(
    args: &InspectArgs,
    options: &InspectOptions,
    load_options: LoadOptions,
    out: &mut Output,
) -> Outcome {
    let format = args.output.format;
    let mut failed = false;
    let mut collected = Vec::new();
    let revision = args.read.revision.as_deref();
    input::each_checkpoint(&args.paths, args.recursive, revision, |source| {
        match (walk::load(source, load_options), format.common()) {
            (Ok(checkpoint), None) => {
                let report = inspect::inspect(&checkpoint, options);
                out.print(&serde_json::to_string(&report).expect("report serialises"));
            }
            (Ok(checkpoint), Some(OutputFormat::Json)) => {
                collected.push(inspect::inspect(&checkpoint, options));
            }
            (Ok(checkpoint), Some(_)) if args.brief => {
                out.print(&brief(&inspect::inspect(&checkpoint, options)));
            }
            (Ok(checkpoint), Some(f)) => {
                let report = inspect::inspect(&checkpoint, options);
                out.print(&format!(
                    "{}\n",
                    render::inspect::render_view(&report, style_for(f), view(args))
                ));
            }
            (Err((path, e)), None) => {
                failed = true;
                out.print(&load_error_line(&path, &e));
            }
            (Err((_, e)), Some(f)) => {
                failed = true;
                print_load_error(&e, f == OutputFormat::Json);
            }
        }
    });
    if format == InspectFormat::Json {
        let text = if collected.len() == 1 {
            render::json::to_string(&collected[0])
        } else {
            render::json::to_string(&MultiReport::new(collected))
        };
        out.print(&text);
    }
    Ok(Exit::input(failed))
}
