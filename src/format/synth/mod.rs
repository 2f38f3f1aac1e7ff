//! Writing synthetic checkpoints: used by the tests, the fixture generator and the benchmarks.
//!
//! Tensors without explicit data are left as a hole in the file (`File::set_len`), so a 405B-parameter-shaped
//! checkpoint is a valid safetensors file that takes no disk space.

pub mod deepseek;
pub mod gguf;
pub mod models;
pub mod moe;

use crate::model::dtype::DType;
use serde_json::{json, Map, Value};
use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::Path;

/// One tensor of a safetensors file to write.
#[derive(Debug, Clone)]
pub struct SynthTensor {
    /// The tensor's name (its header key).
    pub name: String,
    /// The dtype written in the header.
    pub dtype: DType,
    /// The shape written in the header, outermost first.
    pub shape: Vec<u64>,
    /// Raw little-endian bytes; `None` leaves zeros (a hole on disk).
    pub data: Option<Vec<u8>>,
}

impl SynthTensor {
    /// The tensor's data length in bytes (panics if the shape does not fill whole bytes).
    pub fn bytes(&self) -> u64 {
        let elements: u64 = self.shape.iter().product();
        self.dtype
            .bytes_for(elements)
            .expect("synthetic tensor has a whole number of bytes")
    }
}

/// One safetensors file, laid out like the reference writer: tensors contiguous from offset 0 in the order added,
/// header padded with spaces to a multiple of 8 bytes.
#[derive(Debug, Clone, Default)]
pub struct SafetensorsWriter {
    /// Tensors, written in this order from data offset 0.
    pub tensors: Vec<SynthTensor>,
    /// `__metadata__` entries (omitted when empty).
    pub metadata: Vec<(String, String)>,
}

impl SafetensorsWriter {
    /// An empty file: no tensors, no metadata.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a `__metadata__` entry.
    pub fn metadata(mut self, key: &str, value: &str) -> Self {
        self.metadata.push((key.into(), value.into()));
        self
    }

    /// A tensor whose data is all zeros (a hole when written to disk).
    pub fn tensor(mut self, name: &str, dtype: DType, shape: &[u64]) -> Self {
        self.tensors.push(SynthTensor {
            name: name.into(),
            dtype,
            shape: shape.to_vec(),
            data: None,
        });
        self
    }

    /// A tensor with its raw little-endian data (panics unless `data` is exactly the tensor's bytes).
    pub fn tensor_with_data(
        mut self,
        name: &str,
        dtype: DType,
        shape: &[u64],
        data: Vec<u8>,
    ) -> Self {
        let t = SynthTensor {
            name: name.into(),
            dtype,
            shape: shape.to_vec(),
            data: Some(data),
        };
        assert_eq!(
            t.bytes(),
            t.data.as_ref().unwrap().len() as u64,
            "data size for {name}"
        );
        self.tensors.push(t);
        self
    }

    /// Adds a tensor built by hand.
    pub fn push(&mut self, tensor: SynthTensor) {
        self.tensors.push(tensor);
    }

    /// The data region's length in bytes: every tensor's bytes.
    pub fn data_bytes(&self) -> u64 {
        self.tensors.iter().map(SynthTensor::bytes).sum()
    }

    /// The JSON header, padded with spaces to a multiple of 8 bytes.
    pub fn header(&self) -> Vec<u8> {
        let mut map = Map::new();
        if !self.metadata.is_empty() {
            let meta: Map<String, Value> = self
                .metadata
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            map.insert("__metadata__".into(), Value::Object(meta));
        }
        let mut offset = 0u64;
        for t in &self.tensors {
            let end = offset + t.bytes();
            map.insert(
                t.name.clone(),
                json!({"dtype": t.dtype.name(), "shape": t.shape, "data_offsets": [offset, end]}),
            );
            offset = end;
        }
        let mut header = serde_json::to_vec(&Value::Object(map)).expect("header serialises");
        while !header.len().is_multiple_of(8) {
            header.push(b' ');
        }
        header
    }

    /// The whole file in memory (for small files and corruption tests).
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = self.header();
        let mut out = Vec::with_capacity(8 + header.len() + self.data_bytes() as usize);
        out.extend_from_slice(&(header.len() as u64).to_le_bytes());
        out.extend_from_slice(&header);
        for t in &self.tensors {
            match &t.data {
                Some(d) => out.extend_from_slice(d),
                None => out.resize(out.len() + t.bytes() as usize, 0),
            }
        }
        out
    }

    /// Writes the file; the data of tensors without explicit data is a hole. Returns the file size.
    pub fn write(&self, path: &Path) -> io::Result<u64> {
        let header = self.header();
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        f.write_all(&(header.len() as u64).to_le_bytes())?;
        f.write_all(&header)?;
        let data_start = 8 + header.len() as u64;
        let mut offset = data_start;
        for t in &self.tensors {
            if let Some(d) = &t.data {
                f.seek(SeekFrom::Start(offset))?;
                f.write_all(d)?;
            }
            offset += t.bytes();
        }
        f.set_len(offset)?;
        Ok(offset)
    }
}

/// Writes `shards` as `PREFIX-0000i-of-0000n.safetensors` plus `PREFIX.safetensors.index.json` in `dir`,
/// like transformers' `save_pretrained`. Returns the index path.
pub fn write_sharded(
    dir: &Path,
    prefix: &str,
    shards: &[SafetensorsWriter],
    index_metadata: Map<String, Value>,
) -> io::Result<std::path::PathBuf> {
    let n = shards.len();
    let mut weight_map = Map::new();
    let mut total_size = 0u64;
    for (i, shard) in shards.iter().enumerate() {
        let name = format!("{prefix}-{:05}-of-{:05}.safetensors", i + 1, n);
        shard.write(&dir.join(&name))?;
        for t in &shard.tensors {
            weight_map.insert(t.name.clone(), Value::String(name.clone()));
        }
        total_size += shard.data_bytes();
    }
    let mut metadata = Map::new();
    metadata.insert("total_size".into(), json!(total_size));
    metadata.extend(index_metadata);
    let index = json!({"metadata": metadata, "weight_map": weight_map});
    let path = dir.join(format!("{prefix}.safetensors.index.json"));
    let mut f = File::create(&path)?;
    f.write_all(
        serde_json::to_string_pretty(&index)
            .expect("index serialises")
            .as_bytes(),
    )?;
    Ok(path)
}

/// The dimensions of a Llama-style decoder.
#[derive(Debug, Clone, Copy)]
pub struct LlamaShape {
    /// Decoder layers (`num_hidden_layers`).
    pub layers: u64,
    /// Hidden size (`hidden_size`).
    pub hidden: u64,
    /// MLP inner size (`intermediate_size`).
    pub intermediate: u64,
    /// Query heads (`num_attention_heads`).
    pub heads: u64,
    /// Key/value heads (`num_key_value_heads`).
    pub kv_heads: u64,
    /// Vocabulary size (`vocab_size`).
    pub vocab: u64,
    /// Whether `lm_head` shares the embedding (`tie_word_embeddings`), so no `lm_head.weight` is written.
    pub tie_embeddings: bool,
}

impl LlamaShape {
    /// meta-llama/Meta-Llama-3-8B (config.json).
    pub const LLAMA3_8B: LlamaShape = LlamaShape {
        layers: 32,
        hidden: 4096,
        intermediate: 14336,
        heads: 32,
        kv_heads: 8,
        vocab: 128256,
        tie_embeddings: false,
    };
    /// meta-llama/Meta-Llama-3-70B.
    pub const LLAMA3_70B: LlamaShape = LlamaShape {
        layers: 80,
        hidden: 8192,
        intermediate: 28672,
        heads: 64,
        kv_heads: 8,
        vocab: 128256,
        tie_embeddings: false,
    };
    /// meta-llama/Llama-3.1-405B.
    pub const LLAMA31_405B: LlamaShape = LlamaShape {
        layers: 126,
        hidden: 16384,
        intermediate: 53248,
        heads: 128,
        kv_heads: 8,
        vocab: 128256,
        tie_embeddings: false,
    };

    /// Tensor names and shapes in the order transformers saves them (embeddings, layers, norm, head).
    pub fn tensors(&self) -> Vec<(String, Vec<u64>)> {
        let head_dim = self.hidden / self.heads;
        let kv = self.kv_heads * head_dim;
        let (h, i) = (self.hidden, self.intermediate);
        let mut out = vec![("model.embed_tokens.weight".to_string(), vec![self.vocab, h])];
        for l in 0..self.layers {
            let p = format!("model.layers.{l}");
            out.push((format!("{p}.input_layernorm.weight"), vec![h]));
            out.push((format!("{p}.mlp.down_proj.weight"), vec![h, i]));
            out.push((format!("{p}.mlp.gate_proj.weight"), vec![i, h]));
            out.push((format!("{p}.mlp.up_proj.weight"), vec![i, h]));
            out.push((format!("{p}.post_attention_layernorm.weight"), vec![h]));
            out.push((format!("{p}.self_attn.k_proj.weight"), vec![kv, h]));
            out.push((format!("{p}.self_attn.o_proj.weight"), vec![h, h]));
            out.push((format!("{p}.self_attn.q_proj.weight"), vec![h, h]));
            out.push((format!("{p}.self_attn.v_proj.weight"), vec![kv, h]));
        }
        out.push(("model.norm.weight".to_string(), vec![h]));
        if !self.tie_embeddings {
            out.push(("lm_head.weight".to_string(), vec![self.vocab, h]));
        }
        out
    }

    /// Splits the tensors into shards of at most `max_shard_bytes` (greedy, in order, as huggingface_hub does),
    /// every tensor stored as `dtype`, data left as holes.
    pub fn shards(&self, dtype: DType, max_shard_bytes: u64) -> Vec<SafetensorsWriter> {
        let mut shards = vec![SafetensorsWriter::new().metadata("format", "pt")];
        for (name, shape) in self.tensors() {
            let t = SynthTensor {
                name,
                dtype,
                shape,
                data: None,
            };
            let current = shards.last_mut().unwrap();
            if !current.tensors.is_empty() && current.data_bytes() + t.bytes() > max_shard_bytes {
                shards.push(SafetensorsWriter::new().metadata("format", "pt"));
            }
            shards.last_mut().unwrap().push(t);
        }
        shards
    }
}
