//! Property tests: random valid checkpoints round-trip with exact counts; random corruptions and truncations
//! never panic and either read with consistent figures or fail with an error naming the file.

mod gguf;

use paramscope::format::synth::SafetensorsWriter;
use paramscope::format::{self, LoadOptions, Source};
use paramscope::model::dtype::{DType, SAFETENSORS_DTYPES};
use proptest::prelude::*;

fn arb_dtype() -> impl Strategy<Value = DType> {
    prop::sample::select(SAFETENSORS_DTYPES.to_vec())
}

/// Up to 12 tensors with up to 4 dims each; the last dim is even so sub-byte (4- and 6-bit) dtypes fill whole bytes.
fn arb_checkpoint() -> impl Strategy<Value = SafetensorsWriter> {
    let tensor = (arb_dtype(), prop::collection::vec(0u64..6, 0..4), 0u64..4);
    prop::collection::vec(tensor, 0..12).prop_map(|tensors| {
        let mut w = SafetensorsWriter::new().metadata("format", "pt");
        for (i, (dtype, mut shape, last)) in tensors.into_iter().enumerate() {
            shape.push(last * 4);
            let elements: u64 = shape.iter().product();
            let bytes = dtype.bytes_for(elements).unwrap() as usize;
            let data = (0..bytes).map(|b| (b * 31 + i) as u8).collect();
            w = w.tensor_with_data(&format!("layer.{i}.weight"), dtype, &shape, data);
        }
        w
    })
}

fn load(
    bytes: &[u8],
) -> (
    tempfile::TempDir,
    std::path::PathBuf,
    Result<paramscope::model::checkpoint::Checkpoint, paramscope::format::error::LoadError>,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.safetensors");
    std::fs::write(&path, bytes).unwrap();
    let result = format::load(&Source::File(path.clone()), LoadOptions::default());
    (dir, path, result)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn valid_checkpoints_round_trip_exactly(w in arb_checkpoint()) {
        let bytes = w.to_bytes();
        let (_dir, _path, result) = load(&bytes);
        let c = result.unwrap();
        let expected_params: u64 = w.tensors.iter().map(|t| t.shape.iter().product::<u64>()).sum();
        prop_assert_eq!(c.parameters(), expected_params);
        prop_assert_eq!(c.tensor_bytes(), w.data_bytes());
        prop_assert_eq!(c.tensors.len(), w.tensors.len());
        prop_assert_eq!(c.files[0].header_bytes + c.tensor_bytes(), bytes.len() as u64);
        for (t, s) in c.tensors.iter().zip(&w.tensors) {
            prop_assert_eq!(&t.name, &s.name);
            prop_assert_eq!(t.dtype, s.dtype);
            prop_assert_eq!(&t.shape, &s.shape);
        }
    }

    #[test]
    fn corruptions_never_panic_and_keep_figures_consistent(
        w in arb_checkpoint(),
        position in any::<prop::sample::Index>(),
        value in any::<u8>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = w.to_bytes();
        let at = position.index(bytes.len());
        if truncate {
            bytes.truncate(at);
        } else {
            bytes[at] = value;
        }
        let (_dir, path, result) = load(&bytes);
        match result {
            Ok(c) => {
                // Whatever was read must describe this file exactly.
                prop_assert_eq!(c.files[0].header_bytes + c.tensor_bytes(), bytes.len() as u64);
                let params: u64 = c.tensors.iter().map(|t| t.elements()).sum();
                prop_assert_eq!(c.parameters(), params);
            }
            Err(e) => {
                prop_assert!(!e.errors.is_empty());
                for err in &e.errors {
                    prop_assert_eq!(&err.path, &path);
                    prop_assert!(err.to_string().starts_with(&path.display().to_string()));
                }
            }
        }
    }
}
