//! The format-neutral description of a checkpoint. Readers in `format/` produce it; every analysis and renderer
//! works on it and never on a format's bytes.

use crate::model::dtype::DType;
use crate::model::metadata::MetaValue;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Safetensors,
    Gguf,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Safetensors => "safetensors",
            Format::Gguf => "gguf",
        }
    }
}

/// How the checkpoint was found on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// One weight file given directly.
    SingleFile,
    /// A `*.safetensors.index.json` and the shards it names.
    Sharded,
    /// A directory without an index: every weight file in it.
    Directory,
    /// A multi-part GGUF (`NAME-00001-of-00003.gguf` …), its parts named by `split.*` metadata.
    Split,
}

#[derive(Debug, Clone)]
pub struct Checkpoint {
    pub format: Format,
    pub layout: Layout,
    /// What the user named (a file, an index or a directory), as given.
    pub path: PathBuf,
    pub files: Vec<FileInfo>,
    /// In file order: files in the order of `files`, tensors by data offset within a file.
    pub tensors: Vec<Tensor>,
    pub index: Option<IndexInfo>,
    /// Typed key/values of formats that have them (GGUF; for a multi-part file, those of the first part), in
    /// file order. Safetensors' string `__metadata__` stays per file in `FileInfo::metadata`.
    pub metadata: Vec<(String, MetaValue)>,
    /// Things worth telling the user that do not make the checkpoint unusable.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileInfo {
    /// Path as shown to the user (relative to the checkpoint's folder for shards).
    #[serde(serialize_with = "crate::model::path::lossy")]
    pub path: PathBuf,
    pub size_bytes: u64,
    /// Bytes before the data region (for safetensors: the 8-byte length prefix plus the JSON header).
    pub header_bytes: u64,
    pub tensors: usize,
    /// String metadata stored in the file (safetensors `__metadata__`), in file order.
    pub metadata: Vec<(String, String)>,
    /// The format's version field where it has one (GGUF 2 or 3); safetensors has none.
    pub format_version: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct Tensor {
    pub name: String,
    pub dtype: DType,
    pub shape: Vec<u64>,
    /// Index into `Checkpoint::files`.
    pub file: usize,
    /// Byte range relative to the file's data region (which starts at `header_bytes`).
    pub data_offsets: [u64; 2],
}

impl Tensor {
    /// Element count; a shape of `[]` is a scalar with one element, as huggingface_hub counts it.
    /// Readers have already rejected shapes whose product overflows; a zero dimension is checked first, since
    /// the dimensions before it may overflow on their own (`[2^40, 2^40, 0]` holds no element).
    pub fn elements(&self) -> u64 {
        if self.shape.contains(&0) {
            return 0;
        }
        self.shape.iter().product()
    }

    pub fn bytes(&self) -> u64 {
        self.data_offsets[1] - self.data_offsets[0]
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct IndexInfo {
    #[serde(serialize_with = "crate::model::path::lossy")]
    pub path: PathBuf,
    /// `metadata.total_size` as the index claims it.
    pub total_size: Option<u64>,
    /// `metadata.total_parameters` as the index claims it (recent transformers only); a claim, not a count.
    pub total_parameters: Option<u64>,
    /// The index's whole `metadata` object, as written.
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

impl Checkpoint {
    /// Why a checkpoint without a single tensor has none (`None` when it has some): a safetensors header with
    /// only `__metadata__`, an index whose weight_map is empty, a GGUF with tensor_count 0 (a vocab-only file).
    /// Every figure of such a checkpoint is zero, which a gate would otherwise take for a pass.
    pub fn no_tensors(&self) -> Option<String> {
        if !self.tensors.is_empty() {
            return None;
        }
        let why = match (self.format, self.layout) {
            (_, Layout::Sharded) => "the index's weight_map is empty",
            (Format::Safetensors, _) => "the header names no tensors",
            (Format::Gguf, _) => "tensor_count is 0 (a vocab-only file?)",
        };
        Some(format!("no tensors: {why}"))
    }

    pub fn file_of(&self, tensor: &Tensor) -> &FileInfo {
        &self.files[tensor.file]
    }

    /// A typed metadata value by key.
    pub fn meta(&self, key: &str) -> Option<&MetaValue> {
        self.metadata.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn parameters(&self) -> u64 {
        self.tensors.iter().map(Tensor::elements).sum()
    }

    pub fn tensor_bytes(&self) -> u64 {
        self.tensors.iter().map(Tensor::bytes).sum()
    }

    /// `__metadata__` entries that every file carrying the key agrees on, in first-seen order.
    pub fn shared_metadata(&self) -> Vec<(String, String)> {
        let mut merged: Vec<(String, String)> = Vec::new();
        let mut conflicting: Vec<String> = Vec::new();
        for file in &self.files {
            for (k, v) in &file.metadata {
                match merged.iter().find(|(mk, _)| mk == k) {
                    Some((_, mv)) if mv != v => conflicting.push(k.clone()),
                    Some(_) => {}
                    None => merged.push((k.clone(), v.clone())),
                }
            }
        }
        merged.retain(|(k, _)| !conflicting.contains(k));
        merged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_dimension_anywhere_holds_no_element_without_overflow() {
        // Found by the corruption property tests: a flipped byte turned [0, 0, 0] into [0, 2^40, 2^40].
        for shape in [vec![0, 1 << 40, 1 << 40], vec![1 << 40, 1 << 40, 0]] {
            let t = Tensor {
                name: "t".into(),
                dtype: DType::F32,
                shape,
                file: 0,
                data_offsets: [0, 0],
            };
            assert_eq!(t.elements(), 0);
        }
    }
}
