//! `footprint`: how much memory a checkpoint takes on disk, in memory at its stored precision and re-cast to
//! others, and (when the architecture is known) for inference with a KV cache and for Adam training.
//! Every figure is an exact byte count computed by a formula the README states.

use crate::format::error::InputError;
use crate::format::gguf;
use crate::interpret::arch::{self, Attention};
use crate::interpret::classify::{self, Class, Classified};
use crate::interpret::hf_config;
use crate::model::checkpoint::{Checkpoint, Format};
use crate::model::metadata::MetadataDetail;
use serde::Serialize;
use std::path::PathBuf;

/// One tensor as footprint sees it: kind, elements of the dense weight it stands for, dims, stored bytes.
#[derive(Debug, Clone, Copy)]
pub struct Sized {
    pub kind: Class,
    pub logical_elements: u64,
    /// Dims of the stored tensor (1 for any bias); 1-D weights (norms, biases) stay in 16 bits when re-cast below
    /// that.
    pub dims: usize,
    /// Output rows of the dense weight (PyTorch `[out, in]`: the first dim), for per-row INT8 scales.
    pub rows: u64,
    pub stored_bytes: u64,
}

/// Each tensor's kind and dense size from its classification. Output rows (for per-row INT8 scales) are all dims
/// but the last (a stacked-experts `[E, out, in]` tensor has E·out rows); for packed weights they come from the
/// scales beside them — GPTQ/AWQ `scales` `[groups, out]`: its last dim; MXFP4 `X_scales` `[E, out, blocks]` for
/// `X_blocks`: all its dims but the last. Biases count as 1-D whatever their shape (gpt-oss stacks them `[E, out]`).
pub fn sizes(c: &Checkpoint, classified: &[Classified]) -> Vec<Sized> {
    let by_name: std::collections::HashMap<&str, &crate::model::checkpoint::Tensor> = c
        .tensors
        .iter()
        .filter(|t| t.name.ends_with("scales"))
        .map(|t| (t.name.as_str(), t))
        .collect();
    let leading = |shape: &[u64]| {
        shape
            .split_last()
            .map_or(1, |(_, rest)| rest.iter().product())
    };
    c.tensors
        .iter()
        .zip(classified)
        .map(|(t, k)| {
            let (module, last) = t.name.rsplit_once('.').unwrap_or(("", &t.name));
            let packed_rows = || {
                if let Some(s) = by_name.get(format!("{module}.scales").as_str()) {
                    return s.shape.last().copied();
                }
                let stem = last.strip_suffix("_blocks")?;
                let s = by_name.get(format!("{module}.{stem}_scales").as_str())?;
                Some(leading(&s.shape))
            };
            let rows = match k.class() {
                // bitsandbytes stores a 4-bit weight flattened, `[out·in/2, 1]`, its shape only in the
                // quant_state's data: taking the flat length as rows gave one scale per two weights (INT8 as big
                // as F16). √(weights) rows is within a few KiB of the real per-row scales.
                Class::QuantPacked if k.rule == crate::interpret::classify::BNB_4BIT => {
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
        })
        .collect()
}

#[derive(Debug, Clone)]
pub struct FootprintOptions {
    /// Tokens per sequence for the KV-cache estimate.
    pub context: u64,
    /// Sequences held at once.
    pub batch: u64,
    pub kv_dtype: KvDtype,
    /// Weights per F16 scale in the INT4 estimate.
    pub group_size: u64,
    /// Inference overhead as a percentage of weights + KV cache.
    pub overhead_percent: u64,
    /// Add a training estimate for this optimizer.
    pub training: Option<Optimizer>,
    /// Memory budget for `--fits`, in bytes.
    pub fits: Option<u64>,
}

/// Context length of the KV-cache estimate unless the caller says otherwise.
pub const DEFAULT_CONTEXT: u64 = 4096;
/// Inference overhead, in percent, unless the caller says otherwise.
pub const DEFAULT_OVERHEAD_PERCENT: u64 = 10;

impl Default for FootprintOptions {
    /// `paramscope footprint`'s defaults: one sequence of 4,096 tokens, an F16 KV cache, 10% overhead.
    fn default() -> Self {
        FootprintOptions {
            context: DEFAULT_CONTEXT,
            batch: 1,
            kv_dtype: KvDtype::default(),
            group_size: DEFAULT_GROUP_SIZE,
            overhead_percent: DEFAULT_OVERHEAD_PERCENT,
            training: None,
            fits: None,
        }
    }
}

/// Element type of the KV cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KvDtype {
    F32,
    #[default]
    F16,
    Bf16,
    F8,
}

impl KvDtype {
    /// `--kv-dtype` as a person writes it, in any case and in PyTorch's spellings as for every dtype
    /// ([`DType::parse`](crate::model::dtype::DType::parse)): `f16`, `BF16`, `bfloat16`, `float32`; and `f8`
    /// (or `fp8`, `F8_E4M3`, `F8_E5M2`) for an 8-bit cache.
    pub fn parse(text: &str) -> Result<KvDtype, String> {
        use crate::model::dtype::DType;
        let lower = text.trim().to_ascii_lowercase();
        if ["f8", "fp8", "float8"].contains(&lower.as_str()) {
            return Ok(KvDtype::F8);
        }
        match DType::parse(text) {
            Some(DType::F32) => Ok(KvDtype::F32),
            Some(DType::F16) => Ok(KvDtype::F16),
            Some(DType::BF16) => Ok(KvDtype::Bf16),
            Some(DType::F8_E4M3 | DType::F8_E5M2) => Ok(KvDtype::F8),
            Some(other) => Err(format!(
                "{} is not a KV-cache type; use f32, f16, bf16 or f8 (any case, or bfloat16, float16, …)",
                other.name()
            )),
            None => Err(format!(
                "unknown KV-cache type '{text}'; use f32, f16, bf16 or f8 (any case, or bfloat16, float16, …)"
            )),
        }
    }

    /// Bits per cached element.
    pub fn bits(self) -> u64 {
        match self {
            KvDtype::F32 => 32,
            KvDtype::F16 | KvDtype::Bf16 => 16,
            KvDtype::F8 => 8,
        }
    }
}

/// The optimizer a training estimate is made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Optimizer {
    /// Adam/AdamW with mixed precision.
    Adam,
}

#[derive(Debug, Clone, Serialize)]
pub struct FootprintReport {
    /// As in `inspect`: `safetensors`, `gguf`, `pytorch`.
    pub format: Format,
    /// As in `inspect`: `single_file`, `sharded`, `directory`, `split`.
    pub layout: crate::model::checkpoint::Layout,
    #[serde(serialize_with = "crate::model::path::lossy")]
    pub path: PathBuf,
    /// The Hub count, as `inspect`'s `parameters`: every tensor's elements.
    pub parameters: u64,
    pub disk: Disk,
    pub weights: Weights,
    pub precisions: Vec<Precision>,
    /// `null` with `architecture_unknown` set when config.json (or GGUF metadata) does not give the figures.
    pub inference: Option<Inference>,
    pub architecture_unknown: Option<String>,
    pub training: Option<Training>,
    pub fits: Option<Fits>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Disk {
    pub files: Vec<DiskFile>,
    pub file_bytes: u64,
    pub tensor_bytes: u64,
    /// Headers and anything else in the files that is not tensor data.
    pub overhead_bytes: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiskFile {
    #[serde(serialize_with = "crate::model::path::lossy")]
    pub path: PathBuf,
    pub size_bytes: u64,
    pub header_bytes: u64,
    pub tensor_bytes: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Weights {
    /// Bytes of every tensor as stored: what loading the checkpoint as-is takes.
    pub stored_bytes: u64,
    pub weight_bytes: u64,
    pub quant_packed_bytes: u64,
    pub quant_aux_bytes: u64,
    pub buffer_bytes: u64,
    /// Elements of the dense model the weights stand for (packed weights unpacked).
    pub logical_parameters: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Precision {
    pub name: &'static str,
    pub bits: u64,
    /// Weights at this precision, plus group/row scales where the scheme needs them, plus buffers as stored.
    pub bytes: u64,
    pub scale_bytes: u64,
    pub note: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Inference {
    pub attention: Attention,
    pub context: u64,
    pub batch: u64,
    pub kv_bits: u64,
    pub kv_bytes_per_token: u64,
    pub kv_cache_bytes: u64,
    pub weights_bytes: u64,
    pub overhead_percent: u64,
    pub overhead_bytes: u64,
    pub total_bytes: u64,
    /// KV cache at a few common context lengths (batch as given).
    pub kv_by_context: Vec<(u64, u64)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Training {
    pub optimizer: &'static str,
    pub formula: String,
    pub bytes_per_parameter: u64,
    pub parameters: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Fits {
    pub budget_bytes: u64,
    pub needed_bytes: u64,
    pub fits: bool,
    /// The longest context (at the given batch) whose total stays within the budget, at most the model's own
    /// maximum; `null` when the architecture is unknown, 0 when even the weights do not fit.
    pub max_context: Option<u64>,
    /// The model's maximum context when the config gives it (the search stops there), else `null`.
    pub context_limit: Option<u64>,
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
/// let options = FootprintOptions { kv_dtype: KvDtype::F8, ..FootprintOptions::default() };
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
    // come from the config.json beside the checkpoint.
    let config = hf_config::for_checkpoint(checkpoint);
    let attention = match (&config, checkpoint.format) {
        (_, Format::Gguf) => gguf_attention(checkpoint)?,
        (Some(Ok(c)), _) => arch::from_hf_config(&c.raw),
        (Some(Err(why)), _) => Err(why.clone()),
        (None, _) => Err(format!(
            "no config.json beside the checkpoint ({})",
            checkpoint.path.display()
        )),
    };
    let model_config = config.and_then(Result::ok);
    let classified = classify::classify(&checkpoint.tensors, model_config.as_ref());
    let sizes = sizes(checkpoint, &classified);
    Ok(report(checkpoint, &sizes, attention, options))
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
    let fits = options
        .fits
        .map(|budget| fits(budget, stored, inference.as_ref(), options));
    FootprintReport {
        format: checkpoint.format,
        layout: checkpoint.layout,
        path: checkpoint.path.clone(),
        parameters: checkpoint.parameters(),
        disk,
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

/// Re-cast figures: every weight (packed ones by their logical elements) at `bits`; below 16 bits only tensors of
/// two or more dims are quantized (norms and biases stay 16-bit, as quantizers leave them), with one F16 scale per
/// `group_size` weights for INT4 and per output row for INT8. Buffers keep their stored size; quantization
/// auxiliaries of the stored form are dropped (the new scheme brings its own scales).
/// Weights per F16 scale in the INT4 estimate unless `--group-size` says otherwise (GPTQ's and AWQ's usual 128).
pub const DEFAULT_GROUP_SIZE: u64 = 128;

/// The weights re-cast to each precision (quantized and packed tensors re-cast from their logical size).
pub fn precisions(tensors: &[Sized], group_size: u64) -> Vec<Precision> {
    let schemes: [(&'static str, u64, Scales, &'static str); 5] = [
        ("F32", 32, Scales::None, "full precision"),
        ("F16/BF16", 16, Scales::None, "half precision"),
        (
            "F8",
            8,
            Scales::None,
            "FP8 (E4M3/E5M2), per-tensor scales ignored",
        ),
        (
            "INT8",
            8,
            Scales::PerRow,
            "8-bit weights + one F16 scale per output row",
        ),
        (
            "INT4",
            4,
            Scales::PerGroup,
            "4-bit weights + one F16 scale per group",
        ),
    ];
    schemes
        .into_iter()
        .map(|(name, bits, scales, note)| {
            let mut bytes = 0u64;
            let mut scale_bytes = 0u64;
            for t in tensors {
                match t.kind {
                    Class::Buffer => bytes += t.stored_bytes,
                    Class::QuantAux => {}
                    Class::Weight | Class::QuantPacked => {
                        let e = t.logical_elements;
                        if bits < 16 && t.dims < 2 {
                            bytes += e * 2;
                            continue;
                        }
                        bytes += (e * bits).div_ceil(8);
                        scale_bytes += match scales {
                            Scales::None => 0,
                            Scales::PerRow => 2 * t.rows,
                            Scales::PerGroup => 2 * e.div_ceil(group_size),
                        };
                    }
                }
            }
            Precision {
                name,
                bits,
                bytes: bytes + scale_bytes,
                scale_bytes,
                note,
            }
        })
        .collect()
}

#[derive(Clone, Copy)]
enum Scales {
    None,
    PerRow,
    PerGroup,
}

fn kv_bytes(a: &Attention, context: u64, batch: u64, kv_bits: u64) -> u64 {
    let bits = a.cached_elements(context) * batch as u128 * kv_bits as u128;
    u64::try_from(bits.div_ceil(8)).unwrap_or(u64::MAX)
}

/// `bytes` plus `percent` of them, saturating: a KV cache beyond u64 (a mistyped `--batch`) is already
/// `u64::MAX`, and a wrapped sum would make it look small enough to fit.
pub fn with_overhead(bytes: u64, percent: u64) -> u64 {
    let total = bytes as u128 + bytes as u128 * percent as u128 / 100;
    u64::try_from(total).unwrap_or(u64::MAX)
}

fn inference(a: Attention, weights_bytes: u64, o: &FootprintOptions) -> Inference {
    let kv_bits = o.kv_dtype.bits();
    let kv_cache_bytes = kv_bytes(&a, o.context, o.batch, kv_bits);
    let total = with_overhead(
        weights_bytes.saturating_add(kv_cache_bytes),
        o.overhead_percent,
    );
    let kv_by_context = [4096u64, 8192, 32768, 131072]
        .into_iter()
        .map(|ctx| (ctx, kv_bytes(&a, ctx, o.batch, kv_bits)))
        .collect();
    Inference {
        kv_bytes_per_token: kv_bytes(&a, 1, 1, kv_bits),
        context: o.context,
        batch: o.batch,
        kv_bits,
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

fn fits(budget: u64, weights: u64, inference: Option<&Inference>, o: &FootprintOptions) -> Fits {
    let Some(inf) = inference else {
        let needed = with_overhead(weights, o.overhead_percent);
        return Fits {
            budget_bytes: budget,
            needed_bytes: needed,
            fits: needed <= budget,
            max_context: None,
            context_limit: None,
        };
    };
    let total_at = |ctx| {
        with_overhead(
            weights.saturating_add(kv_bytes(&inf.attention, ctx, o.batch, o.kv_dtype.bits())),
            o.overhead_percent,
        )
    };
    // The KV cache grows monotonically with context (sliding windows only flatten it): binary search, up to the
    // model's own limit — a window-capped cache would otherwise "fit" a trillion tokens.
    let context_limit = inf.attention.max_context;
    let max_context = if total_at(0) > budget {
        0
    } else {
        let (mut lo, mut hi) = (0u64, context_limit.unwrap_or(1u64 << 40));
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if total_at(mid) <= budget {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo
    };
    Fits {
        budget_bytes: budget,
        needed_bytes: inf.total_bytes,
        fits: inf.total_bytes <= budget,
        max_context: Some(max_context),
        context_limit,
    }
}
