//! `inspect`, `footprint`, `check`, `stats`, `diff` and `verify`: each reads what its subcommand reads, calls the
//! same library functions as the CLI's runner of that name (src/cli/commands/) and returns the JSON text that
//! `--format json` prints. Keyword arguments are the flags (`group_by` for `--group-by`); flags that only shape
//! tables (`--limit` of diff, `--explain`, `--quiet`, `--format`, `--junit`) have no argument. The GIL is released
//! while the library works.

use crate::errors;
use paramscope::check::{self, settings, settings::RuleSettings, CheckReport};
use paramscope::diff::{self, values::Tolerance, DiffOptions};
use paramscope::footprint::{
    self, ArchitectureSource, Devices, FootprintOptions, KvDtype, Optimizer,
};
use paramscope::format::discover::walk::{self, NotOne};
use paramscope::format::error::{ErrorRow, LoadError};
use paramscope::format::LoadOptions;
use paramscope::inspect::{self, InspectOptions, MultiReport, SortKey};
use paramscope::model::checkpoint::Checkpoint;
use paramscope::model::filter::TensorFilter;
use paramscope::model::metadata::MetadataDetail;
use paramscope::model::quantity;
use paramscope::render;
use paramscope::stats::{self, MultiStatsReport, ScanOptions};
use paramscope::verify::{self, reference, VerifyOptions};
use pyo3::prelude::*;
use std::path::{Path, PathBuf};

/// Adds the functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(inspect_json, m)?)?;
    m.add_function(wrap_pyfunction!(footprint_json, m)?)?;
    m.add_function(wrap_pyfunction!(check_json, m)?)?;
    m.add_function(wrap_pyfunction!(stats_json, m)?)?;
    m.add_function(wrap_pyfunction!(diff_json, m)?)?;
    m.add_function(wrap_pyfunction!(verify_json, m)?)?;
    Ok(())
}

/// Why a function returns no report: the CLI's usage error (exit 2, `error: MESSAGE`), or input it could not
/// read (exit 2, the problems on stderr) with the JSON it prints for the rest.
enum Failure {
    Usage(String),
    Input(Vec<ErrorRow>, Option<String>),
}

type Outcome = Result<String, Failure>;

/// Runs `work` without the GIL and turns its failure into the Python exception.
fn released(py: Python<'_>, work: impl FnOnce() -> Outcome + Send) -> PyResult<String> {
    match py.detach(work) {
        Ok(json) => Ok(json),
        Err(Failure::Usage(message)) => Err(errors::usage(message)),
        Err(Failure::Input(rows, report)) => Err(errors::input(py, &rows, report)),
    }
}

/// The value of an enumerated flag, spelt as on the command line.
fn choice<T: Copy>(flag: &str, given: &str, values: &[(&str, T)]) -> Result<T, Failure> {
    match values.iter().find(|(name, _)| *name == given) {
        Some(&(_, v)) => Ok(v),
        None => {
            let names: Vec<&str> = values.iter().map(|(n, _)| *n).collect();
            Err(Failure::Usage(format!(
                "invalid value '{given}' for {flag}: expected one of {}",
                names.join(", ")
            )))
        }
    }
}

/// A flag that only means something beside another (clap's `requires`).
fn requires(given: bool, flag: &str, other: &str) -> Result<(), Failure> {
    match given {
        true => Err(Failure::Usage(format!("{flag} requires {other}"))),
        false => Ok(()),
    }
}

/// A count that must be at least 1 (the CLI's `range(1..)`).
fn positive(flag: &str, n: u64) -> Result<u64, Failure> {
    match n {
        0 => Err(Failure::Usage(format!("{flag} must be at least 1"))),
        n => Ok(n),
    }
}

/// A byte size given as an int (exact bytes) or as text with units (`"24GiB"`, `"2x80GB"`), parsed as the
/// flag parses its text.
#[derive(FromPyObject)]
enum Figure {
    Int(u64),
    Text(String),
}

impl Figure {
    fn parse<T>(self, flag: &str, parse: fn(&str) -> Result<T, String>) -> Result<T, Failure> {
        let text = match self {
            // The flag refuses a bare number (is 24 GiB or bytes meant?); an int in Python is exact bytes.
            Figure::Int(n) => format!("{n}B"),
            Figure::Text(t) => t,
        };
        parse(&text).map_err(|e| Failure::Usage(format!("invalid value '{text}' for {flag}: {e}")))
    }
}

fn filter(patterns: &[String]) -> Result<TensorFilter, Failure> {
    TensorFilter::new(patterns).map_err(|e| Failure::Usage(format!("filter: {e}")))
}

fn group_by(
    given: Option<String>,
) -> Result<Option<paramscope::aggregate::group::GroupBy>, Failure> {
    given
        .map(|g| {
            g.parse()
                .map_err(|e| Failure::Usage(format!("group_by: {e}")))
        })
        .transpose()
}

/// Symlinks are always followed now (docs/inputs.md); `follow_symlinks=` stays accepted, as the CLI's
/// `--follow-symlinks` does, and asks nothing.
fn load_options(_follow_symlinks: bool) -> LoadOptions {
    LoadOptions::default()
}

/// The one checkpoint a path names, as `footprint` and `diff` read it.
fn one(path: &Path, options: LoadOptions) -> Result<Checkpoint, NotOne> {
    walk::load_one(path, options)
}

/// `paramscope inspect PATHS --format json`.
#[pyfunction]
#[pyo3(name = "inspect", signature = (paths, *, tensors=false, sort=None, filter=Vec::new(), limit=None, group_by=None,
    tree=false, depth=None, metadata=None, recursive=false, follow_symlinks=false))]
#[allow(clippy::too_many_arguments)]
fn inspect_json(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    tensors: bool,
    sort: Option<String>,
    filter: Vec<String>,
    limit: Option<usize>,
    group_by: Option<String>,
    tree: bool,
    depth: Option<u64>,
    metadata: Option<String>,
    recursive: bool,
    follow_symlinks: bool,
) -> PyResult<String> {
    released(py, move || {
        requires(sort.is_some() && !tensors, "sort", "tensors=True")?;
        requires(limit.is_some() && !tensors, "limit", "tensors=True")?;
        requires(depth.is_some() && !tree, "depth", "tree=True")?;
        let sort = match &sort {
            Some(s) => choice(
                "sort",
                s,
                &[
                    ("file", SortKey::File),
                    ("name", SortKey::Name),
                    ("size", SortKey::Size),
                    ("params", SortKey::Params),
                ],
            )?,
            None => SortKey::File,
        };
        let metadata = match &metadata {
            Some(m) => choice(
                "metadata",
                m,
                &[
                    ("summary", MetadataDetail::Summary),
                    ("full", MetadataDetail::Full),
                ],
            )?,
            None => MetadataDetail::Summary,
        };
        let depth = depth.map(|d| positive("depth", d)).transpose()?;
        let options = InspectOptions {
            filter: Some(self::filter(&filter)?),
            list_tensors: tensors,
            sort,
            limit,
            group_by: self::group_by(group_by)?,
            tree: tree.then_some(depth.map(|d| usize::try_from(d).unwrap_or(usize::MAX))),
            metadata,
        };
        let _ = follow_symlinks; // always followed (see load_options)
        let load_options = LoadOptions { metadata };
        let mut reports = Vec::new();
        let mut failed = Vec::new();
        let mut take = |loaded: Result<Checkpoint, (PathBuf, LoadError)>| match loaded {
            Ok(c) => reports.push(inspect::inspect(&c, &options)),
            Err((_, e)) => failed.push(e),
        };
        // As the CLI reads them: with `recursive`, each checkpoint as it is found (`inspect -r` in JSON).
        if recursive {
            walk::each_checkpoint(&paths, true, |found| take(walk::load(found, load_options)));
        } else {
            walk::load_each(&paths, load_options)
                .into_iter()
                .for_each(&mut take);
        }
        // The CLI's shape: one report alone when one checkpoint was named or found, else `{checkpoints, …}`.
        let one = reports.len() == 1 && (recursive || failed.is_empty());
        let json = match reports.len() {
            0 => None,
            _ if one => Some(render::json::to_string(&reports[0])),
            _ => Some(render::json::to_string(&MultiReport::new(reports))),
        };
        finish(json, &failed)
    })
}

/// The report, or the problems beside it when an input could not be read.
fn finish(json: Option<String>, failed: &[LoadError]) -> Outcome {
    match (json, failed.is_empty()) {
        (Some(json), true) => Ok(json),
        (json, _) => Err(Failure::Input(errors::rows(failed), json)),
    }
}

/// `paramscope footprint PATH --format json`.
#[pyfunction]
#[pyo3(name = "footprint", signature = (path, *, context=None, batch=1, kv_dtype=None,
    group_size=footprint::DEFAULT_GROUP_SIZE, overhead=footprint::DEFAULT_OVERHEAD_PERCENT, training=None,
    fits=None, device_overhead=None, config=None, layers=None, kv_heads=None, head_dim=None, max_context=None,
    follow_symlinks=false))]
#[allow(clippy::too_many_arguments)]
fn footprint_json(
    py: Python<'_>,
    path: PathBuf,
    context: Option<u64>,
    batch: u64,
    kv_dtype: Option<String>,
    group_size: u64,
    overhead: u64,
    training: Option<String>,
    fits: Option<Figure>,
    device_overhead: Option<Figure>,
    config: Option<PathBuf>,
    layers: Option<u64>,
    kv_heads: Option<u64>,
    head_dim: Option<u64>,
    max_context: Option<u64>,
    follow_symlinks: bool,
) -> PyResult<String> {
    released(py, move || {
        let kv_dtype = match &kv_dtype {
            Some(k) => KvDtype::parse(k)
                .map_err(|e| Failure::Usage(format!("invalid value '{k}' for kv_dtype: {e}")))?,
            None => KvDtype::F16,
        };
        let architecture = match (config, layers, kv_heads, head_dim) {
            (Some(file), None, None, None) => ArchitectureSource::ConfigFile(file),
            (None, Some(layers), Some(kv_heads), Some(head_dim)) => ArchitectureSource::Given {
                layers: positive("layers", layers)?,
                kv_heads: positive("kv_heads", kv_heads)?,
                head_dim: positive("head_dim", head_dim)?,
                max_context: max_context
                    .map(|n| positive("max_context", n))
                    .transpose()?,
            },
            (None, None, None, None) => ArchitectureSource::Checkpoint,
            _ => {
                return Err(Failure::Usage(
                    "give config, or layers with kv_heads and head_dim (not both)".into(),
                ))
            }
        };
        requires(
            device_overhead.is_some() && fits.is_none(),
            "device_overhead",
            "fits",
        )?;
        let options = FootprintOptions {
            context: context.map(|n| positive("context", n)).transpose()?,
            batch: positive("batch", batch)?,
            kv_dtype,
            group_size: positive("group_size", group_size)?,
            overhead_percent: overhead,
            training: training
                .map(|t| choice("training", &t, &[("adam", Optimizer::Adam)]))
                .transpose()?,
            fits: fits.map(|f| f.parse("fits", Devices::parse)).transpose()?,
            device_overhead: device_overhead
                .map(|f| f.parse("device_overhead", quantity::parse_bytes))
                .transpose()?,
            architecture,
        };
        let checkpoint = one(&path, load_options(follow_symlinks)).map_err(not_one)?;
        match footprint::footprint(&checkpoint, &options) {
            Ok(report) => Ok(render::json::to_string(&report)),
            Err(e) => Err(Failure::Input(LoadError::from(e).rows(), None)),
        }
    })
}

fn not_one(e: NotOne) -> Failure {
    match e {
        NotOne::Unreadable(failed) => Failure::Input(errors::rows(&failed), None),
        several => Failure::Usage(several.to_string()),
    }
}

/// `paramscope diff A B --format json`.
#[pyfunction]
#[pyo3(name = "diff", signature = (a, b, *, values=false, atol=None, rtol=None, identical=false, renames=false, group_by=None,
    follow_symlinks=false))]
#[allow(clippy::too_many_arguments)]
fn diff_json(
    py: Python<'_>,
    a: PathBuf,
    b: PathBuf,
    values: bool,
    atol: Option<f64>,
    rtol: Option<f64>,
    identical: bool,
    renames: bool,
    group_by: Option<String>,
    follow_symlinks: bool,
) -> PyResult<String> {
    released(py, move || {
        requires(atol.is_some() && !values, "atol", "values=True")?;
        requires(rtol.is_some() && !values, "rtol", "values=True")?;
        if identical && values {
            return Err(Failure::Usage(
                "identical cannot be used with values".into(),
            ));
        }
        let tolerance = |flag: &str, x: Option<f64>| match x {
            Some(x) => quantity::parse_tolerance(&x.to_string())
                .map_err(|e| Failure::Usage(format!("invalid value for {flag}: {e}"))),
            None => Ok(0.0),
        };
        let options = DiffOptions {
            group_by: self::group_by(group_by)?,
            renames,
            identical,
            values: match values {
                true => Some(Tolerance {
                    atol: tolerance("atol", atol)?,
                    rtol: tolerance("rtol", rtol)?,
                }),
                false => None,
            },
        };
        // Both sides are read before either is refused, as the CLI reads them.
        let load = load_options(follow_symlinks);
        let (a, b) = (one(&a, load), one(&b, load));
        let (a, b) = match (a, b) {
            (Ok(a), Ok(b)) => (a, b),
            (a, b) => {
                let mut failed = Vec::new();
                for side in [a.err(), b.err()].into_iter().flatten() {
                    match side {
                        NotOne::Unreadable(errors) => failed.extend(errors),
                        several => return Err(Failure::Usage(several.to_string())),
                    }
                }
                return Err(Failure::Input(errors::rows(&failed), None));
            }
        };
        match diff::diff(&a, &b, &options) {
            Ok(report) => Ok(render::json::to_string(&report)),
            Err(e) => Err(Failure::Input(LoadError::from(e).rows(), None)),
        }
    })
}

/// `paramscope stats PATHS --format json`.
#[pyfunction]
#[pyo3(name = "stats", signature = (paths, *, filter=Vec::new(), hist=false, follow_symlinks=false))]
fn stats_json(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    filter: Vec<String>,
    hist: bool,
    follow_symlinks: bool,
) -> PyResult<String> {
    released(py, move || {
        let filter = self::filter(&filter)?;
        let options = ScanOptions {
            histogram: hist,
            ..ScanOptions::default()
        };
        let loaded = walk::load_each(&paths, load_options(follow_symlinks));
        let found = loaded.len();
        let mut reports = Vec::new();
        let mut failed = Vec::new();
        for l in loaded {
            let scanned = l.and_then(|c| {
                stats::scan(&c, &filter, &options).map_err(|e| (c.path.clone(), LoadError::from(e)))
            });
            match scanned {
                Ok(r) => reports.push(r),
                Err((_, e)) => failed.push(e),
            }
        }
        let json = match reports.len() {
            0 => None,
            1 if found == 1 => Some(render::json::to_string(&reports[0])),
            _ => Some(render::json::to_string(&MultiStatsReport {
                checkpoints: reports,
            })),
        };
        finish(json, &failed)
    })
}

/// `paramscope check PATHS [RULES] --format json`. The rules come as the JSON object of a rules file's keys
/// (`{"max-params": "8.1B"}`), which the package makes of the keyword arguments, so that they are read by the
/// rules file's own parser.
#[pyfunction]
#[pyo3(name = "check", signature = (paths, rules_json, *, rules=None, recursive=false, follow_symlinks=false))]
fn check_json(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    rules_json: String,
    rules: Option<PathBuf>,
    recursive: bool,
    follow_symlinks: bool,
) -> PyResult<String> {
    released(py, move || {
        let flags: RuleSettings =
            serde_json::from_str(&rules_json).map_err(|e| Failure::Usage(format!("check: {e}")))?;
        let settings = match &rules {
            Some(path) => {
                flags.over(settings::read_file(path).map_err(|e| Failure::Usage(e.to_string()))?)
            }
            None => flags,
        };
        let rules = settings
            .into_rules()
            .map_err(|e| Failure::Usage(e.to_string()))?;
        let load = load_options(follow_symlinks);
        let mut reports: Vec<CheckReport> = Vec::new();
        let mut problems = Vec::new();
        walk::each_checkpoint(&paths, recursive, |found| {
            let checked = found
                .map_err(|e| (e.path.clone(), LoadError::from(e)))
                .and_then(|source| {
                    check::check_source(&source, &rules, load, &ScanOptions::default())
                });
            reports.push(match checked {
                Ok(report) => report,
                Err((path, e)) => {
                    problems.extend(e.rows());
                    check::unreadable(&path, &e)
                }
            });
        });
        let json = render::json::to_string(&render::check::to_json_collected(&reports));
        match problems.is_empty() {
            true => Ok(json),
            false => Err(Failure::Input(problems, Some(json))),
        }
    })
}

/// `paramscope verify PATHS [--sha256 FILE|HEX] --format json`.
#[pyfunction]
#[pyo3(name = "verify", signature = (paths, *, sha256=None))]
fn verify_json(py: Python<'_>, paths: Vec<PathBuf>, sha256: Option<PathBuf>) -> PyResult<String> {
    released(py, move || {
        let mut options = VerifyOptions::default();
        if let Some(given) = &sha256 {
            match reference::parse_sha256(&given.to_string_lossy()) {
                Some(hex) => {
                    if paths.len() != 1 || !verify::is_one_file(&paths[0]) {
                        return Err(Failure::Usage(
                            "sha256=HEX is the hash of one file: name that one file (a manifest, sha256=FILE, \
                             covers several)"
                                .into(),
                        ));
                    }
                    options.digest = Some(hex);
                }
                None => match reference::read_manifest(given) {
                    Ok(list) => options.lists.push(list),
                    Err(e) => return Err(Failure::Usage(format!("sha256: {e}"))),
                },
            }
        }
        let report = verify::verify(&paths, &options, None);
        let json = render::json::to_string(&report);
        match report.errors.is_empty() {
            true => Ok(json),
            false => Err(Failure::Input(report.errors, Some(json))),
        }
    })
}
