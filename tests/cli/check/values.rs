//! `check --no-nan`, `--no-inf`, `--no-all-zero-tensors`: checkpoints written here with NaN, ±Inf and all-zero
//! tensors at known places in F32, BF16 and F8_E4M3; the rules file keys; what happens when the data cannot be
//! read; and proof that header-only rules do not read tensor data.

use crate::common::{self, check, write};
use paramscope::check::settings::RuleSettings;
use paramscope::format::synth::SafetensorsWriter;
use paramscope::format::{self, LoadOptions};
use paramscope::model::dtype::DType;
use paramscope::stats::ScanOptions;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn f32s(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn u16s(bits: &[u16]) -> Vec<u8> {
    bits.iter().flat_map(|b| b.to_le_bytes()).collect()
}

/// Runs `check PATH` with the three value rules.
fn check_values(path: &str) -> (i32, String, String) {
    check(&[path, "--no-nan", "--no-inf", "--no-all-zero-tensors"])
}

fn structure(tensors: usize) -> String {
    format!(
        "PASS structure: 1 file, {tensors} tensors read: headers in bounds, tensors tile the data exactly, no \
         trailing bytes"
    )
}

/// `clean` F32 [4] finite; `nan` F32 [4] with a NaN and a negative NaN; `inf` F32 [3] +Inf, -Inf, -Inf;
/// `zero` F32 [5] zeros of both signs.
fn f32_file(dir: &Path) -> String {
    let w = SafetensorsWriter::new()
        .tensor_with_data("clean", DType::F32, &[4], f32s(&[1.0, -2.0, 0.5, 0.0]))
        .tensor_with_data(
            "nan",
            DType::F32,
            &[4],
            f32s(&[f32::NAN, 1.0, -f32::NAN, 0.0]),
        )
        .tensor_with_data(
            "inf",
            DType::F32,
            &[3],
            f32s(&[f32::INFINITY, f32::NEG_INFINITY, f32::NEG_INFINITY]),
        )
        .tensor_with_data("zero", DType::F32, &[5], f32s(&[0.0, -0.0, 0.0, 0.0, -0.0]));
    write(dir, "f32.safetensors", &w)
}

#[test]
fn f32_each_rule_fails_on_its_tensor() {
    let dir = TempDir::new().unwrap();
    let p = f32_file(dir.path());
    let (code, out, err) = check_values(&p);
    assert_eq!((code, err.as_str()), (1, ""));
    assert_eq!(
        out,
        format!(
            "{}\n\
             FAIL no-nan: NaN in 1 of 4 tensors read\n    nan: 2 NaN of 4 values\n\
             FAIL no-inf: +Inf or -Inf in 1 of 4 tensors read\n    inf: 1 +Inf, 2 -Inf of 3 values\n\
             FAIL no-all-zero-tensors: every value zero in 1 of 4 tensors read\n    zero: F32, 5 zeros\n\
             {p}: 3 of 4 rules failed (no-nan, no-inf, no-all-zero-tensors)\n",
            structure(4)
        )
    );
}

#[test]
fn each_rule_passes_on_clean_tensors() {
    let dir = TempDir::new().unwrap();
    let w = SafetensorsWriter::new()
        .tensor_with_data("a", DType::F32, &[3], f32s(&[1.0, 0.0, -0.0]))
        .tensor_with_data("b", DType::BF16, &[2], u16s(&[0x3F80, 0x0000]));
    let p = write(dir.path(), "clean.safetensors", &w);
    let (code, out, _) = check_values(&p);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        format!(
            "{}\n\
             PASS no-nan: NaN in 0 of 2 tensors read\n\
             PASS no-inf: +Inf or -Inf in 0 of 2 tensors read\n\
             PASS no-all-zero-tensors: every value zero in 0 of 2 tensors read\n\
             {p}: all 4 rules passed\n",
            structure(2)
        )
    );
}

#[test]
fn bf16_nan_inf_and_zero_encodings() {
    let dir = TempDir::new().unwrap();
    // 0x7FC0 quiet NaN, 0xFFC1 negative NaN with a payload, 0x7F80 +Inf, 0x8000 -0, 0x3F80 1.0, 0x4000 2.0.
    let w = SafetensorsWriter::new()
        .tensor_with_data(
            "a",
            DType::BF16,
            &[4],
            u16s(&[0x7FC0, 0xFFC1, 0x3F80, 0x0000]),
        )
        .tensor_with_data("b", DType::BF16, &[2], u16s(&[0x7F80, 0x4000]))
        .tensor_with_data("c", DType::BF16, &[3], u16s(&[0x0000, 0x8000, 0x0000]));
    let p = write(dir.path(), "bf16.safetensors", &w);
    let (code, out, _) = check_values(&p);
    assert_eq!(code, 1);
    assert_eq!(
        out,
        format!(
            "{}\n\
             FAIL no-nan: NaN in 1 of 3 tensors read\n    a: 2 NaN of 4 values\n\
             FAIL no-inf: +Inf or -Inf in 1 of 3 tensors read\n    b: 1 +Inf, 0 -Inf of 2 values\n\
             FAIL no-all-zero-tensors: every value zero in 1 of 3 tensors read\n    c: BF16, 3 zeros\n\
             {p}: 3 of 4 rules failed (no-nan, no-inf, no-all-zero-tensors)\n",
            structure(3)
        )
    );
}

/// E4M3 (OCP "fn") has no infinities: 0x7F and 0xFF are its only NaNs, 0x7E and 0xFE are ±448.
#[test]
fn f8_e4m3_nan_is_0x7f_and_it_has_no_inf() {
    let dir = TempDir::new().unwrap();
    let w = SafetensorsWriter::new()
        .tensor_with_data("nan", DType::F8_E4M3, &[4], vec![0x7F, 0xFF, 0x7E, 0x00])
        .tensor_with_data("zero", DType::F8_E4M3, &[2], vec![0x00, 0x80])
        .tensor_with_data("max", DType::F8_E4M3, &[2], vec![0x7E, 0xFE]);
    let p = write(dir.path(), "e4m3.safetensors", &w);
    let (code, out, _) = check_values(&p);
    assert_eq!(code, 1);
    assert_eq!(
        out,
        format!(
            "{}\n\
             FAIL no-nan: NaN in 1 of 3 tensors read\n    nan: 2 NaN of 4 values\n\
             PASS no-inf: +Inf or -Inf in 0 of 3 tensors read\n\
             FAIL no-all-zero-tensors: every value zero in 1 of 3 tensors read\n    zero: F8_E4M3, 2 zeros\n\
             {p}: 2 of 4 rules failed (no-nan, no-all-zero-tensors)\n",
            structure(3)
        )
    );
    let (code, out, _) = check(&[&p, "--no-inf"]);
    assert_eq!(code, 0);
    assert!(
        out.ends_with(&format!("{p}: all 2 rules passed\n")),
        "{out}"
    );
}

#[test]
fn json_report_of_a_value_rule() {
    let dir = TempDir::new().unwrap();
    let p = f32_file(dir.path());
    let (code, out, _) = check(&[&p, "--no-inf", "--format", "json"]);
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        json["rules"][1],
        serde_json::json!({
            "rule": "no-inf",
            "status": "fail",
            "measured": 1,
            "limit": 0,
            "message": "+Inf or -Inf in 1 of 4 tensors read",
            "details": ["inf: 1 +Inf, 2 -Inf of 3 values"],
        })
    );
}

/// Undecoded dtypes are named, not failed: the rule cannot see their values and says so.
#[test]
fn undecoded_tensors_are_named_but_do_not_fail() {
    let dir = TempDir::new().unwrap();
    // 4 six-bit elements are 3 bytes.
    let w = SafetensorsWriter::new()
        .tensor_with_data("a", DType::F32, &[2], f32s(&[1.0, 2.0]))
        .tensor("b", DType::F6_E3M2, &[4])
        .tensor("c", DType::F6_E2M3, &[4])
        .tensor("d", DType::F6_E2M3, &[8]);
    let p = write(dir.path(), "f6.safetensors", &w);
    let (code, out, _) = check(&[&p, "--no-nan", "--no-all-zero-tensors"]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        format!(
            "{}\n\
             PASS no-nan: NaN in 0 of 1 tensor read; 3 tensors not decoded (F6_E2M3, F6_E3M2)\n\
             PASS no-all-zero-tensors: every value zero in 0 of 1 tensor read; 3 tensors not decoded \
             (F6_E2M3, F6_E3M2)\n\
             {p}: all 3 rules passed\n",
            structure(4)
        )
    );
}

#[test]
fn offending_tensors_are_capped_at_fifty() {
    let dir = TempDir::new().unwrap();
    let mut w = SafetensorsWriter::new();
    for i in 0..53 {
        w = w.tensor_with_data(&format!("t{i:02}"), DType::F32, &[1], f32s(&[f32::NAN]));
    }
    let p = write(dir.path(), "many.safetensors", &w);
    let (code, out, _) = check(&[&p, "--no-nan"]);
    assert_eq!(code, 1);
    let mut expected = format!(
        "{}\nFAIL no-nan: NaN in 53 of 53 tensors read\n",
        structure(53)
    );
    for i in 0..50 {
        expected.push_str(&format!("    t{i:02}: 1 NaN of 1 value\n"));
    }
    expected.push_str(&format!(
        "    … and 3 more\n{p}: 1 of 2 rules failed (no-nan)\n"
    ));
    assert_eq!(out, expected);
}

#[test]
fn rules_file_keys_equal_the_flags() {
    let dir = TempDir::new().unwrap();
    let p = f32_file(dir.path());
    let rules = dir.path().join("paramscope.toml");
    std::fs::write(
        &rules,
        "no-nan = true\nno-inf = true\nno-all-zero-tensors = true\n",
    )
    .unwrap();
    let from_file = check(&[&p, "--rules", rules.to_str().unwrap()]);
    let from_flags = check_values(&p);
    assert_eq!(from_file, from_flags);
    assert_eq!(from_file.0, 1);

    // A flag switches a rule on even where the file says false; false is the same as leaving the key out.
    std::fs::write(&rules, "no-nan = false\nno-inf = false\n").unwrap();
    let (code, out, _) = check(&[&p, "--rules", rules.to_str().unwrap(), "--no-inf"]);
    assert_eq!(code, 1);
    assert_eq!(
        out,
        format!(
            "{}\nFAIL no-inf: +Inf or -Inf in 1 of 4 tensors read\n    inf: 1 +Inf, 2 -Inf of 3 values\n\
             {p}: 1 of 2 rules failed (no-inf)\n",
            structure(4)
        )
    );

    std::fs::write(&rules, "no-nan = \"yes\"\n").unwrap();
    let (code, out, err) = check(&[&p, "--rules", rules.to_str().unwrap()]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.starts_with(&format!("error: --rules {}: ", rules.display())),
        "{err}"
    );
}

/// The scan reads the file again; if it changed since its header was read, the checkpoint is unreadable
/// (an error, not a rule failure), while header rules still evaluate on what was read.
#[test]
fn a_file_changed_after_its_header_was_read_is_an_input_error() {
    let dir = TempDir::new().unwrap();
    let p = PathBuf::from(f32_file(dir.path()));
    let source = &format::discover(&p).unwrap()[0];
    let checkpoint = format::load(source, LoadOptions::default()).unwrap();
    let size = std::fs::metadata(&p).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(size - 4)
        .unwrap();

    let settings = |no_nan| RuleSettings {
        no_nan,
        max_params: Some(paramscope::check::limit::Limit::count("16").unwrap()),
        ..RuleSettings::default()
    };
    let options = ScanOptions::default();
    let header_only = settings(false).into_rules().unwrap();
    let report = paramscope::check::check(&checkpoint, &header_only, &options).unwrap();
    assert_eq!(report.status, paramscope::check::Verdict::Pass);

    let values = settings(true).into_rules().unwrap();
    let e = paramscope::check::check(&checkpoint, &values, &options).unwrap_err();
    assert_eq!(e.path, p);
    assert_eq!(e.problem.code(), "changed_since_read");
    assert_eq!(
        e.problem.to_string(),
        format!(
            "file is now {} bytes but was {size} when its header was read (changed or truncated since?)",
            size - 4
        )
    );
}

/// The binary with its address space capped at 1 GiB: nothing sized by a 16 GiB tensor fits in it.
fn check_with_small_address_space(args: &[&str]) -> (i32, String, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_paramscope"));
    cmd.arg("check").args(args).env_remove("NO_COLOR");
    common::cap_address_space(&mut cmd);
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Header rules on a 16 GiB tensor pass in a 1 GiB address space: nothing is mapped or allocated by the size of
/// the data. (A read error during a value rule's scan, a file shrinking under it, is exit 2 naming the file:
/// tests/cli/read_while_shrinking.rs.)
#[test]
fn header_rules_take_nothing_sized_by_the_data() {
    let dir = TempDir::new().unwrap();
    let w = SafetensorsWriter::new().tensor("big", DType::F32, &[1 << 32]);
    let p = write(dir.path(), "big.safetensors", &w);

    let (code, out, err) = check_with_small_address_space(&[&p, "--max-params", "5B"]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(
        out,
        format!(
            "PASS structure: 1 file, 1 tensor read: headers in bounds, tensors tile the data exactly, no trailing \
             bytes\nPASS max-params: 4.29B (4,294,967,296) <= 5B\n{p}: all 2 rules passed\n"
        )
    );
}

/// Pages of `path` in the page cache, counted over the byte range `from..` (page-aligned).
fn resident_pages(path: &Path, from: u64) -> (usize, usize) {
    let file = std::fs::File::open(path).unwrap();
    let len = file.metadata().unwrap().len() as usize;
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
    let pages = len.div_ceil(page);
    let mut vec = vec![0u8; pages];
    // SAFETY: a fresh read-only shared mapping, only passed to mincore (which faults nothing in) and unmapped.
    unsafe {
        let addr = libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ,
            libc::MAP_SHARED,
            file.as_raw_fd(),
            0,
        );
        assert_ne!(addr, libc::MAP_FAILED);
        assert_eq!(libc::mincore(addr, len, vec.as_mut_ptr()), 0);
        libc::munmap(addr, len);
    }
    let first = from as usize / page;
    let resident = vec[first..].iter().filter(|&&b| b & 1 == 1).count();
    (resident, pages - first)
}

/// Header rules do not read tensor data: after the file's pages are dropped from the page cache, a header-only
/// check leaves the data pages out of it, while a value check brings them in (so the measure can see reads).
#[test]
fn header_only_rules_do_not_read_tensor_data() {
    // Under target/, on the project's disk: /tmp may be a tmpfs, whose pages cannot be dropped from memory.
    let dir = TempDir::new_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let elements = 8u64 << 20; // 32 MiB of F32, written out (not a hole) so reads go through the page cache
    let data: Vec<u8> = (0..elements as u32)
        .flat_map(|i| (i as f32).to_le_bytes())
        .collect();
    let w = SafetensorsWriter::new().tensor_with_data("w", DType::F32, &[elements], data);
    let p = write(dir.path(), "w.safetensors", &w);
    let path = Path::new(&p);
    {
        let f = std::fs::File::open(path).unwrap();
        f.sync_all().unwrap();
        let dropped =
            unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        assert_eq!(dropped, 0);
    }
    // Past the header and any readahead its read may trigger.
    let from = 4 << 20;
    let (resident, pages) = resident_pages(path, from);
    assert_eq!(
        resident, 0,
        "the page cache kept the file; this test cannot tell reads apart"
    );

    let (code, _, _) = check(&[
        &p,
        "--max-params",
        "9M",
        "--max-bytes",
        "32MiB",
        "--dtype",
        "F32",
    ]);
    assert_eq!(code, 0);
    assert_eq!(resident_pages(path, from), (0, pages));

    let (code, _, _) = check(&[&p, "--no-nan"]);
    assert_eq!(code, 0);
    // Nearly all, not all: the kernel may reclaim a few cold pages between the read and the look (DAMON's
    // proactive reclaim does on these machines: 7 of 7,169 were gone under load). A check that read nothing
    // would leave none.
    let (resident, total) = resident_pages(path, from);
    assert_eq!(total, pages);
    assert!(
        resident * 100 >= pages * 95,
        "{resident} of {pages} data pages read"
    );
}
