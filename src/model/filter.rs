//! `--filter GLOB`: which tensors an analysis looks at.

use crate::model::checkpoint::Tensor;
use globset::{Glob, GlobSet, GlobSetBuilder};

/// A set of name globs; empty means every tensor. `*` matches across dots, so `*.layers.0.*` works as users expect.
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
}
