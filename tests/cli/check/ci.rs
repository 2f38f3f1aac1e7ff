//! `paramscope check` in CI: baseline growth, a rules file equivalent to flags, GitHub annotations, JUnit XML.

use crate::common::{self, check, paramscope, write};
use paramscope::format::synth::SafetensorsWriter;
use paramscope::model::dtype::DType;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// 8,100 parameters, 16,400 bytes of tensor data (BF16 [1000, 8] and F32 [100]).
fn base() -> SafetensorsWriter {
    SafetensorsWriter::new()
        .tensor("embed.weight", DType::BF16, &[1000, 8])
        .tensor("norm.weight", DType::F32, &[100])
}

/// The base plus F32 [200]: 8,300 parameters (+200, +2.47%), 17,200 bytes (+800, +4.88%).
fn grown() -> SafetensorsWriter {
    base().tensor("extra.bias", DType::F32, &[200])
}

/// Saves `inspect --format json [--tensors]` of `model` as `dir/name`.
fn save_inspect(dir: &Path, model: &str, name: &str, tensors: bool) -> PathBuf {
    let mut cmd = paramscope();
    cmd.args(["inspect", model, "--format", "json"]);
    if tensors {
        cmd.arg("--tensors");
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success());
    let path = dir.join(name);
    std::fs::write(&path, out.stdout).unwrap();
    path
}

#[test]
fn baseline_growth_beyond_the_allowance_fails() {
    let dir = TempDir::new().unwrap();
    let old = write(dir.path(), "old.safetensors", &base());
    let new = write(dir.path(), "new.safetensors", &grown());
    let baseline = save_inspect(dir.path(), &old, "base.json", false);
    let b = baseline.to_str().unwrap();

    let (code, out, _) = check(&[&new, "--baseline", b, "--max-growth", "2%"]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[1..],
        [
            "FAIL max-params-growth: 8.30K (8,300) vs baseline 8.10K (8,100): +200 (+2.47%) > 2%",
            // 17,200 / 1024 = 16.80 KiB; 16,400 / 1024 = 16.02 KiB.
            "FAIL max-bytes-growth: 16.80 KiB (17,200 bytes) vs baseline 16.02 KiB (16,400 bytes): +800 (+4.88%) > 2%",
            &format!("{new}: 2 of 3 rules failed (max-params-growth, max-bytes-growth)"),
        ]
    );

    let (code, _, _) = check(&[&new, "--baseline", b, "--max-growth", "5%"]);
    assert_eq!(code, 0);

    // Absolute allowances: +200 parameters is exactly allowed, +800 bytes is one over 799.
    let (code, out, _) = check(&[
        &new,
        "--baseline",
        b,
        "--max-params-growth",
        "200",
        "--max-bytes-growth",
        "799B",
    ]);
    assert_eq!(code, 1);
    assert!(out.contains(
        "PASS max-params-growth: 8.30K (8,300) vs baseline 8.10K (8,100): +200 (+2.47%) <= 200\n"
    ));
    assert!(out.contains("FAIL max-bytes-growth: 17.20 KB (17,200 bytes) vs baseline 16.40 KB (16,400 bytes): +800 (+4.88%) > 799B\n"));

    // The ceilings in JSON: 8,100 + 2% = 8,262; 16,400 + 2% = 16,728.
    let (_, out, _) = check(&[
        &new,
        "--baseline",
        b,
        "--max-growth",
        "2%",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["rules"][1]["baseline"], 8100);
    assert_eq!(v["rules"][1]["limit"], 8262);
    assert_eq!(v["rules"][2]["limit"], 16728);

    // A baseline alone allows no growth; the unchanged model passes it.
    let (code, out, _) = check(&[&old, "--baseline", b]);
    assert_eq!(code, 0);
    assert!(out.contains(
        "PASS max-params-growth: 8.10K (8,100) vs baseline 8.10K (8,100): +0 (+0.00%) <= 0%\n"
    ));
    let (code, _, _) = check(&[&new, "--baseline", b]);
    assert_eq!(code, 1);
}

#[test]
fn rules_file_is_equivalent_to_flags() {
    let dir = TempDir::new().unwrap();
    let old = write(dir.path(), "old.safetensors", &base());
    let new = write(dir.path(), "new.safetensors", &grown());
    save_inspect(dir.path(), &old, "base.json", false);
    save_inspect(dir.path(), &old, "expected.json", true);
    let (e, b) = (
        dir.path().join("expected.json"),
        dir.path().join("base.json"),
    );
    // Paths in the file are relative to the file's folder.
    let rules = dir.path().join("paramscope.toml");
    std::fs::write(
        &rules,
        r#"
max-params = "8.1K"
min-params = 1000
max-bytes = "16.4KB"
max-file-bytes = "1MiB"
dtype = ["BF16", "F32"]
forbid-dtype = ["F64"]
expect-tensors = "expected.json"
baseline = "base.json"
max-growth = "2%"
max-params-growth = 300
max-bytes-growth = "1KiB"
"#,
    )
    .unwrap();
    let flags = [
        "--max-params",
        "8.1K",
        "--min-params",
        "1000",
        "--max-bytes",
        "16.4KB",
        "--max-file-bytes",
        "1MiB",
        "--dtype",
        "BF16,F32",
        "--forbid-dtype",
        "F64",
        "--expect-tensors",
        e.to_str().unwrap(),
        "--baseline",
        b.to_str().unwrap(),
        "--max-growth",
        "2%",
        "--max-params-growth",
        "300",
        "--max-bytes-growth",
        "1KiB",
    ];
    // Ten rule lines and a verdict; the new model's unexpected tensor adds a detail line.
    for (model, lines) in [(&old, 11), (&new, 12)] {
        let by_flags = check(&[&[model.as_str()], &flags[..]].concat());
        let by_file = check(&[model, "--rules", rules.to_str().unwrap()]);
        assert_eq!(by_flags, by_file);
        assert_eq!(by_file.1.lines().count(), lines, "{}", by_file.1);
    }
    // The old model passes every rule; the new one fails max-params, max-bytes and expect-tensors.
    assert_eq!(check(&[&old, "--rules", rules.to_str().unwrap()]).0, 0);
    let (code, out, _) = check(&[&new, "--rules", rules.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.ends_with(&format!(
        "{new}: 3 of 10 rules failed (max-params, max-bytes, expect-tensors)\n"
    )));

    // A flag overrides the file's key.
    let (code, out, _) = check(&[
        &new,
        "--rules",
        rules.to_str().unwrap(),
        "--max-params",
        "9K",
    ]);
    assert_eq!(code, 1);
    assert!(
        out.contains("PASS max-params: 8.30K (8,300) <= 9K\n"),
        "{out}"
    );
}

#[test]
fn rules_file_mistakes_are_usage_errors() {
    let dir = TempDir::new().unwrap();
    let model = write(dir.path(), "m.safetensors", &base());
    let rules = dir.path().join("rules.toml");
    for (text, expected) in [
        ("max-parms = \"8B\"\n", "unknown field `max-parms`"),
        (
            "max-bytes = \"16Gb\"\n",
            "a lowercase b means bits; write 16GB (powers of 1000) or 16GiB (powers of 1024)",
        ),
        (
            "max-params = 8.1\n",
            "8.1 is a TOML float; write figures with units as strings",
        ),
        ("dtype = [\"BF17\"]\n", "unknown dtype 'BF17'"),
    ] {
        std::fs::write(&rules, text).unwrap();
        let (code, out, err) = check(&[&model, "--rules", rules.to_str().unwrap()]);
        assert_eq!((code, out.as_str()), (2, ""), "{text}");
        assert!(
            err.starts_with(&format!("error: --rules {}: ", rules.display())),
            "{err}"
        );
        assert!(err.contains(expected), "{text}: {err}");
    }
}

/// The rules file takes dtypes as the flag does, as a comma-separated string, besides a list: `dtype = "BF16"`
/// was refused ("invalid type: string, expected a sequence").
#[test]
fn rules_file_dtypes_as_a_string_like_the_flag() {
    let dir = TempDir::new().unwrap();
    let model = write(dir.path(), "m.safetensors", &base());
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, "dtype = \"BF16, F32\"\nforbid-dtype = \"F64\"\n").unwrap();
    let by_file = check(&[&model, "--rules", rules.to_str().unwrap()]);
    let by_flags = check(&[&model, "--dtype", "BF16,F32", "--forbid-dtype", "F64"]);
    assert_eq!(by_file, by_flags);
    assert_eq!(by_file.0, 0);
    assert!(by_file.1.contains("PASS dtype: "), "{}", by_file.1);

    std::fs::write(&rules, "dtype = \"BF16\"\n").unwrap();
    let (code, out, _) = check(&[&model, "--rules", rules.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        out.contains("FAIL dtype: F32 (1 tensor) not allowed; allowed: BF16\n"),
        "{out}"
    );

    std::fs::write(&rules, "dtype = 5\n").unwrap();
    let (code, _, err) = check(&[&model, "--rules", rules.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains(
            "expected a list of dtype names ([\"BF16\", \"F32\"]) or a string (\"BF16,F32\")"
        ),
        "{err}"
    );
}

/// Reports saved on Windows: a UTF-8 byte order mark is skipped, UTF-16 is named (both were "not JSON:
/// expected value at line 1 column 1").
#[test]
fn saved_reports_with_a_byte_order_mark() {
    let dir = TempDir::new().unwrap();
    let model = write(dir.path(), "m.safetensors", &base());
    // structure and the two growth rules; structure and expect-tensors.
    for (flag, tensors, rules) in [("--baseline", false, 3), ("--expect-tensors", true, 2)] {
        let saved = save_inspect(dir.path(), &model, "saved.json", tensors);
        let utf8 = std::fs::read(&saved).unwrap();
        std::fs::write(&saved, [b"\xEF\xBB\xBF".as_slice(), &utf8].concat()).unwrap();
        let (code, out, err) = check(&[&model, flag, saved.to_str().unwrap()]);
        assert_eq!(code, 0, "{flag}: {err}");
        assert!(
            out.ends_with(&format!(": all {rules} rules passed\n")),
            "{out}"
        );

        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(
                String::from_utf8(utf8)
                    .unwrap()
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            )
            .collect();
        std::fs::write(&saved, utf16).unwrap();
        let (code, out, err) = check(&[&model, flag, saved.to_str().unwrap()]);
        assert_eq!((code, out.as_str()), (2, ""));
        assert_eq!(
            err,
            format!(
                "error: {flag} {}: UTF-16 text (Windows PowerShell's `>` writes it); save the report as UTF-8 \
                 (`| Out-File -Encoding utf8 FILE`)\n",
                saved.display()
            )
        );
    }
}

/// A weight file beside a sharded checkpoint that its index does not name is in no figure a rule measures;
/// check showed nothing of it (inspect notes it). The structure rule now lists the reader's notes, in every
/// format.
#[test]
fn structure_lists_what_the_reader_noted() {
    let dir = TempDir::new().unwrap();
    for entry in std::fs::read_dir(common::repo_path("fixtures/sharded")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    let stray = write(dir.path(), "consolidated.safetensors", &base());
    let folder = dir.path().to_str().unwrap();
    let note = format!("note: {stray} is not named by the index and was not read");
    let junit = dir.path().join("check.xml");
    let (code, out, _) = check(&[folder, "--junit", junit.to_str().unwrap()]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("PASS structure: 3 files, 21 tensors read"),
        "{out}"
    );
    assert_eq!(lines[1], format!("    {note}"));
    let junit = std::fs::read_to_string(junit).unwrap();
    assert!(
        junit.contains(&format!(
            "index consistent with its shards\n{note}</system-out>"
        )),
        "{junit}"
    );

    let (_, out, _) = check(&[folder, "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["rules"][0]["details"], serde_json::json!([note]));

    // On GitHub, a warning annotation on the checkpoint, so it shows on the run's summary.
    let (code, out, _) = check(&[folder, "--format", "github"]);
    assert_eq!(code, 0);
    let index = dir.path().join("model.safetensors.index.json");
    assert_eq!(
        out.lines().nth(1).unwrap(),
        format!(
            "::warning file={},title=paramscope check structure::{note}",
            index.display()
        )
    );
}

#[test]
fn github_format_annotates_failures() {
    let dir = TempDir::new().unwrap();
    let model = write(dir.path(), "m.safetensors", &base());
    let (code, out, _) = check(&[
        &model,
        "--max-params",
        "8K",
        "--forbid-dtype",
        "F32",
        "--max-bytes",
        "1MB",
        "--format",
        "github",
    ]);
    assert_eq!(code, 1);
    assert_eq!(
        out,
        format!(
            "PASS structure: 1 file, 2 tensors read: headers in bounds, tensors tile the data exactly, no trailing bytes\n\
             ::error file={model},title=paramscope check max-params::8.10K (8,100) > 8K\n\
             PASS max-bytes: 16.40 KB (16,400 bytes) <= 1MB\n\
             ::error file={model},title=paramscope check forbid-dtype::F32 (1 tensor) present; forbidden: F32%0Anorm.weight: F32\n\
             {model}: 2 of 4 rules failed (max-params, forbid-dtype)\n"
        )
    );
}

#[test]
fn junit_report_has_a_case_per_rule_and_escapes_names() {
    let dir = TempDir::new().unwrap();
    let w = SafetensorsWriter::new()
        .tensor("a<b>&\"c\"", DType::F32, &[4])
        .tensor("ok", DType::BF16, &[4]);
    let model = write(dir.path(), "m.safetensors", &w);
    let xml = dir.path().join("report.xml");
    let (code, _, _) = check(&[
        &model,
        "--dtype",
        "BF16",
        "--max-params",
        "8",
        "--junit",
        xml.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    let report = std::fs::read_to_string(&xml).unwrap();
    assert_eq!(
        report,
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="paramscope check">
  <testsuite name="{model}" tests="3" failures="1" errors="0">
    <testcase classname="{model}" name="structure">
      <system-out>1 file, 2 tensors read: headers in bounds, tensors tile the data exactly, no trailing bytes</system-out>
    </testcase>
    <testcase classname="{model}" name="max-params">
      <system-out>8 &lt;= 8</system-out>
    </testcase>
    <testcase classname="{model}" name="dtype">
      <failure message="F32 (1 tensor) not allowed; allowed: BF16">a&lt;b&gt;&amp;&quot;c&quot;: F32</failure>
    </testcase>
  </testsuite>
</testsuites>
"#
        )
    );
}

#[test]
fn junit_report_marks_an_unreadable_checkpoint_as_an_error() {
    let dir = TempDir::new().unwrap();
    let xml = dir.path().join("report.xml");
    let (code, _, _) = check(&[
        "fixtures/malformed/trailing.safetensors",
        "--junit",
        xml.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    let report = std::fs::read_to_string(&xml).unwrap();
    assert!(report.contains(
        "<testsuite name=\"fixtures/malformed/trailing.safetensors\" tests=\"1\" failures=\"0\" errors=\"1\">"
    ));
    assert!(report.contains(
        "<error message=\"unreadable checkpoint\">fixtures/malformed/trailing.safetensors: "
    ));
    assert!(report.ends_with("</testsuites>\n"));
}

#[test]
fn junit_refuses_to_write_over_an_input() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let model = write(d, "model.safetensors", &base());
    let original = std::fs::read(&model).unwrap();
    std::os::unix::fs::symlink("model.safetensors", d.join("link.safetensors")).unwrap();
    let shards = d.join("sharded");
    std::fs::create_dir(&shards).unwrap();
    let second = SafetensorsWriter::new().tensor("extra.bias", DType::F32, &[200]);
    paramscope::format::synth::write_sharded(
        &shards,
        "model",
        &[base(), second],
        Default::default(),
    )
    .unwrap();
    let shard = shards.join("model-00002-of-00002.safetensors");
    let shard_bytes = std::fs::read(&shard).unwrap();
    let rules = d.join("rules.toml");
    std::fs::write(&rules, "max-params = \"1M\"\n").unwrap();
    let link = d.join("link.safetensors");
    let (link, shard_s, rules_s) = (
        link.to_str().unwrap(),
        shard.to_str().unwrap(),
        rules.to_str().unwrap(),
    );
    let folder = d.to_str().unwrap();
    let shards_s = shards.to_str().unwrap();
    // The same path, the same file through a symlink, a shard of a folder named, a shard found by --recursive,
    // the rules file.
    let cases: [(&[&str], &str, &str); 5] = [
        (&[&model, "--junit", &model], &model, &model),
        (&[&model, "--junit", link], link, &model),
        (&[shards_s, "--junit", shard_s], shard_s, shard_s),
        (
            &["--recursive", folder, "--junit", shard_s],
            shard_s,
            shard_s,
        ),
        (
            &[&model, "--rules", rules_s, "--junit", rules_s],
            rules_s,
            rules_s,
        ),
    ];
    for (args, target, input) in cases {
        let (code, out, err) = check(args);
        assert_eq!(code, 2, "{args:?}");
        assert_eq!(out, "", "{args:?}");
        assert_eq!(
            err,
            format!("error: --junit {target} is the input {input}; paramscope does not write over a file it reads\n"),
            "{args:?}"
        );
    }
    assert_eq!(std::fs::read(&model).unwrap(), original);
    assert_eq!(std::fs::read(&shard).unwrap(), shard_bytes);
    assert_eq!(
        std::fs::read_to_string(&rules).unwrap(),
        "max-params = \"1M\"\n"
    );
}

/// A checkpoint named twice (its folder and its index, or the index and each shard as `model/*` names them) is
/// checked once in every output, as inspect reads it once.
#[test]
fn a_checkpoint_named_twice_is_checked_once() {
    let dir = TempDir::new().unwrap();
    let folder = dir.path().join("model");
    std::fs::create_dir(&folder).unwrap();
    let second = SafetensorsWriter::new().tensor("extra.bias", DType::F32, &[200]);
    let index = paramscope::format::synth::write_sharded(
        &folder,
        "model",
        &[base(), second],
        Default::default(),
    )
    .unwrap();
    let index = index.to_str().unwrap();
    let f = folder.to_str().unwrap();
    let shard = |i| format!("{f}/model-0000{i}-of-00002.safetensors");
    let (one, two) = (shard(1), shard(2));
    let root = dir.path().to_str().unwrap();
    let namings: [Vec<&str>; 5] = [
        vec![f, index],
        vec![&one, &two, index],
        vec![index, index],
        vec!["--recursive", root, f],
        vec!["--recursive", f, root],
    ];
    let junit = dir.path().join("check.xml");
    let junit_s = junit.to_str().unwrap();
    for naming in namings {
        let (code, out, err) = check(&naming);
        assert_eq!((code, err.as_str()), (0, ""), "{naming:?}");
        // One structure line and one verdict, no summary of several checkpoints.
        assert_eq!(
            out,
            format!(
                "PASS structure: 2 files, 3 tensors read: headers in bounds, tensors tile the data exactly, no \
                 trailing bytes, index consistent with its shards\n{index}: 1 rule passed\n"
            ),
            "{naming:?}"
        );
        let with = |extra: &[&str]| {
            let (code, out, _) = check(&[&naming[..], extra].concat());
            assert_eq!(code, 0, "{naming:?} {extra:?}");
            out
        };
        let json: serde_json::Value = serde_json::from_str(&with(&["--format", "json"])).unwrap();
        assert_eq!(json["path"], index, "{naming:?}: {json}");
        assert_eq!(
            with(&["--format", "jsonl"]).lines().count(),
            1,
            "{naming:?}"
        );
        assert_eq!(
            with(&["--format", "github"]).lines().last().unwrap(),
            format!("{index}: 1 rule passed"),
            "{naming:?}"
        );
        with(&["--junit", junit_s]);
        let xml = std::fs::read_to_string(&junit).unwrap();
        assert_eq!(xml.matches("<testsuite ").count(), 1, "{naming:?}: {xml}");
    }
}

/// A path with the characters a workflow command's property must escape (`%`, CR, LF, `:`, `,`) is escaped in
/// `file=` as @actions/core's escapeProperty does, so the annotation lands on that file and its title survives.
#[test]
fn github_annotation_escapes_the_file_property() {
    let dir = TempDir::new().unwrap();
    let folder = dir.path().join("a,b:c%d\ne\rf");
    std::fs::create_dir(&folder).unwrap();
    let model = write(&folder, "m.safetensors", &base());
    let (code, out, _) = check(&[&model, "--max-params", "8K", "--format", "github"]);
    assert_eq!(code, 1);
    let root = dir.path().display().to_string();
    // The root is a temporary folder: escaped by the same rules, it has none of these characters on Linux.
    assert!(!root.contains(['%', '\r', '\n', ':', ',']), "{root}");
    let annotation = out.lines().nth(1).unwrap();
    assert_eq!(
        annotation,
        format!(
            "::error file={root}/a%2Cb%3Ac%25d%0Ae%0Df/m.safetensors,title=paramscope check max-params::8.10K (8,100) > 8K"
        )
    );
}
