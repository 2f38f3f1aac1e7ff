//! What the user typed, before each path is discovered: a Hugging Face cache repository folder stands for one of
//! its snapshots ([`super::cache`]), and among several paths (what a shell makes of `llama3-8b/*`) the files that
//! are not weights are left out — silently for the companions every Hub repository holds (config.json,
//! tokenizer files, README.md, …), with a note for any other. A single path is taken as named: `inspect
//! config.json` is still told that config.json is no checkpoint.

use super::cache;
use crate::format::error::{DiscoveryProblem, InputError, Problem};
use std::path::{Path, PathBuf};

/// The paths to discover, what was noted on the way, and the paths that name nothing usable.
#[derive(Debug, Default)]
pub struct Named {
    /// The paths to read, in the order given (a cache repository replaced by its snapshot).
    pub paths: Vec<PathBuf>,
    /// One line each: which snapshot was read, which files were left out.
    pub notes: Vec<String>,
    /// A cache repository without the snapshot asked for.
    pub errors: Vec<InputError>,
}

/// The usual companions of a checkpoint in a Hub repository, left out silently when named among others.
const COMPANIONS: &[&str] = &[
    "config.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "tokenizer.model",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.json",
    "vocab.txt",
    "merges.txt",
    "preprocessor_config.json",
    "processor_config.json",
    "chat_template.json",
    "chat_template.jinja",
    "params.json",
    "adapter_config.json",
    "quantize_config.json",
    "quant_config.json",
    "sentencepiece.bpe.model",
    "spiece.model",
    "LICENSE",
    "LICENSE.txt",
    "LICENSE.md",
    "NOTICE",
    "USE_POLICY.md",
    "README.md",
    ".gitattributes",
];

/// Extensions of companions too many to name (docs, code, images).
const COMPANION_EXTENSIONS: &[&str] = &[
    ".md", ".txt", ".py", ".jinja", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".pdf", ".yaml",
    ".yml",
];

/// Whether a file named `name` is one of the files a Hub repository holds beside its weights.
pub fn is_companion(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    COMPANIONS.iter().any(|c| c.eq_ignore_ascii_case(name))
        || COMPANION_EXTENSIONS.iter().any(|e| lower.ends_with(e))
        || lower.starts_with("tokenizer")
        || lower.starts_with("license")
}

/// The paths as they are read: see the module's comment. `revision` picks a cache repository's snapshot
/// (`main` when `None`).
pub fn resolve(paths: &[PathBuf], revision: Option<&str>) -> Named {
    let mut named = Named::default();
    let several = paths.len() > 1;
    for path in paths {
        if let Some(repo) = cache::repository(path) {
            match cache::snapshot(&repo, revision) {
                Ok(s) => {
                    named.notes.push(format!(
                        "{}: reading snapshot {} ({})",
                        path.display(),
                        s.path.file_name().unwrap_or_default().to_string_lossy(),
                        s.chosen_by
                    ));
                    named.paths.push(s.path);
                }
                Err(e) => named.errors.push(e),
            }
            continue;
        }
        if several && path.is_file() && !weights_here(path) {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if !is_companion(&name) {
                named
                    .notes
                    .push(format!("{}: not a weight file; left out", path.display()));
            }
            continue;
        }
        named.paths.push(path.clone());
    }
    named
}

/// Whether discovering `path` finds weights, or a problem worth reporting (a foreign format, an unreadable
/// file): only a file of no known kind is "not a weight file".
fn weights_here(path: &Path) -> bool {
    match super::discover(path) {
        Ok(_) => true,
        Err(e) => !matches!(
            *e.problem,
            Problem::Discovery(DiscoveryProblem::UnknownKind)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_companions_are_known() {
        for name in [
            "config.json",
            "tokenizer.json",
            "tokenizer_config.json",
            "tokenizer.model",
            "README.md",
            "LICENSE",
            "generation_config.json",
            "special_tokens_map.json",
            "notes.txt",
        ] {
            assert!(is_companion(name), "{name}");
        }
        for name in ["model.safetensors", "weights.csv", "model.gguf"] {
            assert!(!is_companion(name), "{name}");
        }
    }
}
