//! Property tests for the GGUF reader: random valid files (any ggml type, any alignment, any metadata) round-trip
//! with exact counts; random corruptions and truncations never panic and either read consistently or fail with
//! an error naming the file.

use paramscope::format::synth::gguf::{array, GgufWriter};
use paramscope::format::{self, LoadOptions, Source};
use paramscope::model::dtype::ggml::{dtype_from_ggml_id, known_ids};
use paramscope::model::dtype::{DType, Storage};
use paramscope::model::metadata::{MetaKind, MetaValue};
use proptest::prelude::*;

fn arb_dtype() -> impl Strategy<Value = DType> {
    prop::sample::select(known_ids()).prop_map(|id| dtype_from_ggml_id(id).unwrap())
}

fn arb_value() -> impl Strategy<Value = MetaValue> {
    let scalar = prop_oneof![
        any::<u8>().prop_map(MetaValue::U8),
        any::<i16>().prop_map(MetaValue::I16),
        any::<u32>().prop_map(MetaValue::U32),
        any::<f32>().prop_map(MetaValue::F32),
        any::<bool>().prop_map(MetaValue::Bool),
        "[a-z]{0,12}".prop_map(MetaValue::String),
        any::<i64>().prop_map(MetaValue::I64),
        any::<f64>().prop_map(MetaValue::F64),
    ];
    scalar.prop_recursive(2, 24, 12, |inner| {
        prop::collection::vec(inner, 0..12).prop_map(|vs| {
            // GGUF arrays hold one element type: keep the elements of the first one's type.
            let kind = vs.first().map_or(MetaKind::U8, MetaValue::kind);
            array(kind, vs.into_iter().filter(|v| v.kind() == kind).collect())
        })
    })
}

/// Up to 8 tensors of up to 4 dims; the innermost dim is a whole number of blocks of the tensor's type.
fn arb_file() -> impl Strategy<Value = GgufWriter> {
    let tensor = (arb_dtype(), prop::collection::vec(0u64..4, 0..3), 0u64..3);
    (
        prop::collection::vec(tensor, 0..8),
        prop::collection::vec(("[a-z.]{1,10}", arb_value()), 0..6),
        prop::sample::select(vec![None, Some(1u32), Some(8), Some(64), Some(256)]),
        prop::sample::select(vec![2u32, 3]),
    )
        .prop_map(|(tensors, kvs, alignment, version)| {
            let mut w = GgufWriter::new().version(version);
            if let Some(a) = alignment {
                w = w.alignment(a);
            }
            for (i, (k, v)) in kvs.into_iter().enumerate() {
                w = w.kv(&format!("{k}.{i}"), v);
            }
            for (i, (dtype, mut outer, blocks)) in tensors.into_iter().enumerate() {
                let block = match dtype.storage() {
                    Storage::Block { elements, .. } => elements as u64,
                    Storage::Bits(_) => 1,
                };
                outer.push(blocks * block);
                let bytes = dtype.bytes_for(outer.iter().product()).unwrap() as usize;
                let data = (0..bytes).map(|b| (b * 7 + i) as u8).collect();
                w = w.tensor_with_data(&format!("blk.{i}.weight"), dtype, &outer, data);
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
    let path = dir.path().join("m.gguf");
    std::fs::write(&path, bytes).unwrap();
    let source = Source::Gguf {
        shown: path.clone(),
        parts: vec![path.clone()],
    };
    let result = format::load(&source, LoadOptions::default());
    (dir, path, result)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn valid_files_round_trip_exactly(w in arb_file()) {
        let bytes = w.to_bytes();
        let (_dir, _path, result) = load(&bytes);
        let c = result.unwrap();
        prop_assert_eq!(c.tensors.len(), w.tensors.len());
        prop_assert_eq!(c.files[0].header_bytes, w.data_start());
        prop_assert_eq!(c.metadata.len(), w.metadata.len());
        for ((t, s), offset) in c.tensors.iter().zip(&w.tensors).zip(w.offsets()) {
            prop_assert_eq!(&t.name, &s.name);
            let shape: Vec<u64> = s.dims.iter().rev().copied().collect();
            prop_assert_eq!(&t.shape, &shape);
            prop_assert_eq!(t.bytes(), s.bytes);
            prop_assert_eq!(t.data_offsets[0], offset);
            prop_assert_eq!(t.dtype.bytes_for(t.elements()), Ok(s.bytes));
        }
        for ((k, v), (wk, wv)) in c.metadata.iter().zip(&w.metadata) {
            prop_assert_eq!(k, wk);
            // Arrays are summarised: the first 8 elements and the full length.
            match (v, wv) {
                (MetaValue::Array(a), MetaValue::Array(wa)) => {
                    prop_assert_eq!(a.len, wa.len);
                    prop_assert_eq!(a.values.len() as u64, wa.len.min(8));
                }
                (MetaValue::F32(a), MetaValue::F32(b)) => prop_assert_eq!(a.to_bits(), b.to_bits()),
                (MetaValue::F64(a), MetaValue::F64(b)) => prop_assert_eq!(a.to_bits(), b.to_bits()),
                _ => prop_assert_eq!(v, wv),
            }
        }
    }

    #[test]
    fn corruptions_never_panic_and_keep_figures_consistent(
        w in arb_file(),
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
                // Whatever was read lies inside this file and adds up.
                let f = &c.files[0];
                for t in &c.tensors {
                    prop_assert!(f.header_bytes + t.data_offsets[1] <= bytes.len() as u64);
                    prop_assert_eq!(t.dtype.bytes_for(t.elements()), Ok(t.bytes()));
                }
            }
            Err(e) => {
                prop_assert!(!e.errors.is_empty());
                for err in &e.errors {
                    prop_assert_eq!(&err.path, &path);
                }
            }
        }
    }
}
