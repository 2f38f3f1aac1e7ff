//! `--fits`: whether inference fits in a budget or on several devices, at the stored precision and at each
//! re-cast one, with the longest context that fits and the smallest memory each precision needs.
//!
//! Several devices are assumed to split the model tensor-parallel, as vLLM, SGLang and TensorRT-LLM do by
//! default: each device holds 1/N of the weights and of the KV heads (a KV head is never split: with more devices
//! than KV heads each holds one, replicated), plus the percentage overhead on its share and a fixed per-device
//! overhead (CUDA context, communication buffers). Multi-head latent attention (DeepSeek) caches one latent vector
//! per token that every device keeps whole.

use super::devices::Devices;
use super::{kv_bytes, with_overhead, Inference, KvDtype, Precision};
use serde::Serialize;

/// Fixed memory each device needs besides its share when a model is split (CUDA context and NCCL buffers are
/// typically 0.5–1 GiB per GPU), unless the caller says otherwise.
pub const DEFAULT_DEVICE_OVERHEAD: u64 = 1 << 30;

/// The verdict of `--fits`.
#[derive(Debug, Clone, Serialize)]
pub struct Fits {
    /// The budget as typed (`80GiB`, `2x80GB`, `24GiB,24GiB`).
    pub budget: String,
    /// All the memory: the budget, or the devices' sizes added up.
    pub budget_bytes: u64,
    /// Each device's memory (one entry for a single budget).
    pub devices: Vec<u64>,
    /// How the model is assumed split across several devices; `null` for a single budget.
    pub split: Option<Split>,
    /// What inference at the stored precision needs in all (every device's need added up).
    pub needed_bytes: u64,
    /// What it needs on each device (= `needed_bytes` for a single budget): the smallest device must hold it.
    pub needed_per_device_bytes: u64,
    /// Whether the stored precision fits: every device holds its share.
    pub fits: bool,
    /// The longest context (at the given batch) whose total stays within the budget, at most the model's own
    /// maximum; `null` when the architecture is unknown, 0 when even the weights do not fit.
    pub max_context: Option<u64>,
    /// The model's maximum context when the config gives it (the search stops there), else `null`.
    pub context_limit: Option<u64>,
    /// The same verdict per precision: as stored first, then each re-cast precision of `precisions`.
    pub precisions: Vec<PrecisionFit>,
}

/// The split assumed across several devices.
#[derive(Debug, Clone, Serialize)]
pub struct Split {
    /// `tensor_parallel`: weights and KV heads divided evenly.
    pub kind: &'static str,
    /// How many devices the model is split over.
    pub devices: u64,
    /// Fixed memory counted on each device besides its share.
    pub device_overhead_bytes: u64,
    /// How many KV heads each device caches (`null` with multi-head latent attention, which every device
    /// caches whole, or when the architecture is unknown).
    pub kv_heads_per_device: Option<u64>,
    /// The assumption in words, for the report.
    pub description: String,
}

/// One precision's verdict.
#[derive(Debug, Clone, Serialize)]
pub struct PrecisionFit {
    /// `as stored`, or a name of the precision table (`F16/BF16`, `INT4`, …).
    pub name: String,
    /// The weights' bytes at this precision.
    pub weights_bytes: u64,
    /// All devices' need at the report's context, added up.
    pub needed_bytes: u64,
    /// The smallest memory each device needs at the report's context (for a single budget, the budget needed).
    pub needed_per_device_bytes: u64,
    /// Whether this precision fits at the report's context.
    pub fits: bool,
    /// As [`Fits::max_context`], for this precision.
    pub max_context: Option<u64>,
}

/// Everything the verdict depends on besides the weights.
pub struct FitsInput<'a> {
    /// The devices named by `--fits`.
    pub devices: &'a Devices,
    /// Fixed per-device memory when several devices are named (`None`: [`DEFAULT_DEVICE_OVERHEAD`]).
    pub device_overhead: Option<u64>,
    /// The inference estimate at the stored precision; `None` when the architecture is unknown (weights only).
    pub inference: Option<&'a Inference>,
    /// The KV cache's element type.
    pub kv_dtype: KvDtype,
    /// Sequences held at once.
    pub batch: u64,
    /// The overhead percentage applied to weights plus KV cache.
    pub overhead_percent: u64,
}

struct Plan<'a> {
    n: u64,
    device_overhead: u64,
    kv_heads_per_device: Option<u64>,
    input: &'a FitsInput<'a>,
}

impl Plan<'_> {
    fn kv_per_device(&self, context: u64) -> u64 {
        let Some(inf) = self.input.inference else {
            return 0;
        };
        let total = kv_bytes(
            &inf.attention,
            context,
            self.input.batch,
            self.input.kv_dtype,
        );
        match self.kv_heads_per_device {
            Some(per) if self.n > 1 && inf.attention.kv_heads > 0 => {
                let share = total as u128 * per as u128;
                u64::try_from(share.div_ceil(inf.attention.kv_heads as u128)).unwrap_or(u64::MAX)
            }
            _ => total,
        }
    }

    /// One device's need: its share of weights and KV cache, the percentage on top, the fixed overhead.
    fn per_device(&self, weights: u64, context: u64) -> u64 {
        let share = weights
            .div_ceil(self.n)
            .saturating_add(self.kv_per_device(context));
        with_overhead(share, self.input.overhead_percent).saturating_add(self.device_overhead)
    }

    fn max_context(&self, weights: u64, budget: u64) -> Option<u64> {
        let inf = self.input.inference?;
        if self.per_device(weights, 0) > budget {
            return Some(0);
        }
        // The KV cache grows monotonically with context (sliding windows only flatten it): binary search, up to
        // the model's own limit — a window-capped cache would otherwise "fit" a trillion tokens.
        let (mut lo, mut hi) = (0u64, inf.attention.max_context.unwrap_or(1u64 << 40));
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if self.per_device(weights, mid) <= budget {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        Some(lo)
    }

    fn verdict(&self, name: String, weights: u64, context: u64, budget: u64) -> PrecisionFit {
        let per = self.per_device(weights, context);
        PrecisionFit {
            name,
            weights_bytes: weights,
            needed_bytes: per.saturating_mul(self.n),
            needed_per_device_bytes: per,
            fits: per <= budget,
            max_context: self.max_context(weights, budget),
        }
    }
}

/// The verdict for `stored` bytes of weights and each re-cast precision, at the inference's context (0 without
/// an architecture: weights alone).
pub fn fits(stored: u64, precisions: &[Precision], input: &FitsInput) -> Fits {
    let n = input.devices.sizes.len().max(1) as u64;
    let several = input.devices.several;
    let device_overhead = if several {
        input.device_overhead.unwrap_or(DEFAULT_DEVICE_OVERHEAD)
    } else {
        0
    };
    let attention = input.inference.map(|i| &i.attention);
    let kv_heads_per_device = attention
        .filter(|a| a.mla_elements.is_none())
        .map(|a| a.kv_heads.div_ceil(n).max(1));
    let plan = Plan {
        n,
        device_overhead,
        kv_heads_per_device,
        input,
    };
    let budget = input.devices.smallest();
    let context = input.inference.map_or(0, |i| i.context);
    let split = several.then(|| Split {
        kind: "tensor_parallel",
        devices: n,
        device_overhead_bytes: device_overhead,
        kv_heads_per_device,
        description: describe(
            n,
            attention,
            kv_heads_per_device,
            device_overhead,
            input.overhead_percent,
        ),
    });
    let stored_fit = plan.verdict("as stored".into(), stored, context, budget);
    let mut rows = vec![stored_fit.clone()];
    rows.extend(
        precisions
            .iter()
            .map(|p| plan.verdict(p.name.to_string(), p.bytes, context, budget)),
    );
    Fits {
        budget: input.devices.text.clone(),
        budget_bytes: input.devices.total(),
        devices: input.devices.sizes.clone(),
        split,
        needed_bytes: stored_fit.needed_bytes,
        needed_per_device_bytes: stored_fit.needed_per_device_bytes,
        fits: stored_fit.fits,
        max_context: stored_fit.max_context,
        context_limit: attention.and_then(|a| a.max_context),
        precisions: rows,
    }
}

fn describe(
    n: u64,
    attention: Option<&crate::interpret::arch::Attention>,
    kv_heads_per_device: Option<u64>,
    device_overhead: u64,
    percent: u64,
) -> String {
    let kv = match (attention, kv_heads_per_device) {
        (Some(a), Some(per)) if a.kv_heads < n => format!(
            "{per} of the {} KV heads each (fewer heads than devices: replicated)",
            a.kv_heads
        ),
        (Some(a), Some(per)) => format!("{per} of the {} KV heads each", a.kv_heads),
        (Some(_), None) => {
            "the whole latent KV cache each (MLA caches one vector per token, not per head)".into()
        }
        (None, _) => "no KV cache (architecture unknown)".into(),
    };
    format!(
        "tensor-parallel over {n} devices: 1/{n} of the weights and {kv}, + {percent}% overhead on that share, + {} per device",
        crate::model::units::bytes(device_overhead)
    )
}
