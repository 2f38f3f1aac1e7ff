use super::{load_one, print_out, style_for, EXIT_CHECK_FAILED, EXIT_INPUT};
use crate::args::DiffArgs;
use paramscope::diff::{self, bytes, gguf_names, values, Identical};
use paramscope::format::error::LoadError;
use paramscope::format::LoadOptions;
use paramscope::interpret::classify;
use paramscope::interpret::hf_config::{self, ModelConfig};
use paramscope::model::checkpoint::Checkpoint;
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
    let (a, b, mut name_mapping) = gguf_names::align(a, b);
    let (config_a, config_b) = (config_of(&a), config_of(&b));
    let (classified_a, classified_b) = (
        classify::classify(&a.tensors, config_a.as_ref()),
        classify::classify(&b.tensors, config_b.as_ref()),
    );
    let classified = [classified_a.as_slice(), classified_b.as_slice()];
    let (mut report, mut pairs) = diff::compare(&a, &b, classified);
    if let Some(m) = &mut name_mapping {
        gguf_names::attach_rope(m, &mut pairs, if m.gguf_side == "a" { &a } else { &b });
    }
    report.name_mapping = name_mapping;
    if let Some(by) = args.group_by {
        report.groups = Some(diff::groups::group_deltas(&a, &b, by, classified, &pairs));
    }
    let mut data_steps = || -> Result<(), paramscope::format::error::InputError> {
        if args.renames {
            let renames = bytes::find_renames(&a, &b, &report.only_in_a, &report.only_in_b)?;
            report.apply_renames(renames);
        }
        if args.identical {
            let first = bytes::first_difference(&a, &b, &pairs)?;
            let structural = !report.structure_identical;
            report.identical = Some(Identical {
                identical: first.is_none() && !structural,
                first_difference: first,
            });
        }
        if args.values {
            let tol = values::Tolerance {
                atol: args.atol,
                rtol: args.rtol,
            };
            report.values = Some(values::compare_values(&a, &b, &pairs, tol)?);
        }
        Ok(())
    };
    if let Err(e) = data_steps() {
        super::print_load_error(&LoadError::from(e), format);
        return ExitCode::from(EXIT_INPUT);
    }
    let out = match format {
        OutputFormat::Json => render::json::to_string(&report),
        f => render::diff::render(&report, style_for(f), args.limit),
    };
    print_out(&out);
    if report.differs() {
        ExitCode::from(EXIT_CHECK_FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

/// A broken `config.json` only loses the logical counts its quantization fields would give; inspect says why.
fn config_of(c: &Checkpoint) -> Option<ModelConfig> {
    hf_config::for_checkpoint(c).and_then(Result::ok)
}
