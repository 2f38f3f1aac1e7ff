//! PyTorch checkpoints, read without running a line of their pickle: `torch.save`'s zip format and TorchScript
//! archives ([`zip`]), the legacy format and bare pickles (`legacy`), through a restricted interpreter
//! ([`pickle`]) whose calls are data; the object is walked for its tensors and plain values ([`objects`]), every
//! global it names judged ([`safety`]), and each tensor placed in its storage, which must lie in the file
//! (docs/pytorch.md).

pub(crate) mod legacy;
pub mod objects;
pub mod pickle;
pub mod safety;
mod storage;
pub mod zip;

use super::error::{InputError, LoadError, Problem, TorchProblem};
use super::foreign::{self, Foreign};
use super::{assemble, ParsedFile};
use crate::model::checkpoint::Checkpoint;
use crate::model::checkpoint::{is_row_major, FileInfo, Format, Layout, StorageInfo, Tensor, View};
use objects::{Found, WalkError};
use safety::Origin;
use std::collections::HashMap;
use std::path::Path;

/// Whether the file's first bytes are a torch.save zip archive or a pickle.
pub fn recognised(path: &Path) -> bool {
    matches!(
        foreign::sniff(path),
        Some(Foreign::TorchZip | Foreign::Pickle { .. })
    )
}

/// A single PyTorch file.
pub fn load_file(path: &Path) -> Result<Checkpoint, LoadError> {
    let parsed = read(path, path)?;
    let notes = super::discover::series::lone_shard_note(path)
        .into_iter()
        .collect();
    let checkpoint = assemble(
        Format::Pytorch,
        Layout::SingleFile,
        path,
        vec![parsed],
        None,
        notes,
    );
    Ok(checkpoint)
}

/// Reads the PyTorch file at `path`; errors name `shown`.
pub fn read(path: &Path, shown: &Path) -> Result<ParsedFile, InputError> {
    let err = |problem| InputError::new(shown, problem);
    let mut file = super::open_regular(path).map_err(|e| err(Problem::Io(e)))?;
    let size = file.metadata().map_err(|e| err(Problem::Io(e)))?.len();
    if size == 0 {
        return Err(err(Problem::Empty));
    }
    let kind = foreign::sniff(path);
    let (pickles, found, located) = if kind == Some(Foreign::TorchZip) || kind == Some(Foreign::Zip)
    {
        let archive = zip::read(file, size).map_err(err)?;
        let origin = if archive.torchscript {
            Origin::TorchScript
        } else {
            Origin::Python
        };
        let found = walk(&archive.data).map_err(err)?;
        let mut pickles = vec![(archive.data, origin)];
        pickles.extend(archive.constants.map(|c| (c, origin)));
        (pickles, found, archive.storages)
    } else {
        let mut read = legacy::read(&mut file, size).map_err(err)?;
        let object = read.pickles.swap_remove(read.object);
        let found = walk(&object).map_err(err)?;
        let declared = |key: &str| {
            found.storages.iter().find(|s| s.key == key).map(|s| {
                let bytes = s.element.bytes_for(1).unwrap_or(1);
                (bytes, s.numel)
            })
        };
        let located: HashMap<String, [u64; 2]> = legacy::locate(&mut file, size, &read, declared)
            .map_err(err)?
            .into_iter()
            .collect();
        let mut pickles: Vec<_> = read
            .pickles
            .into_iter()
            .map(|p| (p, Origin::Python))
            .collect();
        pickles.push((object, Origin::Python));
        (pickles, found, located)
    };
    let pickle = safety::report(
        pickles
            .iter()
            .flat_map(|(p, origin)| p.globals.iter().map(move |g| (g, *origin))),
    );
    let (tensors, storages) = place(&found, &located).map_err(err)?;
    let mut notes: Vec<String> = found
        .refused
        .iter()
        .map(|r| format!("tensor {r}: named, not read"))
        .collect();
    if found.values_not_listed > 0 {
        notes.push(format!(
            "{} more plain values in the pickle are not listed",
            found.values_not_listed
        ));
    }
    let info = FileInfo {
        path: shown.to_path_buf(),
        size_bytes: size,
        header_bytes: 0,
        tensors: tensors.len(),
        metadata: Vec::new(),
        format_version: None,
    };
    Ok(ParsedFile {
        info,
        tensors,
        storages,
        pickle: Some(pickle),
        metadata: found.values,
        notes,
    })
}

fn walk(pickle: &pickle::Pickle) -> Result<Found, Problem> {
    let Some(root) = pickle.root else {
        return Ok(Found::default());
    };
    objects::walk(pickle, root).map_err(|e| match e {
        WalkError::BadTensor { name, reason } => TorchProblem::BadTensor { name, reason }.into(),
        WalkError::TooLarge(why) => TorchProblem::TooLarge(why).into(),
    })
}

/// Each tensor placed in its storage, each storage in the file: the storage must be where the pickle says,
/// of the size it declares, and every element of every view inside it.
fn place(
    found: &Found,
    located: &HashMap<String, [u64; 2]>,
) -> Result<(Vec<Tensor>, Vec<StorageInfo>), Problem> {
    let mut storages: Vec<StorageInfo> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut seen_names: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut tensors = Vec::with_capacity(found.tensors.len());
    for t in &found.tensors {
        if !seen_names.insert(&t.name) {
            return Err(Problem::DuplicateTensor(t.name.clone()));
        }
        let s = match index.get(t.storage.as_str()) {
            Some(&s) => s,
            None => {
                let declared = found
                    .storages
                    .iter()
                    .find(|d| d.key == t.storage)
                    .expect("every tensor's storage was declared while walking");
                let range =
                    *located
                        .get(&t.storage)
                        .ok_or_else(|| TorchProblem::MissingStorage {
                            key: t.storage.clone(),
                        })?;
                let expected =
                    declared.element.bytes_for(1).unwrap_or(1) as u128 * declared.numel as u128;
                if expected != (range[1] - range[0]) as u128 {
                    return Err(TorchProblem::StorageSize {
                        key: t.storage.clone(),
                        expected: u64::try_from(expected).unwrap_or(u64::MAX),
                        found: range[1] - range[0],
                    }
                    .into());
                }
                storages.push(StorageInfo {
                    key: t.storage.clone(),
                    file: 0,
                    data_offsets: range,
                    dtype: t.dtype,
                    tensors: 0,
                });
                index.insert(&t.storage, storages.len() - 1);
                storages.len() - 1
            }
        };
        let storage = &mut storages[s];
        let elements = t.shape.iter().try_fold(1u64, |a, &d| a.checked_mul(d));
        if elements.is_none() && !t.shape.contains(&0) {
            return Err(Problem::ShapeOverflow {
                name: t.name.clone(),
                shape: t.shape.clone(),
            });
        }
        let size = t.dtype.bytes_for(1).unwrap_or(1) as u128;
        if !t.shape.contains(&0) {
            let last: u128 = t.offset as u128
                + t.shape
                    .iter()
                    .zip(&t.strides)
                    .map(|(&d, &st)| (d as u128 - 1) * st as u128)
                    .sum::<u128>();
            let reaches = (last + 1) * size;
            if reaches > storage.bytes() as u128 {
                return Err(TorchProblem::ViewOutsideStorage {
                    name: t.name.clone(),
                    view: format!(
                        "{} {:?} at offset {} with strides {:?}",
                        t.dtype, t.shape, t.offset, t.strides
                    ),
                    key: t.storage.clone(),
                    reaches,
                    bytes: storage.bytes(),
                }
                .into());
            }
        }
        storage.tensors += 1;
        // The first tensor of a storage accounts for its bytes; later views of it for none.
        let [start, end] = storage.data_offsets;
        let data_offsets = if storage.tensors == 1 {
            [start, end]
        } else {
            [start, start]
        };
        tensors.push(Tensor {
            name: t.name.clone(),
            dtype: t.dtype,
            shape: t.shape.clone(),
            file: 0,
            data_offsets,
            view: Some(Box::new(View {
                storage: s,
                offset: t.offset,
                strides: t.strides.clone(),
            })),
        });
    }
    // A tensor that is exactly its storage, alone, reads like a safetensors tensor: no view to follow.
    for t in &mut tensors {
        let view = t.view.as_ref().expect("set above");
        let storage = &storages[view.storage];
        let exact = storage.tensors == 1
            && view.offset == 0
            && is_row_major(&t.shape, &view.strides)
            && t.dtype.bytes_for(t.elements()).ok() == Some(storage.bytes());
        if exact {
            t.view = None;
        }
    }
    Ok((tensors, storages))
}
