//! The Hugging Face Hub's conventions, as huggingface_hub and transformers follow them: the spellings of a
//! repository (`hf://ORG/REPO[@REVISION][/PATH]`, the web URLs), `HF_ENDPOINT`, where the token is found, the
//! local cache's layout, and which files of a repository make its checkpoint.

use crate::format::error::RemoteProblem;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};
use std::path::{Path, PathBuf};

/// The Hub, unless `HF_ENDPOINT` names a mirror.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// What a remote spelling names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spec {
    /// A repository of the Hub (or of the mirror at `HF_ENDPOINT`).
    Hub(HubRef),
    /// Any other HTTP(S) URL of a weight file or index.
    Url(String),
}

/// A repository, a revision of it, and optionally a file or folder in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubRef {
    /// `ORG/NAME`.
    pub repo: String,
    /// A branch, tag or commit, decoded (`refs/pr/1`); `main` when none was given.
    pub revision: String,
    /// Whether the spelling named the revision (it is then shown in paths).
    pub named_revision: bool,
    /// A file or folder in the repository.
    pub path: Option<String>,
    /// `:Q4_K_M` after the repository (llama.cpp's spelling) or `--quant`: which GGUF file.
    pub quant: Option<String>,
}

impl HubRef {
    /// `hf://ORG/REPO[@REV]`, the name the checkpoint is shown under.
    pub fn shown(&self) -> String {
        let rev = if self.named_revision {
            format!("@{}", encode(&self.revision, SEGMENT))
        } else {
            String::new()
        };
        format!("hf://{}{rev}", self.repo)
    }

    /// The name a file of the repository is shown under.
    pub fn shown_file(&self, file: &str) -> PathBuf {
        PathBuf::from(format!("{}/{file}", self.shown()))
    }
}

/// `HF_ENDPOINT` without a trailing slash, or the Hub.
pub fn endpoint() -> String {
    std::env::var("HF_ENDPOINT")
        .ok()
        .map(|e| e.trim().trim_end_matches('/').to_string())
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| DEFAULT_ENDPOINT.to_string())
}

/// Whether `spec` is spelled as a remote source rather than a local path.
pub fn is_remote(spec: &str) -> bool {
    ["hf://", "http://", "https://"]
        .iter()
        .any(|p| spec.len() >= p.len() && spec[..p.len()].eq_ignore_ascii_case(p))
}

/// Characters escaped in one path segment of a URL (a revision like `refs/pr/1` becomes `refs%2Fpr%2F1`).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// Characters escaped in a file path of a URL (its slashes kept).
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

fn encode(s: &str, set: &'static AsciiSet) -> String {
    utf8_percent_encode(s, set).to_string()
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// Reads a remote spelling: `hf://[models/]ORG/REPO[@REV][:QUANT][/PATH]`, the Hub's (or `endpoint`'s) web URLs
/// `/ORG/REPO`, `…/tree/REV[/PATH]`, `…/blob/REV/PATH`, `…/resolve/REV/PATH`, or any other HTTP(S) URL.
pub fn parse(spec: &str, endpoint: &str) -> Result<Spec, RemoteProblem> {
    let bad = |why: &str| RemoteProblem::BadUrl(format!("{spec} ({why})"));
    if let Some(rest) = strip_prefix_ci(spec, "hf://") {
        let rest = rest.strip_prefix("models/").unwrap_or(rest);
        if rest.starts_with("datasets/") || rest.starts_with("spaces/") {
            return Err(bad("only model repositories hold checkpoints"));
        }
        let mut segments = rest.split('/').filter(|s| !s.is_empty());
        let org = segments.next().ok_or_else(|| bad("no repository"))?;
        let (org, name) = match org.contains(['@', ':']) {
            // A repository without an organisation (`hf://gpt2@main`).
            true => ("", org),
            false => (org, segments.next().unwrap_or("")),
        };
        let (name, quant) = match name.split_once(':') {
            Some((n, q)) => (n, Some(q.to_string())),
            None => (name, None),
        };
        let (name, revision) = match name.split_once('@') {
            Some((n, r)) => (n, Some(decode(r))),
            None => (name, None),
        };
        let repo = match (org, name) {
            ("", n) | (n, "") => n.to_string(),
            (o, n) => format!("{o}/{n}"),
        };
        if repo.is_empty() || revision.as_deref() == Some("") {
            return Err(bad("no repository"));
        }
        let path: Vec<&str> = segments.collect();
        return Ok(Spec::Hub(HubRef {
            repo,
            named_revision: revision.is_some(),
            revision: revision.unwrap_or_else(|| "main".into()),
            path: (!path.is_empty()).then(|| decode(&path.join("/"))),
            quant: quant.filter(|q| !q.is_empty()),
        }));
    }
    let web = [endpoint, DEFAULT_ENDPOINT]
        .iter()
        .find_map(|e| strip_prefix_ci(spec, e).filter(|r| r.is_empty() || r.starts_with('/')));
    let Some(rest) = web else {
        return Ok(Spec::Url(spec.to_string()));
    };
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    if segments
        .first()
        .is_some_and(|s| ["api", "datasets", "spaces"].contains(s))
    {
        return Err(bad("not a model repository's page or file"));
    }
    let (repo, after) = match segments.as_slice() {
        [org, name, after @ ..] if !["tree", "blob", "resolve"].contains(name) => {
            (format!("{org}/{name}"), after)
        }
        [name, after @ ..] => (name.to_string(), after),
        [] => return Err(bad("no repository")),
    };
    let (revision, path) = match after {
        [] => (None, Vec::new()),
        [kind, rev, path @ ..] if ["tree", "blob", "resolve"].contains(kind) => {
            (Some(decode(rev)), path.to_vec())
        }
        _ => {
            return Err(bad(
                "expected /tree/REV, /blob/REV/FILE or /resolve/REV/FILE",
            ))
        }
    };
    Ok(Spec::Hub(HubRef {
        repo,
        named_revision: revision.is_some(),
        revision: revision.unwrap_or_else(|| "main".into()),
        path: (!path.is_empty()).then(|| decode(&path.join("/"))),
        quant: None,
    }))
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    (s.len() >= prefix.len() && s.is_char_boundary(prefix.len()))
        .then(|| s.split_at(prefix.len()))
        .filter(|(head, _)| head.eq_ignore_ascii_case(prefix))
        .map(|(_, tail)| tail)
}

/// The tree listing of a folder of the repository at `revision` (`/api/models/REPO/tree/REV[/PATH]`).
pub fn tree_url(endpoint: &str, r: &HubRef, revision: &str) -> String {
    let path = r
        .path
        .as_deref()
        .map_or(String::new(), |p| format!("/{}", encode(p, PATH)));
    format!(
        "{endpoint}/api/models/{}/tree/{}{path}",
        r.repo,
        encode(revision, SEGMENT)
    )
}

/// The download URL of `file` at `revision` (`/REPO/resolve/REV/FILE`).
pub fn resolve_url(endpoint: &str, repo: &str, revision: &str, file: &str) -> String {
    format!(
        "{endpoint}/{repo}/resolve/{}/{}",
        encode(revision, SEGMENT),
        encode(file, PATH)
    )
}

/// The token, as huggingface_hub finds it: `HF_TOKEN` (or the legacy `HUGGING_FACE_HUB_TOKEN`), else the file
/// `HF_TOKEN_PATH` names, else `$HF_HOME/token` (`~/.cache/huggingface/token`).
pub fn token() -> Option<String> {
    // An empty variable counts as unset, as in huggingface_hub.
    let var = |name| {
        std::env::var(name)
            .ok()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
    };
    if let Some(t) = var("HF_TOKEN").or_else(|| var("HUGGING_FACE_HUB_TOKEN")) {
        return Some(t);
    }
    let path = std::env::var_os("HF_TOKEN_PATH")
        .map(PathBuf::from)
        .or_else(|| hf_home().map(|h| h.join("token")))?;
    let text = std::fs::read_to_string(path).ok()?;
    let t = text.trim();
    (!t.is_empty() && t.len() < 4096).then(|| t.to_string())
}

/// `HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`.
fn hf_home() -> Option<PathBuf> {
    if let Some(h) = std::env::var_os("HF_HOME") {
        return Some(PathBuf::from(h));
    }
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME") {
        return Some(PathBuf::from(x).join("huggingface"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache").join("huggingface"))
}

/// `HF_HUB_CACHE`, else `$HF_HOME/hub`.
pub fn cache_dir() -> Option<PathBuf> {
    std::env::var_os("HF_HUB_CACHE")
        .map(PathBuf::from)
        .or_else(|| hf_home().map(|h| h.join("hub")))
}

/// Whether `HF_HUB_OFFLINE` is set to a true value.
pub fn offline() -> bool {
    std::env::var("HF_HUB_OFFLINE")
        .is_ok_and(|v| ["1", "true", "yes", "on"].contains(&v.trim().to_ascii_lowercase().as_str()))
}

/// The folder of `r` at its revision in the local cache (`models--ORG--NAME/snapshots/COMMIT[/PATH]`), with the
/// commit, when the cache has that snapshot.
pub fn cached_snapshot(cache: &Path, r: &HubRef) -> Option<(PathBuf, String)> {
    let repo = cache.join(format!("models--{}", r.repo.replace('/', "--")));
    let commit = if is_commit(&r.revision) {
        r.revision.clone()
    } else {
        std::fs::read_to_string(repo.join("refs").join(&r.revision))
            .ok()?
            .trim()
            .to_string()
    };
    if !is_commit(&commit) {
        return None;
    }
    let mut folder = repo.join("snapshots").join(&commit);
    if let Some(p) = &r.path {
        folder = folder.join(p);
    }
    folder.exists().then_some((folder, commit))
}

/// A full commit id (40 hexadecimal digits).
pub fn is_commit(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The files of a repository folder that make its checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// A `*.safetensors.index.json` (its shards follow from it).
    Index(String),
    /// One safetensors file, or the shards of one series without an index.
    Safetensors(Vec<String>),
    /// One GGUF file, or every part of a multi-part one.
    Gguf(Vec<String>),
}

/// One file of a listing: its path in the repository and its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Path in the repository (`model-00001-of-00004.safetensors`, `sub/x.gguf`).
    pub path: String,
    /// Size in bytes (the LFS object's for an LFS file).
    pub size: u64,
    /// The LFS object's SHA-256 (`lfs.oid`), for a file stored in LFS.
    pub sha256: Option<String>,
    /// Git's blob id (`oid`): SHA-1 of `blob LEN\0` and the bytes.
    pub git_oid: Option<String>,
}

/// Chooses as transformers does: `model.safetensors.index.json`, else `model.safetensors`, else the only other
/// index or safetensors set; else a GGUF model, the one `quant` names when there are several.
pub fn choose(files: &[Listed], quant: Option<&str>) -> Result<Choice, RemoteProblem> {
    let name = |f: &Listed| f.path.rsplit('/').next().unwrap_or("").to_string();
    let of = |suffix: &str| -> Vec<String> {
        let mut v: Vec<String> = files
            .iter()
            .filter(|f| name(f).ends_with(suffix))
            .map(|f| f.path.clone())
            .collect();
        v.sort();
        v
    };
    let indexes = of(".safetensors.index.json");
    let weights = of(".safetensors");
    if quant.is_none() {
        if let Some(i) = indexes
            .iter()
            .find(|i| name_of(i) == "model.safetensors.index.json")
        {
            return Ok(Choice::Index(i.clone()));
        }
        if let Some(w) = weights.iter().find(|w| name_of(w) == "model.safetensors") {
            return Ok(Choice::Safetensors(vec![w.clone()]));
        }
        if let Some(i) = indexes.first() {
            return Ok(Choice::Index(i.clone()));
        }
        if !weights.is_empty() {
            let first = crate::format::discover::shard_group_key(name_of(&weights[0]));
            let group: Vec<String> = match first {
                Some(key) => weights
                    .iter()
                    .filter(|w| {
                        crate::format::discover::shard_group_key(name_of(w)).as_ref() == Some(&key)
                    })
                    .cloned()
                    .collect(),
                None => vec![weights[0].clone()],
            };
            return Ok(Choice::Safetensors(group));
        }
    }
    let ggufs = gguf_models(files);
    let listing = |models: &[(String, Vec<String>, u64)]| {
        models
            .iter()
            .map(|(shown, _, size)| format!("{shown} ({})", crate::model::units::bytes(*size)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (ggufs.len(), quant) {
        (0, _) => Err(RemoteProblem::NoWeights {
            listing: String::new(),
        }),
        (_, Some(q)) => {
            let matched: Vec<_> = ggufs
                .iter()
                .filter(|(shown, _, _)| quant_matches(shown, q))
                .collect();
            match matched.as_slice() {
                [(_, parts, _)] => Ok(Choice::Gguf(parts.clone())),
                _ => Err(RemoteProblem::QuantNotFound {
                    quant: q.to_string(),
                    matched: matched.len(),
                    listing: listing(&ggufs),
                }),
            }
        }
        (1, None) => Ok(Choice::Gguf(ggufs[0].1.clone())),
        (n, None) => Err(RemoteProblem::ChooseGguf {
            count: n,
            listing: listing(&ggufs),
        }),
    }
}

fn name_of(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The GGUF models of a listing: each single file, and each multi-part file once (its first part's name, all
/// its parts, their total size), in name order.
fn gguf_models(files: &[Listed]) -> Vec<(String, Vec<String>, u64)> {
    let mut models: Vec<(String, Vec<String>, u64)> = Vec::new();
    let mut sorted: Vec<&Listed> = files.iter().filter(|f| f.path.ends_with(".gguf")).collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    for f in sorted {
        let name = name_of(&f.path);
        let folder = &f.path[..f.path.len() - name.len()];
        match crate::format::gguf::split::PartName::parse(name) {
            Some(part) => {
                let key = format!("{folder}{}", part.group_key());
                match models.iter_mut().find(|(k, _, _)| *k == key) {
                    Some(m) => m.2 += f.size,
                    None => {
                        let parts = (1..=part.count)
                            .map(|p| format!("{folder}{}", part.file_name(p)))
                            .collect();
                        models.push((key, parts, f.size));
                    }
                }
            }
            None => models.push((f.path.clone(), vec![f.path.clone()], f.size)),
        }
    }
    // A multi-part model is shown by its first part's name.
    for m in &mut models {
        if m.1.len() > 1 {
            m.0 = m.1[0].clone();
        }
    }
    models
}

/// Whether a GGUF file name carries the quantisation `quant` (`Q4_K_M` in `model-Q4_K_M.gguf`, any case, as a
/// whole word: `Q4_K` does not match `Q4_K_M`).
fn quant_matches(file: &str, quant: &str) -> bool {
    let file = name_of(file).to_ascii_uppercase();
    let quant = quant.to_ascii_uppercase();
    let stem = file.trim_end_matches(".GGUF");
    stem.match_indices(&quant).any(|(at, _)| {
        let before = stem[..at].chars().next_back();
        let after = stem[at + quant.len()..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_');
        boundary(before) && boundary(after)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub(spec: &str) -> HubRef {
        match parse(spec, "http://127.0.0.1:9").unwrap() {
            Spec::Hub(r) => r,
            Spec::Url(u) => panic!("{u} read as a URL"),
        }
    }

    #[test]
    fn hf_spellings() {
        let r = hub("hf://meta-llama/Llama-3.1-8B");
        assert_eq!(
            (r.repo.as_str(), r.revision.as_str(), r.path),
            ("meta-llama/Llama-3.1-8B", "main", None)
        );
        let r = hub("hf://org/repo@refs%2Fpr%2F1/sub/model.safetensors");
        assert_eq!(r.revision, "refs/pr/1");
        assert_eq!(r.path.as_deref(), Some("sub/model.safetensors"));
        assert_eq!(r.shown(), "hf://org/repo@refs%2Fpr%2F1");
        let r = hub("hf://org/repo-GGUF:Q4_K_M");
        assert_eq!(r.quant.as_deref(), Some("Q4_K_M"));
        assert_eq!(hub("hf://models/gpt2").repo, "gpt2");
    }

    #[test]
    fn web_urls() {
        let r = hub("https://huggingface.co/org/repo/blob/v1.0/model.safetensors");
        assert_eq!(
            (r.revision.as_str(), r.path.as_deref()),
            ("v1.0", Some("model.safetensors"))
        );
        let r = hub("http://127.0.0.1:9/org/repo/tree/main/sub");
        assert_eq!(r.path.as_deref(), Some("sub"));
        let r = hub("https://huggingface.co/org/repo");
        assert!(!r.named_revision);
        assert_eq!(
            parse("https://example.com/x.safetensors", DEFAULT_ENDPOINT).unwrap(),
            Spec::Url("https://example.com/x.safetensors".into())
        );
        assert!(parse("https://huggingface.co/datasets/a/b", DEFAULT_ENDPOINT).is_err());
    }

    #[test]
    fn urls_escape_the_revision() {
        assert_eq!(
            resolve_url("http://h", "o/r", "refs/pr/1", "a b.safetensors"),
            "http://h/o/r/resolve/refs%2Fpr%2F1/a%20b.safetensors"
        );
    }

    fn listed(names: &[&str]) -> Vec<Listed> {
        names
            .iter()
            .map(|n| Listed {
                path: n.to_string(),
                size: 1 << 30,
                sha256: None,
                git_oid: None,
            })
            .collect()
    }

    #[test]
    fn chooses_like_transformers() {
        let l = listed(&[
            "consolidated.safetensors",
            "model.safetensors.index.json",
            "model-00001-of-00002.safetensors",
        ]);
        assert_eq!(
            choose(&l, None).unwrap(),
            Choice::Index("model.safetensors.index.json".into())
        );
        let l = listed(&[
            "a-00001-of-00002.safetensors",
            "a-00002-of-00002.safetensors",
            "b.safetensors",
        ]);
        assert_eq!(
            choose(&l, None).unwrap(),
            Choice::Safetensors(vec![
                "a-00001-of-00002.safetensors".into(),
                "a-00002-of-00002.safetensors".into()
            ])
        );
        let l = listed(&[
            "m-Q4_K_M.gguf",
            "m-Q4_K.gguf",
            "m-Q8_0-00001-of-00002.gguf",
            "m-Q8_0-00002-of-00002.gguf",
        ]);
        let e = choose(&l, None).unwrap_err();
        assert_eq!(e.code(), "remote_choose_file");
        assert!(
            e.to_string()
                .contains("m-Q8_0-00001-of-00002.gguf (2.00 GiB)"),
            "{e}"
        );
        assert_eq!(
            choose(&l, Some("q4_k")).unwrap(),
            Choice::Gguf(vec!["m-Q4_K.gguf".into()])
        );
        assert_eq!(
            choose(&l, Some("Q8_0")).unwrap(),
            Choice::Gguf(vec![
                "m-Q8_0-00001-of-00002.gguf".into(),
                "m-Q8_0-00002-of-00002.gguf".into()
            ])
        );
    }
}
