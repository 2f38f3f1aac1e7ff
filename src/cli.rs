//! Command-line interface (clap derive). Flags are defined once, here, with their help text.

use crate::inspect::SortKey;
use crate::render::OutputFormat;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "paramscope",
    version,
    about = "Inspect model weight files without loading them: parameters, dtypes, structure, integrity.",
    after_help = "Exit codes: 0 ok, 1 a check failed, 2 unusable input or usage.\n\n\
Examples:\n  paramscope inspect model.safetensors\n  paramscope inspect ./Llama-3.1-8B/ --format json\n  \
paramscope model.safetensors.index.json          (a path alone runs inspect)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Summarise checkpoints from their headers: tensors, parameters, dtypes, files, metadata.
    #[command(after_help = "Examples:\n  paramscope inspect model.safetensors\n  \
paramscope inspect model.safetensors.index.json --tensors --sort size --limit 20\n  \
paramscope inspect ./model-dir --filter '*.layers.0.*' --format json\n  \
paramscope inspect a.safetensors b.safetensors      (one report each, then a total)")]
    Inspect(InspectArgs),
    /// Value statistics of every tensor: min, max, mean, std, zeros, NaN, Inf, subnormals (reads all the data).
    #[command(after_help = "Examples:\n  paramscope stats model.safetensors\n  \
paramscope stats ./Llama-3.1-8B/ --tensors --filter '*.layers.0.*'\n  \
paramscope stats model.safetensors --hist --tensors\n  \
paramscope stats model.safetensors --format json      (every tensor's statistics)")]
    Stats(StatsArgs),
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Safetensors files, `*.safetensors.index.json` files, or model folders.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub read: ReadArgs,

    /// Only tensors whose name matches this glob (repeatable; `*` crosses dots).
    #[arg(long, value_name = "GLOB")]
    pub filter: Vec<String>,

    /// List every tensor's statistics in the table (JSON always has them).
    #[arg(long)]
    pub tensors: bool,

    /// A histogram of magnitudes per tensor (one bin per power of two).
    #[arg(long)]
    pub hist: bool,

    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,

    /// Bytes per unit of parallel work (for tests and benchmarks).
    #[arg(long, hide = true, value_name = "BYTES")]
    pub chunk_bytes: Option<u64>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Safetensors files, `*.safetensors.index.json` files, or model folders.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub read: ReadArgs,

    /// List every tensor (name, dtype, shape, parameters, bytes, file, offsets).
    #[arg(long)]
    pub tensors: bool,

    /// Order of the tensor list.
    #[arg(long, value_enum, default_value_t = SortKey::File)]
    pub sort: SortKey,

    /// Only tensors whose name matches this glob (repeatable; `*` crosses dots). Totals then say they are filtered.
    #[arg(long, value_name = "GLOB")]
    pub filter: Vec<String>,

    /// List at most N tensors.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct ReadArgs {
    /// Follow symlinked shards even when they point outside the checkpoint's folder.
    #[arg(long)]
    pub follow_symlinks: bool,
}

/// `paramscope PATH…` means `paramscope inspect PATH…`: insert the subcommand when the first argument is
/// neither a subcommand nor a flag.
pub fn with_default_subcommand(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    use clap::CommandFactory;
    let Some(first) = args.get(1).and_then(|a| a.to_str()) else {
        return args;
    };
    let known = Cli::command()
        .get_subcommands()
        .any(|s| s.get_name() == first || s.get_all_aliases().any(|a| a == first))
        || first == "help";
    if !known && !first.starts_with('-') {
        args.insert(1, "inspect".into());
    }
    args
}
