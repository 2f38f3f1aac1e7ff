//! Weight files in formats paramscope does not read (PyTorch, HDF5), for the malformed corpus: each is named as
//! what it is (`unsupported_format`), not as an unknown file or a broken safetensors header.

use std::fs;
use std::path::Path;

/// The first bytes of a `torch.save` zip archive: a local file header whose member is `archive/data.pkl`.
fn torch_zip() -> Vec<u8> {
    let name = b"archive/data.pkl";
    let mut bytes = b"PK\x03\x04\x14\x00".to_vec();
    bytes.extend([0u8; 20]);
    bytes.extend((name.len() as u16).to_le_bytes());
    bytes.extend([0u8; 2]);
    bytes.extend(name);
    bytes.extend(b"\x80\x02}q\x00.");
    bytes
}

pub fn write_all(root: &Path) -> Vec<(String, &'static str, &'static str)> {
    let mut table = Vec::new();
    let mut file = |name: &str, bytes: Vec<u8>, what: &'static str| {
        fs::write(root.join(name), bytes).unwrap();
        table.push((name.to_string(), "unsupported_format", what));
    };
    file(
        "pytorch_model.bin",
        torch_zip(),
        "a PyTorch zip checkpoint (torch.save), not read: unpickling runs code",
    );
    file(
        "pytorch-renamed.safetensors",
        torch_zip(),
        "a PyTorch zip checkpoint renamed .safetensors",
    );
    // PROTO 2, then legacy torch.save's magic number 0x1950a86a20f9469cfc6c as LONG1.
    file(
        "legacy.pt",
        b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.".to_vec(),
        "a legacy PyTorch pickle checkpoint",
    );
    file(
        "tf_model.h5",
        b"\x89HDF\r\n\x1a\n\0\0\0\0".to_vec(),
        "an HDF5 (Keras/TensorFlow) weights file",
    );
    table
}
