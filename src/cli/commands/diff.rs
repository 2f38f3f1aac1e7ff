//! `diff A B`: what changed between two checkpoints (exit 1 when they differ).

use crate::args::{DiffArgs, OutputFormat};
use crate::exit::{Exit, Outcome};
use crate::input::load_one;
use crate::output::{error_object, print_load_error, style_for, Output};
use paramscope::diff::{self, values::Tolerance, DiffOptions};
use paramscope::format::error::LoadError;
use paramscope::render;

pub fn run(args: DiffArgs, out: &mut Output) -> Outcome {
    let _fetch = crate::progress::remote_fetch([args.a.as_path(), args.b.as_path()]);
    let format = args.output.format;
    let json = format == OutputFormat::Json;
    if args.values {
        super::refuse_remote(&[&args.a, &args.b], "diff --values")?;
    }
    let load_options = super::load_options(&args.read);
    let quant = super::with_quant(&args.read, &[args.a.clone(), args.b.clone()]);
    let (a_path, b_path) = (&quant[0], &quant[1]);
    // Both sides are read (and their problems written) before either is refused.
    let revision = args.read.revision.as_deref();
    let a = load_one(a_path, load_options, revision, json);
    let b = load_one(b_path, load_options, revision, json);
    let (a, b) = match (a?, b?) {
        (Ok(a), Ok(b)) => (a, b),
        (a, b) => {
            if json {
                let failures: Vec<_> = [a.err(), b.err()].into_iter().flatten().flatten().collect();
                out.print(&error_object(&failures));
            }
            return Ok(Exit::InputUnusable);
        }
    };
    let options = DiffOptions {
        group_by: args.group_by,
        renames: args.renames,
        identical: args.identical,
        values: args.values.then_some(Tolerance {
            atol: args.atol,
            rtol: args.rtol,
        }),
    };
    let report = match diff::diff(&a, &b, &options) {
        Ok(report) => report,
        Err(e) => {
            let e = LoadError::from(e);
            print_load_error(&e, json);
            if json {
                out.print(&error_object(&[(a.path.clone(), e)]));
            }
            return Ok(Exit::InputUnusable);
        }
    };
    out.print(&match format {
        OutputFormat::Json => render::json::to_string(&report),
        f => render::diff::render(&report, style_for(f), args.limit),
    });
    Ok(if report.differs() {
        Exit::CheckFailed
    } else {
        Exit::Ok
    })
}
