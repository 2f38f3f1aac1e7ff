//! Remote sources against loopback servers only: a Hub stand-in ([`hub`]) and plain servers misbehaving in the
//! ways the network does ([`server`]). Counts are computed from the writers' shapes, bytes from what the servers
//! wrote, and the token is looked for in every output.

mod hub;
mod server;

use crate::common::paramscope;
use hub::{Hub, Repo, COMMIT, TOKEN};
use paramscope::format::synth::SafetensorsWriter;
use paramscope::model::dtype::DType;
use serde_json::Value;
use server::{Answer, File, Server};
use std::time::{Duration, Instant};

/// A shard of two BF16 matrices of `rows` × 1024, with `layer` in their names.
fn shard(layer: usize, rows: u64) -> SafetensorsWriter {
    SafetensorsWriter::new()
        .tensor(
            &format!("model.layers.{layer}.mlp.up_proj.weight"),
            DType::BF16,
            &[rows, 1024],
        )
        .tensor(
            &format!("model.layers.{layer}.mlp.down_proj.weight"),
            DType::BF16,
            &[1024, rows],
        )
}

/// A sharded repository: `n` shards of [`shard`], its index, a config.json.
fn sharded_repo(n: usize, rows: u64) -> Repo {
    let mut files = Vec::new();
    let mut map = serde_json::Map::new();
    let mut total = 0;
    for i in 0..n {
        let name = format!("model-{:05}-of-{n:05}.safetensors", i + 1);
        let w = shard(i, rows);
        total += w.data_bytes();
        for t in [
            format!("model.layers.{i}.mlp.up_proj.weight"),
            format!("model.layers.{i}.mlp.down_proj.weight"),
        ] {
            map.insert(t, Value::String(name.clone()));
        }
        files.push((name, File::safetensors(&w)));
    }
    let index = serde_json::json!({"metadata": {"total_size": total}, "weight_map": map});
    files.push((
        "model.safetensors.index.json".into(),
        File::bytes(index.to_string().into_bytes()),
    ));
    let config = serde_json::json!({"architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "hidden_size": 1024, "num_hidden_layers": n, "num_attention_heads": 8, "num_key_value_heads": 8,
        "intermediate_size": rows, "vocab_size": 1000});
    files.push((
        "config.json".into(),
        File::bytes(config.to_string().into_bytes()),
    ));
    Repo {
        files,
        gated: false,
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs paramscope with the Hub at `endpoint`, the token set, and an empty cache of its own.
fn run(endpoint: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = paramscope();
    cmd.args(args)
        .env("HF_ENDPOINT", endpoint)
        .env("HF_HOME", home.path())
        .env("HF_TOKEN", TOKEN)
        .env_remove("HF_HUB_CACHE")
        .env_remove("HF_HUB_OFFLINE")
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let run = Run {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    };
    assert!(
        !run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN),
        "the token was printed"
    );
    run
}

fn json(run: &Run) -> Value {
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

#[test]
fn a_sharded_repository_is_counted_from_its_headers_alone() {
    let hub = Hub::start(vec![("org/model", sharded_repo(4, 2048))]);
    let r = run(
        &hub.hub.url,
        &["inspect", "hf://org/model", "--format", "json"],
        &[],
    );
    let v = json(&r);
    assert_eq!(v["parameters"], 4 * 2 * 2048 * 1024);
    assert_eq!(v["shards"], 4);
    let source = &v["source"];
    assert_eq!(source["kind"], "hub");
    assert_eq!(source["repo"], "org/model");
    assert_eq!(source["commit"], COMMIT);
    let files: Vec<&str> = source["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "model.safetensors.index.json",
            "model-00001-of-00004.safetensors",
            "model-00002-of-00004.safetensors",
            "model-00003-of-00004.safetensors",
            "model-00004-of-00004.safetensors"
        ]
    );
    // config.json was read: the architecture comes from it.
    assert!(v["model"].is_object(), "{}", v["model"]);
    // Only headers crossed: each shard holds 8 MiB of data, the CDN wrote at most one first read per shard.
    let shard_bytes = 2 * 2048 * 1024 * 2;
    assert!(
        hub.cdn.body_bytes() < 4 * (64 << 10) + 4096,
        "{} bytes",
        hub.cdn.body_bytes()
    );
    assert!(hub.cdn.body_bytes() < shard_bytes);
    // The token went to the Hub and never to the CDN the Hub redirected to.
    let hub_requests = hub.hub.requests();
    assert!(hub_requests
        .iter()
        .all(|q| q.header("authorization") == Some(&format!("Bearer {TOKEN}"))));
    assert!(hub
        .cdn
        .requests()
        .iter()
        .all(|q| q.header("authorization").is_none()));
    // One listing, then each file's resolve (index, 4 shards, config.json): the shards pinned to the commit.
    assert_eq!(hub_requests.len(), 1 + 6, "{hub_requests:?}");
    let shards_at_commit = hub_requests
        .iter()
        .filter(|q| q.path.contains(&format!("/resolve/{COMMIT}/model-")))
        .count();
    assert_eq!(shards_at_commit, 4);
    let reported = source["requests"].as_u64().unwrap();
    assert_eq!(
        reported,
        (hub_requests.len() + hub.cdn.requests().len()) as u64
    );
    assert_eq!(
        source["bytes_transferred"],
        hub.cdn.body_bytes() + hub.hub.body_bytes()
    );
}

#[test]
fn a_190_shard_index_reads_every_shard() {
    let hub = Hub::start(vec![("org/big", sharded_repo(190, 512))]);
    let r = run(
        &hub.hub.url,
        &["inspect", "hf://org/big", "--format", "json"],
        &[],
    );
    let v = json(&r);
    assert_eq!(v["parameters"], 190 * 2 * 512 * 1024);
    assert_eq!(v["tensor_count"], 380);
    assert_eq!(v["source"]["files"].as_array().unwrap().len(), 191);
    assert_eq!(hub.cdn.requests().len(), 191 + 1);
}

#[test]
fn web_urls_and_a_named_file_read_the_same_checkpoint() {
    let hub = Hub::start(vec![("org/model", sharded_repo(2, 256))]);
    let url = format!(
        "{}/org/model/blob/main/model-00002-of-00002.safetensors",
        hub.hub.url
    );
    let v = json(&run(
        &hub.hub.url,
        &["inspect", &url, "--format", "json"],
        &[],
    ));
    assert_eq!(v["parameters"], 2 * 256 * 1024);
    assert_eq!(v["source"]["files"][0], "model-00002-of-00002.safetensors");
    let tree = format!("{}/org/model/tree/main", hub.hub.url);
    let v = json(&run(
        &hub.hub.url,
        &["inspect", &tree, "--format", "json"],
        &[],
    ));
    assert_eq!(v["parameters"], 2 * 2 * 256 * 1024);
}

#[test]
fn a_gated_repository_is_explained_and_the_token_never_shown() {
    let mut repo = sharded_repo(1, 64);
    repo.gated = true;
    let hub = Hub::start(vec![("org/gated", repo)]);
    let r = run(
        &hub.hub.url,
        &["inspect", "hf://org/gated"],
        &[("HF_TOKEN", "")],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("hf://org/gated")
            && r.stderr.contains("gated or private")
            && r.stderr.contains("HF_TOKEN"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
    let r = run(
        &hub.hub.url,
        &["inspect", "hf://org/gated"],
        &[("HF_TOKEN", "hf_wrong")],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no access") && !r.stderr.contains("hf_wrong"),
        "{}",
        r.stderr
    );
    // The token file of HF_HOME is read when HF_TOKEN is unset.
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("token"), format!("{TOKEN}\n")).unwrap();
    let home = home.path().to_str().unwrap();
    let r = run(
        &hub.hub.url,
        &["inspect", "hf://org/gated", "--format", "json"],
        &[("HF_TOKEN", ""), ("HF_HOME", home)],
    );
    assert_eq!(json(&r)["parameters"], 2 * 64 * 1024);
}

#[test]
fn missing_repository_revision_and_file_are_told_apart() {
    let hub = Hub::start(vec![("org/model", sharded_repo(1, 64))]);
    let r = run(&hub.hub.url, &["inspect", "hf://org/nothing"], &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("repository not found"), "{}", r.stderr);
    let r = run(&hub.hub.url, &["inspect", "hf://org/model@v9"], &[]);
    assert!(r.stderr.contains("revision not found"), "{}", r.stderr);
    let r = run(
        &hub.hub.url,
        &[
            "inspect",
            "hf://org/model/missing.safetensors",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(r.code, 2);
    let e: Value =
        serde_json::from_str(r.stdout.lines().next().unwrap_or("null")).unwrap_or(Value::Null);
    assert!(
        r.stderr.contains("file not found") || e.to_string().contains("remote_not_found"),
        "{} {}",
        r.stdout,
        r.stderr
    );
}

#[test]
fn every_failed_shard_is_listed() {
    let mut repo = sharded_repo(3, 64);
    repo.files.retain(|(f, _)| {
        f != "model-00002-of-00003.safetensors" && f != "model-00003-of-00003.safetensors"
    });
    let hub = Hub::start(vec![("org/broken", repo)]);
    let r = run(&hub.hub.url, &["inspect", "hf://org/broken"], &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("model-00002-of-00003.safetensors")
            && r.stderr.contains("model-00003-of-00003.safetensors"),
        "{}",
        r.stderr
    );
}

/// A server answering every request for `/x.safetensors` with `answer`.
fn plain(answer: impl Fn(&server::Request) -> Answer + Send + Sync + 'static) -> Server {
    Server::start(answer)
}

fn big_file() -> File {
    File::safetensors(&SafetensorsWriter::new().tensor("w", DType::F32, &[4096, 4096]))
}

#[test]
fn a_server_ignoring_range_is_abandoned_without_downloading() {
    let file = big_file();
    let len = file.len;
    let s = plain(move |_| Answer::File {
        file: file.clone(),
        ranges: false,
        extra: Vec::new(),
    });
    let url = format!("{}/x.safetensors", s.url);
    let r = run("http://127.0.0.1:9", &["inspect", &url], &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("ignores range requests"), "{}", r.stderr);
    std::thread::sleep(Duration::from_millis(200));
    // What the socket took before the client hung up, far from the 64 MiB file.
    assert!(
        s.body_bytes() < len / 4,
        "{} of {len} bytes",
        s.body_bytes()
    );
    assert_eq!(s.requests().len(), 1);
}

#[test]
fn a_plain_url_of_a_range_capable_server_is_read() {
    let file = big_file();
    let s = plain(move |_| Answer::file(&file));
    let url = format!("{}/x.safetensors", s.url);
    let v = json(&run(
        "http://127.0.0.1:9",
        &["inspect", &url, "--format", "json"],
        &[],
    ));
    assert_eq!(v["parameters"], 4096 * 4096);
    assert_eq!(v["source"]["kind"], "url");
    assert_eq!(s.requests().len(), 1);
    // No token to a host that is not the Hub's.
    assert!(s.requests()[0].header("authorization").is_none());
}

#[test]
fn a_lying_content_range_is_an_input_error() {
    let file = big_file();
    let s = plain(move |_| Answer::File {
        file: file.clone(),
        ranges: true,
        extra: Vec::new(),
    });
    // The server's ranges are right; a proxy rewriting them is simulated by a handler that shifts them.
    drop(s);
    let head = big_file();
    let s = plain(move |req| {
        let (a, _) = req.range().unwrap_or((0, 0));
        let body = head
            .head
            .iter()
            .copied()
            .chain(std::iter::repeat(0))
            .skip(a as usize + 1)
            .take(100)
            .collect();
        Answer::Plain(
            206,
            vec![(
                "Content-Range".into(),
                format!("bytes {}-{}/{}", a + 1, a + 100, head.len),
            )],
            body,
        )
    });
    let url = format!("{}/x.safetensors", s.url);
    let r = run("http://127.0.0.1:9", &["inspect", &url], &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("asked for bytes 0-65535, the server answered bytes 1-100"),
        "{}",
        r.stderr
    );
}

/// A fetch that takes over a second shows a progress line on a terminal (stderr), and says nothing of the token.
#[cfg(target_os = "linux")]
#[test]
fn a_fetch_over_a_second_shows_a_progress_line_on_a_terminal() {
    let s = plain(|_| Answer::Stall(30_000));
    let url = format!("{}/x.safetensors", s.url);
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("paramscope"));
    cmd.args(["inspect", &url])
        .env("HF_ENDPOINT", "http://127.0.0.1:9")
        .env("HF_TOKEN", TOKEN)
        .env("PARAMSCOPE_HTTP_TIMEOUT", "3")
        .env_remove("HTTPS_PROXY")
        .env_remove("HTTP_PROXY");
    let shown = crate::terminal::on_pty(cmd, 100, crate::terminal::Stream::Stderr);
    assert!(shown.contains("fetching headers: "), "{shown}");
    assert!(shown.contains("timed out"), "{shown}");
    assert!(!shown.contains(TOKEN));
    // Off a terminal (the other tests capture stderr) there is no such line.
    let r = run(
        "http://127.0.0.1:9",
        &["inspect", &url],
        &[("PARAMSCOPE_HTTP_TIMEOUT", "2")],
    );
    assert!(!r.stderr.contains("fetching headers"), "{}", r.stderr);
}

#[test]
fn a_slow_server_times_out() {
    let s = plain(|_| Answer::Stall(30_000));
    let url = format!("{}/x.safetensors", s.url);
    let started = Instant::now();
    let r = run(
        "http://127.0.0.1:9",
        &["inspect", &url],
        &[("PARAMSCOPE_HTTP_TIMEOUT", "1")],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("timed out"), "{}", r.stderr);
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn too_many_requests_then_success_is_retried() {
    let file = big_file();
    let seen = std::sync::atomic::AtomicU64::new(0);
    let s = plain(
        move |_| match seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
            0 | 1 => Answer::status(429, &[("Retry-After", "0")]),
            _ => Answer::file(&file),
        },
    );
    let url = format!("{}/x.safetensors", s.url);
    let v = json(&run(
        "http://127.0.0.1:9",
        &["inspect", &url, "--format", "json"],
        &[],
    ));
    assert_eq!(v["parameters"], 4096 * 4096);
    assert_eq!(v["source"]["requests"], 3);
}

#[test]
fn redirect_loops_end() {
    let s = plain(|req| Answer::redirect(&format!("{}x", req.path), &[]));
    let url = format!("{}/x.safetensors", s.url);
    let r = run("http://127.0.0.1:9", &["inspect", &url], &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("more than 10 redirects"), "{}", r.stderr);
}

#[test]
fn no_server_is_a_clear_error() {
    let r = run("http://127.0.0.1:9", &["inspect", "hf://org/model"], &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("hf://org/model") && r.stderr.contains("cannot connect"),
        "{}",
        r.stderr
    );
}

#[test]
fn stats_and_diff_values_refuse_a_remote_source() {
    let r = run("http://127.0.0.1:9", &["stats", "hf://org/model"], &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("stats: needs every tensor's data"),
        "{}",
        r.stderr
    );
    let r = run(
        "http://127.0.0.1:9",
        &["diff", "--values", "hf://org/a", "hf://org/b"],
        &[],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("diff --values"), "{}", r.stderr);
}

#[test]
fn check_on_the_hub_exits_1_on_a_broken_rule() {
    let hub = Hub::start(vec![("org/model", sharded_repo(2, 256))]);
    let params = 2 * 2 * 256 * 1024;
    let r = run(
        &hub.hub.url,
        &[
            "check",
            "hf://org/model",
            "--max-params",
            &(params - 1).to_string(),
        ],
        &[],
    );
    assert_eq!(r.code, 1, "{} {}", r.stdout, r.stderr);
    let r = run(
        &hub.hub.url,
        &[
            "check",
            "hf://org/model",
            "--max-params",
            &params.to_string(),
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{} {}", r.stdout, r.stderr);
    // check's and footprint's JSON name the source as inspect's does.
    for args in [
        &["check", "hf://org/model", "--format", "json"][..],
        &["footprint", "hf://org/model", "--format", "json"][..],
    ] {
        let v = json(&run(&hub.hub.url, args, &[]));
        assert_eq!(v["source"]["kind"], "hub", "{args:?}");
        assert_eq!(v["source"]["repo"], "org/model", "{args:?}");
        assert_eq!(v["source"]["commit"], COMMIT, "{args:?}");
    }
}

#[test]
fn the_local_cache_is_read_without_the_network_and_offline_mode_needs_it() {
    let home = tempfile::tempdir().unwrap();
    let repo = home.path().join("hub").join("models--org--cached");
    std::fs::create_dir_all(repo.join("refs")).unwrap();
    std::fs::write(repo.join("refs").join("main"), COMMIT).unwrap();
    let snapshot = repo.join("snapshots").join(COMMIT);
    std::fs::create_dir_all(&snapshot).unwrap();
    shard(0, 128)
        .write(&snapshot.join("model.safetensors"))
        .unwrap();
    let home_s = home.path().to_str().unwrap();
    // Port 9 (discard) is closed: any request would fail.
    let v = json(&run(
        "http://127.0.0.1:9",
        &["inspect", "hf://org/cached", "--format", "json"],
        &[("HF_HOME", home_s)],
    ));
    assert_eq!(v["parameters"], 2 * 128 * 1024);
    assert_eq!(v["source"]["cached"], true);
    assert_eq!(v["source"]["requests"], 0);
    let r = run(
        "http://127.0.0.1:9",
        &["inspect", "hf://org/other"],
        &[("HF_HOME", home_s), ("HF_HUB_OFFLINE", "1")],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not in the local cache"), "{}", r.stderr);
}

#[test]
fn a_gguf_repository_lists_its_quantisations_and_quant_chooses() {
    let gguf = |_: &str| File::bytes(crate::common::fixtures_gguf::tiny_quantized().to_bytes());
    let repo = Repo {
        files: vec![
            ("m-Q4_K_M.gguf".into(), gguf("q4")),
            ("m-Q8_0.gguf".into(), gguf("q8")),
        ],
        gated: false,
    };
    let hub = Hub::start(vec![("org/m-GGUF", repo)]);
    let r = run(&hub.hub.url, &["inspect", "hf://org/m-GGUF"], &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("holds 2 GGUF models")
            && r.stderr.contains("m-Q4_K_M.gguf")
            && r.stderr.contains("m-Q8_0.gguf"),
        "{}",
        r.stderr
    );
    let v = json(&run(
        &hub.hub.url,
        &[
            "inspect",
            "hf://org/m-GGUF",
            "--quant",
            "q8_0",
            "--format",
            "json",
        ],
        &[],
    ));
    assert_eq!(v["format"], "gguf");
    assert_eq!(
        v["parameters"],
        crate::common::fixtures_gguf::TINY_QUANTIZED_PARAMETERS
    );
    assert_eq!(v["source"]["files"][0], "m-Q8_0.gguf");
}

/// `verify --against hf://…` takes each file's reference from the Hub's tree listing (LFS SHA-256 and size, git's
/// blob id for a small file) and downloads nothing else: a local copy verifies, a flipped byte fails naming it.
#[test]
fn verify_against_the_hub_listing_compares_lfs_oids_and_git_blob_ids() {
    use sha1::Digest as _;
    let dir = tempfile::tempdir().unwrap();
    let weights = dir.path().join("model.safetensors");
    shard(0, 128).write(&weights).unwrap();
    let config = dir.path().join("config.json");
    std::fs::write(&config, br#"{"model_type": "llama"}"#).unwrap();
    let bytes = std::fs::read(&weights).unwrap();
    let hex = |d: &[u8]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let sha256 = hex(&sha2::Sha256::digest(&bytes));
    let small = std::fs::read(&config).unwrap();
    let git_blob = |bytes: &[u8]| {
        let mut blob = format!("blob {}\0", bytes.len()).into_bytes();
        blob.extend_from_slice(bytes);
        hex(&sha1::Sha1::digest(&blob))
    };
    let git_oid = git_blob(&small);
    let readme = dir.path().join("README.md");
    std::fs::write(&readme, "# a model\n").unwrap();
    let readme_oid = git_blob(b"# a model\n");
    let listing = serde_json::json!([
        {"type": "file", "path": "model.safetensors", "size": bytes.len(), "oid": "0".repeat(40),
         "lfs": {"oid": sha256, "size": bytes.len(), "pointerSize": 134}},
        {"type": "file", "path": "config.json", "size": small.len(), "oid": git_oid},
        {"type": "file", "path": "README.md", "size": 10, "oid": readme_oid},
    ]);
    let s = plain(move |r| {
        if r.path.starts_with("/api/models/org/model/tree/main") {
            Answer::json(&listing)
        } else {
            Answer::status(404, &[])
        }
    });
    let d = dir.path().to_str().unwrap();
    let r = run(
        &s.url,
        &[
            "verify",
            d,
            "--against",
            "hf://org/model",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{} {}", r.stdout, r.stderr);
    let v = json(&r);
    assert_eq!(v["verdict"], "verified");
    let files = v["files"].as_array().unwrap();
    assert!(files.iter().all(|f| f["status"] == "ok"), "{files:?}");
    assert!(files
        .iter()
        .any(|f| f["path"].as_str().unwrap().ends_with("model.safetensors")));
    // Only the listing crossed the network.
    assert!(s
        .requests()
        .iter()
        .all(|q| q.path.starts_with("/api/models/")));
    // A listed file the local copy lacks is missing (exit 1), as with a manifest.
    std::fs::remove_file(&readme).unwrap();
    let r = run(&s.url, &["verify", d, "--against", "hf://org/model"], &[]);
    assert_eq!(r.code, 1, "{} {}", r.stdout, r.stderr);
    assert!(r.stdout.contains("README.md"), "{}", r.stdout);
    std::fs::write(&readme, "# a model\n").unwrap();
    // A flipped byte in the data: exit 1, the file named.
    let mut changed = bytes.clone();
    let last = changed.len() - 1;
    changed[last] ^= 1;
    std::fs::write(&weights, &changed).unwrap();
    let r = run(&s.url, &["verify", d, "--against", "hf://org/model"], &[]);
    assert_eq!(r.code, 1, "{} {}", r.stdout, r.stderr);
    assert!(r.stdout.contains("model.safetensors"), "{}", r.stdout);
    assert!(r.stdout.contains("MISMATCH"), "{}", r.stdout);
    // A repository the Hub does not know: exit 2, one line naming it.
    let r = run(&s.url, &["verify", d, "--against", "hf://org/other"], &[]);
    assert_eq!(r.code, 2, "{} {}", r.stdout, r.stderr);
    assert!(r.stderr.contains("hf://org/other"), "{}", r.stderr);
}
