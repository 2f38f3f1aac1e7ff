//! Classification by name pattern. A name's role and, for most names, its rule depend on its components but not on
//! the value of a number between dots, and DeepSeek-V3's 92k tensors have a few dozen names once the layer and
//! expert numbers are taken out (`model.layers.#.mlp.experts.#.up_proj.weight`). So each pattern (with the
//! tensor's dtype and whether it has 2+ dimensions, which some rules test) is classified once per task and looked
//! up after: classifying every name afresh was a fifth of inspecting DeepSeek-V3.
//!
//! Not cached: rules that look at a sibling tensor (a `scale`, a `qweight`, a U8 `weight`), since a sibling of one
//! layer says nothing of another's ([`needs_siblings`]).

use super::Rule;
use crate::interpret::role::Role;
use crate::model::checkpoint::Tensor;
use crate::model::dtype::DType;

/// A pattern's classification: its role and role rule, and the rule when no sibling decides it.
#[derive(Clone, Copy)]
pub(super) struct Known {
    pub role: Role,
    pub role_rule: &'static str,
    pub rule: Option<&'static Rule>,
}

/// Marks a component of digits only in a pattern: a byte no UTF-8 string holds, so no name's own text can
/// spell a pattern of another.
const NUMBER: u8 = 0xFF;

/// The most patterns one task keeps: names without numbers are each a pattern of their own, and those beyond it
/// are classified without being kept (memory stays bounded; the look-up costs a few nanoseconds a name).
const KEPT: usize = 1024;

/// Patterns seen by one task and their classifications.
pub(super) struct Patterns {
    table: hashbrown::HashTable<(Box<[u8]>, DType, bool, Known)>,
    /// The pattern being looked up, reused from name to name.
    key: Vec<u8>,
    hasher: foldhash::fast::FixedState,
}

impl Default for Patterns {
    fn default() -> Self {
        Patterns {
            table: hashbrown::HashTable::new(),
            key: Vec::with_capacity(128),
            hasher: foldhash::fast::FixedState::default(),
        }
    }
}

impl Patterns {
    /// `t`'s classification, from its pattern's when seen before, else by `classify` (and kept).
    pub fn get(&mut self, t: &Tensor, classify: impl FnOnce() -> Known) -> Known {
        pattern_of(&t.name, &mut self.key);
        let multi = t.shape.len() >= 2;
        let hash = std::hash::BuildHasher::hash_one(&self.hasher, (&self.key[..], t.dtype, multi));
        let key = &self.key;
        if let Some((_, _, _, known)) = self.table.find(hash, |(k, d, m, _)| {
            **k == key[..] && *d == t.dtype && *m == multi
        }) {
            return *known;
        }
        let known = classify();
        if self.table.len() < KEPT {
            let hasher = &self.hasher;
            self.table.insert_unique(
                hash,
                (self.key.clone().into_boxed_slice(), t.dtype, multi, known),
                |(k, d, m, _)| std::hash::BuildHasher::hash_one(hasher, (&k[..], *d, *m)),
            );
        }
        known
    }
}

/// `name` with each component of digits only replaced by [`NUMBER`], into `out`.
fn pattern_of(name: &str, out: &mut Vec<u8>) {
    out.clear();
    for (i, part) in name.as_bytes().split(|&b| b == b'.').enumerate() {
        if i > 0 {
            out.push(b'.');
        }
        if !part.is_empty() && part.iter().all(u8::is_ascii_digit) {
            out.push(NUMBER);
        } else {
            out.extend_from_slice(part);
        }
    }
}

/// Whether `t`'s rule may depend on its siblings (the tensors of its module), so cannot be shared by its pattern:
/// every rule of `rule_for` that looks one up is behind one of these names.
pub(super) fn needs_siblings(t: &Tensor) -> bool {
    match t.name.rsplit('.').next().unwrap_or("") {
        "scale" | "qweight" => true,
        "weight" => t.dtype == DType::U8,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(name: &str) -> Vec<u8> {
        let mut out = Vec::new();
        pattern_of(name, &mut out);
        out
    }

    #[test]
    fn numbers_between_dots_are_taken_out_and_nothing_else() {
        assert_eq!(
            pattern("model.layers.12.mlp.experts.255.w1.weight"),
            pattern("model.layers.3.mlp.experts.0.w1.weight")
        );
        assert_ne!(pattern("h.1.ln_1.weight"), pattern("h.1.ln_2.weight"));
        assert_ne!(pattern("a.1"), pattern("a.1.")); // an empty component is no number
        assert_ne!(pattern("a..b"), pattern("a.1.b"));
        assert_ne!(pattern("x1.weight"), pattern("x2.weight"));
        // A name that spells the marker's text is still another pattern: the marker is no UTF-8.
        assert_ne!(pattern("a.\u{ff}.b"), pattern("a.7.b"));
        assert_eq!(pattern(""), b"");
    }
}
