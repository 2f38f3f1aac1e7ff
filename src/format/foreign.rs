//! Weight files recognised by their first bytes: PyTorch's (read by `format/torch`, whatever their name), and
//! formats paramscope does not read, so that the error says what the file is and what to do instead of only "not
//! a file paramscope can read" (or a nonsensical safetensors header length: a zip archive's first eight bytes
//! read as one of 85 GB).

use crate::format::error::{DiscoveryProblem, Problem};
use std::io::Read;
use std::path::Path;

const ZIP: &[u8] = b"PK\x03\x04";
const HDF5: &[u8] = b"\x89HDF\r\n\x1a\n";
/// A pickle starts with PROTO (0x80) and its protocol, 2 to 5, then an opcode that opens the first object:
/// FRAME (protocol 4 and 5), LONG1 (legacy torch.save's magic number), EMPTY_DICT, EMPTY_LIST, MARK, GLOBAL.
/// Requiring that opcode keeps a truncated safetensors file with a small header length from reading as one.
const PICKLE_PROTO: u8 = 0x80;
const PICKLE_FIRST_OPCODES: &[u8] = b"\x95\x8a}](c";
/// A zip local file header is 30 bytes, then the first member's name (torch.save: `ARCHIVE/data.pkl` first
/// since PyTorch 1.6, `ARCHIVE/byteorder` first since 2.1; torch.jit.save: `ARCHIVE/data/0` or
/// `ARCHIVE/code/…`); a longer name is not needed to tell.
const NAME_AT: usize = 30;
const NAME_MAX: usize = 256;
/// How many leading bytes [`sniff`] reads to recognise a file.
pub const SNIFF_BYTES: usize = NAME_AT + NAME_MAX;

const RENAME: &str =
    "not a safetensors file; paramscope reads it as PyTorch (without running its pickle) \
when the index or the path names it as what it is (.bin, .pt)";

/// A weight file recognised by its first bytes (or, for ONNX, its extension) that is not safetensors or GGUF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Foreign {
    /// `torch.save` since PyTorch 1.6: a zip archive holding `data.pkl` and the tensor storages.
    TorchZip,
    /// A bare pickle: `torch.save(..., _use_new_zipfile_serialization=False)` and older PyTorch.
    Pickle {
        /// The pickle protocol its PROTO opcode declares (2 to 5).
        protocol: u8,
    },
    /// Another zip archive (NumPy .npz, Keras .keras).
    Zip,
    /// HDF5: Keras / TensorFlow `.h5` weights.
    Hdf5,
    /// ONNX: a protobuf without a magic number, known by its extension only.
    Onnx,
}

impl Foreign {
    /// The error to report for a file of this kind, with what the user can do about it.
    pub fn problem(self) -> Problem {
        let (format, advice): (String, &str) = match self {
            Foreign::TorchZip => (
                "a PyTorch checkpoint (torch.save zip archive)".into(),
                RENAME,
            ),
            Foreign::Pickle { protocol } => (
                format!(
                    "a PyTorch pickle checkpoint (pickle protocol {protocol}, legacy torch.save)"
                ),
                RENAME,
            ),
            Foreign::Zip => (
                "a zip archive (not a PyTorch checkpoint: no data.pkl)".into(),
                "paramscope reads safetensors and GGUF files",
            ),
            Foreign::Hdf5 => (
                "an HDF5 file (Keras/TensorFlow .h5 weights)".into(),
                "paramscope reads safetensors and GGUF files; save the weights as safetensors",
            ),
            Foreign::Onnx => (
                "an ONNX model".into(),
                "paramscope reads safetensors and GGUF files",
            ),
        };
        DiscoveryProblem::ForeignFormat { format, advice }.into()
    }
}

/// What the first bytes of a file (up to [`SNIFF_BYTES`]) say it is; `None` for anything else.
pub fn recognise(start: &[u8], path: &Path) -> Option<Foreign> {
    if start.starts_with(HDF5) {
        return Some(Foreign::Hdf5);
    }
    if start.starts_with(ZIP) {
        let first_member = start
            .get(26..28)
            .map(|n| u16::from_le_bytes([n[0], n[1]]) as usize)
            .and_then(|len| start.get(NAME_AT..NAME_AT + len));
        let torch = first_member.is_some_and(is_torch_member);
        return Some(if torch {
            Foreign::TorchZip
        } else {
            Foreign::Zip
        });
    }
    if let [PICKLE_PROTO, protocol @ 2..=5, first, ..] = *start {
        if PICKLE_FIRST_OPCODES.contains(&first) {
            return Some(Foreign::Pickle { protocol });
        }
    }
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    extension
        .eq_ignore_ascii_case("onnx")
        .then_some(Foreign::Onnx)
}

/// A first member torch.save or torch.jit.save writes: `ROOT/data.pkl`, `ROOT/byteorder`, `ROOT/version`,
/// `ROOT/.format_version`, `ROOT/data/KEY`, `ROOT/code/…`, `ROOT/constants.pkl`.
fn is_torch_member(name: &[u8]) -> bool {
    let Some(slash) = name.iter().position(|&b| b == b'/') else {
        return name == b"data.pkl";
    };
    let rest = &name[slash + 1..];
    matches!(
        rest,
        b"data.pkl" | b"byteorder" | b"version" | b".format_version" | b"constants.pkl"
    ) || rest.starts_with(b"data/")
        || rest.starts_with(b"code/")
}

/// [`recognise`] on the file at `path`.
pub fn sniff(path: &Path) -> Option<Foreign> {
    let mut start = Vec::with_capacity(SNIFF_BYTES);
    let file = super::open_regular(path).ok()?;
    file.take(SNIFF_BYTES as u64).read_to_end(&mut start).ok()?;
    recognise(&start, path)
}

/// Extensions under which the formats above are found in model folders (`pytorch_model.bin`, `tf_model.h5`).
const EXTENSIONS: &[&str] = &["bin", "pt", "pth", "ckpt", "jit", "h5", "onnx"];

/// Whether a file name has one of the extensions PyTorch checkpoints go by.
pub fn torch_extension(path: &Path) -> bool {
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    ["bin", "pt", "pth", "ckpt", "jit"]
        .iter()
        .any(|e| extension.eq_ignore_ascii_case(e))
}

/// The first file (by name) of a folder that is in one of these formats, for a folder with no weight file
/// paramscope reads: an older Hugging Face repository has only `pytorch_model.bin`.
pub fn in_folder(folder: &Path) -> Option<(std::path::PathBuf, Foreign)> {
    let mut candidates: Vec<_> = std::fs::read_dir(folder)
        .ok()?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            EXTENSIONS.iter().any(|e| extension.eq_ignore_ascii_case(e)) && path.is_file()
        })
        .collect();
    candidates.sort();
    candidates
        .into_iter()
        .find_map(|path| sniff(&path).map(|foreign| (path, foreign)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zip_with_first_member(name: &str) -> Vec<u8> {
        let mut bytes = ZIP.to_vec();
        bytes.extend([0u8; 22]);
        bytes.extend((name.len() as u16).to_le_bytes());
        bytes.extend([0u8; 2]);
        bytes.extend(name.as_bytes());
        bytes
    }

    #[test]
    fn recognises_by_first_bytes() {
        let p = Path::new("x.bin");
        assert_eq!(
            recognise(&zip_with_first_member("archive/data.pkl"), p),
            Some(Foreign::TorchZip)
        );
        assert_eq!(
            recognise(&zip_with_first_member("model/byteorder"), p),
            Some(Foreign::TorchZip)
        );
        assert_eq!(
            recognise(&zip_with_first_member("scripted/data/0"), p),
            Some(Foreign::TorchZip)
        );
        assert_eq!(
            recognise(&zip_with_first_member("arr_0.npy"), p),
            Some(Foreign::Zip)
        );
        assert_eq!(
            recognise(&zip_with_first_member("docs/readme.txt"), p),
            Some(Foreign::Zip)
        );
        assert_eq!(recognise(b"PK\x03\x04", p), Some(Foreign::Zip));
        assert_eq!(
            recognise(b"\x80\x02}q\x00", p),
            Some(Foreign::Pickle { protocol: 2 })
        );
        assert_eq!(recognise(b"\x80\x09}", p), None);
        // A safetensors length prefix of 640 (0x280) is no pickle.
        assert_eq!(recognise(&640u64.to_le_bytes(), p), None);
        assert_eq!(recognise(HDF5, p), Some(Foreign::Hdf5));
        assert_eq!(
            recognise(b"\x08\x07", Path::new("m.onnx")),
            Some(Foreign::Onnx)
        );
        assert_eq!(recognise(b"\x08\x07", p), None);
        assert_eq!(recognise(b"", p), None);
    }
}
