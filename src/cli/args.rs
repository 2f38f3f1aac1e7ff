//! Command-line interface (clap derive). Flags are defined once, here, with their help text.

use clap::{Args, Parser, Subcommand};
use paramscope::check::limit::{Growth, Limit};
use paramscope::check::settings::{self, RuleSettings};
use paramscope::footprint;
use paramscope::inspect;
use paramscope::model::dtype::DType;
use paramscope::model::metadata;
use paramscope::model::quantity;
use paramscope::render::check::CheckFormat;
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
    #[command(display_order = 1)]
    Inspect(InspectArgs),
    /// Compare two checkpoints by tensor name: added, removed and changed tensors, parameter and byte deltas.
    #[command(
        after_help = "Exit codes: 0 no difference, 1 different, 2 unusable input.\n\nExamples:\n  \
paramscope diff base/ finetuned/\n  \
paramscope diff model.safetensors converted/model.safetensors.index.json --format json\n  \
paramscope diff model-f32.safetensors model-bf16.safetensors --values --rtol 0.01\n  \
paramscope diff original/ resharded/ --identical"
    )]
    #[command(display_order = 4)]
    Diff(DiffArgs),
    /// Memory footprint: on disk, in memory at stored and other precisions, KV cache, training.
    #[command(after_help = "Examples:\n  paramscope footprint ./Llama-3.1-8B\n  \
paramscope footprint model.safetensors.index.json --context 32768 --batch 4 --kv-dtype f8\n  \
paramscope footprint ./model --training adam --format json\n  \
paramscope footprint ./Llama-3.1-70B --fits 80GiB      (exit 1 if it does not fit)")]
    #[command(display_order = 3)]
    Footprint(FootprintArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "Examples:\n  paramscope completions bash > ~/.local/share/bash-completion/completions/paramscope\n  \
paramscope completions zsh > ~/.zfunc/_paramscope\n  paramscope completions fish > ~/.config/fish/completions/paramscope.fish"
    )]
    #[command(display_order = 7)]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a man page (roff) to standard output, or write them all to a folder.
    #[command(
        after_help = "Examples:\n  paramscope man --dir /usr/local/share/man/man1      \
(paramscope.1 and paramscope-SUBCOMMAND.1 for each subcommand)\n  \
paramscope man > paramscope.1\n  paramscope man check > paramscope-check.1"
    )]
    #[command(display_order = 8)]
    Man {
        /// The subcommand whose page (paramscope-SUBCOMMAND) to print; the main page without it.
        #[arg(value_name = "SUBCOMMAND")]
        subcommand: Option<String>,
        /// Write paramscope.1 and a paramscope-SUBCOMMAND.1 for every subcommand into this folder.
        #[arg(long, value_name = "DIR", conflicts_with = "subcommand")]
        dir: Option<PathBuf>,
    },
    /// Value statistics of every tensor: min, max, mean, std, zeros, NaN, Inf, subnormals (reads all the data).
    #[command(after_help = "Examples:\n  paramscope stats model.safetensors\n  \
paramscope stats ./Llama-3.1-8B/ --tensors --filter '*.layers.0.*'\n  \
paramscope stats model.safetensors --hist --tensors\n  \
paramscope stats model.safetensors --format json      (every tensor's statistics)")]
    #[command(display_order = 5)]
    Stats(StatsArgs),
    /// Fail (exit 1) when a checkpoint breaks a rule: parameter and byte limits, dtypes, expected tensors, growth
    /// over a baseline; a line per rule. For CI.
    #[command(
        after_help = "Exit codes: 0 every rule passed, 1 a rule failed, 2 unusable input or usage.\n\n\
Examples:\n  paramscope check ./Llama-3.1-8B --max-params 8.1B --max-file-bytes 5GB --dtype BF16\n  \
paramscope check model.safetensors --rules paramscope.toml --format github --junit check.xml\n  \
paramscope check model.safetensors --baseline main.json --max-growth 2%\n  \
paramscope check --recursive /models --max-bytes 200GiB --format jsonl"
    )]
    #[command(display_order = 2)]
    Check(Box<CheckArgs>),
    /// Hash every weight file (SHA-256, a file per core) and compare with reference hashes: a manifest or a
    /// digest (--sha256), the Hugging Face cache's blob names. Reads all the data.
    #[command(
        after_help = "Exit codes: 0 every file verified, 1 a file differs from its reference or is missing, \
2 unusable input or a file with no reference hash (unverified: not proven wrong, not verified either).\n\n\
Examples:\n  paramscope verify ~/.cache/huggingface/hub/models--Qwen--Qwen2.5-7B      (the snapshot refs/main names)\n  \
paramscope verify ./release --sha256 ./release/SHA256SUMS\n  \
paramscope verify model.gguf --sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n  \
paramscope verify ./model --sha256 SHA256SUMS --format github --junit verify.xml"
    )]
    #[command(display_order = 6)]
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Files, `*.safetensors.index.json` files (with their shards), model folders, Hugging Face cache snapshots
    /// or repository folders (`models--ORG--NAME`).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Reference hashes: a manifest in `sha256sum`/`shasum` format (paths relative to it), or the SHA-256 of the
    /// one file named, as 64 hex digits (name a manifest called like a digest as `./HEX`).
    #[arg(long, value_name = "FILE|HEX")]
    pub sha256: Option<PathBuf>,

    /// Reference hashes from a Hub repository's tree listing (`hf://ORG/REPO[@REVISION]`): each file's LFS
    /// SHA-256 and size (git's blob id for small files), for the local copy named; nothing else is downloaded.
    #[arg(long, value_name = "hf://ORG/REPO[@REV]")]
    pub against: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: VerifyFormatArg,

    /// Also write a JUnit XML report to FILE (a test case per file).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Safetensors or GGUF files, `*.safetensors.index.json` files, or model folders (with --recursive: folders to
    /// search).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub rules: RuleArgs,

    // After the flattened rules, clap would file every later option under their heading: each says its own.
    /// Rules from a TOML file whose keys are the rule flags (`max-params = "8.1B"`); flags override it.
    #[arg(long = "rules", value_name = "FILE", help_heading = "Input")]
    pub rules_file: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t, help_heading = "Output")]
    pub format: CheckFormatArg,

    /// Also write a JUnit XML report to FILE (a test suite per checkpoint, a test case per rule).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub junit: Option<PathBuf>,

    /// Check every checkpoint under each PATH, one at a time.
    #[arg(long, short, help_heading = "Input")]
    pub recursive: bool,

    /// List every tensor behind a dtype rule's verdict (the table counts them by dtype).
    #[arg(long, short)]
    pub verbose: bool,

    /// One line per checkpoint (PASS, FAIL and the rules that failed, or ERROR and why), with --recursive too;
    /// the table format only.
    #[arg(long, help_heading = "Output")]
    pub brief: bool,

    #[command(flatten, next_help_heading = "Input")]
    pub read: ReadArgs,
}

/// The rule flags: the library's [`RuleSettings`], field for field (the rules file takes the same names as keys).
#[derive(Debug, Args)]
#[command(next_help_heading = "Rules")]
pub struct RuleArgs {
    /// Fail above this many parameters: an integer (8030261248, 8,030,261,248) or K/M/B/T, powers of 1000 (8.1B).
    #[arg(long, value_name = "COUNT", value_parser = Limit::count)]
    pub max_params: Option<Limit>,

    /// Fail below this many parameters.
    #[arg(long, value_name = "COUNT", value_parser = Limit::count)]
    pub min_params: Option<Limit>,

    /// Fail above this many parameters per token: a MoE model's used experts only (inspect's active parameters),
    /// a dense model's all; fails when config.json lacks the routing fields.
    #[arg(long, value_name = "COUNT", value_parser = Limit::count)]
    pub max_active_params: Option<Limit>,

    /// Fail above this much tensor data (the sum of tensor bytes, headers excluded): 16GiB, 15GB, 16060522496.
    /// Fail above this many logical parameters (packed 4-bit weights counted as the weights they stand for,
    /// quantization auxiliaries left out: the count `inspect` shows as logical).
    #[arg(long, value_name = "COUNT", value_parser = Limit::count)]
    pub max_logical_params: Option<Limit>,

    /// Fail below this many logical parameters (`--min-logical-params 7B` passes a 4-bit 8B model).
    #[arg(long, value_name = "COUNT", value_parser = Limit::count)]
    pub min_logical_params: Option<Limit>,

    /// Fail above this much tensor data (the sum of tensor bytes, headers excluded): 16GiB, 15GB, 16060522496B.
    #[arg(long, value_name = "BYTES", value_parser = Limit::bytes)]
    pub max_bytes: Option<Limit>,

    /// Fail when any file (shard) is larger than this on disk, headers included: 5GB, 4GiB.
    #[arg(long, value_name = "BYTES", value_parser = Limit::bytes)]
    pub max_file_bytes: Option<Limit>,

    /// Allowed dtypes, as `inspect` spells them: safetensors names, and ggml types such as Q4_K for GGUF
    /// (repeatable or comma-separated: --dtype BF16,F32); any other fails.
    #[arg(long, value_name = "DTYPE", value_delimiter = ',', value_parser = settings::parse_dtype)]
    pub dtype: Vec<DType>,

    /// Dtypes that must not appear (repeatable or comma-separated).
    #[arg(long, value_name = "DTYPE", value_delimiter = ',', value_parser = settings::parse_dtype)]
    pub forbid_dtype: Vec<DType>,

    /// A pickle global to accept although it is not on the allow-list (PyTorch checkpoints fail `pickle-safety`
    /// on any dangerous or unknown global): MODULE.NAME, repeatable or comma-separated.
    #[arg(long, value_name = "MODULE.NAME", value_delimiter = ',')]
    pub allow_global: Vec<String>,

    /// Fail on missing, unexpected or changed tensors compared with FILE (`inspect --format json --tensors`).
    #[arg(long, value_name = "FILE")]
    pub expect_tensors: Option<PathBuf>,

    /// A saved `inspect --format json` report to compare parameters and tensor bytes with (no growth allowed
    /// unless --max-growth says how much).
    #[arg(long, value_name = "BASE.json")]
    pub baseline: Option<PathBuf>,

    /// Growth allowed over --baseline, for parameters and tensor bytes alike: 2%, 0.5%.
    #[arg(long, value_name = "PERCENT", value_parser = Growth::percent)]
    pub max_growth: Option<Growth>,

    /// Parameter growth allowed over --baseline, overriding --max-growth: a percentage (1%) or a count (50M).
    #[arg(long, value_name = "PERCENT|COUNT", value_parser = Growth::params)]
    pub max_params_growth: Option<Growth>,

    /// Tensor-byte growth allowed over --baseline, overriding --max-growth: a percentage (1%) or bytes (100MiB).
    #[arg(long, value_name = "PERCENT|BYTES", value_parser = Growth::bytes)]
    pub max_bytes_growth: Option<Growth>,

    /// Fail when any tensor holds a NaN (reads every tensor's data once, shared by the value rules).
    #[arg(long)]
    pub no_nan: bool,

    /// Fail when any tensor holds +Inf or -Inf (reads the data).
    #[arg(long)]
    pub no_inf: bool,

    /// Fail when any tensor with elements is entirely zero (reads the data).
    #[arg(long)]
    pub no_all_zero_tensors: bool,

    /// Fail unless every file of the checkpoint matches its reference hash: the Hugging Face cache's blob names,
    /// or --verify-sha256's manifest (hashes every file, as `paramscope verify`; a file with no reference fails).
    #[arg(long)]
    pub verify: bool,

    /// A manifest of reference hashes for --verify (`sha256sum` format, paths relative to it); implies --verify.
    #[arg(long, value_name = "FILE")]
    pub verify_sha256: Option<PathBuf>,
}

impl From<RuleArgs> for RuleSettings {
    fn from(args: RuleArgs) -> RuleSettings {
        // Destructured, so that a flag added to one side and not the other does not compile.
        let RuleArgs {
            max_params,
            min_params,
            max_active_params,
            max_logical_params,
            min_logical_params,
            max_bytes,
            max_file_bytes,
            dtype,
            forbid_dtype,
            allow_global,
            expect_tensors,
            baseline,
            max_growth,
            max_params_growth,
            max_bytes_growth,
            no_nan,
            no_inf,
            no_all_zero_tensors,
            verify,
            verify_sha256,
        } = args;
        RuleSettings {
            max_params,
            min_params,
            max_active_params,
            max_logical_params,
            min_logical_params,
            max_bytes,
            max_file_bytes,
            dtype,
            forbid_dtype,
            allow_global,
            expect_tensors,
            baseline,
            max_growth,
            max_params_growth,
            max_bytes_growth,
            no_nan,
            no_inf,
            no_all_zero_tensors,
            verify,
            verify_sha256,
        }
    }
}

/// `verify --format`: the library's [`VerifyFormat`](paramscope::render::verify::VerifyFormat), value for value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum VerifyFormatArg {
    /// A line per file (ok, MISMATCH with both hashes, missing, unverified, unreadable), then a verdict line.
    #[default]
    Table,
    /// One JSON object: every file with its digests and references, a summary and the verdict.
    Json,
    /// GitHub Actions annotations (`::error file=…::…`) for files that fail; the rest as plain lines.
    Github,
}

impl From<VerifyFormatArg> for paramscope::render::verify::VerifyFormat {
    fn from(arg: VerifyFormatArg) -> Self {
        use paramscope::render::verify::VerifyFormat;
        match arg {
            VerifyFormatArg::Table => VerifyFormat::Table,
            VerifyFormatArg::Json => VerifyFormat::Json,
            VerifyFormatArg::Github => VerifyFormat::Github,
        }
    }
}

/// `check --format`: the library's [`CheckFormat`], value for value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum CheckFormatArg {
    /// A line per rule (PASS/FAIL, measured figure, limit), then a summary line.
    #[default]
    Table,
    /// One JSON object: rules, figures and verdicts (with several checkpoints, a list and a summary).
    Json,
    /// One JSON object per checkpoint and line, written as each is checked.
    Jsonl,
    /// GitHub Actions annotations (`::error file=…::…`) for failures; passes as plain lines.
    Github,
}

impl From<CheckFormatArg> for CheckFormat {
    fn from(arg: CheckFormatArg) -> CheckFormat {
        match arg {
            CheckFormatArg::Table => CheckFormat::Table,
            CheckFormatArg::Json => CheckFormat::Json,
            CheckFormatArg::Jsonl => CheckFormat::Jsonl,
            CheckFormatArg::Github => CheckFormat::Github,
        }
    }
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Safetensors or GGUF files, `*.safetensors.index.json` files, or model folders.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub output: InspectOutputArgs,

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
    /// Safetensors or GGUF files, `*.safetensors.index.json` files, or model folders.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub output: InspectOutputArgs,

    #[command(flatten)]
    pub read: ReadArgs,

    /// List every tensor (name, dtype, shape, parameters, bytes, file, offsets).
    #[arg(long)]
    pub tensors: bool,

    /// Order of the tensor list (implies --tensors; `file` when not given).
    #[arg(long, value_enum)]
    pub sort: Option<SortKey>,

    /// Only tensors whose name matches this glob (repeatable; `*` crosses dots). Totals then say they are filtered.
    #[arg(long, value_name = "GLOB")]
    pub filter: Vec<String>,

    /// List at most N tensors (implies --tensors).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,

    /// Rows of parameters by name prefix (`depth:N`), by repeated block (`layer`: `layers.{0..31}` ×32), by role
    /// (`module`: embeddings, attention, mlp, experts, router, norm, output head, vision tower, other) or `dtype`.
    #[arg(long, value_name = "HOW", value_parser = clap::value_parser!(paramscope::aggregate::group::GroupBy))]
    pub group_by: Option<paramscope::aggregate::group::GroupBy>,

    /// The hierarchy of name components with parameters, bytes and share per node; identical numbered siblings
    /// collapse into one node (`{0..31}` ×32).
    #[arg(long)]
    pub tree: bool,

    /// With --tree: keep only the first N levels.
    #[arg(long, value_name = "N", requires = "tree", value_parser = clap::value_parser!(u64).range(1..))]
    pub depth: Option<u64>,

    /// Show the classification rules that decided each count (and the rule per tensor with --tensors).
    #[arg(long)]
    pub explain: bool,

    /// List every file in a table; by default a checkpoint of more than 8 files gets one summary line (JSON always
    /// lists them).
    #[arg(long)]
    pub files: bool,

    /// One line per checkpoint, like the Hub's model header: name, parameters (logical too when different),
    /// dtypes, size, files.
    #[arg(long, conflicts_with_all = ["tensors", "group_by", "tree", "explain", "files"])]
    pub brief: bool,

    /// GGUF metadata arrays (e.g. the tokenizer's tokens): their type, length and first elements, or all of them.
    #[arg(long, value_enum, default_value_t = MetadataDetail::Summary)]
    pub metadata: MetadataDetail,
    /// Inspect every checkpoint under each PATH, one at a time (with --format jsonl: one line each, as read).
    #[arg(long, short)]
    pub recursive: bool,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The reference checkpoint (safetensors or GGUF file, index or folder).
    #[arg(value_name = "A")]
    pub a: PathBuf,

    /// The checkpoint compared with it.
    #[arg(value_name = "B")]
    pub b: PathBuf,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub read: ReadArgs,

    /// List at most N tensors per section in tables (JSON always lists all).
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub limit: usize,

    /// Compare the values of tensors present in both (max/mean abs diff, relative L2, cosine); reads all data.
    #[arg(long)]
    pub values: bool,

    /// With --values: absolute tolerance; elements with |a − b| ≤ atol + rtol·|b| count as equal.
    #[arg(long, value_name = "X", default_value_t = 0.0, requires = "values", value_parser = paramscope::model::quantity::parse_tolerance)]
    pub atol: f64,

    /// With --values: relative tolerance (see --atol).
    #[arg(long, value_name = "X", default_value_t = 0.0, requires = "values", value_parser = paramscope::model::quantity::parse_tolerance)]
    pub rtol: f64,

    /// Stop at the first differing byte: exit 0 only if every tensor is bit-for-bit equal ("is this lossless").
    #[arg(long, conflicts_with = "values")]
    pub identical: bool,

    /// Detect renamed tensors: same dtype, shape and bytes under another name (reads the candidates' data).
    #[arg(long)]
    pub renames: bool,

    /// Parameter and byte deltas per group: depth:N, layer, module or dtype, as in `inspect --group-by`.
    #[arg(long, value_name = "HOW", value_parser = clap::value_parser!(paramscope::aggregate::group::GroupBy))]
    pub group_by: Option<paramscope::aggregate::group::GroupBy>,
}

#[derive(Debug, Args)]
pub struct FootprintArgs {
    /// A safetensors or GGUF file, an index, or a model folder (its config.json, or the GGUF metadata, gives the
    /// architecture).
    #[arg(value_name = "PATH")]
    pub path: PathBuf,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub read: ReadArgs,

    /// List every shard in the per-shard table; by default a checkpoint of more than 8 files gets one summary line
    /// (JSON always lists them).
    #[arg(long)]
    pub files: bool,

    /// Context length (tokens per sequence) for the KV-cache estimate: 8192, 32k (32,768), 128K, 1M [default:
    /// 4096, or the model's maximum context when shorter].
    #[arg(long, value_name = "N", value_parser = quantity::parse_context_positive)]
    pub context: Option<u64>,

    /// Sequences held at once.
    #[arg(long, value_name = "B", value_parser = quantity::parse_positive_count, default_value_t = 1)]
    pub batch: u64,

    /// Element type of the KV cache: f16, bf16, f32, f8, fp8-e4m3, fp8-e5m2, int8, q8_0 or q4_0 (llama.cpp's
    /// --cache-type-k), in any case; bfloat16, float16, torch.float16 too.
    #[arg(long, value_name = "DTYPE", value_parser = footprint::KvDtype::parse, default_value = "f16")]
    pub kv_dtype: footprint::KvDtype,

    /// Weights per F16 scale in the INT4 estimate.
    #[arg(long, value_name = "N", default_value_t = footprint::DEFAULT_GROUP_SIZE, value_parser = quantity::parse_positive_count)]
    pub group_size: u64,

    /// Inference overhead (activations, runtime, fragmentation) as a percentage of weights + KV cache: 10 or 10%.
    #[arg(long, value_name = "PERCENT", default_value_t = footprint::DEFAULT_OVERHEAD_PERCENT, value_parser = quantity::parse_whole_percent)]
    pub overhead: u64,

    /// Add a training estimate for this optimizer.
    #[arg(long, value_enum)]
    pub training: Option<Optimizer>,

    /// Answer whether inference fits in this much memory (`24GiB`, `80GB`) or on these devices (`2x80GB`,
    /// `8×80GiB`, `24GiB,24GiB`: split tensor-parallel), at each precision, with the longest context that fits;
    /// exit 1 when the stored precision does not fit.
    #[arg(long, value_name = "BYTES|NxBYTES|BYTES,BYTES", value_parser = footprint::Devices::parse)]
    pub fits: Option<footprint::Devices>,

    /// With --fits on several devices: fixed memory each needs besides its share (CUDA context, communication
    /// buffers) [default: 1GiB].
    #[arg(long, value_name = "BYTES", requires = "fits", value_parser = paramscope::model::quantity::parse_bytes)]
    pub device_overhead: Option<u64>,

    /// The config.json to take the architecture from (for a folder without one, e.g. after a partial download).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["layers", "kv_heads", "head_dim"])]
    pub config: Option<PathBuf>,

    /// Layers with a KV cache, for a checkpoint without config.json (with --kv-heads and --head-dim).
    #[arg(long, value_name = "N", requires_all = ["kv_heads", "head_dim"], value_parser = clap::value_parser!(u64).range(1..))]
    pub layers: Option<u64>,

    /// KV heads per layer (with --layers and --head-dim).
    #[arg(long, value_name = "N", requires_all = ["layers", "head_dim"], value_parser = clap::value_parser!(u64).range(1..))]
    pub kv_heads: Option<u64>,

    /// Dimensions of each key and value head (with --layers and --kv-heads).
    #[arg(long, value_name = "N", requires_all = ["layers", "kv_heads"], value_parser = clap::value_parser!(u64).range(1..))]
    pub head_dim: Option<u64>,

    /// With --layers: the model's maximum context (the longest-context search and the KV table stop there).
    #[arg(long, value_name = "N", requires = "layers", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_context: Option<u64>,
}

/// `--training`: the library's [`footprint::Optimizer`] as a flag value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Optimizer {
    /// Adam/AdamW with mixed precision.
    Adam,
}

impl From<Optimizer> for footprint::Optimizer {
    fn from(o: Optimizer) -> Self {
        match o {
            Optimizer::Adam => footprint::Optimizer::Adam,
        }
    }
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct InspectOutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: InspectFormat,
}

#[derive(Debug, Args)]
pub struct ReadArgs {
    /// Accepted for old scripts and ignored: symlinked shards are always read where they point (with a note when
    /// that is outside the checkpoint's folder).
    #[arg(long, hide = true)]
    pub follow_symlinks: bool,

    /// For a Hugging Face cache repository folder (`models--ORG--NAME`): the snapshot to read, as a branch or tag
    /// under `refs/` or a commit hash (or its first characters); `main` when not given.
    #[arg(long, value_name = "REF")]
    pub revision: Option<String>,

    /// For a Hub repository of several GGUF files (`hf://ORG/REPO`): the quantisation to read (`Q4_K_M`), as
    /// in the file names; the same as `hf://ORG/REPO:Q4_K_M`.
    #[arg(long, value_name = "QUANT")]
    pub quant: Option<String>,
}

/// `--format` of the commands with the common formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    /// Tables for a terminal (colours only on a TTY; NO_COLOR respected).
    #[default]
    Table,
    /// One JSON object; keys documented in docs/json.md.
    Json,
    /// Markdown tables, for pasting into an issue or a model card.
    Markdown,
}

/// `inspect`'s and `stats`' formats: the common ones, and JSON Lines for walking a model store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum InspectFormat {
    /// Tables for a terminal (colours only on a TTY; NO_COLOR respected).
    #[default]
    Table,
    /// One JSON object; keys documented in docs/json.md.
    Json,
    /// Markdown tables, for pasting into an issue or a model card.
    Markdown,
    /// One JSON report per checkpoint and line, written as each is read (a failed one as `{"path", "errors"}`).
    Jsonl,
}

impl InspectFormat {
    /// The common format this is, or `None` for JSON Lines.
    pub fn common(self) -> Option<OutputFormat> {
        match self {
            InspectFormat::Table => Some(OutputFormat::Table),
            InspectFormat::Json => Some(OutputFormat::Json),
            InspectFormat::Markdown => Some(OutputFormat::Markdown),
            InspectFormat::Jsonl => None,
        }
    }
}

/// `--sort`: the library's [`inspect::SortKey`] as a flag value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SortKey {
    /// The order of the data in the files.
    #[default]
    File,
    Name,
    /// Largest byte size first.
    Size,
    /// Most parameters first.
    Params,
}

impl From<SortKey> for inspect::SortKey {
    fn from(k: SortKey) -> Self {
        match k {
            SortKey::File => inspect::SortKey::File,
            SortKey::Name => inspect::SortKey::Name,
            SortKey::Size => inspect::SortKey::Size,
            SortKey::Params => inspect::SortKey::Params,
        }
    }
}

/// `--metadata`: the library's [`metadata::MetadataDetail`] as a flag value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum MetadataDetail {
    /// Element type, length and the first few elements.
    #[default]
    Summary,
    /// Every element (up to 16,777,216 per array).
    Full,
}

impl From<MetadataDetail> for metadata::MetadataDetail {
    fn from(d: MetadataDetail) -> Self {
        match d {
            MetadataDetail::Summary => metadata::MetadataDetail::Summary,
            MetadataDetail::Full => metadata::MetadataDetail::Full,
        }
    }
}
