//! Honest parameter counts: the element total split by class, the parameters of the dense model the checkpoint
//! stands for, and embedding vs non-embedding parameters, with the rule that decided each tensor.

use crate::interpret::classify::{Class, Classified, Rule};
use crate::interpret::hf_config::{ModelConfig, QuantizationConfig};
use crate::interpret::role::Role;
use crate::model::checkpoint::Tensor;
use serde::Serialize;
use std::path::PathBuf;

/// Totals of the tensors of one class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ClassRow {
    /// Tensors of the class.
    pub tensors: u64,
    /// Their elements (the Hub's count).
    pub elements: u64,
    /// Their data bytes.
    pub bytes: u64,
}

/// The totals per class of a checkpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Classes {
    /// Trained parameters.
    pub weight: ClassRow,
    /// Buffers: saved state that is not a parameter.
    pub buffer: ClassRow,
    /// Quantization auxiliaries: scales, zero points, group indices.
    pub quant_aux: ClassRow,
    /// Packed low-bit weights, as stored.
    pub quant_packed: ClassRow,
}

impl Classes {
    /// The totals of one class.
    pub fn get(&self, class: Class) -> &ClassRow {
        match class {
            Class::Weight => &self.weight,
            Class::Buffer => &self.buffer,
            Class::QuantAux => &self.quant_aux,
            Class::QuantPacked => &self.quant_packed,
        }
    }

    fn get_mut(&mut self, class: Class) -> &mut ClassRow {
        match class {
            Class::Weight => &mut self.weight,
            Class::Buffer => &mut self.buffer,
            Class::QuantAux => &mut self.quant_aux,
            Class::QuantPacked => &mut self.quant_packed,
        }
    }

    /// Adds another checkpoint's totals to these (the total over several).
    pub fn add(&mut self, other: &Classes) {
        for class in Class::ALL {
            let (a, b) = (self.get_mut(class), other.get(class));
            a.tensors += b.tensors;
            a.elements += b.elements;
            a.bytes += b.bytes;
        }
    }
}

/// How many tensors one rule classified, and what they count for.
#[derive(Debug, Clone, Serialize)]
pub struct RuleRow {
    /// The rule.
    pub rule: Rule,
    /// The class it assigns.
    pub class: Class,
    /// What it matches and why, in words.
    pub description: &'static str,
    /// Tensors it classified.
    pub tensors: u64,
    /// Their elements (the Hub's count).
    pub elements: u64,
    /// The logical parameters they count for.
    pub logical_parameters: u64,
    /// The first tensor the rule matched, so the rule can be checked against a real name.
    pub example: String,
}

/// The honest counts of a checkpoint: logical parameters, classes, embeddings, and the rules behind them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Semantics {
    /// Parameters of the dense model: weights plus unpacked packed weights; no buffers, no quantization
    /// auxiliaries, a tied output head once.
    pub logical_parameters: u64,
    /// Totals per class.
    pub classes: Classes,
    /// Token and position embeddings and an untied output head (logical parameters), as model cards count them.
    pub embedding_parameters: u64,
    /// Logical parameters minus `embedding_parameters`.
    pub non_embedding_parameters: u64,
    /// Every rule that matched, in rule order.
    pub classification: Vec<RuleRow>,
}

/// What `config.json` says about the model, for the summary.
#[derive(Debug, Clone, Serialize)]
pub struct ModelInfo {
    /// The config.json read.
    #[serde(serialize_with = "crate::model::path::lossy")]
    pub config: PathBuf,
    /// Its `model_type`.
    pub model_type: Option<String>,
    /// Its `architectures`.
    pub architectures: Vec<String>,
    /// Its `tie_word_embeddings` as written (transformers treats absent as `true`).
    pub tie_word_embeddings: Option<bool>,
    /// Its `quantization_config`, reduced.
    pub quantization: Option<QuantizationConfig>,
}

impl From<&ModelConfig> for ModelInfo {
    fn from(c: &ModelConfig) -> Self {
        ModelInfo {
            config: c.path.clone(),
            model_type: c.model_type.clone(),
            architectures: c.architectures.clone(),
            tie_word_embeddings: c.tie_word_embeddings,
            quantization: c.quantization.clone(),
        }
    }
}

/// Sums over the selected tensors (each with its classification).
pub fn summarise<'a>(selected: impl Iterator<Item = (&'a Tensor, &'a Classified)>) -> Semantics {
    let mut s = Semantics::default();
    // A handful of rules ever match: a short list beats a map keyed by rule.
    let mut rules: Vec<RuleRow> = Vec::new();
    for (t, c) in selected {
        let row = s.classes.get_mut(c.class());
        row.tensors += 1;
        row.elements += t.elements();
        row.bytes += t.bytes();
        s.logical_parameters += c.logical_elements;
        if matches!(c.role, Role::Embeddings | Role::OutputHead) {
            s.embedding_parameters += c.logical_elements;
        }
        let at = match rules.iter().position(|r| r.rule.id == c.rule.id) {
            Some(at) => at,
            None => {
                rules.push(RuleRow {
                    rule: *c.rule,
                    class: c.class(),
                    description: c.rule.description,
                    tensors: 0,
                    elements: 0,
                    logical_parameters: 0,
                    example: t.name.clone(),
                });
                rules.len() - 1
            }
        };
        let r = &mut rules[at];
        r.tensors += 1;
        r.elements += t.elements();
        r.logical_parameters += c.logical_elements;
    }
    s.non_embedding_parameters = s.logical_parameters - s.embedding_parameters;
    let order = |r: &Rule| {
        crate::interpret::classify::RULES
            .iter()
            .position(|x| x == r)
    };
    rules.sort_by_key(|r| order(&r.rule));
    s.classification = rules;
    s
}
