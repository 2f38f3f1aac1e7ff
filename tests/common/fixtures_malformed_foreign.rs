//! PyTorch files cut short or corrupted, and a format paramscope does not read (HDF5), for the malformed corpus:
//! each refused with its own code, never as an unknown file or a broken safetensors header.

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
    let mut file = |name: &str, bytes: Vec<u8>, code: &'static str, what: &'static str| {
        fs::write(root.join(name), bytes).unwrap();
        table.push((name.to_string(), code, what));
    };
    file(
        "pytorch_model.bin",
        torch_zip(),
        "torch_zip",
        "a torch.save zip archive cut after its first member (no central directory)",
    );
    file(
        "pytorch-renamed.safetensors",
        torch_zip(),
        "torch_zip",
        "the same, named .safetensors: read as PyTorch by its first bytes",
    );
    // PROTO 2, then legacy torch.save's magic number 0x1950a86a20f9469cfc6c as LONG1.
    let magic = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.".to_vec();
    file(
        "legacy.pt",
        magic.clone(),
        "pickle_truncated",
        "a legacy torch.save file that ends after its magic number",
    );
    file(
        "legacy-bad-opcode.pt",
        [magic.clone(), b"\x80\x02\xff.".to_vec()].concat(),
        "pickle_bad_opcode",
        "a legacy file whose protocol-version pickle holds opcode 0xff",
    );
    file(
        "legacy-bad-protocol.pt",
        [magic.clone(), b"\x80\x02M\xe8\x03.".to_vec()].concat(),
        "pickle_truncated",
        "a legacy file with protocol version 1000 and nothing after it",
    );
    file(
        "pickle-underflow.pkl",
        b"\x80\x02}0.".to_vec(),
        "pickle_malformed",
        "a bare pickle whose STOP finds an empty stack (its dict popped)",
    );
    file(
        "pickle-huge-string.pkl",
        b"\x80\x04}\x8d\xff\xff\xff\xff\xff\xff\xff\x7f".to_vec(),
        "pickle_truncated",
        "a bare pickle claiming a string of 2^63 bytes",
    );
    file(
        "tf_model.h5",
        b"\x89HDF\r\n\x1a\n\0\0\0\0".to_vec(),
        "unsupported_format",
        "an HDF5 (Keras/TensorFlow) weights file",
    );
    table
}
