//! `check` output: a line per rule for people and CI logs, GitHub Actions annotations, JUnit XML.

use crate::check::{CheckReport, RuleResult, Status, Summary, Verdict};
use crate::render::escape;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
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

fn paint(text: &str, code: &str, colour: bool) -> String {
    if colour {
        format!("\u{1b}[{code}m{text}\u{1b}[0m")
    } else {
        text.to_string()
    }
}

fn rule_line(r: &RuleResult, colour: bool) -> String {
    let word = match r.status {
        Status::Pass => paint("PASS", "32", colour),
        Status::Fail => paint("FAIL", "1;31", colour),
    };
    let mut line = format!("{word} {}: {}\n", r.rule, r.message);
    for d in &r.details {
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
        match r.status {
            Status::Pass => {
                out.push_str(&format!("PASS {}: {}\n", r.rule, r.message));
                for d in &r.details {
                    out.push_str(&annotation(
                        "warning",
                        &path,
                        &format!("paramscope check {}", r.rule),
                        d,
                    ));
                }
            }
            Status::Fail => {
                let mut message = r.message.clone();
                for d in &r.details {
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
            match r.status {
                Status::Pass => {
                    let lines: Vec<String> = std::iter::once(&r.message)
                        .chain(&r.details)
                        .map(|line| xml(line))
                        .collect();
                    out.push_str(&format!(
                        "      <system-out>{}</system-out>\n",
                        lines.join("\n")
                    ))
                }
                Status::Fail => {
                    let body: Vec<String> = r.details.iter().map(|d| xml(d)).collect();
                    out.push_str(&format!(
                        "      <failure message=\"{}\">{}</failure>\n",
                        xml(&r.message),
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
