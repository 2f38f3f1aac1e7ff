//! `check` output: a line per rule for people and CI logs, GitHub Actions annotations, JUnit XML, and the JSON
//! `--format json` prints. The analysis gives data ([`Outcome`]); the words are written here, once, for every
//! format: names read from files are escaped for a terminal or a CI log, and given as they are in JSON (whose
//! own escaping keeps them intact).

use super::escape;
use crate::check::baseline::GrowthOutcome;
use crate::check::expect::{DtypeShape, TensorComparison};
use crate::check::limit::Growth;
use crate::check::rules::{
    Compared, DtypeCheck, DtypeCount, DtypeListing, FileSizes, FormatChecks, Structure,
};
use crate::check::values::{Offender, ValueFindings, ValueRule};
use crate::check::{
    CheckReport, Comparison, Figure, Measure, Outcome, RuleResult, Status, Summary, Verdict,
};
use crate::format::error::ErrorRow;
use crate::model::units;
use serde::Serialize;
use std::borrow::Cow;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CheckFormat {
    /// A line per rule (PASS/FAIL, measured figure, limit), then a summary line.
    #[default]
    Table,
    /// One JSON object: rules, figures and verdicts (with several checkpoints, a list and a summary).
    Json,
    /// One JSON object per checkpoint and line, written as each is checked.
    Jsonl,
    /// GitHub Actions annotations (`::error file=…::…`) for failures; passes as plain lines.
    Github,
}

/// At most this many names are listed under a failing rule; the rest are counted.
pub const DETAILS_SHOWN: usize = 50;

/// How names read from files (tensors, paths, the reader's notes) are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Names {
    /// Control characters escaped: for a terminal or a CI log.
    Terminal,
    /// As they are: for JSON, and for XML, which escapes them itself.
    Plain,
}

impl Names {
    fn name(self, s: &str) -> Cow<'_, str> {
        match self {
            Names::Terminal => escape(s),
            Names::Plain => Cow::Borrowed(s),
        }
    }

    fn path(self, p: &Path) -> String {
        self.name(&p.display().to_string()).into_owned()
    }
}

/// What a rule measured against what, in words and figures (`8.03B (8,030,261,248) > 8.0B`).
fn message(r: &RuleResult, names: Names) -> String {
    match &r.outcome {
        Outcome::Structure(s) => structure(s),
        Outcome::Compared(c) => compared(c),
        Outcome::FileSizes(f) => file_sizes(f, names),
        Outcome::Dtypes(d) => dtypes(d),
        Outcome::Tensors(t) => tensors(t, names),
        Outcome::Growth(g) => growth(g),
        Outcome::Values(v) => values(v),
    }
}

/// The tensors or files behind a failure, at most [`DETAILS_SHOWN`] and then a count of the rest; for the
/// structural rule, what the reader noted.
fn details(r: &RuleResult, names: Names) -> Vec<String> {
    match &r.outcome {
        Outcome::Structure(s) => s
            .notes
            .iter()
            .map(|n| format!("note: {}", names.name(n)))
            .collect(),
        Outcome::Compared(_) | Outcome::Growth(_) => Vec::new(),
        Outcome::FileSizes(f) => capped(f.over.iter().map(|file| {
            format!(
                "{}: {}",
                names.path(&file.path),
                bytes_shown(file.bytes, f.limit.binary())
            )
        })),
        Outcome::Dtypes(d) => capped(
            d.tensors
                .iter()
                .map(|(name, dtype)| format!("{}: {dtype}", names.name(name))),
        ),
        Outcome::Tensors(t) => capped(
            t.missing
                .iter()
                .map(|name| format!("missing: {}", names.name(name)))
                .chain(t.unexpected.iter().map(|(name, found)| {
                    format!("unexpected: {} ({})", names.name(name), described(found))
                }))
                .chain(t.changed.iter().map(|c| {
                    format!(
                        "changed: {}: {} -> {}",
                        names.name(&c.name),
                        described(&c.expected),
                        described(&c.found)
                    )
                })),
        ),
        Outcome::Values(v) => capped(v.offenders.iter().map(|o| offender(v.rule, o, names))),
    }
}

/// Names listed under a rule: the first [`DETAILS_SHOWN`], then how many more there were.
fn capped(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut more = 0usize;
    for item in items {
        if out.len() < DETAILS_SHOWN {
            out.push(item);
        } else {
            more += 1;
        }
    }
    if more > 0 {
        out.push(format!("… and {more} more"));
    }
    out
}

/// `8.03B (8,030,261,248)`.
fn count_shown(n: u64) -> String {
    if n < 1000 {
        n.to_string()
    } else {
        format!("{} ({})", units::count(n), units::grouped(n))
    }
}

/// `14.96 GiB (16,060,522,496 bytes)`, in binary units when the limit was written in them.
fn bytes_shown(n: u64, binary: bool) -> String {
    let human = if binary {
        units::bytes(n)
    } else {
        units::bytes_decimal(n)
    };
    if n < 1000 {
        format!("{n} bytes")
    } else {
        format!("{human} ({} bytes)", units::grouped(n))
    }
}

fn operator(c: Comparison) -> &'static str {
    match c {
        Comparison::AtMost => "<=",
        Comparison::Above => ">",
        Comparison::AtLeast => ">=",
        Comparison::Below => "<",
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    units::counted(n as u64, one, many)
}

fn structure(s: &Structure) -> String {
    let read = format!(
        "{}, {} read",
        plural(s.files, "file", "files"),
        plural(s.tensors, "tensor", "tensors"),
    );
    let mut message = match s.format {
        FormatChecks::Safetensors => {
            format!("{read}: headers in bounds, tensors tile the data exactly, no trailing bytes")
        }
        FormatChecks::Gguf {
            alignment,
            trailing_bytes,
        } => {
            let after = match trailing_bytes {
                0 => "nothing after the tensor data".to_string(),
                n => format!(
                    "{} after the tensor data (a note: llama.cpp ignores them)",
                    units::counted(n, "byte", "bytes")
                ),
            };
            format!("{read}: headers in bounds, tensors in order on the {alignment}-byte alignment, {after}")
        }
    };
    if s.sharded {
        message.push_str(", index consistent with its shards");
    }
    match &s.no_tensors {
        Some(why) => format!("{why}; {message}"),
        None => message,
    }
}

fn compared(c: &Compared) -> String {
    let shown = match c.measure {
        Measure::Parameters => count_shown(c.measured),
        Measure::TensorBytes => bytes_shown(c.measured, c.limit.binary()),
    };
    format!("{shown} {} {}", operator(c.comparison), c.limit)
}

fn file_sizes(f: &FileSizes, names: Names) -> String {
    let size = f.largest.as_ref().map_or(0, |l| l.bytes);
    let largest_name = f
        .largest
        .as_ref()
        .map(|l| names.path(&l.path))
        .unwrap_or_default();
    let size = bytes_shown(size, f.limit.binary());
    if f.over.is_empty() {
        format!("largest file {size} <= {}: {largest_name}", f.limit)
    } else {
        format!(
            "{} of {} over {}; largest {size}: {largest_name}",
            f.over.len(),
            plural(f.files, "file", "files"),
            f.limit,
        )
    }
}

fn dtypes(d: &DtypeCheck) -> String {
    let listed = d
        .listed
        .iter()
        .map(|d| d.name())
        .collect::<Vec<_>>()
        .join(", ");
    let rows = |rows: &[DtypeCount]| {
        rows.iter()
            .map(|r| {
                format!(
                    "{} ({})",
                    r.dtype,
                    units::counted(r.tensors, "tensor", "tensors")
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (d.offending.is_empty(), d.listing) {
        (true, DtypeListing::Allowed) => format!("{} all allowed ({listed})", rows(&d.present)),
        (true, DtypeListing::Forbidden) => format!("none of {listed} present"),
        (false, DtypeListing::Allowed) => {
            format!("{} not allowed; allowed: {listed}", rows(&d.offending))
        }
        (false, DtypeListing::Forbidden) => {
            format!("{} present; forbidden: {listed}", rows(&d.offending))
        }
    }
}

fn tensors(t: &TensorComparison, names: Names) -> String {
    let source = names.path(&t.source);
    let expected = plural(t.expected, "tensor", "tensors");
    if t.differences() == 0 {
        format!("{expected} as in {source}")
    } else {
        format!(
            "{} missing, {} unexpected, {} changed (expected {expected} from {source})",
            t.missing.len(),
            t.unexpected.len(),
            t.changed.len(),
        )
    }
}

/// `F32 [4, 4]`.
fn described(t: &DtypeShape) -> String {
    format!("{} {:?}", t.dtype, t.shape)
}

fn growth(g: &GrowthOutcome) -> String {
    let binary = match &g.allowance {
        Growth::Absolute(limit) => limit.binary(),
        Growth::Percent { .. } => true,
    };
    let shown = |n| match g.measure {
        Measure::Parameters => count_shown(n),
        Measure::TensorBytes => bytes_shown(n, binary),
    };
    let (now, base) = (g.now, g.baseline);
    let (sign, delta) = if now >= base {
        ('+', now - base)
    } else {
        ('-', base - now)
    };
    let percent = if base == 0 {
        String::new()
    } else {
        format!(" ({sign}{:.2}%)", delta as f64 * 100.0 / base as f64)
    };
    format!(
        "{} vs baseline {}: {sign}{}{percent} {} {}",
        shown(now),
        shown(base),
        units::grouped(delta),
        operator(g.comparison),
        g.allowance,
    )
}

fn values(v: &ValueFindings) -> String {
    // What an offending tensor holds, as in `NaN in 1 of 4 tensors read`.
    let offence = match v.rule {
        ValueRule::NoNan => "NaN",
        ValueRule::NoInf => "+Inf or -Inf",
        ValueRule::NoAllZero => "every value zero",
    };
    let mut message = format!(
        "{offence} in {} of {} read",
        units::grouped(v.offenders.len() as u64),
        plural(v.read, "tensor", "tensors")
    );
    if v.skipped > 0 {
        let dtypes: Vec<&str> = v.skipped_dtypes.iter().map(|d| d.name()).collect();
        message.push_str(&format!(
            "; {} not decoded ({})",
            plural(v.skipped, "tensor", "tensors"),
            dtypes.join(", ")
        ));
    }
    message
}

/// `name: 3 NaN of 1,024 values`.
fn offender(rule: ValueRule, o: &Offender, names: Names) -> String {
    let name = names.name(&o.name);
    let word = if o.values == 1 { "value" } else { "values" };
    let of = format!("of {} {word}", units::grouped(o.values));
    match rule {
        ValueRule::NoNan => format!("{name}: {} NaN {of}", units::grouped(o.nan)),
        ValueRule::NoInf => format!(
            "{name}: {} +Inf, {} -Inf {of}",
            units::grouped(o.pos_inf),
            units::grouped(o.neg_inf)
        ),
        ValueRule::NoAllZero => format!(
            "{name}: {}, {}",
            o.dtype,
            units::counted(o.zeros, "zero", "zeros")
        ),
    }
}

/// One checkpoint's report as `paramscope check --format json` prints it (and, on one line, each line of
/// `--format jsonl`).
pub fn to_json(report: &CheckReport) -> serde_json::Value {
    #[derive(Serialize)]
    struct ReportJson<'a> {
        #[serde(serialize_with = "super::json::lossy_path")]
        path: &'a Path,
        status: Verdict,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        rules: Vec<RuleJson>,
        /// Why the checkpoint could not be read (only when `status` is `error`).
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        errors: &'a [ErrorRow],
    }
    #[derive(Serialize)]
    struct RuleJson {
        rule: &'static str,
        status: Status,
        measured: Figure,
        /// `null` for the structural rule, which has no limit.
        limit: Option<Figure>,
        #[serde(skip_serializing_if = "Option::is_none")]
        baseline: Option<u64>,
        message: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        details: Vec<String>,
    }
    let json = ReportJson {
        path: &report.path,
        status: report.status,
        rules: report
            .rules
            .iter()
            .map(|r| RuleJson {
                rule: r.rule,
                status: r.status(),
                measured: r.measured(),
                limit: r.limit(),
                baseline: r.baseline(),
                message: message(r, Names::Plain),
                details: details(r, Names::Plain),
            })
            .collect(),
        errors: &report.errors,
    };
    serde_json::to_value(json).expect("a check report serialises")
}

/// What `paramscope check --format json` prints for other than one checkpoint: each report and the counts.
pub fn to_json_all(reports: &[CheckReport]) -> serde_json::Value {
    let mut summary = Summary::default();
    reports.iter().for_each(|r| summary.add(r));
    serde_json::json!({
        "checkpoints": reports.iter().map(to_json).collect::<Vec<_>>(),
        "summary": summary,
    })
}

fn paint(text: &str, code: &str, colour: bool) -> String {
    if colour {
        format!("\u{1b}[{code}m{text}\u{1b}[0m")
    } else {
        text.to_string()
    }
}

fn rule_line(r: &RuleResult, colour: bool) -> String {
    let word = match r.status() {
        Status::Pass => paint("PASS", "32", colour),
        Status::Fail => paint("FAIL", "1;31", colour),
    };
    let mut line = format!("{word} {}: {}\n", r.rule, message(r, Names::Terminal));
    for d in details(r, Names::Terminal) {
        line.push_str(&format!("    {d}\n"));
    }
    line
}

/// The rule lines of one checkpoint and its verdict line.
pub fn text(report: &CheckReport, colour: bool) -> String {
    let path = escape(&report.path.display().to_string()).into_owned();
    let mut out: String = report.rules.iter().map(|r| rule_line(r, colour)).collect();
    out.push_str(&verdict_line(report, &path, colour));
    out
}

fn verdict_line(report: &CheckReport, path: &str, colour: bool) -> String {
    let total = report.rules.len();
    match report.status {
        Verdict::Pass if total == 1 => format!("{}: 1 rule passed\n", paint(path, "32", colour)),
        Verdict::Pass => format!("{}: all {total} rules passed\n", paint(path, "32", colour)),
        Verdict::Fail => {
            let failed: Vec<&str> = report.failed_rules().map(|r| r.rule).collect();
            format!(
                "{}: {} of {total} rules failed ({})\n",
                paint(path, "1;31", colour),
                failed.len(),
                failed.join(", ")
            )
        }
        Verdict::Error => format!(
            "{}: unreadable ({} {}), rules not evaluated\n",
            paint(path, "1;31", colour),
            report.errors.len(),
            if report.errors.len() == 1 {
                "problem"
            } else {
                "problems"
            }
        ),
    }
}

/// The final line when several checkpoints were checked.
pub fn summary_line(s: &Summary) -> String {
    format!(
        "{} checkpoints: {} passed, {} failed, {} unreadable",
        s.checkpoints, s.passed, s.failed, s.unreadable
    )
}

/// GitHub Actions workflow commands: an `::error` annotation per failed rule or read problem, on the
/// checkpoint's path; passing rules and the verdict as plain log lines, and what a passing rule notes (a weight
/// file the index does not name) as a `::warning`, so that it shows on the run's summary too.
pub fn github(report: &CheckReport) -> String {
    let path = report.path.display().to_string();
    let mut out = String::new();
    for r in &report.rules {
        let details = details(r, Names::Terminal);
        match r.status() {
            Status::Pass => {
                out.push_str(&format!(
                    "PASS {}: {}\n",
                    r.rule,
                    message(r, Names::Terminal)
                ));
                for d in &details {
                    out.push_str(&annotation(
                        "warning",
                        &path,
                        &format!("paramscope check {}", r.rule),
                        d,
                    ));
                }
            }
            Status::Fail => {
                let mut message = message(r, Names::Terminal);
                for d in &details {
                    message.push('\n');
                    message.push_str(d);
                }
                out.push_str(&annotation(
                    "error",
                    &path,
                    &format!("paramscope check {}", r.rule),
                    &message,
                ));
            }
        }
    }
    for e in &report.errors {
        let message = format!("{}: {}", e.path.display(), e.message);
        out.push_str(&annotation(
            "error",
            &path,
            "paramscope check: unreadable checkpoint",
            &message,
        ));
    }
    out.push_str(&verdict_line(report, &escape(&path), false));
    out
}

/// `level`: `error` or `warning`.
fn annotation(level: &str, file: &str, title: &str, message: &str) -> String {
    format!(
        "::{level} file={},title={}::{}\n",
        github_property(file),
        github_property(title),
        github_data(message)
    )
}

/// Escaping of a workflow command's message (as in @actions/core `escapeData`).
fn github_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping of a workflow command's property value (as in @actions/core `escapeProperty`).
fn github_property(s: &str) -> String {
    github_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// A JUnit XML report, written one checkpoint (test suite) at a time; each rule is a test case.
pub mod junit {
    use super::*;

    pub const HEADER: &str =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"paramscope check\">\n";
    pub const FOOTER: &str = "</testsuites>\n";

    pub fn suite(report: &CheckReport) -> String {
        let name = xml(&report.path.display().to_string());
        let failures = report.failed_rules().count();
        let mut out = String::new();
        if report.status == Verdict::Error {
            out.push_str(&format!(
                "  <testsuite name=\"{name}\" tests=\"1\" failures=\"0\" errors=\"1\">\n    \
<testcase classname=\"{name}\" name=\"structure\">\n      <error message=\"unreadable checkpoint\">"
            ));
            let lines: Vec<String> = report
                .errors
                .iter()
                .map(|e| xml(&format!("{}: {}", e.path.display(), e.message)))
                .collect();
            out.push_str(&lines.join("\n"));
            out.push_str("</error>\n    </testcase>\n  </testsuite>\n");
            return out;
        }
        out.push_str(&format!(
            "  <testsuite name=\"{name}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\">\n",
            report.rules.len()
        ));
        for r in &report.rules {
            out.push_str(&format!(
                "    <testcase classname=\"{name}\" name=\"{}\">\n",
                r.rule
            ));
            // Plain names: `xml` escapes them as the terminal would, and the markup besides.
            let message = message(r, Names::Plain);
            let details = details(r, Names::Plain);
            match r.status() {
                Status::Pass => {
                    let lines: Vec<String> = std::iter::once(&message)
                        .chain(&details)
                        .map(|line| xml(line))
                        .collect();
                    out.push_str(&format!(
                        "      <system-out>{}</system-out>\n",
                        lines.join("\n")
                    ))
                }
                Status::Fail => {
                    let body: Vec<String> = details.iter().map(|d| xml(d)).collect();
                    out.push_str(&format!(
                        "      <failure message=\"{}\">{}</failure>\n",
                        xml(&message),
                        body.join("\n")
                    ));
                }
            }
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
        out
    }

    /// Text for an XML attribute or element: markup characters as entities, and control characters (which
    /// XML 1.0 cannot carry at all) spelled out as `\u{1b}` first.
    pub fn xml(s: &str) -> String {
        let visible = escape(s);
        let mut out = String::with_capacity(visible.len());
        for c in visible.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&apos;"),
                c => out.push(c),
            }
        }
        out
    }

    #[cfg(test)]
    mod tests {
        use super::xml;

        #[test]
        fn escapes_markup_and_controls() {
            assert_eq!(xml("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
            assert_eq!(xml("bell\u{7}"), "bell\\u{7}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_escaping() {
        assert_eq!(github_data("50% of a\nb"), "50%25 of a%0Ab");
        assert_eq!(github_property("C:\\x,y"), "C%3A\\x%2Cy");
    }
}
