//! The rules a user asks for, from flags and from a rules file (`--rules paramscope.toml`): one struct that is both
//! the command-line flags and the file's keys (kebab-case, as the flags), so the two cannot drift apart.
//! Flags override the file key by key; a key the file does not know is an error.

use super::baseline::{self, GrowthRule, Measure};
use super::expect;
use super::limit::{Growth, Limit};
use super::values::ValueRule;
use super::Rule;
use crate::model::dtype::{DType, SAFETENSORS_DTYPES};
use serde::{Deserialize, Deserializer};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[command(next_help_heading = "Rules")]
pub struct RuleSettings {
    /// Fail above this many parameters: an integer (8030261248, 8,030,261,248) or K/M/B/T, powers of 1000 (8.1B).
    #[arg(long, value_name = "COUNT", value_parser = Limit::count)]
    #[serde(default, deserialize_with = "de_count")]
    pub max_params: Option<Limit>,

    /// Fail below this many parameters.
    #[arg(long, value_name = "COUNT", value_parser = Limit::count)]
    #[serde(default, deserialize_with = "de_count")]
    pub min_params: Option<Limit>,

    /// Fail above this much tensor data (the sum of tensor bytes, headers excluded): 16GiB, 15GB, 16060522496.
    #[arg(long, value_name = "BYTES", value_parser = Limit::bytes)]
    #[serde(default, deserialize_with = "de_bytes")]
    pub max_bytes: Option<Limit>,

    /// Fail when any file (shard) is larger than this on disk, headers included: 5GB, 4GiB.
    #[arg(long, value_name = "BYTES", value_parser = Limit::bytes)]
    #[serde(default, deserialize_with = "de_bytes")]
    pub max_file_bytes: Option<Limit>,

    /// Allowed dtypes, as `inspect` spells them: safetensors names, and ggml types such as Q4_K for GGUF
    /// (repeatable or comma-separated: --dtype BF16,F32); any other fails.
    #[arg(long, value_name = "DTYPE", value_delimiter = ',', value_parser = parse_dtype)]
    #[serde(default, deserialize_with = "de_dtypes")]
    pub dtype: Vec<DType>,

    /// Dtypes that must not appear (repeatable or comma-separated).
    #[arg(long, value_name = "DTYPE", value_delimiter = ',', value_parser = parse_dtype)]
    #[serde(default, deserialize_with = "de_dtypes")]
    pub forbid_dtype: Vec<DType>,

    /// A pickle global to accept although it is not on the allow-list (PyTorch checkpoints fail `pickle-safety`
    /// on any dangerous or unknown global): MODULE.NAME, repeatable or comma-separated.
    #[arg(long, value_name = "MODULE.NAME", value_delimiter = ',')]
    #[serde(default)]
    pub allow_global: Vec<String>,

    /// Fail on missing, unexpected or changed tensors compared with FILE (`inspect --format json --tensors`).
    #[arg(long, value_name = "FILE")]
    #[serde(default)]
    pub expect_tensors: Option<PathBuf>,

    /// A saved `inspect --format json` report to compare parameters and tensor bytes with (no growth allowed
    /// unless --max-growth says how much).
    #[arg(long, value_name = "BASE.json")]
    #[serde(default)]
    pub baseline: Option<PathBuf>,

    /// Growth allowed over --baseline, for parameters and tensor bytes alike: 2%, 0.5%.
    #[arg(long, value_name = "PERCENT", value_parser = Growth::percent)]
    #[serde(default, deserialize_with = "de_percent")]
    pub max_growth: Option<Growth>,

    /// Parameter growth allowed over --baseline, overriding --max-growth: a percentage (1%) or a count (50M).
    #[arg(long, value_name = "PERCENT|COUNT", value_parser = Growth::params)]
    #[serde(default, deserialize_with = "de_params_growth")]
    pub max_params_growth: Option<Growth>,

    /// Tensor-byte growth allowed over --baseline, overriding --max-growth: a percentage (1%) or bytes (100MiB).
    #[arg(long, value_name = "PERCENT|BYTES", value_parser = Growth::bytes)]
    #[serde(default, deserialize_with = "de_bytes_growth")]
    pub max_bytes_growth: Option<Growth>,

    /// Fail when any tensor holds a NaN (reads every tensor's data once, shared by the value rules).
    #[arg(long)]
    #[serde(default)]
    pub no_nan: bool,

    /// Fail when any tensor holds +Inf or -Inf (reads the data).
    #[arg(long)]
    #[serde(default)]
    pub no_inf: bool,

    /// Fail when any tensor with elements is entirely zero (reads the data).
    #[arg(long)]
    #[serde(default)]
    pub no_all_zero_tensors: bool,
}

fn parse_dtype(text: &str) -> Result<DType, String> {
    DType::from_name(&text.trim().to_uppercase()).ok_or_else(|| {
        let known: Vec<&str> = SAFETENSORS_DTYPES.iter().map(|d| d.name()).collect();
        format!(
            "unknown dtype '{text}'; known: {}, and the ggml block types of GGUF files (Q4_K, Q8_0, IQ4_XS, …)",
            known.join(", ")
        )
    })
}

/// Reads a rules file. Paths in it are relative to the file's folder (as in Cargo.toml), so the file works from
/// any working directory.
pub fn read_file(path: &Path) -> Result<RuleSettings, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--rules {}: cannot read: {e}", path.display()))?;
    let mut settings: RuleSettings = toml::from_str(&text)
        .map_err(|e| format!("--rules {}: {}", path.display(), e.to_string().trim_end()))?;
    let folder = path.parent().unwrap_or(Path::new(""));
    settings.expect_tensors = settings.expect_tensors.map(|p| folder.join(p));
    settings.baseline = settings.baseline.map(|p| folder.join(p));
    Ok(settings)
}

impl RuleSettings {
    /// These settings (from flags) over `file`'s: each rule given on the command line replaces the file's.
    pub fn over(self, file: RuleSettings) -> RuleSettings {
        // Destructured, so that a new field cannot be forgotten here.
        let RuleSettings {
            max_params,
            min_params,
            max_bytes,
            max_file_bytes,
            dtype,
            forbid_dtype,
            allow_global,
            expect_tensors,
            baseline,
            max_growth,
            max_params_growth,
            max_bytes_growth,
            no_nan,
            no_inf,
            no_all_zero_tensors,
        } = self;
        let list =
            |flags: Vec<DType>, file: Vec<DType>| if flags.is_empty() { file } else { flags };
        RuleSettings {
            max_params: max_params.or(file.max_params),
            min_params: min_params.or(file.min_params),
            max_bytes: max_bytes.or(file.max_bytes),
            max_file_bytes: max_file_bytes.or(file.max_file_bytes),
            dtype: list(dtype, file.dtype),
            forbid_dtype: list(forbid_dtype, file.forbid_dtype),
            allow_global: if allow_global.is_empty() {
                file.allow_global
            } else {
                allow_global
            },
            expect_tensors: expect_tensors.or(file.expect_tensors),
            baseline: baseline.or(file.baseline),
            max_growth: max_growth.or(file.max_growth),
            max_params_growth: max_params_growth.or(file.max_params_growth),
            max_bytes_growth: max_bytes_growth.or(file.max_bytes_growth),
            // A flag can only switch a rule on; `no-nan = false` in the file is the same as leaving it out.
            no_nan: no_nan || file.no_nan,
            no_inf: no_inf || file.no_inf,
            no_all_zero_tensors: no_all_zero_tensors || file.no_all_zero_tensors,
        }
    }

    /// The rules, in a fixed order, with their files read. Contradictions are refused: a minimum above the
    /// maximum, a dtype both allowed and forbidden, a growth allowance without a baseline.
    pub fn into_rules(self) -> Result<Vec<Rule>, String> {
        if let (Some(min), Some(max)) = (&self.min_params, &self.max_params) {
            if min.value > max.value {
                return Err(format!(
                    "--min-params {} is above --max-params {}",
                    min.shown(),
                    max.shown()
                ));
            }
        }
        if let Some(d) = self.dtype.iter().find(|d| self.forbid_dtype.contains(d)) {
            return Err(format!(
                "{d} is both allowed (--dtype) and forbidden (--forbid-dtype)"
            ));
        }
        let growth_given = self.max_growth.is_some()
            || self.max_params_growth.is_some()
            || self.max_bytes_growth.is_some();
        if growth_given && self.baseline.is_none() {
            return Err("a growth allowance needs --baseline BASE.json to grow from".into());
        }

        // Always on: it judges the checkpoints that have a pickle and is left out for the others.
        let mut rules = vec![Rule::PickleSafety(self.allow_global)];
        rules.extend(self.max_params.map(Rule::MaxParams));
        rules.extend(self.min_params.map(Rule::MinParams));
        rules.extend(self.max_bytes.map(Rule::MaxBytes));
        rules.extend(self.max_file_bytes.map(Rule::MaxFileBytes));
        if !self.dtype.is_empty() {
            rules.push(Rule::AllowedDtypes(self.dtype));
        }
        if !self.forbid_dtype.is_empty() {
            rules.push(Rule::ForbiddenDtypes(self.forbid_dtype));
        }
        if let Some(path) = &self.expect_tensors {
            rules.push(Rule::ExpectTensors(Box::new(expect::read(path)?)));
        }
        if let Some(path) = &self.baseline {
            let base = baseline::read(path)?;
            // A baseline alone means "no growth at all".
            let shared = self.max_growth.unwrap_or(Growth::Percent {
                numerator: 0,
                denominator: 1,
                text: "0%".into(),
            });
            for (measure, specific) in [
                (Measure::Parameters, self.max_params_growth),
                (Measure::TensorBytes, self.max_bytes_growth),
            ] {
                rules.push(Rule::Growth(GrowthRule {
                    measure,
                    baseline: base.clone(),
                    allowance: specific.unwrap_or_else(|| shared.clone()),
                }));
            }
        }
        for (on, rule) in [
            (self.no_nan, ValueRule::NoNan),
            (self.no_inf, ValueRule::NoInf),
            (self.no_all_zero_tensors, ValueRule::NoAllZero),
        ] {
            if on {
                rules.push(Rule::Values(rule));
            }
        }
        Ok(rules)
    }
}

/// A figure in a rules file: a string with units (`"8.1B"`) or a plain integer.
#[derive(Deserialize)]
#[serde(untagged)]
enum Written {
    Text(String),
    Integer(i64),
    Float(f64),
}

fn written<'de, D: Deserializer<'de>, T>(
    d: D,
    parse: fn(&str) -> Result<T, String>,
) -> Result<Option<T>, D::Error> {
    let text = match Written::deserialize(d)? {
        Written::Text(t) => t,
        Written::Integer(i) => i.to_string(),
        Written::Float(f) => {
            return Err(serde::de::Error::custom(format!(
                "{f} is a TOML float; write figures with units as strings (\"8.1B\", \"16GiB\", \"2%\")"
            )))
        }
    };
    parse(&text).map(Some).map_err(serde::de::Error::custom)
}

fn de_count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Limit>, D::Error> {
    written(d, Limit::count)
}

fn de_bytes<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Limit>, D::Error> {
    written(d, Limit::bytes)
}

fn de_percent<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Growth>, D::Error> {
    written(d, Growth::percent)
}

fn de_params_growth<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Growth>, D::Error> {
    written(d, Growth::params)
}

fn de_bytes_growth<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Growth>, D::Error> {
    written(d, Growth::bytes)
}

/// Dtypes in a rules file: a list (`["BF16", "F32"]`) or, as the flag takes them, a string (`"BF16,F32"`).
#[derive(Deserialize)]
#[serde(untagged)]
enum WrittenDtypes {
    List(Vec<String>),
    Text(String),
    Other(serde::de::IgnoredAny),
}

fn de_dtypes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<DType>, D::Error> {
    let names =
        match WrittenDtypes::deserialize(d)? {
            WrittenDtypes::List(names) => names,
            WrittenDtypes::Text(text) => text.split(',').map(str::to_owned).collect(),
            WrittenDtypes::Other(_) => return Err(serde::de::Error::custom(
                "expected a list of dtype names ([\"BF16\", \"F32\"]) or a string (\"BF16,F32\")",
            )),
        };
    names
        .iter()
        .map(|s| parse_dtype(s).map_err(serde::de::Error::custom))
        .collect()
}
