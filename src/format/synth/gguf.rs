//! Writing GGUF files for tests, fixtures and benchmarks: any metadata type (nested arrays included), any ggml
//! tensor type, any alignment, multi-part files named and tagged as llama.cpp's `gguf-split` does.
//!
//! Tensors without explicit data are holes in the file, so a 70B-shaped GGUF costs no disk.

use crate::format::gguf::split::{KEY_COUNT, KEY_NO, KEY_TENSORS};
use crate::format::gguf::{values, DEFAULT_ALIGNMENT, MAGIC};
use crate::model::dtype::ggml::ggml_id;
use crate::model::dtype::DType;
use crate::model::metadata::{MetaArray, MetaKind, MetaValue};
use std::fs::OpenOptions;
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// One tensor of a GGUF file to write, as its tensor-table entry stores it (any type id, any offset, for malformed
/// files too).
#[derive(Debug, Clone)]
pub struct GgufTensor {
    /// The tensor's name.
    pub name: String,
    /// ggml tensor type id (any value, so that unknown types can be written).
    pub type_id: u32,
    /// ggml order: innermost first.
    pub dims: Vec<u64>,
    /// Data bytes (unpadded).
    pub bytes: u64,
    /// Raw data; `None` leaves zeros (a hole on disk).
    pub data: Option<Vec<u8>>,
    /// Overrides the data offset the writer would choose (for malformed files).
    pub offset: Option<u64>,
}

/// A GGUF file to write: version, alignment, metadata and tensors, laid out as llama.cpp does unless overridden.
#[derive(Debug, Clone)]
pub struct GgufWriter {
    /// The GGUF version written in the header (3 by default; any value, for unsupported-version tests).
    pub version: u32,
    /// Tensor data alignment used for the layout; `general.alignment` is written by [`alignment`](Self::alignment).
    pub alignment: u64,
    /// Key/values, written in this order.
    pub metadata: Vec<(String, MetaValue)>,
    /// Tensors, written in this order.
    pub tensors: Vec<GgufTensor>,
}

impl Default for GgufWriter {
    fn default() -> Self {
        GgufWriter {
            version: 3,
            alignment: DEFAULT_ALIGNMENT as u64,
            metadata: Vec::new(),
            tensors: Vec::new(),
        }
    }
}

impl GgufWriter {
    /// An empty version-3 file with the default alignment (32).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the version written in the header.
    pub fn version(mut self, version: u32) -> Self {
        self.version = version;
        self
    }

    /// Lays data out on `alignment` and records it as `general.alignment` (u32).
    pub fn alignment(mut self, alignment: u32) -> Self {
        self.alignment = alignment as u64;
        self.kv("general.alignment", MetaValue::U32(alignment))
    }

    /// Adds a key/value.
    pub fn kv(mut self, key: &str, value: MetaValue) -> Self {
        self.metadata.push((key.to_string(), value));
        self
    }

    /// Adds a string key/value.
    pub fn kv_str(self, key: &str, value: &str) -> Self {
        self.kv(key, MetaValue::String(value.to_string()))
    }

    /// A string array (e.g. `tokenizer.ggml.tokens`).
    pub fn kv_strings(self, key: &str, values: &[String]) -> Self {
        self.kv(
            key,
            array(
                MetaKind::String,
                values.iter().cloned().map(MetaValue::String).collect(),
            ),
        )
    }

    /// A tensor with a PyTorch-order `shape` (outermost first), stored as ggml dims (innermost first); zeros.
    pub fn tensor(self, name: &str, dtype: DType, shape: &[u64]) -> Self {
        self.push_tensor(name, dtype, shape, None)
    }

    /// A tensor with a PyTorch-order `shape` and its raw data (`data` must be exactly the tensor's bytes).
    pub fn tensor_with_data(self, name: &str, dtype: DType, shape: &[u64], data: Vec<u8>) -> Self {
        self.push_tensor(name, dtype, shape, Some(data))
    }

    fn push_tensor(
        mut self,
        name: &str,
        dtype: DType,
        shape: &[u64],
        data: Option<Vec<u8>>,
    ) -> Self {
        let elements: u64 = shape.iter().product();
        let bytes = dtype
            .bytes_for(elements)
            .expect("synthetic tensor holds whole blocks");
        if let Some(d) = &data {
            assert_eq!(d.len() as u64, bytes, "data size for {name}");
        }
        self.tensors.push(GgufTensor {
            name: name.to_string(),
            type_id: ggml_id(dtype).expect("a dtype GGUF can store"),
            dims: shape.iter().rev().copied().collect(),
            bytes,
            data,
            offset: None,
        });
        self
    }

    /// A tensor described field by field, valid or not.
    pub fn raw_tensor(mut self, tensor: GgufTensor) -> Self {
        self.tensors.push(tensor);
        self
    }

    /// Data offsets as the writer lays them out: in order, each padded to the alignment (unless overridden).
    pub fn offsets(&self) -> Vec<u64> {
        let mut next = 0u64;
        self.tensors
            .iter()
            .map(|t| {
                let at = t.offset.unwrap_or(next);
                next = pad(at + t.bytes, self.alignment);
                at
            })
            .collect()
    }

    /// Everything before the data: magic, version, counts, metadata, tensor infos (not padded).
    pub fn header(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.version.to_le_bytes());
        out.extend_from_slice(&(self.tensors.len() as u64).to_le_bytes());
        out.extend_from_slice(&(self.metadata.len() as u64).to_le_bytes());
        for (k, v) in &self.metadata {
            put_string(&mut out, k);
            out.extend_from_slice(&values::id_of(v.kind()).to_le_bytes());
            put_value(&mut out, v);
        }
        for (t, offset) in self.tensors.iter().zip(self.offsets()) {
            put_string(&mut out, &t.name);
            out.extend_from_slice(&(t.dims.len() as u32).to_le_bytes());
            for d in &t.dims {
                out.extend_from_slice(&d.to_le_bytes());
            }
            out.extend_from_slice(&t.type_id.to_le_bytes());
            out.extend_from_slice(&offset.to_le_bytes());
        }
        out
    }

    /// Where the data region starts: the header padded to the alignment (even without tensors, as ggml and
    /// gguf-py write it).
    pub fn data_start(&self) -> u64 {
        pad(self.header().len() as u64, self.alignment)
    }

    /// The file's length: the data region ends padded to the alignment, as gguf-py and ggml write it.
    pub fn file_len(&self) -> u64 {
        let end = self
            .tensors
            .iter()
            .zip(self.offsets())
            .map(|(t, o)| pad(o + t.bytes, self.alignment))
            .max()
            .unwrap_or(0);
        self.data_start() + end
    }

    /// The whole file in memory (small files and corruption tests).
    pub fn to_bytes(&self) -> Vec<u8> {
        let start = self.data_start();
        let mut out = self.header();
        out.resize(self.file_len() as usize, 0);
        for (t, offset) in self.tensors.iter().zip(self.offsets()) {
            if let Some(d) = &t.data {
                let at = (start + offset) as usize;
                out[at..at + d.len()].copy_from_slice(d);
            }
        }
        out
    }

    /// Writes the file; tensors without data are holes. Returns the file size.
    pub fn write(&self, path: &Path) -> io::Result<u64> {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        f.write_all(&self.header())?;
        let start = self.data_start();
        for (t, offset) in self.tensors.iter().zip(self.offsets()) {
            if let Some(d) = &t.data {
                f.seek(SeekFrom::Start(start + offset))?;
                f.write_all(d)?;
            }
        }
        let len = self.file_len();
        f.set_len(len)?;
        Ok(len)
    }
}

/// Writes `parts` as `PREFIX-0000i-of-0000n.gguf` in `dir`, adding `split.no`, `split.count` and
/// `split.tensors.count` to each part as llama.cpp's gguf-split does (the model's metadata belongs in the first
/// part only). Returns the paths, first to last.
pub fn write_split(dir: &Path, prefix: &str, parts: &[GgufWriter]) -> io::Result<Vec<PathBuf>> {
    let n = parts.len();
    let total: usize = parts.iter().map(|p| p.tensors.len()).sum();
    let mut paths = Vec::with_capacity(n);
    for (i, part) in parts.iter().enumerate() {
        let path = dir.join(format!("{prefix}-{:05}-of-{n:05}.gguf", i + 1));
        part.clone()
            .kv(KEY_NO, MetaValue::U16(i as u16))
            .kv(KEY_COUNT, MetaValue::U16(n as u16))
            .kv(KEY_TENSORS, MetaValue::I32(total as i32))
            .write(&path)?;
        paths.push(path);
    }
    Ok(paths)
}

/// An array value whose elements are all given.
pub fn array(element: MetaKind, values: Vec<MetaValue>) -> MetaValue {
    MetaValue::Array(MetaArray {
        element,
        len: values.len() as u64,
        values,
    })
}

fn pad(n: u64, alignment: u64) -> u64 {
    n.div_ceil(alignment) * alignment
}

fn put_string(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_value(out: &mut Vec<u8>, v: &MetaValue) {
    match v {
        MetaValue::U8(x) => out.push(*x),
        MetaValue::I8(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::U16(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::I16(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::U32(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::I32(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::F32(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::Bool(x) => out.push(u8::from(*x)),
        MetaValue::String(s) => put_string(out, s),
        MetaValue::U64(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::I64(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::F64(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::Array(a) => {
            assert!(a.is_complete(), "the writer needs every element");
            out.extend_from_slice(&values::id_of(a.element).to_le_bytes());
            out.extend_from_slice(&a.len.to_le_bytes());
            for e in &a.values {
                put_value(out, e);
            }
        }
    }
}

/// A Llama-shaped GGUF as llama.cpp's converter names it (`token_embd`, `blk.N.attn_q`, …), quantised like
/// Q4_K_M in spirit: Q4_K for the matrices, Q6_K for `attn_v`, `ffn_down` and `output`, F32 norms; data left as
/// holes. The tokenizer has `shape.vocab` tokens and `merges` merge rules, so the header is as large as a real one.
pub fn llama_q4_k_m(shape: &crate::format::synth::LlamaShape, merges: u64) -> GgufWriter {
    use crate::model::dtype::GgmlQuant;
    let (q4k, q6k, f32) = (
        DType::Ggml(GgmlQuant::Q4_K),
        DType::Ggml(GgmlQuant::Q6_K),
        DType::F32,
    );
    let (h, ff, vocab) = (shape.hidden, shape.intermediate, shape.vocab);
    let kv = shape.kv_heads * (h / shape.heads);
    let tokens: Vec<MetaValue> = (0..vocab)
        .map(|i| MetaValue::String(format!("tok{i}")))
        .collect();
    let merge_rules: Vec<MetaValue> = (0..merges)
        .map(|i| MetaValue::String(format!("m{} {}", i % 1000, i / 1000)))
        .collect();
    let mut w = GgufWriter::new()
        .kv_str("general.architecture", "llama")
        .kv("general.file_type", MetaValue::U32(15))
        .kv("llama.block_count", MetaValue::U32(shape.layers as u32))
        .kv("llama.context_length", MetaValue::U32(8192))
        .kv("llama.embedding_length", MetaValue::U32(h as u32))
        .kv("llama.feed_forward_length", MetaValue::U32(ff as u32))
        .kv(
            "llama.attention.head_count",
            MetaValue::U32(shape.heads as u32),
        )
        .kv(
            "llama.attention.head_count_kv",
            MetaValue::U32(shape.kv_heads as u32),
        )
        .kv_str("tokenizer.ggml.model", "gpt2")
        .kv("tokenizer.ggml.tokens", array(MetaKind::String, tokens))
        .kv(
            "tokenizer.ggml.token_type",
            array(MetaKind::I32, vec![MetaValue::I32(1); vocab as usize]),
        )
        .kv(
            "tokenizer.ggml.merges",
            array(MetaKind::String, merge_rules),
        )
        .tensor("token_embd.weight", q4k, &[vocab, h]);
    for l in 0..shape.layers {
        let p = format!("blk.{l}");
        w = w
            .tensor(&format!("{p}.attn_norm.weight"), f32, &[h])
            .tensor(&format!("{p}.attn_q.weight"), q4k, &[h, h])
            .tensor(&format!("{p}.attn_k.weight"), q4k, &[kv, h])
            .tensor(&format!("{p}.attn_v.weight"), q6k, &[kv, h])
            .tensor(&format!("{p}.attn_output.weight"), q4k, &[h, h])
            .tensor(&format!("{p}.ffn_norm.weight"), f32, &[h])
            .tensor(&format!("{p}.ffn_gate.weight"), q4k, &[ff, h])
            .tensor(&format!("{p}.ffn_up.weight"), q4k, &[ff, h])
            .tensor(&format!("{p}.ffn_down.weight"), q6k, &[h, ff]);
    }
    w = w.tensor("output_norm.weight", f32, &[h]);
    if !shape.tie_embeddings {
        w = w.tensor("output.weight", q6k, &[vocab, h]);
    }
    w
}
