//! `--filter PATTERN`: which tensors an analysis looks at.
//!
//! A pattern with glob characters (`*`, `?`, `[`, `{`) is a glob over the whole name, `*` crossing dots
//! (`*.layers.0.*`). A pattern without any is a name prefix at component boundaries: `model.layers.0` selects
//! `model.layers.0` and `model.layers.0.…`, not `model.layers.01…` (what people type first, which as a glob would
//! match only a tensor named exactly so). A filter that selects nothing says so ([`TensorFilter::matched_nothing`]).

use crate::model::checkpoint::Tensor;
use globset::{Glob, GlobSet, GlobSetBuilder};

/// A set of name patterns; empty means every tensor. `*` matches across dots, so `*.layers.0.*` works as users
/// expect; a pattern without glob characters is a prefix of whole components.
#[derive(Debug, Clone)]
pub struct TensorFilter {
    patterns: Vec<String>,
    set: Option<GlobSet>,
}

impl TensorFilter {
    /// A filter matching tensors whose name matches any of `patterns` (globs); empty patterns match every tensor.
    ///
    /// # Errors
    /// An invalid glob.
    pub fn new(patterns: &[String]) -> Result<Self, globset::Error> {
        if patterns.is_empty() {
            return Ok(TensorFilter {
                patterns: Vec::new(),
                set: None,
            });
        }
        let mut builder = GlobSetBuilder::new();
        for p in patterns {
            builder.add(Glob::new(p)?);
            if !has_glob_characters(p) {
                // The name itself, or the name and more components.
                builder.add(Glob::new(&format!("{p}.*"))?);
            }
        }
        Ok(TensorFilter {
            patterns: patterns.to_vec(),
            set: Some(builder.build()?),
        })
    }

    /// The filter that matches every tensor.
    pub fn all() -> Self {
        TensorFilter {
            patterns: Vec::new(),
            set: None,
        }
    }

    /// Whether any pattern was given (a filter that matches everything is inactive).
    pub fn is_active(&self) -> bool {
        self.set.is_some()
    }

    /// The patterns as given.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// Whether `tensor`'s name matches a pattern (always true for an inactive filter).
    pub fn matches(&self, tensor: &Tensor) -> bool {
        self.set.as_ref().is_none_or(|s| s.is_match(&tensor.name))
    }

    /// What to say when the filter selected no tensor of a checkpoint: the patterns, and a glob that would
    /// match the first one anywhere in a name.
    pub fn matched_nothing(&self) -> String {
        let quoted: Vec<String> = self.patterns.iter().map(|p| format!("'{p}'")).collect();
        let first = self.patterns.first().map(String::as_str).unwrap_or("");
        let core = first.trim_matches(|c| c == '*' || c == '.');
        let suggestion = if core.is_empty() {
            "'*'".to_string()
        } else {
            format!("'*{core}*'")
        };
        format!(
            "--filter {} matched no tensor (a glob matches the whole name, a plain name a prefix of whole \
             components: `model.layers.0`); to match it anywhere in a name, try {suggestion}",
            quoted.join(", ")
        )
    }
}

fn has_glob_characters(pattern: &str) -> bool {
    pattern.contains(['*', '?', '[', ']', '{', '}', '\\'])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::dtype::DType;

    fn t(name: &str) -> Tensor {
        Tensor {
            name: name.into(),
            dtype: DType::F32,
            shape: vec![1],
            file: 0,
            data_offsets: [0, 4],
            view: None,
        }
    }

    #[test]
    fn globs_cross_dots_and_union() {
        let f = TensorFilter::new(&["*.layers.0.*".into(), "lm_head*".into()]).unwrap();
        assert!(f.matches(&t("model.layers.0.mlp.up_proj.weight")));
        assert!(!f.matches(&t("model.layers.10.mlp.up_proj.weight")));
        assert!(f.matches(&t("lm_head.weight")));
        assert!(TensorFilter::all().matches(&t("anything")));
    }

    #[test]
    fn a_plain_name_is_a_prefix_of_whole_components() {
        let f = TensorFilter::new(&["model.layers.0".into()]).unwrap();
        assert!(f.matches(&t("model.layers.0.mlp.up_proj.weight")));
        assert!(f.matches(&t("model.layers.0")));
        assert!(!f.matches(&t("model.layers.01.mlp.up_proj.weight")));
        assert!(!f.matches(&t("model.layers.10.mlp.up_proj.weight")));
        assert!(!f.matches(&t("x.model.layers.0.weight")));
        let exact = TensorFilter::new(&["lm_head.weight".into()]).unwrap();
        assert!(exact.matches(&t("lm_head.weight")));
        assert!(!exact.matches(&t("lm_head.weight_scale")));
        let none = TensorFilter::new(&["layers.0".into()]).unwrap();
        assert!(!none.matches(&t("model.layers.0.mlp.weight")));
        assert!(
            none.matched_nothing().ends_with("try '*layers.0*'"),
            "{}",
            none.matched_nothing()
        );
    }
}
