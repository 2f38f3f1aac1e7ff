//! `verify` output: a line per file and a verdict line, GitHub Actions annotations, JUnit XML (a test case per
//! file); JSON is the report itself.

use super::check::{annotation, junit::xml};
use crate::model::units;
use crate::render::escape;
use crate::verify::reference::ReferenceKind;
use crate::verify::{Checked, FileResult, FileStatus, Verdict, VerifyReport};

/// How `paramscope verify` writes its results (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VerifyFormat {
    /// A line per file (ok, MISMATCH with both hashes, missing, unverified, unreadable), then a verdict line.
    #[default]
    Table,
    /// One JSON object: every file with its digests and references, a summary and the verdict.
    Json,
    /// GitHub Actions annotations (`::error file=…::…`) for files that fail; the rest as plain lines.
    Github,
}

fn paint(text: &str, code: &str, colour: bool) -> String {
    if colour {
        format!("\u{1b}[{code}m{text}\u{1b}[0m")
    } else {
        text.to_string()
    }
}

fn word(status: FileStatus) -> (&'static str, &'static str) {
    match status {
        FileStatus::Ok => ("ok", "32"),
        FileStatus::Mismatch => ("MISMATCH", "1;31"),
        FileStatus::Missing => ("MISSING", "1;31"),
        FileStatus::Unverified => ("unverified", "33"),
        FileStatus::Unreadable => ("UNREADABLE", "1;31"),
    }
}

/// `manifest SHA256SUMS:3`, `hf-cache …/blobs/ab12…`.
fn source(c: &Checked) -> String {
    let kind = serde_json::to_value(c.reference.kind).expect("a kind serialises");
    format!(
        "{} {}",
        kind.as_str().unwrap_or_default(),
        escape(&c.reference.origin)
    )
}

/// What one file's line says after its path, and the lines under it.
fn explain(f: &FileResult) -> (String, Vec<String>) {
    let size = f.size.map(units::bytes).unwrap_or_default();
    match f.status {
        FileStatus::Ok => {
            // The cache's origin is the blob's path, which only repeats the hash: its kind says enough.
            let sources: Vec<String> = f
                .references
                .iter()
                .map(|c| match c.reference.kind {
                    ReferenceKind::HfCache => "the Hugging Face cache".into(),
                    _ => source(c),
                })
                .collect();
            (
                format!("{size}, matches {}", sources.join("; ")),
                Vec::new(),
            )
        }
        FileStatus::Mismatch => {
            let mut under = Vec::new();
            for c in f.references.iter().filter(|c| c.matches == Some(false)) {
                let r = &c.reference;
                let actual = f.actual(r.algorithm);
                under.push(format!("expected {} ({})", r.expected, source(c)));
                under.push(format!("actual   {actual}"));
                if let Some(listed) = r.size.filter(|&s| Some(s) != f.size) {
                    under.push(format!(
                        "size     {} listed, {} on disk",
                        units::grouped(listed),
                        units::grouped(f.size.unwrap_or(0))
                    ));
                }
            }
            (size, under)
        }
        FileStatus::Missing => (
            f.note
                .as_deref()
                .map(escape)
                .unwrap_or_default()
                .into_owned(),
            Vec::new(),
        ),
        FileStatus::Unverified => (
            format!(
                "{size}, sha256 {}: no reference hash",
                f.sha256.as_deref().unwrap_or_default()
            ),
            Vec::new(),
        ),
        FileStatus::Unreadable => (
            f.error
                .as_ref()
                .map(|e| escape(&e.problem.to_string()).into_owned())
                .unwrap_or_default(),
            Vec::new(),
        ),
    }
}

/// A line per file, the targets that could not be read, and the verdict line.
pub fn text(report: &VerifyReport, colour: bool) -> String {
    let mut out = String::new();
    for f in &report.files {
        let (w, code) = word(f.status);
        let (what, under) = explain(f);
        let path = escape(&f.path.display().to_string()).into_owned();
        out.push_str(&format!(
            "{} {path}: {what}\n",
            paint(&format!("{w:<10}"), code, colour)
        ));
        for line in under {
            out.push_str(&format!("    {line}\n"));
        }
    }
    for e in &report.errors {
        out.push_str(&format!(
            "{} {}: {}\n",
            paint(&format!("{:<10}", "UNREADABLE"), "1;31", colour),
            escape(&e.path.display().to_string()),
            escape(&e.message)
        ));
    }
    out.push_str(&verdict_line(report, colour));
    out
}

/// `verified: 5 files, 15.0 GiB`, `FAILED: 1 mismatch, 1 missing of 6 files`, `incomplete: …`.
pub fn verdict_line(report: &VerifyReport, colour: bool) -> String {
    let s = &report.summary;
    let files = units::counted(s.files as u64, "file", "files");
    let mut parts = Vec::new();
    for (n, what) in [
        (s.mismatch, "mismatch"),
        (s.missing, "missing"),
        (s.unverified, "unverified"),
        (s.unreadable, "unreadable"),
    ] {
        if n > 0 {
            parts.push(format!("{} {what}", units::grouped(n as u64)));
        }
    }
    if !report.errors.is_empty() {
        parts.push(units::counted(
            report.errors.len() as u64,
            "target unreadable",
            "targets unreadable",
        ));
    }
    let hashed = units::bytes(s.bytes_hashed);
    match report.verdict {
        Verdict::Verified => format!(
            "{}: {files} ({hashed}) match their references\n",
            paint("verified", "32", colour)
        ),
        Verdict::Failed => format!(
            "{}: {} of {files} ({hashed} hashed)\n",
            paint("FAILED", "1;31", colour),
            parts.join(", ")
        ),
        Verdict::Incomplete => {
            let hint = if s.unverified > 0 {
                "; for a file with no reference hash, give --sha256 FILE|HEX, or verify a Hugging Face cache \
                 snapshot"
            } else {
                ""
            };
            format!(
                "{}: {} of {files} ({hashed} hashed){hint}\n",
                paint("incomplete", "33", colour),
                parts.join(", ")
            )
        }
    }
}

/// GitHub Actions workflow commands: an `::error` per file that is mismatched, missing or unreadable and per
/// target that could not be read, a `::warning` per unverified file, the rest as plain lines.
pub fn github(report: &VerifyReport) -> String {
    let mut out = String::new();
    for f in &report.files {
        let path = f.path.display().to_string();
        let (what, under) = explain(f);
        let message = std::iter::once(what)
            .chain(under)
            .collect::<Vec<_>>()
            .join("\n");
        let (w, _) = word(f.status);
        match f.status {
            FileStatus::Ok => out.push_str(&format!("ok {}: {message}\n", escape(&path))),
            FileStatus::Unverified => out.push_str(&annotation(
                "warning",
                &path,
                "paramscope verify: unverified",
                &message,
            )),
            _ => out.push_str(&annotation(
                "error",
                &path,
                &format!("paramscope verify: {}", w.to_lowercase()),
                &message,
            )),
        }
    }
    for e in &report.errors {
        let path = e.path.display().to_string();
        out.push_str(&annotation(
            "error",
            &path,
            "paramscope verify: unreadable",
            &e.message,
        ));
    }
    out.push_str(&verdict_line(report, false));
    out
}

/// A JUnit XML report: one test suite, a test case per file (an unverified file is `skipped`), and one per
/// target that could not be read (an error).
pub fn junit(report: &VerifyReport) -> String {
    let s = &report.summary;
    let failures = s.mismatch + s.missing;
    let errors = s.unreadable + report.errors.len();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"paramscope verify\">\n  \
<testsuite name=\"paramscope verify\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{}\">\n",
        s.files + report.errors.len(),
        s.unverified
    );
    for f in &report.files {
        let name = xml(&f.path.display().to_string());
        let (what, under) = explain(f);
        out.push_str(&format!(
            "    <testcase classname=\"verify\" name=\"{name}\">\n"
        ));
        let body = under.iter().map(|l| xml(l)).collect::<Vec<_>>().join("\n");
        match f.status {
            FileStatus::Ok => {
                out.push_str(&format!("      <system-out>{}</system-out>\n", xml(&what)))
            }
            FileStatus::Mismatch | FileStatus::Missing => out.push_str(&format!(
                "      <failure message=\"{} {}\">{body}</failure>\n",
                word(f.status).0.to_lowercase(),
                xml(&what)
            )),
            FileStatus::Unverified => {
                out.push_str(&format!("      <skipped message=\"{}\"/>\n", xml(&what)))
            }
            FileStatus::Unreadable => {
                out.push_str(&format!("      <error message=\"{}\"/>\n", xml(&what)))
            }
        }
        out.push_str("    </testcase>\n");
    }
    for e in &report.errors {
        out.push_str(&format!(
            "    <testcase classname=\"verify\" name=\"{}\">\n      <error message=\"{}\"/>\n    </testcase>\n",
            xml(&e.path.display().to_string()),
            xml(&e.message)
        ));
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}
