//! The legacy torch.save format (PyTorch before 1.6, or `_use_new_zipfile_serialization=False`;
//! `torch/serialization.py` `_legacy_save`/`_legacy_load`): five pickles back to back — the magic number
//! `0x1950a86a20f9469cfc6c`, the protocol version 1001, `sys_info` (`{'protocol_version', 'little_endian',
//! 'type_sizes'}`), the object, the list of storage keys — then for each key in that order an 8-byte
//! little-endian element count and the storage's bytes.
//!
//! A pickle file without the magic number (`pickle.dump` of anything) is one bare pickle: `torch.load` would
//! unpickle it all the same (running whatever it calls) while looking for the magic number, so it is read as
//! one object, for its globals and whatever plain values it holds.

use super::pickle::{self, Input, Node, Pickle, Value};
use crate::format::error::{Problem, TorchProblem};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};

/// PROTO 2, LONG1 of 10 bytes: the magic number, little-endian; STOP.
const MAGIC_PICKLE: &[u8] = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19\x2e";
const PROTOCOL_VERSION: i64 = 1001;

/// What a legacy `torch.save` file (or a bare pickle) holds: its pickles and where its storages' data starts.
pub struct Legacy {
    /// Every pickle read (for their globals): the object's is `pickles[object]`.
    pub pickles: Vec<Pickle>,
    /// Which of `pickles` is the saved object.
    pub object: usize,
    /// Storage keys in the order their data follows the pickles, with where each storage's count is.
    pub keys: Vec<String>,
    /// Byte offset of the first storage record.
    pub data_start: u64,
}

/// Whether the file starts with the legacy magic number (any pickle protocol of 2 or more).
pub fn has_magic(start: &[u8]) -> bool {
    start.len() >= MAGIC_PICKLE.len()
        && start[0] == 0x80
        && (2..=5).contains(&start[1])
        && start[2..MAGIC_PICKLE.len()] == MAGIC_PICKLE[2..]
}

fn pickle_error(what: &str, error: pickle::PickleError) -> Problem {
    TorchProblem::Pickle {
        what: what.to_string(),
        error,
    }
    .into()
}

/// Reads the pickles of a legacy file (or the one pickle of a bare pickle file) of `file_size` bytes, and the
/// storage keys; storages' data is not read.
pub fn read(file: &mut File, file_size: u64) -> Result<Legacy, Problem> {
    let mut start = Vec::with_capacity(MAGIC_PICKLE.len());
    (&mut *file)
        .take(MAGIC_PICKLE.len() as u64)
        .read_to_end(&mut start)?;
    file.seek(SeekFrom::Start(0))?;
    let mut input = Input::new(BufReader::new(file), file_size);
    if !has_magic(&start) {
        let bare = pickle::read(&mut input).map_err(|e| pickle_error("the pickle", e))?;
        return Ok(Legacy {
            pickles: vec![bare],
            object: 0,
            keys: Vec::new(),
            data_start: file_size,
        });
    }
    let mut pickles = Vec::with_capacity(5);
    for what in [
        "the magic number",
        "the protocol version",
        "sys_info",
        "the object",
        "the storage keys",
    ] {
        pickles.push(
            pickle::read(&mut input).map_err(|e| pickle_error(&format!("pickle of {what}"), e))?,
        );
    }
    let protocol = &pickles[1];
    if protocol.root != Some(Value::Int(PROTOCOL_VERSION)) {
        return Err(TorchProblem::Legacy(format!(
            "the protocol version is not {PROTOCOL_VERSION}"
        ))
        .into());
    }
    if little_endian(&pickles[2]) == Some(false) {
        return Err(TorchProblem::BigEndian {
            what: "sys_info".into(),
        }
        .into());
    }
    let keys_pickle = &pickles[4];
    let keys = keys_pickle
        .root
        .and_then(|r| keys_pickle.items_of(r))
        .ok_or_else(|| TorchProblem::Legacy("the storage keys are not a list".into()))?
        .iter()
        .map(|&k| match k {
            Value::Int(i) => Some(i.to_string()),
            _ => keys_pickle.str_of(k).map(str::to_string),
        })
        .collect::<Option<Vec<String>>>()
        .ok_or_else(|| TorchProblem::Legacy("a storage key is not a string".into()))?;
    Ok(Legacy {
        data_start: input.pos(),
        pickles,
        object: 3,
        keys,
    })
}

/// `sys_info['little_endian']`.
fn little_endian(sys_info: &Pickle) -> Option<bool> {
    let Some(Node::Dict(items)) = sys_info.node_of(sys_info.root?) else {
        return None;
    };
    items.iter().find_map(|&(k, v)| match v {
        Value::Bool(b) if sys_info.str_of(k) == Some("little_endian") => Some(b),
        _ => None,
    })
}

/// Where each storage's bytes are: after its 8-byte element count, in key order. `declared(key)` gives the
/// element size and the element count the pickle declared for it.
pub fn locate(
    file: &mut File,
    file_size: u64,
    legacy: &Legacy,
    declared: impl Fn(&str) -> Option<(u64, u64)>,
) -> Result<Vec<(String, [u64; 2])>, Problem> {
    let mut at = legacy.data_start;
    let mut located = Vec::with_capacity(legacy.keys.len().min(1 << 16));
    for key in &legacy.keys {
        let past_end = |end: u128| TorchProblem::DataPastEnd {
            key: key.clone(),
            end,
            size: file_size,
        };
        if at + 8 > file_size {
            return Err(past_end(at as u128 + 8).into());
        }
        file.seek(SeekFrom::Start(at))?;
        let mut count = [0u8; 8];
        file.read_exact(&mut count)?;
        let count = u64::from_le_bytes(count);
        let (element_bytes, numel) =
            declared(key).ok_or_else(|| TorchProblem::MissingStorage { key: key.clone() })?;
        if count != numel {
            return Err(TorchProblem::StorageSize {
                key: key.clone(),
                expected: numel.saturating_mul(element_bytes),
                found: count.saturating_mul(element_bytes),
            }
            .into());
        }
        let start = at + 8;
        let end = start as u128 + count as u128 * element_bytes as u128;
        if end > file_size as u128 {
            return Err(past_end(end).into());
        }
        located.push((key.clone(), [start, end as u64]));
        at = end as u64;
    }
    Ok(located)
}
