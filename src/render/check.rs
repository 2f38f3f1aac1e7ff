//! `check` output: a line per rule for people and CI logs, GitHub Actions annotations, JUnit XML, and the JSON
//! `--format json` prints. The analysis gives data ([`Outcome`]); the words are written here, once, for every
//! format: names read from files are escaped for a terminal or a CI log, and given as they are in JSON (whose
//! own escaping keeps them intact).

use super::escape;
use crate::check::baseline::GrowthOutcome;
use crate::check::expect::{DtypeShape, TensorComparison};
use crate::check::limit::Growth;
use crate::check::rules::{
    Compared, DtypeCheck, DtypeCount, DtypeListing, FileSizes, FormatChecks, PickleSafety,
    Structure,
};
use crate::check::values::{Offender, ValueFindings, ValueRule};
use crate::check::verify::{Unverified, VerifyFindings};
use crate::check::{
    CheckReport, Comparison, Figure, Measure, Outcome, RuleResult, Status, Summary, Verdict,
};
use crate::format::error::ErrorRow;
use crate::model::units;
use crate::verify::FileStatus;
use serde::Serialize;
use std::borrow::Cow;
use std::path::Path;

/// How `paramscope check` writes its results (`--format`).
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

/// A dtype rule's offending tensors listed in the table without --verbose: a few are worth a line each.
pub const DTYPE_TENSORS_SHOWN: usize = 3;

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
        Outcome::Verify(v) => verified(v),
        Outcome::PickleSafety(p) => pickle_safety(p),
        Outcome::Unmeasured(u) => format!("unknown ({}), limit {}", names.name(&u.why), u.limit),
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
        Outcome::Compared(_) | Outcome::Growth(_) | Outcome::Unmeasured(_) => Vec::new(),
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
        Outcome::Verify(v) => capped(v.failing.iter().map(|f| unverified(f, names))),
        // Module and name come from the pickle: escaped for a terminal like any name read from a file.
        Outcome::PickleSafety(p) => capped(p.refused.iter().map(|g| {
            format!(
                "{} ({}, {}×)",
                names.name(&g.qualified()),
                g.verdict.name(),
                g.count
            )
        })),
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
        FormatChecks::Pytorch => format!(
            "{read}: pickles read without running them, every tensor inside its storage, every storage in the file"
        ),
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

/// `5 files (1.50 GiB hashed) match their references`, `2 of 5 files do not verify (1 mismatch, 1 unverified)`.
fn verified(v: &VerifyFindings) -> String {
    let hashed = units::bytes(v.bytes_hashed);
    if v.files == 0 {
        return "no file to hash".into();
    }
    if v.failing.is_empty() {
        return format!(
            "{} ({hashed} hashed) match their references",
            plural(v.files, "file", "files")
        );
    }
    let mut counts = Vec::new();
    for (status, word) in [
        (FileStatus::Mismatch, "mismatch"),
        (FileStatus::Missing, "missing"),
        (FileStatus::Unverified, "unverified"),
    ] {
        let n = v.failing.iter().filter(|f| f.status == status).count();
        if n > 0 {
            counts.push(format!("{} {word}", units::grouped(n as u64)));
        }
    }
    format!(
        "{} of {} do not verify ({}; {hashed} hashed)",
        units::grouped(v.failing.len() as u64),
        plural(v.files, "file", "files"),
        counts.join(", ")
    )
}

/// `path: expected HEX (origin), actual HEX`, `path: missing (named by …)`, `path: no reference hash`.
fn unverified(f: &Unverified, names: Names) -> String {
    let path = names.path(&f.path);
    match (&f.expected, &f.actual) {
        (Some((expected, origin)), Some(actual)) => format!(
            "{path}: expected {expected} ({}), actual {actual}",
            names.name(origin)
        ),
        _ if f.status == FileStatus::Missing => format!(
            "{path}: missing ({})",
            names.name(f.note.as_deref().unwrap_or("expected"))
        ),
        _ => format!(
            "{path}: no reference hash (a Hugging Face cache link, or verify-sha256's manifest, gives one)"
        ),
    }
}

fn pickle_safety(p: &PickleSafety) -> String {
    if p.refused.is_empty() {
        let accepted = if p.accepted.is_empty() {
            ""
        } else {
            " (or accepted by --allow-global)"
        };
        format!(
            "{} named, none dangerous or unknown{accepted}",
            plural(p.globals, "pickle global", "pickle globals"),
        )
    } else {
        let dangerous = p.dangerous();
        format!(
            "{dangerous} dangerous and {} unknown pickle globals (torch.load would import and call them; nothing was run)",
            p.refused.len() - dangerous
        )
    }
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
        #[serde(serialize_with = "crate::model::path::lossy")]
        path: &'a Path,
        status: Verdict,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        rules: Vec<RuleJson>,
        /// Why the checkpoint could not be read (only when `status` is `error`).
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        errors: &'a [ErrorRow],
        /// A remote checkpoint's source, as in `inspect`'s JSON; absent for a local path.
        #[serde(skip_serializing_if = "Option::is_none")]
        source: Option<&'a crate::model::checkpoint::Origin>,
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
        source: report.source.as_ref(),
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

/// What `paramscope check --format json` prints for the checkpoints checked: one alone as [`to_json`], any other
/// number as [`to_json_all`].
pub fn to_json_collected(reports: &[CheckReport]) -> serde_json::Value {
    match reports {
        [one] => to_json(one),
        all => to_json_all(all),
    }
}

fn paint(text: &str, code: &str, colour: bool) -> String {
    if colour {
        format!("\u{1b}[{code}m{text}\u{1b}[0m")
    } else {
        text.to_string()
    }
}

fn rule_line(r: &RuleResult, colour: bool, verbose: bool) -> String {
    let word = match r.status() {
        Status::Pass => paint("PASS", "32", colour),
        Status::Fail => paint("FAIL", "1;31", colour),
    };
    let mut line = format!("{word} {}: {}\n", r.rule, message(r, Names::Terminal));
    // A dtype rule's message already counts the tensors by dtype; beyond a few, the tensor per line is for
    // --verbose (an all-BF16 model under `--dtype f32` would otherwise print every tensor of the model).
    if let (Outcome::Dtypes(d), false) = (&r.outcome, verbose) {
        if d.tensors.len() > DTYPE_TENSORS_SHOWN {
            let listed = units::counted(d.tensors.len() as u64, "tensor", "tensors");
            line.push_str(&format!("    (--verbose lists the {listed})\n"));
            return line;
        }
    }
    for d in details(r, Names::Terminal) {
        line.push_str(&format!("    {d}\n"));
    }
    line
}

/// The rule lines of one checkpoint and its verdict line; with `verbose`, a dtype rule lists its tensors too.
pub fn text(report: &CheckReport, colour: bool, verbose: bool) -> String {
    let path = escape(&report.path.display().to_string()).into_owned();
    let mut out: String = report
        .rules
        .iter()
        .map(|r| rule_line(r, colour, verbose))
        .collect();
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
pub(crate) fn annotation(level: &str, file: &str, title: &str, message: &str) -> String {
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

    /// The XML declaration and the opening `<testsuites>` element, written once before the suites.
    pub const HEADER: &str =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"paramscope check\">\n";
    /// The closing `</testsuites>` element, written once after the suites.
    pub const FOOTER: &str = "</testsuites>\n";

    /// One checkpoint as a `<testsuite>`: a test case per rule, failures with their words; an unreadable checkpoint as one erroring case.
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
    use crate::check::expect::Changed;
    use crate::check::limit::Limit;
    use crate::check::rules::FileSize;
    use crate::check::values::ValueRule;
    use crate::model::checkpoint::{PickleGlobal, Verdict as PickleVerdict};
    use crate::model::dtype::DType;
    use std::path::PathBuf;

    fn result(rule: &'static str, outcome: Outcome) -> RuleResult {
        RuleResult { rule, outcome }
    }

    /// The message and details as a terminal shows them, then as JSON gives them.
    fn words(r: &RuleResult) -> (String, Vec<String>, String, Vec<String>) {
        (
            message(r, Names::Terminal),
            details(r, Names::Terminal),
            message(r, Names::Plain),
            details(r, Names::Plain),
        )
    }

    fn dtype(name: &str) -> DType {
        DType::from_name(name).unwrap()
    }

    #[test]
    fn compared_figures_show_units_the_operator_and_the_limit_as_written() {
        let r = |measure, measured, limit: Limit, comparison| {
            message(
                &result(
                    "x",
                    Outcome::Compared(Compared {
                        measure,
                        measured,
                        limit,
                        comparison,
                    }),
                ),
                Names::Terminal,
            )
        };
        let count = |t| Limit::count(t).unwrap();
        let bytes = |t| Limit::bytes(t).unwrap();
        assert_eq!(
            r(
                Measure::Parameters,
                8_030_261_248,
                count("8.0B"),
                Comparison::Above
            ),
            "8.03B (8,030,261,248) > 8.0B"
        );
        assert_eq!(
            r(Measure::Parameters, 999, count("1000"), Comparison::Below),
            "999 < 1,000"
        );
        assert_eq!(
            r(Measure::Parameters, 8, count("8"), Comparison::AtLeast),
            "8 >= 8"
        );
        // Binary units when the limit was written in them, decimal otherwise.
        assert_eq!(
            r(
                Measure::TensorBytes,
                16_060_522_496,
                bytes("16GiB"),
                Comparison::AtMost
            ),
            "14.96 GiB (16,060,522,496 bytes) <= 16GiB"
        );
        assert_eq!(
            r(
                Measure::TensorBytes,
                16_060_522_496,
                bytes("15GB"),
                Comparison::Above
            ),
            "16.06 GB (16,060,522,496 bytes) > 15GB"
        );
        assert_eq!(
            r(Measure::TensorBytes, 999, bytes("1KB"), Comparison::AtMost),
            "999 bytes <= 1KB"
        );
    }

    #[test]
    fn structure_says_what_was_checked_and_notes_escaped_for_a_terminal_only() {
        let safetensors = Structure {
            files: 3,
            tensors: 21,
            format: FormatChecks::Safetensors,
            sharded: true,
            no_tensors: None,
            notes: vec!["stray\u{1b}[2J.safetensors is not in the index".into()],
        };
        let r = result("structure", Outcome::Structure(safetensors));
        let (terminal, terminal_details, plain, plain_details) = words(&r);
        assert_eq!(
            terminal,
            "3 files, 21 tensors read: headers in bounds, tensors tile the data exactly, no trailing bytes, \
             index consistent with its shards"
        );
        assert_eq!(plain, terminal);
        assert_eq!(
            terminal_details,
            ["note: stray\\u{1b}[2J.safetensors is not in the index"]
        );
        assert_eq!(
            plain_details,
            ["note: stray\u{1b}[2J.safetensors is not in the index"]
        );

        let gguf = |trailing_bytes| Structure {
            files: 1,
            tensors: 1,
            format: FormatChecks::Gguf {
                alignment: 64,
                trailing_bytes,
            },
            sharded: false,
            no_tensors: None,
            notes: Vec::new(),
        };
        assert_eq!(
            structure(&gguf(1)),
            "1 file, 1 tensor read: headers in bounds, tensors in order on the 64-byte alignment, \
             1 byte after the tensor data (a note: llama.cpp ignores them)"
        );
        assert_eq!(
            structure(&gguf(0)),
            "1 file, 1 tensor read: headers in bounds, tensors in order on the 64-byte alignment, \
             nothing after the tensor data"
        );

        let empty = Structure {
            files: 1,
            tensors: 0,
            format: FormatChecks::Safetensors,
            sharded: false,
            no_tensors: Some("no tensors: the header names no tensors".into()),
            notes: Vec::new(),
        };
        let r = result("structure", Outcome::Structure(empty));
        assert_eq!(
            message(&r, Names::Terminal),
            "no tensors: the header names no tensors; 1 file, 0 tensors read: headers in bounds, \
             tensors tile the data exactly, no trailing bytes"
        );
        assert!(details(&r, Names::Terminal).is_empty());
    }

    #[test]
    fn file_sizes_name_the_largest_and_those_over() {
        let file = |name: &str, bytes| FileSize {
            path: PathBuf::from(name),
            bytes,
        };
        let over = FileSizes {
            limit: Limit::bytes("5GB").unwrap(),
            files: 3,
            largest: Some(file("m\u{1b}-2.safetensors", 6_000_000_000)),
            over: vec![file("m\u{1b}-2.safetensors", 6_000_000_000)],
        };
        let (terminal, terminal_details, plain, plain_details) =
            words(&result("max-file-bytes", Outcome::FileSizes(over)));
        assert_eq!(
            terminal,
            "1 of 3 files over 5GB; largest 6.00 GB (6,000,000,000 bytes): m\\u{1b}-2.safetensors"
        );
        assert_eq!(
            terminal_details,
            ["m\\u{1b}-2.safetensors: 6.00 GB (6,000,000,000 bytes)"]
        );
        assert_eq!(
            plain,
            "1 of 3 files over 5GB; largest 6.00 GB (6,000,000,000 bytes): m\u{1b}-2.safetensors"
        );
        assert_eq!(
            plain_details,
            ["m\u{1b}-2.safetensors: 6.00 GB (6,000,000,000 bytes)"]
        );

        let within = FileSizes {
            limit: Limit::bytes("8GiB").unwrap(),
            files: 3,
            largest: Some(file("m-2.safetensors", 6_000_000_000)),
            over: Vec::new(),
        };
        let r = result("max-file-bytes", Outcome::FileSizes(within));
        assert_eq!(
            message(&r, Names::Terminal),
            "largest file 5.59 GiB (6,000,000,000 bytes) <= 8GiB: m-2.safetensors"
        );
        assert!(details(&r, Names::Terminal).is_empty());
    }

    #[test]
    fn dtype_rules_in_each_case() {
        let (bf16, f32, f16) = (dtype("BF16"), dtype("F32"), dtype("F16"));
        let check = |listing, listed: &[DType], present: &[(DType, u64)], bad: &[(DType, u64)]| {
            let counts = |rows: &[(DType, u64)]| {
                rows.iter()
                    .map(|&(dtype, tensors)| DtypeCount { dtype, tensors })
                    .collect()
            };
            let tensors = bad
                .iter()
                .map(|&(d, _)| (format!("norm\u{7}.{d}"), d))
                .collect();
            let r = result(
                "dtype",
                Outcome::Dtypes(DtypeCheck {
                    listing,
                    listed: listed.to_vec(),
                    present: counts(present),
                    offending: counts(bad),
                    tensors,
                }),
            );
            (message(&r, Names::Terminal), details(&r, Names::Terminal))
        };
        let present = [(bf16, 20), (f32, 1)];
        assert_eq!(
            check(DtypeListing::Allowed, &[bf16], &present, &[(f32, 1)]),
            (
                "F32 (1 tensor) not allowed; allowed: BF16".to_string(),
                vec!["norm\\u{7}.F32: F32".to_string()]
            )
        );
        assert_eq!(
            check(DtypeListing::Allowed, &[bf16, f32], &present, &[]).0,
            "BF16 (20 tensors), F32 (1 tensor) all allowed (BF16, F32)"
        );
        assert_eq!(
            check(DtypeListing::Forbidden, &[f16], &present, &[]).0,
            "none of F16 present"
        );
        assert_eq!(
            check(DtypeListing::Forbidden, &[f32, f16], &present, &[(f32, 1)]).0,
            "F32 (1 tensor) present; forbidden: F32, F16"
        );
    }

    #[test]
    fn expected_tensors_list_every_difference_and_cap_the_list() {
        let shaped = |d: &str, shape: &[u64]| DtypeShape {
            dtype: dtype(d),
            shape: shape.to_vec(),
        };
        let differing = TensorComparison {
            source: PathBuf::from("expected.json"),
            expected: 3,
            missing: vec!["gone".into()],
            unexpected: vec![("new".into(), shaped("F32", &[4]))],
            changed: vec![Changed {
                name: "w".into(),
                expected: shaped("BF16", &[4, 4]),
                found: shaped("F32", &[4, 4]),
            }],
        };
        let r = result("expect-tensors", Outcome::Tensors(differing));
        assert_eq!(
            message(&r, Names::Terminal),
            "1 missing, 1 unexpected, 1 changed (expected 3 tensors from expected.json)"
        );
        assert_eq!(
            details(&r, Names::Terminal),
            [
                "missing: gone",
                "unexpected: new (F32 [4])",
                "changed: w: BF16 [4, 4] -> F32 [4, 4]"
            ]
        );

        let same = TensorComparison {
            source: PathBuf::from("expected.json"),
            expected: 1,
            missing: Vec::new(),
            unexpected: Vec::new(),
            changed: Vec::new(),
        };
        let r = result("expect-tensors", Outcome::Tensors(same));
        assert_eq!(message(&r, Names::Terminal), "1 tensor as in expected.json");

        let many = TensorComparison {
            source: PathBuf::from("expected.json"),
            expected: 52,
            missing: (0..52).map(|i| format!("t{i}")).collect(),
            unexpected: Vec::new(),
            changed: Vec::new(),
        };
        let listed = details(
            &result("expect-tensors", Outcome::Tensors(many)),
            Names::Plain,
        );
        assert_eq!(listed.len(), DETAILS_SHOWN + 1);
        assert_eq!(listed[0], "missing: t0");
        assert_eq!(listed[DETAILS_SHOWN - 1], "missing: t49");
        assert_eq!(listed[DETAILS_SHOWN], "… and 2 more");
    }

    #[test]
    fn growth_shows_both_figures_the_change_and_the_allowance() {
        let r = |measure, now, baseline, allowance: Growth| {
            let ceiling = allowance.ceiling(baseline);
            let outcome = GrowthOutcome {
                measure,
                now,
                baseline,
                allowance,
                ceiling,
                comparison: Comparison::at_most(now, ceiling),
            };
            growth(&outcome)
        };
        // 2% of 8,030,261,248 rounds down to 160,605,224: one more parameter fails.
        assert_eq!(
            r(
                Measure::Parameters,
                8_190_866_473,
                8_030_261_248,
                Growth::percent("2%").unwrap()
            ),
            "8.19B (8,190,866,473) vs baseline 8.03B (8,030,261,248): +160,605,225 (+2.00%) > 2%"
        );
        assert_eq!(
            r(
                Measure::TensorBytes,
                512,
                2048,
                Growth::bytes("1KiB").unwrap()
            ),
            "512 bytes vs baseline 2.00 KiB (2,048 bytes): -1,536 (-75.00%) <= 1KiB"
        );
        // No percentage of a zero baseline.
        assert_eq!(
            r(Measure::Parameters, 5, 0, Growth::params("10").unwrap()),
            "5 vs baseline 0: +5 <= 10"
        );
    }

    #[test]
    fn value_rules_count_offenders_and_what_was_not_decoded() {
        let offender = |name: &str, values, nan, pos_inf, neg_inf, zeros| Offender {
            name: name.into(),
            dtype: dtype("F32"),
            values,
            nan,
            pos_inf,
            neg_inf,
            zeros,
        };
        let nan = ValueFindings {
            rule: ValueRule::NoNan,
            read: 4,
            offenders: vec![offender("w\u{1b}", 1024, 3, 0, 0, 0)],
            skipped: 2,
            skipped_dtypes: vec![dtype("F4"), dtype("Q4_K")],
        };
        let (terminal, terminal_details, _, plain_details) =
            words(&result("no-nan", Outcome::Values(nan)));
        assert_eq!(
            terminal,
            "NaN in 1 of 4 tensors read; 2 tensors not decoded (F4, Q4_K)"
        );
        assert_eq!(terminal_details, ["w\\u{1b}: 3 NaN of 1,024 values"]);
        assert_eq!(plain_details, ["w\u{1b}: 3 NaN of 1,024 values"]);

        let inf = ValueFindings {
            rule: ValueRule::NoInf,
            read: 1,
            offenders: vec![offender("x", 1, 0, 0, 1, 0)],
            skipped: 0,
            skipped_dtypes: Vec::new(),
        };
        let r = result("no-inf", Outcome::Values(inf));
        assert_eq!(
            message(&r, Names::Terminal),
            "+Inf or -Inf in 1 of 1 tensor read"
        );
        assert_eq!(
            details(&r, Names::Terminal),
            ["x: 0 +Inf, 1 -Inf of 1 value"]
        );

        let zero = ValueFindings {
            rule: ValueRule::NoAllZero,
            read: 1200,
            offenders: vec![offender("z", 8, 0, 0, 0, 8)],
            skipped: 0,
            skipped_dtypes: Vec::new(),
        };
        let r = result("no-all-zero-tensors", Outcome::Values(zero));
        assert_eq!(
            message(&r, Names::Terminal),
            "every value zero in 1 of 1,200 tensors read"
        );
        assert_eq!(details(&r, Names::Terminal), ["z: F32, 8 zeros"]);
    }

    #[test]
    fn pickle_safety_names_each_refused_global_and_says_nothing_ran() {
        let global = |module: &str, name: &str, verdict, count| PickleGlobal {
            module: module.into(),
            name: name.into(),
            verdict,
            count,
        };
        let refused = PickleSafety {
            globals: 5,
            refused: vec![
                global("posix", "system", PickleVerdict::Dangerous, 2),
                global("__main__", "Con\u{1b}fig", PickleVerdict::Unknown, 1),
            ],
            accepted: Vec::new(),
        };
        let (terminal, terminal_details, plain, plain_details) =
            words(&result("pickle-safety", Outcome::PickleSafety(refused)));
        assert_eq!(
            terminal,
            "1 dangerous and 1 unknown pickle globals (torch.load would import and call them; nothing was run)"
        );
        assert_eq!(plain, terminal);
        assert_eq!(
            terminal_details,
            [
                "posix.system (dangerous, 2×)",
                "__main__.Con\\u{1b}fig (unknown, 1×)"
            ]
        );
        assert_eq!(plain_details[1], "__main__.Con\u{1b}fig (unknown, 1×)");

        let clean = |accepted| PickleSafety {
            globals: 1,
            refused: Vec::new(),
            accepted,
        };
        let r = result("pickle-safety", Outcome::PickleSafety(clean(Vec::new())));
        assert_eq!(
            message(&r, Names::Terminal),
            "1 pickle global named, none dangerous or unknown"
        );
        assert!(details(&r, Names::Terminal).is_empty());
        let accepted = vec![global("__main__", "Config", PickleVerdict::Unknown, 1)];
        assert_eq!(
            message(
                &result("pickle-safety", Outcome::PickleSafety(clean(accepted))),
                Names::Terminal
            ),
            "1 pickle global named, none dangerous or unknown (or accepted by --allow-global)"
        );

        let pytorch = Structure {
            files: 2,
            tensors: 7,
            format: FormatChecks::Pytorch,
            sharded: true,
            no_tensors: None,
            notes: Vec::new(),
        };
        assert_eq!(
            structure(&pytorch),
            "2 files, 7 tensors read: pickles read without running them, every tensor inside its storage, \
             every storage in the file, index consistent with its shards"
        );
    }

    fn report_with_a_strange_name() -> CheckReport {
        let f32 = dtype("F32");
        CheckReport {
            path: PathBuf::from("m.safetensors"),
            status: Verdict::Fail,
            rules: vec![
                result(
                    "structure",
                    Outcome::Structure(Structure {
                        files: 1,
                        tensors: 1,
                        format: FormatChecks::Safetensors,
                        sharded: false,
                        no_tensors: None,
                        notes: Vec::new(),
                    }),
                ),
                result(
                    "forbid-dtype",
                    Outcome::Dtypes(DtypeCheck {
                        listing: DtypeListing::Forbidden,
                        listed: vec![f32],
                        present: vec![DtypeCount {
                            dtype: f32,
                            tensors: 1,
                        }],
                        offending: vec![DtypeCount {
                            dtype: f32,
                            tensors: 1,
                        }],
                        tensors: vec![("a\u{1b}b".into(), f32)],
                    }),
                ),
            ],
            errors: Vec::new(),
            source: None,
        }
    }

    #[test]
    fn json_gives_names_as_they_are_and_the_figures_in_order() {
        let json = to_json(&report_with_a_strange_name());
        assert_eq!(
            json.to_string(),
            r#"{"path":"m.safetensors","status":"fail","rules":[{"rule":"structure","status":"pass","measured":1,"limit":null,"message":"1 file, 1 tensor read: headers in bounds, tensors tile the data exactly, no trailing bytes"},{"rule":"forbid-dtype","status":"fail","measured":["F32"],"limit":["F32"],"message":"F32 (1 tensor) present; forbidden: F32","details":["a\u001bb: F32"]}]}"#
        );
        // The table escapes the same name.
        assert!(text(&report_with_a_strange_name(), false, true).contains("    a\\u{1b}b: F32\n"));

        let all = to_json_all(&[report_with_a_strange_name()]);
        assert_eq!(all["checkpoints"][0], json);
        assert_eq!(
            all["summary"].to_string(),
            r#"{"checkpoints":1,"passed":0,"failed":1,"unreadable":0}"#
        );
    }

    #[test]
    fn json_of_an_unreadable_checkpoint_has_its_errors_and_no_rules() {
        let report = CheckReport {
            path: PathBuf::from("bad.safetensors"),
            status: Verdict::Error,
            rules: Vec::new(),
            errors: vec![ErrorRow {
                code: "empty",
                message: "file is empty".into(),
                path: PathBuf::from("bad.safetensors"),
            }],
            source: None,
        };
        assert_eq!(
            to_json(&report).to_string(),
            r#"{"path":"bad.safetensors","status":"error","errors":[{"code":"empty","message":"file is empty","path":"bad.safetensors"}]}"#
        );
    }

    #[test]
    fn github_escaping() {
        assert_eq!(github_data("50% of a\nb"), "50%25 of a%0Ab");
        assert_eq!(github_property("C:\\x,y"), "C%3A\\x%2Cy");
    }
}
