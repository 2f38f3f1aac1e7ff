//! The committed fixtures are exactly what `tests/common/fixtures.rs` generates.

use crate::common;
#[test]
fn committed_fixtures_match_their_generator() {
    let committed = common::repo_path("fixtures");
    if std::env::var_os("PARAMSCOPE_WRITE_FIXTURES").is_some() {
        common::fixtures::write_all(&committed);
    }
    let fresh = tempfile::tempdir().unwrap();
    common::fixtures::write_all(fresh.path());
    for path in common::files_under(fresh.path()) {
        let rel = path.strip_prefix(fresh.path()).unwrap();
        let want = std::fs::read(&path).unwrap();
        let have = std::fs::read(committed.join(rel)).unwrap_or_else(|_| {
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
