//! The rules a user asks for, from flags and from a rules file (`--rules paramscope.toml`): one struct whose
//! fields are the file's keys (kebab-case) and the command line's flags (the CLI's flags convert into it, each
//! field under its key's name), so the two cannot drift apart. Flags override the file key by key; a key the
//! file does not know is an error.

use super::baseline::{self, BaselineError, GrowthRule};
use super::expect::{self, ExpectError};
use super::limit::{Growth, Limit};
use super::values::ValueRule;
use super::{Measure, Rule};
use crate::model::dtype::DType;
use serde::{Deserialize, Deserializer};
use std::path::{Path, PathBuf};

/// The rules asked for, each field under its flag's and rules-file key's name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleSettings {
    /// Fail above this many parameters: an integer (8030261248, 8,030,261,248) or K/M/B/T, powers of 1000 (8.1B).
    #[serde(default, deserialize_with = "de_count")]
    pub max_params: Option<Limit>,

    /// Fail below this many parameters.
    #[serde(default, deserialize_with = "de_count")]
    pub min_params: Option<Limit>,

    /// Fail above this many parameters per token: a MoE model's used experts only (inspect's active parameters),
    /// a dense model's all; fails when config.json lacks the routing fields.
    #[serde(default, deserialize_with = "de_count")]
    pub max_active_params: Option<Limit>,

    /// Fail above this much tensor data (the sum of tensor bytes, headers excluded): 16GiB, 15GB, 16060522496.
    /// Fail above this many logical parameters (`inspect`'s logical count: packed 4-bit weights counted as the
    /// weights they stand for, quantization auxiliaries left out).
    #[serde(default, deserialize_with = "de_count")]
    pub max_logical_params: Option<Limit>,

    /// Fail below this many logical parameters (`--min-logical-params 7B` passes a 4-bit 8B model).
    #[serde(default, deserialize_with = "de_count")]
    pub min_logical_params: Option<Limit>,

    /// Fail above this much tensor data (the sum of tensor bytes, headers excluded): 16GiB, 15GB, 16060522496B.
    #[serde(default, deserialize_with = "de_bytes")]
    pub max_bytes: Option<Limit>,

    /// Fail when any file (shard) is larger than this on disk, headers included: 5GB, 4GiB.
    #[serde(default, deserialize_with = "de_bytes")]
    pub max_file_bytes: Option<Limit>,

    /// Allowed dtypes, as `inspect` spells them: safetensors names, and ggml types such as Q4_K for GGUF
    /// (repeatable or comma-separated: --dtype BF16,F32); any other fails.
    #[serde(default, deserialize_with = "de_dtypes")]
    pub dtype: Vec<DType>,

    /// Dtypes that must not appear (repeatable or comma-separated).
    #[serde(default, deserialize_with = "de_dtypes")]
    pub forbid_dtype: Vec<DType>,

    /// A pickle global to accept although it is not on the allow-list (PyTorch checkpoints fail `pickle-safety`
    /// on any dangerous or unknown global): MODULE.NAME, repeatable or comma-separated.
    #[serde(default)]
    pub allow_global: Vec<String>,

    /// Fail on missing, unexpected or changed tensors compared with FILE (`inspect --format json --tensors`).
    #[serde(default)]
    pub expect_tensors: Option<PathBuf>,

    /// A saved `inspect --format json` report to compare parameters and tensor bytes with (no growth allowed
    /// unless --max-growth says how much).
    #[serde(default)]
    pub baseline: Option<PathBuf>,

    /// Growth allowed over --baseline, for parameters and tensor bytes alike: 2%, 0.5%.
    #[serde(default, deserialize_with = "de_percent")]
    pub max_growth: Option<Growth>,

    /// Parameter growth allowed over --baseline, overriding --max-growth: a percentage (1%) or a count (50M).
    #[serde(default, deserialize_with = "de_params_growth")]
    pub max_params_growth: Option<Growth>,

    /// Tensor-byte growth allowed over --baseline, overriding --max-growth: a percentage (1%) or bytes (100MiB).
    #[serde(default, deserialize_with = "de_bytes_growth")]
    pub max_bytes_growth: Option<Growth>,

    /// Fail when any tensor holds a NaN (reads every tensor's data once, shared by the value rules).
    #[serde(default)]
    pub no_nan: bool,

    /// Fail when any tensor holds +Inf or -Inf (reads the data).
    #[serde(default)]
    pub no_inf: bool,

    /// Fail when any tensor with elements is entirely zero (reads the data).
    #[serde(default)]
    pub no_all_zero_tensors: bool,

    /// Fail unless every file of the checkpoint matches its reference hash: the Hugging Face cache's blob names,
    /// or --verify-sha256's manifest (hashes every file; a file with no reference fails too).
    #[serde(default)]
    pub verify: bool,

    /// A manifest of reference hashes for --verify (`sha256sum` format, paths relative to it); implies --verify.
    #[serde(default)]
    pub verify_sha256: Option<PathBuf>,
}

/// A dtype as `--dtype` and the rules file take it: `inspect`'s spelling or PyTorch's, in any case
/// ([`DType::parse`]).
pub fn parse_dtype(text: &str) -> Result<DType, String> {
    DType::parse(text).ok_or_else(|| DType::unknown(text))
}

/// Why a rules file cannot be used; the message names it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RulesFileError {
    /// The rules file could not be read.
    #[error("--rules {}: cannot read: {source}", path.display())]
    Read {
        /// The rules file's path, as given.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Not TOML, or a key or value the rules do not take (the parser's message says which, and where).
    #[error("--rules {}: {}", path.display(), source.to_string().trim_end())]
    Invalid {
        /// The rules file's path, as given.
        path: PathBuf,
        /// The TOML parser's error, naming the key and line.
        source: toml::de::Error,
    },
}

/// Why the settings give no rules: they contradict each other, or a file they name cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RulesError {
    /// `min-params` is above `max-params`: no checkpoint could pass.
    #[error("--min-params {min} is above --max-params {max}")]
    MinAboveMax {
        /// The minimum, as written.
        min: Limit,
        /// The maximum, as written.
        max: Limit,
    },
    /// `min-logical-params` is above `max-logical-params`: no checkpoint could pass.
    #[error("--min-logical-params {min} is above --max-logical-params {max}")]
    LogicalMinAboveMax {
        /// The minimum, as written.
        min: Limit,
        /// The maximum, as written.
        max: Limit,
    },
    /// A dtype is both allowed and forbidden.
    #[error("{0} is both allowed (--dtype) and forbidden (--forbid-dtype)")]
    AllowedAndForbidden(DType),
    /// A growth allowance without a baseline to grow from.
    #[error("a growth allowance needs --baseline BASE.json to grow from")]
    GrowthWithoutBaseline,
    /// The baseline file cannot be used.
    #[error(transparent)]
    Baseline(#[from] BaselineError),
    /// The expected-tensors file cannot be used.
    #[error(transparent)]
    Expect(#[from] ExpectError),
    /// The `verify-sha256` manifest cannot be read.
    #[error("--verify-sha256 {0}")]
    Manifest(#[from] crate::format::error::InputError),
}

/// Reads a rules file. Paths in it are relative to the file's folder (as in Cargo.toml), so the file works from
/// any working directory.
pub fn read_file(path: &Path) -> Result<RuleSettings, RulesFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| RulesFileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut settings: RuleSettings =
        toml::from_str(&text).map_err(|source| RulesFileError::Invalid {
            path: path.to_path_buf(),
            source,
        })?;
    let folder = path.parent().unwrap_or(Path::new(""));
    settings.expect_tensors = settings.expect_tensors.map(|p| folder.join(p));
    settings.baseline = settings.baseline.map(|p| folder.join(p));
    settings.verify_sha256 = settings.verify_sha256.map(|p| folder.join(p));
    Ok(settings)
}

impl RuleSettings {
    /// These settings (from flags) over `file`'s: each rule given on the command line replaces the file's.
    pub fn over(self, file: RuleSettings) -> RuleSettings {
        // Destructured, so that a new field cannot be forgotten here.
        let RuleSettings {
            max_params,
            min_params,
            max_active_params,
            max_logical_params,
            min_logical_params,
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
            verify,
            verify_sha256,
        } = self;
        let list =
            |flags: Vec<DType>, file: Vec<DType>| if flags.is_empty() { file } else { flags };
        RuleSettings {
            max_params: max_params.or(file.max_params),
            min_params: min_params.or(file.min_params),
            max_active_params: max_active_params.or(file.max_active_params),
            max_logical_params: max_logical_params.or(file.max_logical_params),
            min_logical_params: min_logical_params.or(file.min_logical_params),
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
            verify: verify || file.verify,
            verify_sha256: verify_sha256.or(file.verify_sha256),
        }
    }

    /// The rules, in a fixed order, with their files read. Contradictions are refused: a minimum above the
    /// maximum, a dtype both allowed and forbidden, a growth allowance without a baseline.
    pub fn into_rules(self) -> Result<Vec<Rule>, RulesError> {
        if let (Some(min), Some(max)) = (&self.min_params, &self.max_params) {
            if min.value > max.value {
                return Err(RulesError::MinAboveMax {
                    min: min.clone(),
                    max: max.clone(),
                });
            }
        }
        if let (Some(min), Some(max)) = (&self.min_logical_params, &self.max_logical_params) {
            if min.value > max.value {
                return Err(RulesError::LogicalMinAboveMax {
                    min: min.clone(),
                    max: max.clone(),
                });
            }
        }
        if let Some(&d) = self.dtype.iter().find(|d| self.forbid_dtype.contains(d)) {
            return Err(RulesError::AllowedAndForbidden(d));
        }
        let growth_given = self.max_growth.is_some()
            || self.max_params_growth.is_some()
            || self.max_bytes_growth.is_some();
        if growth_given && self.baseline.is_none() {
            return Err(RulesError::GrowthWithoutBaseline);
        }

        // Always on: it judges the checkpoints that have a pickle and is left out for the others.
        let mut rules = vec![Rule::PickleSafety(self.allow_global)];
        rules.extend(self.max_params.map(Rule::MaxParams));
        rules.extend(self.min_params.map(Rule::MinParams));
        rules.extend(self.max_active_params.map(Rule::MaxActiveParams));
        rules.extend(self.max_logical_params.map(Rule::MaxLogicalParams));
        rules.extend(self.min_logical_params.map(Rule::MinLogicalParams));
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
        if self.verify || self.verify_sha256.is_some() {
            let lists = match &self.verify_sha256 {
                Some(path) => vec![crate::verify::reference::read_manifest(path)?],
                None => Vec::new(),
            };
            rules.push(Rule::Verify(Box::new(crate::verify::VerifyOptions {
                digest: None,
                lists,
            })));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contradictions_are_refused_with_the_limits_as_written() {
        let settings = RuleSettings {
            min_params: Some(Limit::count("2000").unwrap()),
            max_params: Some(Limit::count("1K").unwrap()),
            ..RuleSettings::default()
        };
        let e = settings.into_rules().unwrap_err();
        assert!(
            matches!(&e, RulesError::MinAboveMax { min, max } if min.value == 2000 && max.value == 1000)
        );
        assert_eq!(e.to_string(), "--min-params 2,000 is above --max-params 1K");

        let f32 = parse_dtype("f32").unwrap();
        let both = RuleSettings {
            dtype: vec![f32],
            forbid_dtype: vec![f32],
            ..RuleSettings::default()
        };
        let e = both.into_rules().unwrap_err();
        assert!(matches!(e, RulesError::AllowedAndForbidden(d) if d == f32));

        let growth = RuleSettings {
            max_growth: Some(Growth::percent("1%").unwrap()),
            ..RuleSettings::default()
        };
        assert!(matches!(
            growth.into_rules(),
            Err(RulesError::GrowthWithoutBaseline)
        ));
    }

    #[test]
    fn a_file_the_rules_name_gives_its_own_error() {
        let dir = tempfile::TempDir::new().unwrap();
        let missing = dir.path().join("base.json");
        let settings = RuleSettings {
            baseline: Some(missing.clone()),
            ..RuleSettings::default()
        };
        let e = settings.into_rules().unwrap_err();
        assert!(matches!(
            &e,
            RulesError::Baseline(BaselineError::Unreadable { path, .. }) if *path == missing
        ));
        assert!(e
            .to_string()
            .starts_with(&format!("--baseline {}: cannot read: ", missing.display())));
    }

    #[test]
    fn rules_file_errors_name_the_file_and_paths_in_it_are_relative_to_it() {
        let dir = tempfile::TempDir::new().unwrap();
        let rules = dir.path().join("paramscope.toml");
        std::fs::write(&rules, "max-params = \"8.1B\"\nbaseline = \"main.json\"\n").unwrap();
        let settings = read_file(&rules).unwrap();
        assert_eq!(settings.max_params.unwrap().value, 8_100_000_000);
        assert_eq!(settings.baseline, Some(dir.path().join("main.json")));

        // allow-global: flags replace the file's list.
        std::fs::write(&rules, "allow-global = [\"__main__.Config\", \"x.Y\"]\n").unwrap();
        let file = read_file(&rules).unwrap();
        assert_eq!(file.allow_global, ["__main__.Config", "x.Y"]);
        let flags = RuleSettings {
            allow_global: vec!["a.B".into()],
            ..RuleSettings::default()
        };
        assert_eq!(flags.over(file.clone()).allow_global, ["a.B"]);
        assert_eq!(
            RuleSettings::default().over(file).allow_global,
            ["__main__.Config", "x.Y"]
        );

        std::fs::write(&rules, "max-parms = 1\n").unwrap();
        let e = read_file(&rules).unwrap_err();
        assert!(matches!(&e, RulesFileError::Invalid { path, .. } if *path == rules));
        let message = e.to_string();
        assert!(
            message.starts_with(&format!("--rules {}: ", rules.display())),
            "{message}"
        );
        assert!(message.contains("max-parms"), "{message}");
        assert_eq!(message, message.trim_end());

        let e = read_file(&dir.path().join("none.toml")).unwrap_err();
        assert!(matches!(&e, RulesFileError::Read { source, .. }
            if source.kind() == std::io::ErrorKind::NotFound));
    }
}
