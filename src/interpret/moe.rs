//! Mixture-of-experts: the parameters one token runs through. A MoE layer routes each token to `k` of its `E`
//! routed experts, so only `k/E` of the layer's routed-expert weights are active; shared experts, routers,
//! attention, norms, embeddings, head and dense layers always are. Multi-token-prediction (MTP) layers
//! (DeepSeek-V3's layer 61, GLM-4.5's 92) serve speculative decoding, not the main model: they are reported apart.
//!
//! Which tensors are routed experts comes from their role (`experts` components, GGUF `ffn_*_exps`; shared experts
//! have a role of their own), which layer from the index after `layers`/`blk`; `k` and `E`
//! come from `config.json` (as transformers spells them) or GGUF metadata (`ARCH.expert_used_count`,
//! `ARCH.expert_count`). When `k` is not written down the count is unknown, and the report names the fields it
//! looked for: the number of experts used is a routing choice no shape reveals.

use crate::format::gguf::hparams::GgufHparams;
use crate::interpret::classify::Classified;
use crate::interpret::role::Role;
use crate::model::checkpoint::Tensor;
use crate::model::metadata::MetaValue;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// One figure and the key it was read under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The key as written (`num_experts_per_tok`, `llama.expert_used_count`).
    pub key: String,
    /// Its value.
    pub value: u64,
}

/// Which layers a config declares MoE (the others dense), as transformers lays them out; used to cross-check the
/// tensors, which decide.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum MoeLayerRule {
    /// Every layer (Mixtral, gpt-oss, Qwen3-MoE with the defaults).
    #[default]
    All,
    /// DeepSeek-V2/V3: layer i is MoE when `i >= first_k_dense_replace` and `i % moe_layer_freq == 0`.
    DeepSeek {
        /// `first_k_dense_replace`.
        first_dense: u64,
        /// `moe_layer_freq`.
        freq: u64,
    },
    /// Qwen2/3-MoE: layer i is MoE when it is not in `mlp_only_layers` and `(i + 1) % decoder_sparse_step == 0`.
    Qwen {
        /// `decoder_sparse_step`.
        step: u64,
        /// `mlp_only_layers`.
        mlp_only: Vec<u64>,
    },
    /// GGUF `ARCH.leading_dense_block_count`: the first n layers are dense.
    LeadingDense(u64),
}

impl MoeLayerRule {
    /// Whether layer `i` is MoE under this rule.
    pub fn is_moe(&self, i: u64) -> bool {
        match self {
            MoeLayerRule::All => true,
            MoeLayerRule::DeepSeek { first_dense, freq } => {
                i >= *first_dense && i.is_multiple_of((*freq).max(1))
            }
            MoeLayerRule::Qwen { step, mlp_only } => {
                !mlp_only.contains(&i) && (i + 1).is_multiple_of((*step).max(1))
            }
            MoeLayerRule::LeadingDense(n) => i >= *n,
        }
    }
}

/// The routing figures of a checkpoint, from `config.json` or GGUF metadata, format-neutral.
#[derive(Debug, Clone, Default)]
pub struct MoeFields {
    /// Where the fields were looked for (`config.json`, `GGUF metadata`), for messages.
    pub source: String,
    /// Why there is no source at all (no config.json beside the checkpoint), if so.
    pub absent: Option<String>,
    /// Routed experts per MoE layer (`num_local_experts`, `num_experts`, `n_routed_experts`).
    pub experts: Option<Field>,
    /// Routed experts each token uses (`num_experts_per_tok`).
    pub used: Option<Field>,
    /// Shared experts (`n_shared_experts`), informational.
    pub shared: Option<Field>,
    /// Layers of the main model (`num_hidden_layers`; GGUF: `block_count` minus the MTP layers).
    pub main_layers: Option<Field>,
    /// Multi-token-prediction layers after the main ones (`num_nextn_predict_layers`).
    pub mtp_layers: Option<Field>,
    /// Which layers the config declares MoE.
    pub moe_layers: MoeLayerRule,
    /// The keys `moe_layers` was read from.
    pub moe_layer_fields: Vec<String>,
    /// The keys the experts count and experts used were looked for under, for a "missing" message.
    pub experts_keys: Vec<String>,
    /// See `experts_keys`.
    pub used_keys: Vec<String>,
}

const EXPERTS_KEYS: [&str; 4] = [
    "num_local_experts",
    "num_experts",
    "n_routed_experts",
    "moe_num_experts",
];
const USED_KEYS: [&str; 3] = ["num_experts_per_tok", "experts_per_token", "moe_k"];

impl MoeFields {
    /// No source: `why` says what is missing (e.g. no config.json beside the checkpoint).
    pub fn absent(why: String) -> MoeFields {
        MoeFields {
            absent: Some(why),
            ..MoeFields::default()
        }
    }

    /// From a `config.json` document; multimodal configs keep the language model under `text_config`.
    pub fn from_hf_config(config: &Value) -> MoeFields {
        let (c, prefix) = match config.get("text_config").filter(|t| t.is_object()) {
            Some(text) if config.get("num_hidden_layers").is_none_or(Value::is_null) => {
                (text, "text_config.")
            }
            _ => (config, ""),
        };
        let field = |keys: &[&str]| {
            keys.iter().find_map(|k| {
                Some(Field {
                    key: format!("{prefix}{k}"),
                    value: c.get(*k)?.as_u64()?,
                })
            })
        };
        let num = |k: &str| c.get(k).and_then(Value::as_u64);
        let mut moe_layer_fields = Vec::new();
        let moe_layers =
            if num("first_k_dense_replace").is_some() || num("moe_layer_freq").is_some() {
                for k in ["first_k_dense_replace", "moe_layer_freq"] {
                    if num(k).is_some() {
                        moe_layer_fields.push(format!("{prefix}{k}"));
                    }
                }
                MoeLayerRule::DeepSeek {
                    first_dense: num("first_k_dense_replace").unwrap_or(0),
                    freq: num("moe_layer_freq").unwrap_or(1),
                }
            } else if num("decoder_sparse_step").is_some() || c.get("mlp_only_layers").is_some() {
                let mlp_only: Vec<u64> = c
                    .get("mlp_only_layers")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_u64).collect())
                    .unwrap_or_default();
                for k in ["decoder_sparse_step", "mlp_only_layers"] {
                    if c.get(k).is_some() {
                        moe_layer_fields.push(format!("{prefix}{k}"));
                    }
                }
                MoeLayerRule::Qwen {
                    step: num("decoder_sparse_step").unwrap_or(1),
                    mlp_only,
                }
            } else {
                MoeLayerRule::All
            };
        MoeFields {
            source: "config.json".into(),
            absent: None,
            experts: field(&EXPERTS_KEYS),
            used: field(&USED_KEYS),
            shared: field(&["n_shared_experts"]),
            main_layers: field(&["num_hidden_layers", "n_layer"]),
            mtp_layers: field(&["num_nextn_predict_layers"]).filter(|f| f.value > 0),
            moe_layers,
            moe_layer_fields,
            experts_keys: EXPERTS_KEYS
                .iter()
                .map(|k| format!("{prefix}{k}"))
                .collect(),
            used_keys: vec![format!("{prefix}{}", USED_KEYS[0])],
        }
    }

    /// From GGUF key/values: `ARCH.expert_count`, `ARCH.expert_used_count`, `ARCH.expert_shared_count`,
    /// `ARCH.leading_dense_block_count`, `ARCH.nextn_predict_layers` (llama.cpp counts the MTP layers in
    /// `block_count`, last).
    pub fn from_gguf(metadata: &[(String, MetaValue)]) -> MoeFields {
        let Some(h) = GgufHparams::read(metadata) else {
            return MoeFields::absent("GGUF metadata has no general.architecture".into());
        };
        let arch = &h.architecture;
        let field = |suffix: &str| {
            let key = format!("{arch}.{suffix}");
            let value = metadata.iter().find(|(k, _)| *k == key)?.1.as_u64()?;
            Some(Field { key, value })
        };
        let mtp_layers = field("nextn_predict_layers").filter(|f| f.value > 0);
        let main_layers = h.block_count.count().map(|blocks| Field {
            key: h.block_count.key.clone(),
            value: blocks.saturating_sub(mtp_layers.as_ref().map_or(0, |m| m.value)),
        });
        let leading = field("leading_dense_block_count");
        MoeFields {
            source: "GGUF metadata".into(),
            absent: None,
            experts: field("expert_count"),
            used: field("expert_used_count"),
            shared: field("expert_shared_count"),
            main_layers,
            mtp_layers,
            moe_layer_fields: leading.iter().map(|f| f.key.clone()).collect(),
            moe_layers: leading.map_or(MoeLayerRule::All, |f| MoeLayerRule::LeadingDense(f.value)),
            experts_keys: vec![format!("{arch}.expert_count")],
            used_keys: vec![format!("{arch}.expert_used_count")],
        }
    }
}

/// The parameters per token, and how they were found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ActiveParameters {
    /// Logical parameters one token runs through in the main model: all of them for a dense model, with only the
    /// used routed experts of each MoE layer for a MoE model; MTP layers excluded. `null` when unknown.
    pub active_parameters: Option<u64>,
    /// Why `active_parameters` is `null` (names the missing fields).
    pub active_parameters_unknown: Option<String>,
    /// The routed experts, for a MoE checkpoint; `null` for a dense one.
    pub moe: Option<Moe>,
    /// Multi-token-prediction layers, apart from the main model; `null` when there are none.
    pub mtp: Option<Mtp>,
}

/// A MoE checkpoint's routing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Moe {
    /// Logical parameters of the main model (MTP layers excluded), every expert counted.
    pub total_parameters: u64,
    /// Routed experts per MoE layer.
    pub experts: u64,
    /// Routed experts each token uses.
    pub experts_used: u64,
    /// Shared experts per MoE layer when the config says (`n_shared_experts`, GGUF `expert_shared_count`).
    pub shared_experts: Option<u64>,
    /// Logical parameters of the routed experts in the main model, all of them.
    pub routed_expert_parameters: u64,
    /// Of them, those one token uses.
    pub active_routed_expert_parameters: u64,
    /// Layers of the main model with routed experts; the others are dense.
    pub moe_layers: u64,
    /// Layers of the main model that hold tensors, MoE or dense.
    pub layers: u64,
    /// Every MoE layer of the main model, in order.
    pub per_layer: Vec<MoeLayer>,
    /// The fields the figures came from.
    pub fields_used: Vec<String>,
    /// Disagreements between the config and the tensors (the tensors decide).
    pub notes: Vec<String>,
}

/// One MoE layer: its experts used of total, and their parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MoeLayer {
    /// The layer's index in the checkpoint's names.
    pub layer: u64,
    /// Routed experts each token uses in this layer.
    pub experts_used: u64,
    /// Routed experts in this layer.
    pub experts: u64,
    /// Logical parameters of all its routed experts.
    pub routed_parameters: u64,
    /// Of them, those one token uses.
    pub active_routed_parameters: u64,
}

/// The multi-token-prediction layers, counted apart from the main model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mtp {
    /// Their layer indices.
    pub layers: Vec<u64>,
    /// Their logical parameters (their own embeddings and head copies included).
    pub parameters: u64,
    /// Those one token uses in them (their routed experts at `experts_used` of `experts`); `null` when unknown.
    pub active_parameters: Option<u64>,
    /// The field they were recognised by.
    pub field: String,
}

/// Where a tensor sits: its layer index (after a `layers`, `blk`, `h`, `layer` or `blocks` component), whether it
/// is a routed expert, and the expert index in its name (`experts.7.w1`) when it has one.
struct Place {
    layer: Option<u64>,
    routed: bool,
    expert: Option<u64>,
}

fn place(name: &str, role: Role) -> Place {
    let mut layer = None;
    let mut expert = None;
    let mut prev: &[u8] = b"";
    // Bytes split at dots, not `str::split`: its searcher cost more than the rest of this per name.
    for part in name.as_bytes().split(|&b| b == b'.') {
        if let Some(i) = number(part) {
            match prev {
                b"layers" | b"blk" | b"h" | b"layer" | b"blocks" if layer.is_none() => {
                    layer = Some(i)
                }
                b"experts" => expert = Some(i),
                _ => {}
            }
        }
        prev = part;
    }
    Place {
        layer,
        routed: role == Role::Experts,
        expert,
    }
}

/// A component of digits only, as a number (`None` past `u64::MAX`).
fn number(part: &[u8]) -> Option<u64> {
    if part.is_empty() {
        return None;
    }
    part.iter().try_fold(0u64, |n, &b| {
        b.is_ascii_digit()
            .then(|| n.checked_mul(10)?.checked_add(u64::from(b - b'0')))
            .flatten()
    })
}

/// Per layer: routed-expert parameters, the expert indices named (sorted and each once after
/// [`Tally::finish`]), and the experts stacked tensors hold (dim 0).
#[derive(Default)]
struct LayerExperts {
    routed: u64,
    named: Vec<u64>,
    stacked: Option<u64>,
    stacked_disagree: bool,
}

impl LayerExperts {
    /// A stacked tensor holding `experts` experts (its dim 0): every one of a layer's must agree.
    fn stack(&mut self, experts: u64) {
        if self.stacked.is_some_and(|s| s != experts) {
            self.stacked_disagree = true;
        }
        self.stacked.get_or_insert(experts);
    }

    fn count(&self) -> Option<u64> {
        match (self.named.len() as u64, self.stacked) {
            (0, s) => s,
            (n, _) => Some(n),
        }
    }
}

/// The sums over the tensors `active` needs, for a part of them: parts are tallied on every core and merged in
/// order (one loop on one core, inserting every tensor's layer and expert into ordered sets, was most of the
/// time of counting DeepSeek-V3's active parameters). A layer's tensors come one after another, and so do an
/// expert's: lists keep each run once, and [`Tally::finish`] sorts them into sets.
#[derive(Default)]
struct Tally {
    main_total: u64,
    mtp_total: u64,
    mtp_routed: u64,
    unplaced_routed: u64,
    mtp_layers: Vec<u64>,
    layers: Vec<u64>,
    /// Per run of one layer's routed-expert tensors: the layer and their sums.
    routed: Vec<(u64, LayerExperts)>,
}

/// Adds `value` unless it is the last one added.
fn push_new(list: &mut Vec<u64>, value: u64) {
    if list.last() != Some(&value) {
        list.push(value);
    }
}

impl Tally {
    fn add(&mut self, t: &Tensor, c: &Classified, is_mtp: impl Fn(Option<u64>) -> bool) {
        let logical = c.logical_elements;
        if c.role == Role::VisionTower {
            self.main_total += logical;
            return;
        }
        let p = place(&t.name, c.role);
        if is_mtp(p.layer) {
            self.mtp_total += logical;
            push_new(&mut self.mtp_layers, p.layer.unwrap_or(0));
            if p.routed {
                self.mtp_routed += logical;
            }
            return;
        }
        self.main_total += logical;
        if let Some(l) = p.layer {
            push_new(&mut self.layers, l);
        }
        if !p.routed {
            return;
        }
        let Some(l) = p.layer else {
            self.unplaced_routed += logical;
            return;
        };
        if self.routed.last().is_none_or(|(last, _)| *last != l) {
            self.routed.push((l, LayerExperts::default()));
        }
        let Some((_, e)) = self.routed.last_mut() else {
            return;
        };
        e.routed += logical;
        match p.expert {
            Some(i) => push_new(&mut e.named, i),
            None => e.stack(t.shape.first().copied().unwrap_or(1)),
        }
    }

    /// This part's sums and then `later`'s (the part after it).
    fn merge(mut self, later: Tally) -> Tally {
        self.main_total += later.main_total;
        self.mtp_total += later.mtp_total;
        self.mtp_routed += later.mtp_routed;
        self.unplaced_routed += later.unplaced_routed;
        self.mtp_layers.extend(later.mtp_layers);
        self.layers.extend(later.layers);
        self.routed.extend(later.routed);
        self
    }

    /// The MTP layers, the layers and each layer's routed experts, in layer order.
    fn finish(self) -> (BTreeSet<u64>, BTreeSet<u64>, BTreeMap<u64, LayerExperts>) {
        let mut experts: BTreeMap<u64, LayerExperts> = BTreeMap::new();
        for (l, run) in self.routed {
            let e = experts.entry(l).or_default();
            e.routed += run.routed;
            e.named.extend(run.named);
            if let Some(s) = run.stacked {
                e.stack(s);
            }
            e.stacked_disagree |= run.stacked_disagree;
        }
        let experts = experts
            .into_iter()
            .map(|(l, mut e)| {
                e.named.sort_unstable();
                e.named.dedup();
                (l, e)
            })
            .collect();
        (
            self.mtp_layers.into_iter().collect(),
            self.layers.into_iter().collect(),
            experts,
        )
    }
}

/// The active parameters of the selected tensors (each with its classification), with `fields` saying how
/// tokens are routed.
pub fn active(selected: &[(&Tensor, &Classified)], fields: &MoeFields) -> ActiveParameters {
    let main_layers = fields.main_layers.as_ref().map(|f| f.value);
    // Layers from the main model's count on: the config's figures are not trusted not to overflow.
    let is_mtp = |layer: Option<u64>| match (&fields.mtp_layers, main_layers, layer) {
        (Some(m), Some(main), Some(l)) => l >= main && l - main < m.value,
        _ => false,
    };
    let tally = crate::each::fold(
        selected,
        |mut tally: Tally, (t, c)| {
            tally.add(t, c, is_mtp);
            tally
        },
        Tally::merge,
    );
    let (main_total, mtp_total, mtp_routed, unplaced_routed) = (
        tally.main_total,
        tally.mtp_total,
        tally.mtp_routed,
        tally.unplaced_routed,
    );
    let (mtp_layers, layers, experts) = tally.finish();
    let mtp = |active: Option<u64>| {
        fields
            .mtp_layers
            .as_ref()
            .filter(|_| mtp_total > 0)
            .map(|m| Mtp {
                layers: mtp_layers.iter().copied().collect(),
                parameters: mtp_total,
                active_parameters: active,
                field: m.key.clone(),
            })
    };
    let routed_total: u64 = experts.values().map(|e| e.routed).sum::<u64>() + unplaced_routed;
    if routed_total == 0 && mtp_routed == 0 {
        // Dense, unless the config declares experts the names do not show.
        if let Some(e) = fields.experts.as_ref().filter(|e| e.value > 1) {
            return unknown(
                format!(
                    "{} says {} = {}, but no tensor is recognised as a routed expert",
                    fields.source, e.key, e.value
                ),
                mtp(None),
            );
        }
        return ActiveParameters {
            active_parameters: Some(main_total),
            active_parameters_unknown: None,
            moe: None,
            mtp: mtp(Some(mtp_total)),
        };
    }
    // Routed experts are present: the count needs k (and E, from the config or the tensors).
    let Some(used) = &fields.used else {
        let why = match &fields.absent {
            Some(why) => format!(
                "{why}: the routed experts each token uses (num_experts_per_tok) are unknown"
            ),
            None => format!(
                "{} has no {}: the routed experts each token uses are not written down",
                fields.source,
                fields.used_keys.join(" nor ")
            ),
        };
        return unknown(why, mtp(None));
    };
    if unplaced_routed > 0 {
        return unknown(
            "routed-expert tensors without a layer index in their names: cannot tell which layer they route in"
                .into(),
            mtp(None),
        );
    }
    let mut fields_used = vec![used.key.clone()];
    let mut notes = Vec::new();
    let mut per_layer = Vec::new();
    for (&layer, e) in &experts {
        let seen = e.count();
        if e.stacked_disagree {
            return unknown(
                format!("layer {layer}'s stacked expert tensors disagree on the number of experts"),
                mtp(None),
            );
        }
        let total = match (&fields.experts, seen) {
            (Some(f), Some(n)) if f.value != n => {
                return unknown(
                    format!(
                        "{} says {} = {}, but layer {layer} stores {n} routed experts",
                        fields.source, f.key, f.value
                    ),
                    mtp(None),
                )
            }
            (Some(f), _) => f.value,
            (None, Some(n)) => n,
            (None, None) => {
                return unknown(
                    format!(
                        "{} has no {}, and layer {layer}'s tensors do not show how many routed experts it has",
                        fields.source,
                        fields.experts_keys.join(" nor ")
                    ),
                    mtp(None),
                )
            }
        };
        if used.value > total || total == 0 {
            return unknown(
                format!(
                    "{} = {} is more than the {total} routed experts of layer {layer}",
                    used.key, used.value
                ),
                mtp(None),
            );
        }
        let active = (e.routed as u128 * used.value as u128 / total as u128) as u64;
        per_layer.push(MoeLayer {
            layer,
            experts_used: used.value,
            experts: total,
            routed_parameters: e.routed,
            active_routed_parameters: active,
        });
    }
    match &fields.experts {
        Some(f) => fields_used.push(f.key.clone()),
        None => notes.push(format!(
            "{} has no {}: the experts per layer are counted from the tensors",
            fields.source,
            fields.experts_keys.join(" nor ")
        )),
    }
    if let Some(s) = &fields.shared {
        fields_used.push(s.key.clone());
    }
    fields_used.extend(fields.moe_layer_fields.iter().cloned());
    if let Some(m) = &fields.mtp_layers {
        fields_used.push(m.key.clone());
        if let Some(l) = &fields.main_layers {
            fields_used.push(l.key.clone());
        }
    }
    // The config's MoE layer layout against the tensors': a disagreement is noted, the tensors count.
    // The layers the tensors have, not every number up to the last: a name may say layer 10^15.
    if !layers.is_empty() {
        let declared: Vec<u64> = layers
            .iter()
            .copied()
            .filter(|&i| fields.moe_layers.is_moe(i))
            .collect();
        let found: Vec<u64> = per_layer.iter().map(|l| l.layer).collect();
        if declared != found {
            notes.push(format!(
                "the config declares {} MoE layers ({}), the tensors show routed experts in {} ({}); the tensors count",
                declared.len(),
                ranges(&declared),
                found.len(),
                ranges(&found)
            ));
        }
    }
    let routed: u64 = per_layer.iter().map(|l| l.routed_parameters).sum();
    let active_routed: u64 = per_layer.iter().map(|l| l.active_routed_parameters).sum();
    let mtp_active = fields
        .experts
        .as_ref()
        .map(|e| e.value)
        .or_else(|| per_layer.first().map(|l| l.experts))
        .filter(|&e| e > 0)
        .map(|e| {
            mtp_total - mtp_routed + (mtp_routed as u128 * used.value as u128 / e as u128) as u64
        });
    ActiveParameters {
        active_parameters: Some(main_total - routed + active_routed),
        active_parameters_unknown: None,
        moe: Some(Moe {
            total_parameters: main_total,
            experts: per_layer.first().map_or(0, |l| l.experts),
            experts_used: used.value,
            shared_experts: fields.shared.as_ref().map(|s| s.value),
            routed_expert_parameters: routed,
            active_routed_expert_parameters: active_routed,
            moe_layers: per_layer.len() as u64,
            layers: layers.len() as u64,
            per_layer,
            fields_used,
            notes,
        }),
        mtp: mtp(mtp_active),
    }
}

fn unknown(why: String, mtp: Option<Mtp>) -> ActiveParameters {
    ActiveParameters {
        active_parameters: None,
        active_parameters_unknown: Some(why),
        moe: None,
        mtp,
    }
}

/// `3–60` style ranges of sorted indices: `0, 2–5, 9`; `none` for no index.
pub fn ranges(sorted: &[u64]) -> String {
    match sorted {
        [] => "none".into(),
        _ => crate::model::units::runs(sorted, "–", ", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn places_routed_shared_and_gguf_experts() {
        let p = place(
            "model.layers.3.block_sparse_moe.experts.7.w1.weight",
            Role::Experts,
        );
        assert_eq!((p.layer, p.routed, p.expert), (Some(3), true, Some(7)));
        let name = "model.layers.5.mlp.shared_experts.up_proj.weight";
        let s = place(name, crate::interpret::role::role_of(name).0);
        assert_eq!((s.layer, s.routed), (Some(5), false));
        let g = place("blk.12.ffn_up_exps.weight", Role::Experts);
        assert_eq!((g.layer, g.routed, g.expert), (Some(12), true, None));
        assert!(!place("model.layers.0.mlp.gate.weight", Role::Router).routed);
    }

    #[test]
    fn config_layouts_and_ranges() {
        let f =
            MoeFields::from_hf_config(&json!({"num_hidden_layers": 61, "n_routed_experts": 256,
            "num_experts_per_tok": 8, "first_k_dense_replace": 3, "moe_layer_freq": 1,
            "num_nextn_predict_layers": 1}));
        assert_eq!(f.experts.unwrap().key, "n_routed_experts");
        assert_eq!(f.mtp_layers.unwrap().value, 1);
        assert!(!f.moe_layers.is_moe(2) && f.moe_layers.is_moe(3));
        let q = MoeFields::from_hf_config(
            &json!({"num_experts": 60, "decoder_sparse_step": 2, "mlp_only_layers": [5]}),
        );
        assert!(q.moe_layers.is_moe(1) && !q.moe_layers.is_moe(2) && !q.moe_layers.is_moe(5));
        assert!(q.used.is_none());
        assert_eq!(ranges(&[0, 2, 3, 4, 5, 9]), "0, 2–5, 9");
        assert_eq!(ranges(&[]), "none");
    }

    #[test]
    fn a_huge_layer_number_in_a_name_is_one_layer_and_huge_config_figures_do_not_overflow() {
        use crate::interpret::classify::classify;
        let t = |name: &str| Tensor {
            name: name.into(),
            dtype: crate::model::dtype::DType::BF16,
            shape: vec![4, 4],
            file: 0,
            data_offsets: [0, 32],
            view: None,
        };
        let tensors = [
            t("model.layers.0.mlp.experts.0.w1.weight"),
            t("model.layers.0.mlp.experts.1.w1.weight"),
            t("model.layers.1000000000000000.mlp.experts.0.w1.weight"),
            t("model.layers.1000000000000000.mlp.experts.1.w1.weight"),
        ];
        let classified = classify(&tensors, None);
        let selected: Vec<_> = tensors.iter().zip(&classified).collect();
        let a = active(
            &selected,
            &MoeFields::from_hf_config(&json!({"num_experts_per_tok": 1})),
        );
        let moe = a.moe.expect("routed experts");
        assert_eq!((moe.layers, moe.moe_layers, moe.experts), (2, 2, 2));
        assert_eq!(a.active_parameters, Some(32));
        // Every layer from 1 on is a multi-token-prediction layer; adding the two figures would overflow.
        let fields = MoeFields::from_hf_config(&json!({"num_hidden_layers": 1,
            "num_nextn_predict_layers": u64::MAX, "num_experts_per_tok": 1}));
        let a = active(&selected, &fields);
        assert_eq!(a.active_parameters, Some(16));
        let mtp = a.mtp.expect("MTP layers");
        assert_eq!(
            (mtp.layers, mtp.parameters),
            (vec![1_000_000_000_000_000], 32)
        );
    }
}
