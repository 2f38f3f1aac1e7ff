//! The committed fixtures are exactly what `tests/common/fixtures.rs` generates.
mod common;

use std::path::Path;

fn files_under(root: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn committed_fixtures_match_their_generator() {
    let committed = common::repo_path("fixtures");
    if std::env::var_os("PARAMSCOPE_WRITE_FIXTURES").is_some() {
        common::fixtures::write_all(&committed);
    }
    let fresh = tempfile::tempdir().unwrap();
    common::fixtures::write_all(fresh.path());
    for rel in files_under(fresh.path()) {
        let want = std::fs::read(fresh.path().join(&rel)).unwrap();
        let have = std::fs::read(committed.join(&rel)).unwrap_or_else(|_| {
            panic!(
                "fixtures/{} is missing; regenerate (see fixtures/README.md)",
                rel.display()
            )
        });
        assert!(
            want == have,
            "fixtures/{} differs from its generator",
            rel.display()
        );
    }
}
