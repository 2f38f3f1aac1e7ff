//! paramscope's safetensors reader and the reference `safetensors` crate agree on which files are valid: on the
//! fuzz seeds (every committed `*.safetensors` fixture, which `fuzz/seed.sh` copies into the corpus) and on
//! deterministic mutations of them (headers cut short, bytes changed, lengths off by one). Our reader parses each
//! header once and no longer hands it to the reference crate, so this is what keeps the two rule sets equal.

use paramscope::format::safetensors::read_bytes;
use std::path::{Path, PathBuf};

fn seeds() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "safetensors") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .as_path(),
        &mut out,
    );
    out.sort();
    out
}

/// The verdicts differ only where a rule is paramscope's alone; none is today.
fn verdicts(bytes: &[u8]) -> (bool, bool) {
    let ours = read_bytes(bytes, Path::new("seed")).is_ok();
    let reference = safetensors::SafeTensors::deserialize(bytes).is_ok();
    (ours, reference)
}

/// Small, deterministic variations of a file: the header cut, a byte of it replaced by each of a few
/// JSON-significant characters, the length prefix off by one either way, a byte of data added or removed.
fn mutations(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![bytes.to_vec()];
    if bytes.len() < 8 {
        return out;
    }
    let header_end =
        (8 + u64::from_le_bytes(bytes[..8].try_into().unwrap())).min(bytes.len() as u64) as usize;
    let step = ((header_end - 8) / 24).max(1);
    for at in (8..header_end).step_by(step) {
        out.push(bytes[..at].to_vec());
        for b in [b'"', b'1', b'-', b'}', b',', b' ', 0xff] {
            let mut m = bytes.to_vec();
            m[at] = b;
            out.push(m);
        }
    }
    for delta in [-1i64, 1] {
        let mut m = bytes.to_vec();
        let len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as i64 + delta;
        m[..8].copy_from_slice(&(len.max(0) as u64).to_le_bytes());
        out.push(m);
    }
    let mut longer = bytes.to_vec();
    longer.push(0);
    out.push(longer);
    out.push(bytes[..bytes.len() - 1].to_vec());
    out
}

#[test]
fn same_verdict_as_the_reference_crate_on_the_seeds_and_their_mutations() {
    let seeds = seeds();
    assert!(seeds.len() >= 10, "fixtures found: {seeds:?}");
    let (mut valid, mut invalid, mut disagree) = (0, 0, Vec::new());
    for seed in &seeds {
        let bytes = std::fs::read(seed).unwrap();
        for (i, m) in mutations(&bytes).iter().enumerate() {
            match verdicts(m) {
                (true, true) => valid += 1,
                (false, false) => invalid += 1,
                (ours, reference) => disagree.push(format!(
                    "{} #{i}: ours {ours}, reference {reference}",
                    seed.display()
                )),
            }
        }
    }
    assert!(
        disagree.is_empty(),
        "{} disagreements:\n{}",
        disagree.len(),
        disagree.join("\n")
    );
    // Both kinds occur, so the comparison is not vacuous.
    assert!(
        valid > 10 && invalid > 100,
        "valid {valid}, invalid {invalid}"
    );
}
