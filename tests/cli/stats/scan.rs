//! `stats` as a whole: chunking does not change results, aggregates, flags, histograms, filters, output, and
//! files that change under the scan.

use crate::common::stats_expect::{assert_stats, expected, stats_json, tensor};
use crate::common::{self, paramscope, repo_path, Lcg};
use half::bf16;
use paramscope::format::synth::SafetensorsWriter;
use paramscope::model::dtype::DType;
use serde_json::{json, Value};
use std::path::Path;

fn bf16_values(rng: &mut Lcg, n: usize, centre: f32, scale: f32) -> Vec<f64> {
    (0..n)
        .map(|_| bf16::from_f32(centre + rng.next_f32(scale)).to_f64())
        .collect()
}

fn bf16_bytes(values: &[f64]) -> Vec<u8> {
    values
        .iter()
        .flat_map(|&x| bf16::from_f64(x).to_le_bytes())
        .collect()
}

fn f32_bytes(values: &[f64]) -> Vec<u8> {
    values
        .iter()
        .flat_map(|&x| (x as f32).to_le_bytes())
        .collect()
}

/// A 400 KB BF16 tensor offset from zero (so cancellation would show), and an F32 tensor with NaN and Inf.
fn big_tensors(path: &Path) -> (Vec<f64>, Vec<f64>) {
    let mut rng = Lcg(99);
    let big = bf16_values(&mut rng, 200_000, 3.0, 0.5);
    let mut with_specials: Vec<f64> = (0..50_000).map(|_| rng.next_f32(1e3) as f64).collect();
    with_specials[10] = f64::NAN;
    with_specials[40_000] = f64::INFINITY;
    with_specials[49_999] = 0.0;
    SafetensorsWriter::new()
        .tensor_with_data("big", DType::BF16, &[400, 500], bf16_bytes(&big))
        .tensor_with_data("specials", DType::F32, &[50_000], f32_bytes(&with_specials))
        .write(path)
        .unwrap();
    (big, with_specials)
}

fn counts(t: &Value) -> Vec<&Value> {
    [
        "values",
        "finite",
        "zeros",
        "nan",
        "pos_inf",
        "neg_inf",
        "subnormal",
        "min",
        "max",
        "absmax",
    ]
    .iter()
    .map(|k| &t[*k])
    .collect()
}

#[test]
fn many_chunks_give_the_serial_result() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.safetensors");
    let (big, specials) = big_tensors(&path);
    // One chunk per tensor (a serial pass) against 4 KiB chunks: ~100 chunks for `big`, merged in order.
    let serial = stats_json(&path, &["--chunk-bytes", "1099511627776"]);
    let chunked = stats_json(&path, &["--chunk-bytes", "4096"]);
    for name in ["big", "specials"] {
        let (s, c) = (tensor(&serial, name), tensor(&chunked, name));
        assert_eq!(counts(s), counts(c), "{name}: counts differ");
        for k in ["mean", "std", "mean_abs"] {
            let (a, b) = (s[k].as_f64().unwrap(), c[k].as_f64().unwrap());
            assert!((a - b).abs() <= 1e-12 * a.abs(), "{name}.{k}: {a} vs {b}");
        }
    }
    assert_stats(tensor(&chunked, "big"), &expected(&big, Some(0)));
    assert_stats(tensor(&chunked, "specials"), &expected(&specials, Some(0)));
}

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.safetensors");
    big_tensors(&path);
    let run = |threads: &str| {
        paramscope()
            .env("RAYON_NUM_THREADS", threads)
            .args(["stats", "--format", "json", "--chunk-bytes", "4096"])
            .arg(&path)
            .output()
            .unwrap()
            .stdout
    };
    let one = run("1");
    assert!(!one.is_empty());
    assert_eq!(one, run("2"));
    assert_eq!(one, run("3"));
}

#[test]
fn dtype_rows_and_total_aggregate_their_tensors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.safetensors");
    let mut rng = Lcg(5);
    let a = bf16_values(&mut rng, 3000, 0.0, 0.1);
    let b = bf16_values(&mut rng, 5000, 1.0, 0.01);
    let c: Vec<f64> = (0..700).map(|_| rng.next_f32(10.0) as f64).collect();
    SafetensorsWriter::new()
        .tensor_with_data("a", DType::BF16, &[3000], bf16_bytes(&a))
        .tensor_with_data("c", DType::F32, &[700], f32_bytes(&c))
        .tensor_with_data("b", DType::BF16, &[50, 100], bf16_bytes(&b))
        .write(&path)
        .unwrap();
    let report = stats_json(&path, &["--chunk-bytes", "1024"]);
    let dtypes = report["dtypes"].as_array().unwrap();
    assert_eq!(dtypes[0]["dtype"], "BF16");
    assert_eq!(dtypes[0]["tensors"], 2);
    assert_eq!(dtypes[0]["bytes"], 16_000);
    assert_stats(
        &dtypes[0],
        &expected(&[a.clone(), b.clone()].concat(), Some(0)),
    );
    assert_eq!(dtypes[1]["dtype"], "F32");
    assert_stats(&dtypes[1], &expected(&c, Some(0)));
    assert_stats(&report["total"], &expected(&[a, b, c].concat(), Some(0)));
    assert_eq!(report["tensor_count"], 3);
    assert_eq!(report["bytes_scanned"], 16_000 + 2_800);
}

#[test]
fn nan_inf_and_all_zero_tensors_are_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.safetensors");
    SafetensorsWriter::new()
        .tensor_with_data("ok", DType::F32, &[3], f32_bytes(&[1.0, -2.0, 0.0]))
        .tensor_with_data("diverged", DType::F32, &[2], f32_bytes(&[f64::NAN, 1.0]))
        .tensor_with_data(
            "overflowed",
            DType::BF16,
            &[2],
            bf16_bytes(&[f64::NEG_INFINITY, 1.0]),
        )
        .tensor("never_trained", DType::BF16, &[64, 64])
        .tensor("empty", DType::F32, &[0, 8])
        .write(&path)
        .unwrap();
    let report = stats_json(&path, &[]);
    assert_eq!(
        report["flagged"],
        json!({"nan": ["diverged"], "inf": ["overflowed"], "all_zero": ["never_trained"], "not_decoded": []})
    );
    let empty = tensor(&report, "empty");
    assert_eq!(
        (empty["values"].as_u64(), empty["min"].is_null()),
        (Some(0), true)
    );
    let zeros = tensor(&report, "never_trained");
    assert_eq!(
        (zeros["zeros"].as_u64(), zeros["std"].as_f64()),
        (Some(4096), Some(0.0))
    );

    let out = paramscope().arg("stats").arg(&path).output().unwrap();
    assert!(
        out.status.success(),
        "stats does not fail on NaN: that is check's job"
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("NaN (1 tensor): diverged"), "{text}");
    assert!(text.contains("±Inf (1 tensor): overflowed"), "{text}");
    assert!(
        text.contains("all zeros (1 tensor): never_trained"),
        "{text}"
    );
    assert!(
        !text.contains("Tensors"),
        "no tensor list without --tensors"
    );
    let listed = paramscope()
        .args(["stats", "--tensors", "--format", "markdown"])
        .arg(&path)
        .output()
        .unwrap();
    let md = String::from_utf8(listed.stdout).unwrap();
    assert!(md.contains("## Tensors"), "{md}");
    assert!(md.contains("| never_trained "), "{md}");
}

#[test]
fn histogram_bins_are_powers_of_two() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.safetensors");
    // |x| in [1/4, 1/2): 1 value; [1/2, 1): none; [1, 2): 3 values; [4, 8): 2; zeros and NaN are not binned.
    let values = [0.25, 1.0, -1.5, 1.75, 4.0, -7.0, 0.0, f64::NAN];
    SafetensorsWriter::new()
        .tensor_with_data("h", DType::F32, &[8], f32_bytes(&values))
        .write(&path)
        .unwrap();
    let report = stats_json(&path, &["--hist"]);
    assert_eq!(
        tensor(&report, "h")["hist"],
        json!({"log2_edges": [-2, -1, 0, 1, 2, 3], "edges": [0.25, 0.5, 1.0, 2.0, 4.0, 8.0],
               "counts": [1, 0, 3, 0, 2]})
    );
    assert!(stats_json(&path, &[])["tensors"][0].get("hist").is_none());
    let table = paramscope()
        .args(["stats", "--hist", "--tensors"])
        .arg(&path)
        .output()
        .unwrap();
    // Bar height ceil(8·count/3) of 8 levels: 1 → ▃, 3 → █, 2 → ▆; empty bins blank.
    assert!(String::from_utf8(table.stdout)
        .unwrap()
        .contains("2^-2 ▃ █ ▆ 2^3"));
}

#[test]
fn histogram_bins_f64_subnormals_by_their_own_power_of_two() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h64.safetensors");
    // 2^-1074 (the smallest subnormal), 3·2^-1074 in [2^-1073, 2^-1072), 2^-1022 (the smallest normal), 1.0.
    let values = [
        f64::from_bits(1),
        -f64::from_bits(3),
        f64::MIN_POSITIVE,
        1.0,
    ];
    let bytes: Vec<u8> = values.iter().flat_map(|x| x.to_le_bytes()).collect();
    SafetensorsWriter::new()
        .tensor_with_data("h", DType::F64, &[4], bytes)
        .write(&path)
        .unwrap();
    let report = stats_json(&path, &["--hist"]);
    let hist = &tensor(&report, "h")["hist"];
    let log2_edges: Vec<i64> = (-1074..=1).collect();
    assert_eq!(hist["log2_edges"], json!(log2_edges));
    let mut counts = vec![0u64; 1075];
    counts[0] = 1; // [2^-1074, 2^-1073)
    counts[1] = 1; // [2^-1073, 2^-1072)
    counts[52] = 1; // [2^-1022, 2^-1021)
    counts[1074] = 1; // [1, 2)
    assert_eq!(hist["counts"], json!(counts));
    let edges = hist["edges"].as_array().unwrap();
    assert_eq!(edges[0].as_f64(), Some(f64::from_bits(1)));
    assert_eq!(edges[52].as_f64(), Some(f64::MIN_POSITIVE));
    assert_eq!(edges[1075].as_f64(), Some(2.0));
}

#[test]
fn filter_selects_tensors_across_shards() {
    let index = repo_path("fixtures/sharded/model.safetensors.index.json");
    let all = stats_json(&index, &[]);
    // 2 layers × 9 tensors + embeddings, final norm and head (TINY_LLAMA in tests/common/fixtures.rs).
    assert_eq!(all["tensor_count"], 21);
    assert_eq!(all["layout"], "sharded");
    let layer0 = stats_json(&index, &["--filter", "*.layers.0.*"]);
    assert_eq!(layer0["tensor_count"], 9);
    assert_eq!(layer0["filtered"], true);
    let names: Vec<&str> = layer0["tensors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.iter().all(|n| n.starts_with("model.layers.0.")),
        "{names:?}"
    );
}

#[test]
fn a_file_truncated_after_its_header_was_read_is_an_error() {
    use paramscope::format::{self, LoadOptions};
    use paramscope::model::filter::TensorFilter;
    use paramscope::stats::{self, ScanOptions};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.safetensors");
    big_tensors(&path);
    let source = format::discover(&path).unwrap().remove(0);
    let checkpoint = format::load(&source, LoadOptions::default()).unwrap();
    let full = std::fs::metadata(&path).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(full - 100_000)
        .unwrap();
    let err = stats::scan(&checkpoint, &TensorFilter::all(), &ScanOptions::default()).unwrap_err();
    assert_eq!(err.problem.code(), "changed_since_read");
    assert_eq!(err.path, path);
    // Byte counts in messages are grouped (600,152).
    let grouped = paramscope::model::units::grouped(full);
    assert!(err.to_string().contains(&format!("was {grouped}")), "{err}");
}

#[test]
fn unreadable_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("short.safetensors");
    std::fs::write(&path, [1, 2, 3]).unwrap();
    let out = paramscope().arg("stats").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("short.safetensors"));
}

#[test]
fn several_checkpoints_give_one_report_each() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (
        dir.path().join("a.safetensors"),
        dir.path().join("b.safetensors"),
    );
    SafetensorsWriter::new()
        .tensor_with_data("x", DType::F32, &[2], f32_bytes(&[1.0, 2.0]))
        .write(&a)
        .unwrap();
    SafetensorsWriter::new()
        .tensor_with_data("y", DType::F32, &[1], f32_bytes(&[-4.0]))
        .write(&b)
        .unwrap();
    let out = paramscope()
        .args(["stats", "--format", "json"])
        .args([&a, &b])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let reports = v["checkpoints"].as_array().unwrap();
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0]["total"]["mean"], 1.5);
    assert_eq!(reports[1]["total"]["min"], -4.0);

    // One of several paths broken: still `{checkpoints}` (as inspect does), so a script sees one shape.
    let out = paramscope()
        .args(["stats", "--format", "json"])
        .arg(&a)
        .arg(dir.path().join("missing.safetensors"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let reports = v["checkpoints"].as_array().unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0]["total"]["mean"], 1.5);
}

/// `expected` for values whose squares leave f64's range: the moments are taken on the values times 2^-k
/// (exact: no value here leaves the normal range when scaled), then scaled back.
fn expected_scaled(values: &[f64], k: i32) -> common::stats_expect::Expected {
    let pow2 = |k: i32| f64::from_bits(((k + 1023) as u64) << 52);
    let subnormal = Some(values.iter().filter(|x| x.is_subnormal()).count() as u64);
    let scaled: Vec<f64> = values.iter().map(|&x| x * pow2(-k)).collect();
    let moments = expected(&scaled, None);
    common::stats_expect::Expected {
        mean: moments.mean * pow2(k),
        std: moments.std * pow2(k),
        mean_abs: moments.mean_abs * pow2(k),
        ..expected(values, subnormal)
    }
}

#[test]
fn f64_values_at_the_ends_of_the_range_keep_their_moments() {
    let mut rng = Lcg(29);
    let mut next = |scale: f64| rng.next_f32(1.0) as f64 * scale;
    // Near ±f64::MAX (squares, and sums of a few, overflow), with a NaN and an infinity: three blocks.
    let mut huge: Vec<f64> = (0..5000).map(|_| next(1.7e308)).collect();
    huge[10] = f64::NAN;
    huge[4000] = f64::INFINITY;
    // Near the subnormals (squares underflow to zero), with zeros and subnormals.
    let mut tiny: Vec<f64> = (0..3000).map(|_| next(1e-300)).collect();
    tiny[5] = 0.0;
    tiny[2500] = -1e-310;
    tiny[2501] = 5e-324;
    // A block of ordinary values then blocks near 1e300: summaries at different scales merged in one tensor.
    let mut mixed: Vec<f64> = (0..2048).map(|_| 3.0 + next(1.0)).collect();
    mixed.extend((0..4096).map(|_| 1e300 + next(5e299)));
    let f64_bytes = |v: &[f64]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wide.safetensors");
    SafetensorsWriter::new()
        .tensor_with_data("huge", DType::F64, &[5000], f64_bytes(&huge))
        .tensor_with_data("tiny", DType::F64, &[3000], f64_bytes(&tiny))
        .tensor_with_data("mixed", DType::F64, &[6144], f64_bytes(&mixed))
        .write(&path)
        .unwrap();
    // Small chunks too, so chunks of one tensor at different scales are merged.
    for extra in [&[][..], &["--chunk-bytes", "4096"][..]] {
        let report = stats_json(&path, extra);
        assert_stats(tensor(&report, "huge"), &expected_scaled(&huge, 1000));
        assert_stats(tensor(&report, "tiny"), &expected_scaled(&tiny, -1000));
        assert_stats(tensor(&report, "mixed"), &expected_scaled(&mixed, 1000));
        let all: Vec<f64> = [&huge[..], &tiny, &mixed].concat();
        assert_stats(&report["total"], &expected_scaled(&all, 1000));
    }
}
