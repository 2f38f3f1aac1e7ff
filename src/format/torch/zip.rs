//! torch.save's zip format (PyTorch 1.6 and later) and TorchScript archives (`torch.jit.save`): one root folder
//! (any name) holding `data.pkl` (the object), `data/KEY` (one raw storage each), `byteorder`, `version`, and
//! for TorchScript `constants.pkl` and `code/` (`caffe2/serialize/inline_container.cc` writes the archive:
//! entries stored uncompressed, each entry's data aligned to 64 bytes, so a storage is read in place at its data
//! offset). The central directory is read by the `zip` crate; only `data.pkl` and `constants.pkl` are read whole.

use super::pickle::{self, Input, Pickle};
use crate::format::error::{Problem, TorchProblem};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use zip::{CompressionMethod, ZipArchive};

/// More entries than any checkpoint has (one per storage: a 100k-tensor model has 100k): a bound on the work of
/// resolving them.
pub const MAX_ENTRIES: usize = 2_000_000;

/// What the archive holds, located.
pub struct Archive {
    /// The root folder's name (`archive`, or the file's stem).
    pub root: String,
    /// The unpickled `data.pkl`: the saved object.
    pub data: Pickle,
    /// TorchScript only: `constants.pkl`, read for its globals.
    pub constants: Option<Pickle>,
    /// Storage key → byte range of its data in the file.
    pub storages: HashMap<String, [u64; 2]>,
    /// `code/` or `constants.pkl` present: written by `torch.jit.save`.
    pub torchscript: bool,
}

fn zip_error(e: zip::result::ZipError) -> Problem {
    TorchProblem::Zip(e.to_string()).into()
}

/// Reads the zip archive of `file_size` bytes: its central directory, `data.pkl` (and TorchScript's
/// `constants.pkl`), and where each storage's data lies; storages are not read.
pub fn read(file: File, file_size: u64) -> Result<Archive, Problem> {
    let mut zip = ZipArchive::new(BufReader::new(file)).map_err(zip_error)?;
    if zip.len() > MAX_ENTRIES {
        return Err(TorchProblem::TooManyEntries {
            count: zip.len(),
            max: MAX_ENTRIES,
        }
        .into());
    }
    let names: Vec<String> = zip
        .file_names_raw()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect();
    let root = names
        .iter()
        .find_map(|n| n.strip_suffix("/data.pkl").filter(|r| !r.contains('/')))
        .ok_or(TorchProblem::NoDataPkl)?
        .to_string();
    let entry = |name: &str| format!("{root}/{name}");
    let index_of = |name: &str| names.iter().position(|n| *n == entry(name));

    if let Some(i) = index_of("byteorder") {
        let order = read_entry(&mut zip, i, file_size)?;
        if order.trim_ascii() == b"big" {
            return Err(TorchProblem::BigEndian {
                what: entry("byteorder"),
            }
            .into());
        }
    }
    let data_index = index_of("data.pkl").expect("found above");
    let data = read_pickle(&mut zip, data_index, &entry("data.pkl"), file_size)?;
    let constants = match index_of("constants.pkl") {
        Some(i) => Some(read_pickle(
            &mut zip,
            i,
            &entry("constants.pkl"),
            file_size,
        )?),
        None => None,
    };
    let code = format!("{root}/code/");
    let torchscript = constants.is_some() || names.iter().any(|n| n.starts_with(&code));

    let data_folder = format!("{root}/data/");
    let mut storages = HashMap::new();
    for (i, name) in names.iter().enumerate() {
        let Some(key) = name.strip_prefix(&data_folder) else {
            continue;
        };
        let f = zip.by_index_raw(i).map_err(zip_error)?;
        if f.compression() != CompressionMethod::Stored {
            return Err(TorchProblem::Compressed {
                entry: name.clone(),
                method: f.compression().to_string(),
            }
            .into());
        }
        let start = f
            .data_start()
            .ok_or_else(|| TorchProblem::Zip(format!("no data offset for '{name}'")))?;
        let end = start
            .checked_add(f.size())
            .filter(|&e| e <= file_size)
            .ok_or_else(|| TorchProblem::EntryPastEnd {
                entry: name.clone(),
                size: f.size(),
                file_size,
            })?;
        storages.insert(key.to_string(), [start, end]);
    }
    Ok(Archive {
        root,
        data,
        constants,
        storages,
        torchscript,
    })
}

/// A small entry, whole; its claimed size is checked against the file first.
fn read_entry(
    zip: &mut ZipArchive<BufReader<File>>,
    i: usize,
    file_size: u64,
) -> Result<Vec<u8>, Problem> {
    let mut f = zip.by_index(i).map_err(zip_error)?;
    let name = String::from_utf8_lossy(f.name_raw()).into_owned();
    if f.compression() != CompressionMethod::Stored {
        return Err(TorchProblem::Compressed {
            entry: name,
            method: f.compression().to_string(),
        }
        .into());
    }
    if f.size() > file_size {
        return Err(TorchProblem::EntryPastEnd {
            entry: name,
            size: f.size(),
            file_size,
        }
        .into());
    }
    let mut bytes = Vec::with_capacity(f.size() as usize);
    f.read_to_end(&mut bytes)
        .map_err(|e| TorchProblem::Zip(format!("'{name}': {e}")))?;
    Ok(bytes)
}

fn read_pickle(
    zip: &mut ZipArchive<BufReader<File>>,
    i: usize,
    name: &str,
    file_size: u64,
) -> Result<Pickle, Problem> {
    let bytes = read_entry(zip, i, file_size)?;
    pickle::read(&mut Input::new(&bytes[..], bytes.len() as u64)).map_err(|error| {
        TorchProblem::Pickle {
            what: name.to_string(),
            error,
        }
        .into()
    })
}
