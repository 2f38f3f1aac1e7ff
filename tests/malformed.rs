//! Every case of the malformed corpus (fixtures/malformed/EXPECTED.tsv) is refused with exit 2, the file named,
//! and the expected error class; none panics.
mod common;

use common::paramscope;
use serde_json::Value;

#[test]
fn malformed_corpus_gives_the_expected_error_class() {
    let table =
        std::fs::read_to_string(common::repo_path("fixtures/malformed/EXPECTED.tsv")).unwrap();
    let mut cases = 0;
    for line in table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let mut cols = line.split('\t');
        let (rel, code) = (cols.next().unwrap(), cols.next().unwrap());
        let path = format!("fixtures/malformed/{rel}");

        let out = paramscope()
            .args(["inspect", &path, "--format", "json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{rel}");
        assert!(out.stdout.is_empty(), "{rel}: no report for a broken input");
        let stderr = String::from_utf8(out.stderr).unwrap();
        let first: Value = serde_json::from_str(stderr.lines().next().unwrap())
            .unwrap_or_else(|e| panic!("{rel}: stderr is not JSON lines ({e}): {stderr}"));
        assert_eq!(first["code"], code, "{rel}: {stderr}");
        assert!(
            first["path"].as_str().unwrap().starts_with(&path),
            "{rel}: {stderr}"
        );

        let out = paramscope().args(["inspect", &path]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{rel}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.starts_with(&format!("error: {path}")),
            "{rel}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{rel}: {stderr}");
        assert_eq!(
            stderr.lines().count(),
            1,
            "{rel}: one line per problem: {stderr}"
        );
        cases += 1;
    }
    assert!(cases >= 39, "only {cases} cases read");
}
