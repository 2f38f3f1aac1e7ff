//! `footprint`: how much memory a checkpoint takes on disk, in memory at its stored precision and re-cast to
//! others, and (when the architecture is known) for inference with a KV cache and for Adam training.
//! Every figure is an exact byte count computed by a formula docs/footprint.md states.

pub mod devices;
pub mod fits;

pub use devices::Devices;
pub use fits::{Fits, PrecisionFit, Split, DEFAULT_DEVICE_OVERHEAD};

use crate::format::error::{InputError, Problem};
use crate::format::gguf;
use crate::interpret::arch::{self, Attention};
use crate::interpret::classify::{self, Class, Classified};
use crate::interpret::hf_config;
use crate::model::checkpoint::{Checkpoint, Format, Tensor};
use crate::model::metadata::MetadataDetail;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// One tensor as footprint sees it: kind, elements of the dense weight it stands for, dims, stored bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sized {
    /// Weight, buffer, quantization auxiliary or packed weights: decides how the tensor is re-cast.
    pub kind: Class,
    /// Elements of the dense weight the tensor stands for (packed weights unpacked; 0 for auxiliaries).
    pub logical_elements: u64,
    /// Dims of the stored tensor (1 for any bias); 1-D weights (norms, biases) stay in 16 bits when re-cast below
    /// that.
    pub dims: usize,
    /// Output rows of the dense weight (PyTorch `[out, in]`: the first dim), for per-row INT8 scales.
    pub rows: u64,
    /// The tensor's data bytes as stored.
    pub stored_bytes: u64,
}

/// Each tensor's kind and dense size from its classification. Output rows (for per-row INT8 scales) are all dims
/// but the last (a stacked-experts `[E, out, in]` tensor has E·out rows); for packed weights they come from the
/// scales beside them — GPTQ/AWQ `scales` `[groups, out]`: its last dim; MXFP4 `X_scales` `[E, out, blocks]` for
/// `X_blocks`: all its dims but the last. Biases count as 1-D whatever their shape (gpt-oss stacks them `[E, out]`).
/// `selected` pairs each tensor counted with its classification; every tensor of `c` may be a packed weight's scales.
pub(crate) fn sizes(c: &Checkpoint, selected: &[(&Tensor, &Classified)]) -> Vec<Sized> {
    let scales = Scales::of(c);
    crate::each::map(selected, |&(t, k)| sized(t, k, &scales))
}

/// The memory of `selected` re-cast to each precision (see [`precisions`]), summed on every core without keeping
/// each tensor's [`Sized`]: at 1.4M tensors that list was 56 MB.
pub(crate) fn selected_precisions(
    c: &Checkpoint,
    selected: &[(&Tensor, &Classified)],
    group_size: u64,
) -> Vec<Precision> {
    let scales = Scales::of(c);
    let sums = crate::each::sum(
        selected,
        |&(t, k)| recast(&sized(t, k, &scales), group_size),
        add,
    );
    precisions_of(sums)
}

/// The tensors that may hold a packed weight's scales, by name.
struct Scales<'a>(std::collections::HashMap<&'a str, &'a Tensor>);

impl<'a> Scales<'a> {
    fn of(c: &'a Checkpoint) -> Self {
        Scales(
            c.tensors
                .iter()
                .filter(|t| t.name.ends_with("scales"))
                .map(|t| (t.name.as_str(), t))
                .collect(),
        )
    }
}

/// The product of all dims but the last (1 for a scalar).
fn leading(shape: &[u64]) -> u64 {
    shape
        .split_last()
        .map_or(1, |(_, rest)| rest.iter().product())
}

fn sized(t: &Tensor, k: &Classified, scales: &Scales) -> Sized {
    let (module, last) = t.name.rsplit_once('.').unwrap_or(("", &t.name));
    let packed_rows = || {
        if let Some(s) = scales.0.get(format!("{module}.scales").as_str()) {
            return s.shape.last().copied();
        }
        let stem = last.strip_suffix("_blocks")?;
        let s = scales.0.get(format!("{module}.{stem}_scales").as_str())?;
        Some(leading(&s.shape))
    };
    let rows = match k.class() {
        // bitsandbytes stores a 4-bit weight flattened, `[out·in/2, 1]`, its shape only in the
        // quant_state's data: taking the flat length as rows gave one scale per two weights (INT8 as big
        // as F16). √(weights) rows is within a few KiB of the real per-row scales.
        Class::QuantPacked if *k.rule == crate::interpret::classify::BNB_4BIT => {
            k.logical_elements.isqrt()
        }
        Class::QuantPacked => packed_rows().unwrap_or_else(|| leading(&t.shape)),
        _ => leading(&t.shape),
    };
    let bias = last == "bias" || last.ends_with("_bias");
    Sized {
        kind: k.class(),
        logical_elements: k.logical_elements,
        dims: if bias { 1 } else { t.shape.len() },
        rows,
        stored_bytes: t.bytes(),
    }
}

/// Where the architecture figures behind the KV cache come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ArchitectureSource {
    /// The checkpoint's own: its GGUF metadata, or the `config.json` beside a safetensors checkpoint.
    #[default]
    Checkpoint,
    /// This `config.json` (a folder whose own is missing after a partial download); it also decides how
    /// quantized weights count.
    ConfigFile(PathBuf),
    /// Figures given by hand (`--layers`, `--kv-heads`, `--head-dim`), optionally the longest context.
    Given {
        /// Layers with a KV cache.
        layers: u64,
        /// KV heads per layer.
        kv_heads: u64,
        /// Dimensions of each key and each value.
        head_dim: u64,
        /// The model's maximum context, if known.
        max_context: Option<u64>,
    },
}

/// What the memory estimates assume: context, batch, KV-cache dtype, INT4 group size, overhead, training and a budget to fit.
#[derive(Debug, Clone)]
pub struct FootprintOptions {
    /// Tokens per sequence for the KV-cache estimate; `None`: [`DEFAULT_CONTEXT`], or the model's maximum context
    /// when that is shorter.
    pub context: Option<u64>,
    /// Sequences held at once.
    pub batch: u64,
    /// Element type of the KV cache (`--kv-dtype`).
    pub kv_dtype: KvDtype,
    /// Weights per F16 scale in the INT4 estimate.
    pub group_size: u64,
    /// Inference overhead as a percentage of weights + KV cache.
    pub overhead_percent: u64,
    /// Add a training estimate for this optimizer.
    pub training: Option<Optimizer>,
    /// Memory for `--fits`: one budget or several devices.
    pub fits: Option<Devices>,
    /// Fixed memory per device when `fits` names several (`None`: [`DEFAULT_DEVICE_OVERHEAD`]).
    pub device_overhead: Option<u64>,
    /// Where the architecture comes from.
    pub architecture: ArchitectureSource,
}

/// Context length of the KV-cache estimate unless the caller says otherwise.
pub const DEFAULT_CONTEXT: u64 = 4096;
/// Inference overhead, in percent, unless the caller says otherwise.
pub const DEFAULT_OVERHEAD_PERCENT: u64 = 10;

impl Default for FootprintOptions {
    /// `paramscope footprint`'s defaults: one sequence of 4,096 tokens, an F16 KV cache, 10% overhead.
    fn default() -> Self {
        FootprintOptions {
            context: None,
            batch: 1,
            kv_dtype: KvDtype::default(),
            group_size: DEFAULT_GROUP_SIZE,
            overhead_percent: DEFAULT_OVERHEAD_PERCENT,
            training: None,
            fits: None,
            device_overhead: None,
            architecture: ArchitectureSource::Checkpoint,
        }
    }
}

/// Element type of the KV cache: what inference engines offer (vLLM's `--kv-cache-dtype` fp8/fp8_e4m3/fp8_e5m2,
/// TensorRT-LLM's INT8 cache, llama.cpp's `--cache-type-k` f16/bf16/q8_0/q4_0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum KvDtype {
    /// 4 bytes per element.
    F32,
    /// 2 bytes per element (the default).
    #[default]
    F16,
    /// 2 bytes per element, like F16.
    Bf16,
    /// FP8 without saying which (one byte per element, as both).
    F8,
    /// FP8 E4M3.
    Fp8E4m3,
    /// FP8 E5M2.
    Fp8E5m2,
    /// 8-bit integers (per-head scales ignored).
    Int8,
    /// llama.cpp's Q8_0: blocks of 32 elements in 34 bytes (32 × 8 bits + an F16 scale), 8.5 bits each.
    Q8_0,
    /// llama.cpp's Q4_0: blocks of 32 elements in 18 bytes (32 × 4 bits + an F16 scale), 4.5 bits each.
    Q4_0,
}

impl KvDtype {
    /// `--kv-dtype` as a person writes it, in any case: the names [`KvDtype::name`] gives (`fp8_e4m3` with `_` as
    /// vLLM writes it), `fp8`/`float8` for FP8 of either kind, and every dtype spelling
    /// [`DType::parse`](crate::model::dtype::DType::parse) takes (`BF16`, `bfloat16`, `torch.float16`, `F8_E4M3`).
    pub fn parse(text: &str) -> Result<KvDtype, String> {
        use crate::model::dtype::DType;
        let lower = text.trim().to_ascii_lowercase();
        if let Some(d) = KvDtype::from_name(&lower) {
            return Ok(d);
        }
        if ["fp8", "float8"].contains(&lower.as_str()) {
            return Ok(KvDtype::F8);
        }
        let names: Vec<&str> = KvDtype::ALL.iter().map(|d| d.name()).collect();
        match DType::parse(text) {
            Some(DType::F32) => Ok(KvDtype::F32),
            Some(DType::F16) => Ok(KvDtype::F16),
            Some(DType::BF16) => Ok(KvDtype::Bf16),
            Some(DType::F8_E4M3) => Ok(KvDtype::Fp8E4m3),
            Some(DType::F8_E5M2) => Ok(KvDtype::Fp8E5m2),
            Some(DType::I8) => Ok(KvDtype::Int8),
            Some(other) => Err(format!(
                "{} is not a KV-cache type; use one of {} (any case; bfloat16, float16, … too)",
                other.name(),
                names.join(", ")
            )),
            None => Err(format!(
                "unknown KV-cache type '{text}'; use one of {} (any case; bfloat16, float16, … too)",
                names.join(", ")
            )),
        }
    }

    /// Nominal bits per element (8 for Q8_0, 4 for Q4_0: their block scales are in [`KvDtype::block`]).
    pub fn bits(self) -> u64 {
        match self {
            KvDtype::F32 => 32,
            KvDtype::F16 | KvDtype::Bf16 => 16,
            KvDtype::F8 | KvDtype::Fp8E4m3 | KvDtype::Fp8E5m2 | KvDtype::Int8 | KvDtype::Q8_0 => 8,
            KvDtype::Q4_0 => 4,
        }
    }

    /// Storage as (bytes, elements) per block: one element per block for the plain types.
    pub fn block(self) -> (u64, u64) {
        match self {
            KvDtype::Q8_0 => (34, 32),
            KvDtype::Q4_0 => (18, 32),
            other => (other.bits() / 8, 1),
        }
    }

    /// Bits per element, block scales included (8.5 for Q8_0).
    pub fn bits_per_element(self) -> f64 {
        let (bytes, elements) = self.block();
        (bytes * 8) as f64 / elements as f64
    }

    /// Every KV-cache type, in the order `--kv-dtype` lists them.
    pub const ALL: [KvDtype; 9] = [
        KvDtype::F32,
        KvDtype::F16,
        KvDtype::Bf16,
        KvDtype::F8,
        KvDtype::Fp8E4m3,
        KvDtype::Fp8E5m2,
        KvDtype::Int8,
        KvDtype::Q8_0,
        KvDtype::Q4_0,
    ];

    /// The KV-cache type a name gives ([`KvDtype::name`]'s spelling, any case, `_` for `-` as vLLM writes
    /// `fp8_e4m3`), or `None`; [`KvDtype::parse`] takes more spellings.
    pub fn from_name(name: &str) -> Option<KvDtype> {
        let wanted = name.to_ascii_lowercase();
        KvDtype::ALL
            .into_iter()
            .find(|d| d.name() == wanted || d.name().replace('-', "_") == wanted)
    }

    /// The name `--kv-dtype` takes.
    pub fn name(self) -> &'static str {
        match self {
            KvDtype::F32 => "f32",
            KvDtype::F16 => "f16",
            KvDtype::Bf16 => "bf16",
            KvDtype::F8 => "f8",
            KvDtype::Fp8E4m3 => "fp8-e4m3",
            KvDtype::Fp8E5m2 => "fp8-e5m2",
            KvDtype::Int8 => "int8",
            KvDtype::Q8_0 => "q8_0",
            KvDtype::Q4_0 => "q4_0",
        }
    }
}

/// The optimizer a training estimate is made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Optimizer {
    /// Adam/AdamW with mixed precision.
    Adam,
}

/// What `footprint` reports for one checkpoint: disk, weights as stored and re-cast, inference with a KV cache, training and a budget check; exact byte counts throughout.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct FootprintReport {
    /// As in `inspect`: `safetensors`, `gguf`, `pytorch`.
    pub format: Format,
    /// As in `inspect`: `single_file`, `sharded`, `directory`, `split`.
    pub layout: crate::model::checkpoint::Layout,
    /// The path the checkpoint was opened by, as the user gave it.
    #[serde(serialize_with = "crate::model::path::lossy")]
    pub path: PathBuf,
    /// The Hub count, as `inspect`'s `parameters`: every tensor's elements.
    pub parameters: u64,
    /// Where a remote checkpoint was read from and what it cost, as in `inspect`'s JSON; absent for a local path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<crate::model::checkpoint::Origin>,
    /// What the files take on disk, per file and in all.
    pub disk: Disk,
    /// The bytes of the stored tensors by class.
    pub weights: Weights,
    /// The weights re-cast to F32, F16/BF16, F8, INT8 and INT4, in that order.
    pub precisions: Vec<Precision>,
    /// The weights' memory as stored and re-cast, under the key and in the shape `inspect` gives it
    /// (`weights_memory.stored_bytes`, `weights_memory.precisions`); `weights.stored_bytes` and `precisions` are
    /// the same figures under their older names, kept for one release.
    pub weights_memory: WeightsMemory,
    /// `null` with `architecture_unknown` set when config.json (or GGUF metadata) does not give the figures.
    pub inference: Option<Inference>,
    /// Why there is no inference estimate (no config.json, a field missing, an unknown architecture); `None` when `inference` is given.
    pub architecture_unknown: Option<String>,
    /// The training estimate, when `FootprintOptions::training` asked for one.
    pub training: Option<Training>,
    /// Whether the inference total fits `FootprintOptions::fits`, when a budget was given.
    pub fits: Option<Fits>,
}

/// The checkpoint's files on disk.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Disk {
    /// One row per file, in the checkpoint's order.
    pub files: Vec<DiskFile>,
    /// Sum of the files' sizes in bytes.
    pub file_bytes: u64,
    /// Sum of the tensors' data bytes.
    pub tensor_bytes: u64,
    /// Headers and anything else in the files that is not tensor data.
    pub overhead_bytes: u64,
}

/// One file on disk.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct DiskFile {
    /// The file's path as shown to the user.
    #[serde(serialize_with = "crate::model::path::lossy")]
    pub path: PathBuf,
    /// The file's size in bytes.
    pub size_bytes: u64,
    /// Bytes before the file's data region (header and its length prefix).
    pub header_bytes: u64,
    /// Data bytes of the tensors stored in this file.
    pub tensor_bytes: u64,
}

/// The stored tensors' bytes split by class.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Weights {
    /// Bytes of every tensor as stored: what loading the checkpoint as-is takes.
    pub stored_bytes: u64,
    /// Bytes of unquantized weights (class `weight`).
    pub weight_bytes: u64,
    /// Bytes of packed low-bit weights (GPTQ/AWQ `qweight`, MXFP4 blocks, GGML blocks, …).
    pub quant_packed_bytes: u64,
    /// Bytes of quantization scales, zero points and group indices.
    pub quant_aux_bytes: u64,
    /// Bytes of buffers: saved state that is not a parameter (masks, position ids, rotary tables).
    pub buffer_bytes: u64,
    /// Elements of the dense model the weights stand for (packed weights unpacked).
    pub logical_parameters: u64,
}

/// The weights' memory: as stored, and re-cast to each common precision. The same object in `inspect`'s and
/// `footprint`'s JSON, so one thing has one key.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct WeightsMemory {
    /// Bytes of the tensors as stored (inspect: the counted tensors, equal to `tensor_bytes`).
    pub stored_bytes: u64,
    /// The memory at each precision of `footprint`'s table (INT4 at the default group size).
    pub precisions: Vec<Precision>,
}

/// The weights re-cast to one precision.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Precision {
    /// The precision's label: `F32`, `F16/BF16`, `F8`, `INT8` or `INT4`.
    pub name: &'static str,
    /// Bits per re-cast weight (1-D tensors stay at 16 below 16 bits).
    pub bits: u64,
    /// Weights at this precision, plus group/row scales where the scheme needs them, plus buffers as stored.
    pub bytes: u64,
    /// Bytes of the F16 scales the scheme adds (per output row for INT8, per group for INT4; 0 otherwise), included in `bytes`.
    pub scale_bytes: u64,
    /// How the scheme was costed, in a few words.
    pub note: &'static str,
}

/// Memory for inference: weights as stored, the KV cache for the given context and batch, and an overhead.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Inference {
    /// The architecture figures the KV cache is computed from (layers, KV heads, head dims, windows) and the config fields they came from.
    pub attention: Attention,
    /// Tokens per sequence the KV cache is sized for.
    pub context: u64,
    /// Sequences held at once.
    pub batch: u64,
    /// The KV cache's element type (`f16`, `fp8-e4m3`, `q8_0`, …).
    pub kv_dtype: &'static str,
    /// Nominal bits per element (8 for q8_0); `kv_bits_per_element` has the block scales in.
    pub kv_bits: u64,
    /// Bits per element with block scales (8.5 for q8_0, 4.5 for q4_0).
    pub kv_bits_per_element: f64,
    /// KV-cache bytes of one token of one sequence, block scales included (rounded up to whole bytes).
    pub kv_bytes_per_token: u64,
    /// KV-cache bytes for `context` tokens × `batch` sequences; saturates at `u64::MAX`.
    pub kv_cache_bytes: u64,
    /// The weights' bytes as stored.
    pub weights_bytes: u64,
    /// The overhead percentage applied to weights plus KV cache.
    pub overhead_percent: u64,
    /// Bytes the overhead adds.
    pub overhead_bytes: u64,
    /// Weights + KV cache + overhead, in bytes; saturates at `u64::MAX`.
    pub total_bytes: u64,
    /// KV cache at a few common context lengths (batch as given), up to and including the model's maximum.
    pub kv_by_context: Vec<(u64, u64)>,
}

/// Memory for training with an optimizer; activations are not included (they depend on batch and sequence).
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Training {
    /// The optimizer's name (`adam`).
    pub optimizer: &'static str,
    /// How the bytes per parameter add up, in words.
    pub formula: String,
    /// Bytes of weights, gradients, master weights and optimizer state per parameter.
    pub bytes_per_parameter: u64,
    /// Logical parameters trained (packed weights unpacked; no buffers or auxiliaries).
    pub parameters: u64,
    /// `parameters × bytes_per_parameter`.
    pub bytes: u64,
}

/// The footprint `paramscope footprint` reports. The architecture figures behind the KV cache come from the GGUF
/// metadata, or for safetensors from the `config.json` beside the checkpoint, which also decides how quantized
/// weights count; without them the report says why (`architecture_unknown`) and gives the rest.
///
/// `Err` only when a GGUF header has to be read again, whole, and cannot be: a per-layer sliding-window pattern is
/// as long as the model is deep, longer than a summary reading of the metadata keeps.
///
/// ```
/// use paramscope::footprint::{self, FootprintOptions, KvDtype};
/// use paramscope::format::{self, LoadOptions};
/// use std::path::Path;
///
/// let sources = format::discover(Path::new("fixtures/gguf/tiny-quantized.gguf")).unwrap();
/// let checkpoint = format::load(&sources[0], LoadOptions::default()).unwrap();
/// let options = FootprintOptions { kv_dtype: KvDtype::F8, context: Some(4096), ..FootprintOptions::default() };
/// let report = footprint::footprint(&checkpoint, &options).unwrap();
/// assert_eq!(report.weights.stored_bytes, 234_560);
/// let inference = report.inference.unwrap();
/// // 1 layer × (K and V) × 1 KV head × 128 dims, one byte each (F8).
/// assert_eq!(inference.kv_bytes_per_token, 256);
/// assert_eq!(inference.kv_cache_bytes, 256 * 4096);
/// ```
pub fn footprint(
    checkpoint: &Checkpoint,
    options: &FootprintOptions,
) -> Result<FootprintReport, InputError> {
    // A GGUF file carries its own hyperparameters; for safetensors, classification and the KV-cache figures both
    // come from the config.json beside the checkpoint, or the one the caller names.
    let config = match &options.architecture {
        ArchitectureSource::ConfigFile(path) => Some(Ok(given_config(path)?)),
        _ => hf_config::for_checkpoint(checkpoint),
    };
    let attention = match (&options.architecture, &config, checkpoint.format) {
        (ArchitectureSource::Given { layers, kv_heads, head_dim, max_context }, _, _) => {
            Ok(given_attention(*layers, *kv_heads, *head_dim, *max_context))
        }
        (ArchitectureSource::ConfigFile(_), Some(Ok(c)), _) => arch::from_hf_config(&c.raw),
        (_, _, Format::Gguf) => gguf_attention(checkpoint)?,
        (_, Some(Ok(c)), _) => arch::from_hf_config(&c.raw),
        (_, Some(Err(why)), _) => Err(why.clone()),
        (_, None, _) => Err(format!(
            "no config.json beside the checkpoint ({}); --config FILE or --layers/--kv-heads/--head-dim give the figures",
            checkpoint.path.display()
        )),
    };
    let model_config = config.and_then(Result::ok);
    let classified = classify::classify(&checkpoint.tensors, model_config.as_ref());
    let selected: Vec<_> = checkpoint.tensors.iter().zip(&classified).collect();
    let sizes = sizes(checkpoint, &selected);
    Ok(report(checkpoint, &sizes, attention, options))
}

/// The config.json named by `--config`: one that cannot be used is an input error naming it (the caller asked
/// for it), not a note.
fn given_config(path: &Path) -> Result<hf_config::ModelConfig, InputError> {
    hf_config::read_file(path).map_err(|why| InputError::new(path, Problem::BadConfig(why)))
}

/// Attention from figures given by hand: keys and values of `head_dim` for `kv_heads` heads in each layer.
fn given_attention(
    layers: u64,
    kv_heads: u64,
    head_dim: u64,
    max_context: Option<u64>,
) -> Attention {
    Attention {
        layers,
        kv_heads,
        key_dim: head_dim,
        value_dim: head_dim,
        sliding_layers: 0,
        sliding_window: None,
        uncached_layers: 0,
        cross_attention_layers: 0,
        mla_elements: None,
        max_context,
        fields_used: vec!["--layers".into(), "--kv-heads".into(), "--head-dim".into()],
    }
}

/// The attention figures of a GGUF checkpoint. A sliding-window pattern cut short by the summary reading sends
/// the reader back to the header of the first part (whose metadata the checkpoint keeps), read whole only then:
/// the token list makes a full read costlier.
fn gguf_attention(checkpoint: &Checkpoint) -> Result<Result<Attention, String>, InputError> {
    let first = checkpoint.files.first().map(|f| f.path.as_path());
    match first.filter(|_| arch::gguf_needs_full_metadata(&checkpoint.metadata)) {
        Some(path) => {
            let full = gguf::read(path, path, MetadataDetail::Full)?;
            Ok(arch::from_gguf(&full.metadata))
        }
        None => Ok(arch::from_gguf(&checkpoint.metadata)),
    }
}

fn report(
    checkpoint: &Checkpoint,
    tensors: &[Sized],
    attention: Result<Attention, String>,
    options: &FootprintOptions,
) -> FootprintReport {
    let disk = disk(checkpoint);
    let weights = weights(tensors);
    let precisions = precisions(tensors, options.group_size);
    let stored = weights.stored_bytes;
    let (inference, architecture_unknown) = match attention {
        Ok(a) => (Some(inference(a, stored, options)), None),
        Err(why) => (None, Some(why)),
    };
    let training = options
        .training
        .map(|Optimizer::Adam| adam(tensors, weights.logical_parameters));
    let fits = options.fits.as_ref().map(|devices| {
        fits::fits(
            stored,
            &precisions,
            &fits::FitsInput {
                devices,
                device_overhead: options.device_overhead,
                inference: inference.as_ref(),
                kv_dtype: options.kv_dtype,
                batch: options.batch,
                overhead_percent: options.overhead_percent,
            },
        )
    });
    FootprintReport {
        format: checkpoint.format,
        layout: checkpoint.layout,
        path: checkpoint.path.clone(),
        parameters: checkpoint.parameters(),
        source: checkpoint.origin.clone(),
        disk,
        weights_memory: WeightsMemory {
            stored_bytes: weights.stored_bytes,
            precisions: precisions.clone(),
        },
        weights,
        precisions,
        inference,
        architecture_unknown,
        training,
        fits,
    }
}

fn disk(c: &Checkpoint) -> Disk {
    let mut per_file = vec![0u64; c.files.len()];
    for t in &c.tensors {
        per_file[t.file] += t.bytes();
    }
    let files: Vec<DiskFile> = c
        .files
        .iter()
        .zip(per_file)
        .map(|(f, tensor_bytes)| DiskFile {
            path: f.path.clone(),
            size_bytes: f.size_bytes,
            header_bytes: f.header_bytes,
            tensor_bytes,
        })
        .collect();
    let file_bytes = files.iter().map(|f| f.size_bytes).sum();
    let tensor_bytes = files.iter().map(|f| f.tensor_bytes).sum();
    Disk {
        overhead_bytes: file_bytes - tensor_bytes,
        files,
        file_bytes,
        tensor_bytes,
    }
}

fn weights(tensors: &[Sized]) -> Weights {
    let sum = |kind| {
        tensors
            .iter()
            .filter(|t| t.kind == kind)
            .map(|t| t.stored_bytes)
            .sum()
    };
    Weights {
        stored_bytes: tensors.iter().map(|t| t.stored_bytes).sum(),
        weight_bytes: sum(Class::Weight),
        quant_packed_bytes: sum(Class::QuantPacked),
        quant_aux_bytes: sum(Class::QuantAux),
        buffer_bytes: sum(Class::Buffer),
        logical_parameters: tensors
            .iter()
            .filter(|t| matches!(t.kind, Class::Weight | Class::QuantPacked))
            .map(|t| t.logical_elements)
            .sum(),
    }
}

/// Weights per F16 scale in the INT4 estimate unless `--group-size` says otherwise (GPTQ's and AWQ's usual 128).
pub const DEFAULT_GROUP_SIZE: u64 = 128;

/// The weights re-cast to each precision (quantized and packed tensors re-cast from their logical size).
///
/// Re-cast figures: every weight (packed ones by their logical elements) at `bits`; below 16 bits only tensors of
/// two or more dims are quantized (norms and biases stay 16-bit, as quantizers leave them), with one F16 scale per
/// `group_size` weights for INT4 and per output row for INT8. Buffers keep their stored size; quantization
/// auxiliaries of the stored form are dropped (the new scheme brings its own scales).
pub(crate) fn precisions(tensors: &[Sized], group_size: u64) -> Vec<Precision> {
    let sums = tensors
        .iter()
        .map(|t| recast(t, group_size))
        .fold(Recast::default(), add);
    precisions_of(sums)
}

/// The schemes [`precisions`] re-casts to: label, bits per weight, which scales it adds, how it is costed.
const SCHEMES: [(&str, u64, ScaleScheme, &str); 5] = [
    ("F32", 32, ScaleScheme::None, "full precision"),
    ("F16/BF16", 16, ScaleScheme::None, "half precision"),
    (
        "F8",
        8,
        ScaleScheme::None,
        "FP8 (E4M3/E5M2), per-tensor scales ignored",
    ),
    (
        "INT8",
        8,
        ScaleScheme::PerRow,
        "8-bit weights + one F16 scale per output row",
    ),
    (
        "INT4",
        4,
        ScaleScheme::PerGroup,
        "4-bit weights + one F16 scale per group",
    ),
];

/// Per scheme of [`SCHEMES`]: (bytes of weights and buffers, bytes of added scales).
type Recast = [(u64, u64); 5];

fn add(a: Recast, b: Recast) -> Recast {
    std::array::from_fn(|i| (a[i].0 + b[i].0, a[i].1 + b[i].1))
}

/// One tensor's bytes under every scheme.
fn recast(t: &Sized, group_size: u64) -> Recast {
    SCHEMES.map(|(_, bits, scales, _)| match t.kind {
        Class::Buffer => (t.stored_bytes, 0),
        Class::QuantAux => (0, 0),
        Class::Weight | Class::QuantPacked => {
            let e = t.logical_elements;
            if bits < 16 && t.dims < 2 {
                return (e * 2, 0);
            }
            let scale_bytes = match scales {
                ScaleScheme::None => 0,
                ScaleScheme::PerRow => 2 * t.rows,
                ScaleScheme::PerGroup => 2 * e.div_ceil(group_size),
            };
            ((e * bits).div_ceil(8), scale_bytes)
        }
    })
}

fn precisions_of(sums: Recast) -> Vec<Precision> {
    SCHEMES
        .iter()
        .zip(sums)
        .map(|(&(name, bits, _, note), (bytes, scale_bytes))| Precision {
            name,
            bits,
            bytes: bytes + scale_bytes,
            scale_bytes,
            note,
        })
        .collect()
}

#[derive(Clone, Copy)]
enum ScaleScheme {
    None,
    PerRow,
    PerGroup,
}

/// KV-cache bytes for `batch` sequences of `context` tokens, block scales included.
fn kv_bytes(a: &Attention, context: u64, batch: u64, dtype: KvDtype) -> u64 {
    let (block_bytes, block_elements) = dtype.block();
    let elements = a.cached_elements(context).saturating_mul(batch as u128);
    let bytes = elements
        .saturating_mul(block_bytes as u128)
        .div_ceil(block_elements as u128);
    u64::try_from(bytes).unwrap_or(u64::MAX)
}

/// Context lengths shown in the KV-by-context table: 4k, 8k, 32k, 128k, stopping at the model's maximum, which
/// is shown too.
const KV_CONTEXTS: [u64; 4] = [4096, 8192, 32768, 131072];

/// `bytes` plus `percent` of them, saturating: a KV cache beyond u64 (a mistyped `--batch`) is already
/// `u64::MAX`, and a wrapped sum would make it look small enough to fit.
pub fn with_overhead(bytes: u64, percent: u64) -> u64 {
    let total = bytes as u128 + bytes as u128 * percent as u128 / 100;
    u64::try_from(total).unwrap_or(u64::MAX)
}

fn inference(a: Attention, weights_bytes: u64, o: &FootprintOptions) -> Inference {
    let context = o.context.unwrap_or_else(|| {
        a.max_context
            .map_or(DEFAULT_CONTEXT, |m| m.min(DEFAULT_CONTEXT))
    });
    let kv_cache_bytes = kv_bytes(&a, context, o.batch, o.kv_dtype);
    let total = with_overhead(
        weights_bytes.saturating_add(kv_cache_bytes),
        o.overhead_percent,
    );
    let mut contexts: Vec<u64> = KV_CONTEXTS
        .into_iter()
        .filter(|&c| a.max_context.is_none_or(|m| c <= m))
        .collect();
    if let Some(m) = a.max_context.filter(|m| !contexts.contains(m)) {
        contexts.push(m);
    }
    let kv_by_context = contexts
        .into_iter()
        .map(|ctx| (ctx, kv_bytes(&a, ctx, o.batch, o.kv_dtype)))
        .collect();
    Inference {
        kv_bytes_per_token: kv_bytes(&a, 1, 1, o.kv_dtype),
        context,
        batch: o.batch,
        kv_dtype: o.kv_dtype.name(),
        kv_bits: o.kv_dtype.bits(),
        kv_bits_per_element: o.kv_dtype.bits_per_element(),
        kv_cache_bytes,
        weights_bytes,
        overhead_percent: o.overhead_percent,
        overhead_bytes: total.saturating_sub(weights_bytes.saturating_add(kv_cache_bytes)),
        total_bytes: total,
        kv_by_context,
        attention: a,
    }
}

/// Adam with mixed precision: 16-bit weights and gradients (2 + 2 bytes), F32 master weights (4) and two F32
/// moments (4 + 4) per parameter = 16 bytes; activations are not included (they depend on batch and sequence).
fn adam(tensors: &[Sized], logical_parameters: u64) -> Training {
    let all_f32 = tensors
        .iter()
        .filter(|t| t.kind == Class::Weight)
        .all(|t| t.stored_bytes >= 4 * t.logical_elements);
    let (formula, per) = if all_f32 {
        (
            "F32 weights 4 + F32 gradients 4 + Adam moments 2 × 4 = 16 bytes per parameter"
                .to_string(),
            16,
        )
    } else {
        (
            "16-bit weights 2 + 16-bit gradients 2 + F32 master weights 4 + Adam moments 2 × 4 = 16 bytes per parameter"
                .to_string(),
            16,
        )
    };
    Training {
        optimizer: "adam",
        formula,
        bytes_per_parameter: per,
        parameters: logical_parameters,
        bytes: logical_parameters * per,
    }
}
