//! Statistics computed directly in the test, in f64, from the values a test wrote — the reference the
//! `stats` output is compared against — and a helper that runs `stats --format json`.

use super::paramscope;
use serde_json::Value;
use std::path::Path;

/// What `stats` should report for a tensor, computed by the simplest possible two-pass method.
#[derive(Debug)]
pub struct Expected {
    pub values: u64,
    pub finite: u64,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    pub std: f64,
    pub mean_abs: f64,
    pub absmax: f64,
    pub zeros: u64,
    pub nan: u64,
    pub pos_inf: u64,
    pub neg_inf: u64,
    /// Classified by the test from the encoding (not from the decoded value), `None` for integer dtypes.
    pub subnormal: Option<u64>,
}

pub fn expected(values: &[f64], subnormal: Option<u64>) -> Expected {
    let finite: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    let n = finite.len() as f64;
    let mean = finite.iter().sum::<f64>() / n;
    let var = finite.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    Expected {
        values: values.len() as u64,
        finite: finite.len() as u64,
        min: finite.iter().copied().fold(f64::INFINITY, f64::min),
        max: finite.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        mean,
        std: var.sqrt(),
        mean_abs: finite.iter().map(|x| x.abs()).sum::<f64>() / n,
        absmax: finite.iter().map(|x| x.abs()).fold(0.0, f64::max),
        zeros: finite.iter().filter(|&&x| x == 0.0).count() as u64,
        nan: values.iter().filter(|x| x.is_nan()).count() as u64,
        pos_inf: values.iter().filter(|&&x| x == f64::INFINITY).count() as u64,
        neg_inf: values.iter().filter(|&&x| x == f64::NEG_INFINITY).count() as u64,
        subnormal,
    }
}

fn close(what: &str, got: f64, want: f64, scale: f64) {
    let tolerance = 1e-12 * want.abs().max(scale);
    assert!(
        (got - want).abs() <= tolerance,
        "{what}: got {got:e}, want {want:e}"
    );
}

fn f(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {v}"))
}

fn u(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} is not a count in {v}"))
}

/// Compares one statistics object of the JSON report (a tensor, a dtype row or the total) with `want`:
/// counts, min, max and absmax exactly, moments within 1e-12 relative.
pub fn assert_stats(got: &Value, want: &Expected) {
    let name = got["name"]
        .as_str()
        .or(got["dtype"].as_str())
        .unwrap_or("total");
    let ctx = |k: &str| format!("{name}.{k}");
    assert_eq!(u(got, "values"), want.values, "{}", ctx("values"));
    assert_eq!(u(got, "finite"), want.finite, "{}", ctx("finite"));
    assert_eq!(u(got, "zeros"), want.zeros, "{}", ctx("zeros"));
    assert_eq!(u(got, "nan"), want.nan, "{}", ctx("nan"));
    assert_eq!(u(got, "pos_inf"), want.pos_inf, "{}", ctx("pos_inf"));
    assert_eq!(u(got, "neg_inf"), want.neg_inf, "{}", ctx("neg_inf"));
    assert_eq!(
        got["subnormal"].as_u64(),
        want.subnormal,
        "{}",
        ctx("subnormal")
    );
    assert_eq!(f(got, "min"), want.min, "{}", ctx("min"));
    assert_eq!(f(got, "max"), want.max, "{}", ctx("max"));
    assert_eq!(f(got, "absmax"), want.absmax, "{}", ctx("absmax"));
    // The mean is compared at the scale of the values: near zero, relative error of the mean itself is moot.
    close(&ctx("mean"), f(got, "mean"), want.mean, want.mean_abs);
    close(&ctx("std"), f(got, "std"), want.std, 0.0);
    close(&ctx("mean_abs"), f(got, "mean_abs"), want.mean_abs, 0.0);
}

/// Runs `stats --format json` (plus `extra` arguments) and returns the report.
pub fn stats_json(path: &Path, extra: &[&str]) -> Value {
    let out = paramscope()
        .arg("stats")
        .arg(path)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "stats failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The report's entry for the tensor called `name`.
pub fn tensor<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["tensors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no tensor {name} in the report"))
}
