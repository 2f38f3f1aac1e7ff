//! `diff --values` on F64 values at the ends of f64's range, where squares overflow or underflow, and figures
//! at the ends of what a table's digits show.

use crate::common;
use crate::common::diff_values_json as values_json;
use paramscope::format::synth::SafetensorsWriter;
use paramscope::model::dtype::DType;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn f64_bytes(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Writes `a` and `b` as one F64 tensor `w` each; returns their paths.
fn pair(dir: &Path, a: &[f64], b: &[f64]) -> (PathBuf, PathBuf) {
    let paths = (dir.join("a.safetensors"), dir.join("b.safetensors"));
    for (values, path) in [(a, &paths.0), (b, &paths.1)] {
        SafetensorsWriter::new()
            .tensor_with_data("w", DType::F64, &[values.len() as u64], f64_bytes(values))
            .write(path)
            .unwrap();
    }
    paths
}

fn close(got: &Value, want: f64) -> bool {
    got.as_f64()
        .is_some_and(|g| (g - want).abs() <= 1e-12 * want.abs())
}

/// rel L2 and cosine do not change when both sides are multiplied by one factor: values 1e200 times larger
/// (squares beyond f64's largest) or 1e200 times smaller (squares below its smallest) give those of the values
/// near 1, computed here directly.
#[test]
fn rel_l2_and_cosine_hold_for_values_whose_squares_leave_f64s_range() {
    let a = [3.0, -10.0, 0.5, 2.0, 0.0];
    let b = [3.1, -9.0, 0.5, 2.5, 1e-3];
    let dot = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(p, q)| p * q).sum::<f64>();
    let diff: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x - y).collect();
    let rel_l2 = (dot(&diff, &diff) / dot(&a, &a)).sqrt();
    let cosine = dot(&a, &b) / (dot(&a, &a).sqrt() * dot(&b, &b).sqrt());
    for factor in [1.0, 1e200, 1e-200, 1e300, 1e-300] {
        let dir = tempfile::tempdir().unwrap();
        let scaled = |v: &[f64]| v.iter().map(|x| x * factor).collect::<Vec<_>>();
        let (sa, sb) = (scaled(&a), scaled(&b));
        let (pa, pb) = pair(dir.path(), &sa, &sb);
        let (code, r) = values_json(&pa, &pb, &[]);
        assert_eq!(code, 1, "{factor}: {r}");
        let t = &r["values"]["tensors"][0];
        assert!(close(&t["rel_l2"], rel_l2), "{factor}: {t} (want {rel_l2})");
        assert!(close(&t["cosine"], cosine), "{factor}: {t} (want {cosine})");
        let max_abs = sa
            .iter()
            .zip(&sb)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max);
        let mean_abs = sa.iter().zip(&sb).map(|(x, y)| (x - y).abs()).sum::<f64>() / 5.0;
        assert_eq!(t["max_abs_diff"], max_abs, "{factor}");
        assert!(close(&t["mean_abs_diff"], mean_abs), "{factor}: {t}");
        assert_eq!(t["differing_elements"], 4, "{factor}");
    }
}

/// Values near 1 that differ by 1e-170 in one place: the difference's square (1e-340) is below f64's smallest
/// normal, yet rel L2 is √(1e-340 / (1 + 1 + 1e-340)) = 1e-170 / √2.
#[test]
fn a_tiny_difference_among_values_near_one_keeps_its_rel_l2() {
    let dir = tempfile::tempdir().unwrap();
    let (pa, pb) = pair(dir.path(), &[1.0, 1e-170, 1.0], &[1.0, 2e-170, 1.0]);
    let (code, r) = values_json(&pa, &pb, &[]);
    assert_eq!(code, 1, "{r}");
    let t = &r["values"]["tensors"][0];
    assert!(close(&t["rel_l2"], 1e-170 / 2f64.sqrt()), "{t}");
    assert!(close(&t["cosine"], 1.0), "{t}");
    assert_eq!(t["max_abs_diff"], 1e-170, "{t}");
}

/// f64::MAX against −f64::MAX differ by 2·f64::MAX, beyond f64: the maximum difference is infinite (null in
/// JSON), the element differs under any tolerance short of it (1e308 + 1·MAX is itself beyond f64, yet below
/// 2·MAX), and the figures that do not need that difference as an f64 stay exact: mean |a−b| = 2·MAX / 2 = MAX,
/// rel L2 = 2·MAX / √(MAX² + 1) = 2, cosine = (1 − MAX²) / (MAX² + 1) = −1.
#[test]
fn a_difference_beyond_f64s_largest_is_infinite_and_counts_as_differing() {
    let dir = tempfile::tempdir().unwrap();
    let (pa, pb) = pair(dir.path(), &[f64::MAX, 1.0], &[-f64::MAX, 1.0]);
    for extra in [&[][..], &["--atol", "1e308", "--rtol", "1"]] {
        let (code, r) = values_json(&pa, &pb, extra);
        assert_eq!(code, 1, "{extra:?}: {r}");
        let v = &r["values"];
        assert_eq!(v["differing_tensors"], 1, "{extra:?}");
        assert_eq!(v["max_abs_diff"], Value::Null, "{extra:?}");
        let t = &v["tensors"][0];
        assert_eq!(t["differing_elements"], 1, "{extra:?}");
        assert_eq!(t["max_abs_diff"], Value::Null, "{extra:?}");
        assert_eq!(t["mean_abs_diff"], f64::MAX, "{extra:?}");
        assert_eq!(t["rel_l2"], 2.0, "{extra:?}");
        assert_eq!(t["cosine"], -1.0, "{extra:?}");
    }
    let table = common::paramscope()
        .args(["diff", "--values"])
        .arg(&pa)
        .arg(&pb)
        .output()
        .unwrap();
    assert_eq!(table.status.code(), Some(1));
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("largest |a−b| inf"), "{text}");
    // A tolerance of 3·|b| = 3·MAX does cover 2·MAX.
    let (code, r) = values_json(&pa, &pb, &["--rtol", "3"]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["values"]["tensors"][0]["differing_elements"], 0);
}

/// Equal tensors in two files (a copy, read and compared) have a cosine of exactly 1: `‖a‖·‖b‖` taken as two
/// rounded roots would make it 0.9999999999999998 for 32 ones (√32·√32 = 32.00000000000001), and a script
/// testing `cosine == 1` for unchanged tensors would fail.
#[test]
fn equal_tensors_have_a_cosine_of_exactly_one() {
    let dir = tempfile::tempdir().unwrap();
    for values in [
        vec![1.0; 32],
        vec![0.1, -3.0, 7.5],
        vec![1e-300, 2e-300],
        vec![1e300; 5],
    ] {
        let (a, b) = pair(dir.path(), &values, &values);
        let (code, r) = values_json(&a, &b, &[]);
        assert_eq!(code, 0);
        let t = &r["values"]["tensors"][0];
        assert_eq!(
            (t["cosine"].as_f64(), t["rel_l2"].as_f64()),
            (Some(1.0), Some(0.0)),
            "{values:?}"
        );
    }
}

/// A tensor changed by a little (4 → 4.001 among 1, 2, 3) has a cosine within 1e-8 of 1: the table shows its
/// distance from 1 rather than "1.000000", which an unchanged tensor shows.
#[test]
fn a_cosine_just_below_one_shows_its_distance_from_one() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = ([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.001]);
    let (pa, pb) = pair(dir.path(), &a, &b);
    let dot = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(p, q)| p * q).sum::<f64>();
    let cosine = dot(&a, &b) / (dot(&a, &a) * dot(&b, &b)).sqrt();
    let out = common::paramscope()
        .arg("diff")
        .arg(&pa)
        .arg(&pb)
        .arg("--values")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let row = text.lines().find(|l| l.contains(" w ")).unwrap();
    assert!(row.contains(&format!("1 − {:.1e}", 1.0 - cosine)), "{row}");
    assert_eq!(format!("{:.1e}", 1.0 - cosine), "7.8e-9");
}
