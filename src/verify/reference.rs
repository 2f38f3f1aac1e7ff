//! Where the hash a file should have comes from, in the order `verify` consults them: a digest given for the
//! one file verified (`--sha256 HEX`), a manifest (`--sha256 FILE`: `sha256sum`/`shasum` lines or BSD tags,
//! paths relative to the manifest), the Hugging Face cache (a snapshot file links to `blobs/ID`, and the ID is
//! the file's SHA-256 for LFS files or its git blob SHA-1 for small ones), and a listing of the repository on
//! the Hub (its LFS oids and sizes). A listing is a [`ReferenceList`] like a manifest, so a client that fetches
//! one only has to build the list.

use crate::format::discover::resolved;
use crate::format::error::{DiscoveryProblem, InputError, Problem};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The Hub's tree listing of `spec` (`hf://ORG/REPO[@REV]`) as a reference list rooted at `root`, the local
/// copy: each file's LFS SHA-256, or git's blob id for a file not in LFS, with its size. An entry whose hash is not
/// hex of the right length is left out (the listing comes from the network).
pub fn hub_listing(root: &Path, spec: &str) -> Result<ReferenceList, InputError> {
    let (url, listed) = crate::format::remote::listing(spec)?;
    let files = listed
        .into_iter()
        .filter_map(|f| {
            let (algorithm, expected) = match (f.sha256, f.git_oid) {
                (Some(h), _) => (Algorithm::Sha256, h),
                (None, Some(oid)) => (Algorithm::GitBlobSha1, oid),
                (None, None) => return None,
            };
            let expected = expected.to_ascii_lowercase();
            let hex = expected.len() == algorithm.hex_len()
                && expected.bytes().all(|b| b.is_ascii_hexdigit());
            hex.then(|| ListedFile {
                path: PathBuf::from(f.path),
                reference: Reference {
                    kind: ReferenceKind::HubListing,
                    algorithm,
                    expected,
                    size: Some(f.size),
                    origin: url.clone(),
                },
            })
        })
        .collect();
    Ok(ReferenceList {
        root: root.to_path_buf(),
        files,
    })
}

/// A manifest longer than this is refused unread: a million lines is far beyond any release's file list, and
/// a weight file named by mistake would otherwise be read whole.
pub const MAX_MANIFEST_BYTES: u64 = 64 << 20;

/// Where a reference hash came from; also the order in which references are listed for a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReferenceKind {
    /// `--sha256 HEX`, for the one file verified.
    Argument,
    /// A line of a `--sha256 FILE` manifest.
    Manifest,
    /// The name of the blob a Hugging Face cache snapshot file links to.
    HfCache,
    /// An entry of the Hub's listing of the repository (LFS oid and size).
    HubListing,
}

/// What a reference hash is a hash of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Algorithm {
    /// SHA-256 of the file's bytes.
    Sha256,
    /// Git's blob id: SHA-1 of `blob LEN\0` followed by the bytes (small files in a Hugging Face repository).
    GitBlobSha1,
}

impl Algorithm {
    /// Hex digits of a digest.
    fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::GitBlobSha1 => 40,
        }
    }
}

/// One hash a file should have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reference {
    /// Where the reference came from.
    pub kind: ReferenceKind,
    /// What the hash is a hash of.
    pub algorithm: Algorithm,
    /// Lowercase hex.
    pub expected: String,
    /// The size the file should have, when the source says (a hub listing does).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Where it was read: `SHA256SUMS:12`, the blob's path, `--sha256`, the listing's address.
    pub origin: String,
}

/// The file a reference list names, relative to the list's folder, and what it should hash to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedFile {
    /// The file's path relative to the list's `root`.
    pub path: PathBuf,
    /// The hash it should have, and where that was read.
    pub reference: Reference,
}

/// A list of files with their hashes: a manifest, or a listing of the repository on the Hub.
#[derive(Debug, Clone)]
pub struct ReferenceList {
    /// The folder the listed paths are relative to.
    pub root: PathBuf,
    /// Every file the list names, in the list's order.
    pub files: Vec<ListedFile>,
}

impl ReferenceList {
    /// The listed files by [`resolved`] path (the same for `model/x` and `./model/x`).
    pub(super) fn by_path(&self) -> HashMap<PathBuf, &ListedFile> {
        self.files
            .iter()
            .map(|f| (resolved(&self.root.join(&f.path)), f))
            .collect()
    }

    /// The path a listed file has on disk, as shown.
    pub(super) fn on_disk(&self, f: &ListedFile) -> PathBuf {
        self.root.join(&f.path)
    }
}

/// A SHA-256 given in hex (64 digits, either case), lowercased; `None` for anything else.
pub fn parse_sha256(s: &str) -> Option<String> {
    parse_hex(s, Algorithm::Sha256)
}

fn parse_hex(s: &str, algorithm: Algorithm) -> Option<String> {
    (s.len() == algorithm.hex_len() && s.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| s.to_ascii_lowercase())
}

/// The reference `--sha256 HEX` gives its one file.
pub fn argument(hex: &str) -> Reference {
    Reference {
        kind: ReferenceKind::Argument,
        algorithm: Algorithm::Sha256,
        expected: hex.to_ascii_lowercase(),
        size: None,
        origin: "--sha256".into(),
    }
}

/// Reads a manifest: `HEX  PATH` or `HEX *PATH` lines as `sha256sum` and `shasum -a 256` write them (a line
/// starting with `\` has `\\` and `\n` escapes in its path, as GNU writes names with newlines), or BSD tags
/// `SHA256 (PATH) = HEX` (`sha256sum --tag`, `shasum --tag`, macOS `sha256`). Blank lines and `#` comments
/// are skipped; any other line is an error naming it, as is a path listed twice with two hashes.
pub fn read_manifest(path: &Path) -> Result<ReferenceList, InputError> {
    let err = |problem| InputError::new(path, problem);
    let file = crate::format::open_regular(path).map_err(|e| err(Problem::Io(e)))?;
    let len = file.metadata().map_err(|e| err(Problem::Io(e)))?.len();
    if len > MAX_MANIFEST_BYTES {
        return Err(err(Problem::BadManifest(format!(
            "{len} bytes is too long for a list of hashes (at most {MAX_MANIFEST_BYTES}); is it a manifest?"
        ))));
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(&file, MAX_MANIFEST_BYTES),
        &mut bytes,
    )
    .map_err(|e| err(Problem::Io(e)))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        err(Problem::BadManifest(format!(
            "not UTF-8 text (invalid byte at offset {}); is it a manifest?",
            e.utf8_error().valid_up_to()
        )))
    })?;
    let root = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let name = path.display().to_string();
    let mut files: Vec<ListedFile> = Vec::new();
    let mut seen: HashMap<PathBuf, usize> = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let Some((hex, listed)) = manifest_line(line) else {
            return Err(err(Problem::BadManifest(format!(
                "line {number} is neither `SHA256  PATH` nor `SHA256 (PATH) = HEX`: {}",
                shorten(line)
            ))));
        };
        let listed = PathBuf::from(listed);
        if let Some(&previous) = seen.get(&listed) {
            let before: &ListedFile = &files[previous];
            if before.reference.expected != hex {
                return Err(err(Problem::BadManifest(format!(
                    "line {number} lists {} again with another hash (first at {})",
                    listed.display(),
                    before.reference.origin
                ))));
            }
            continue;
        }
        seen.insert(listed.clone(), files.len());
        files.push(ListedFile {
            path: listed,
            reference: Reference {
                kind: ReferenceKind::Manifest,
                algorithm: Algorithm::Sha256,
                expected: hex,
                size: None,
                origin: format!("{name}:{number}"),
            },
        });
    }
    Ok(ReferenceList { root, files })
}

/// A line's lowercase hex and path, in either layout.
fn manifest_line(line: &str) -> Option<(String, String)> {
    if let Some(rest) = line.strip_prefix("SHA256 (") {
        let (listed, hex) = rest.rsplit_once(") = ")?;
        return Some((parse_sha256(hex.trim_end())?, listed.to_string()));
    }
    let (escaped, line) = match line.strip_prefix('\\') {
        Some(rest) => (true, rest),
        None => (false, line),
    };
    let hex = parse_sha256(line.get(..64)?)?;
    // One space, then ' ' (text), '*' (binary) or '^' (shasum's universal newlines), then the path.
    let rest = line[64..].strip_prefix(' ')?;
    let listed = rest.strip_prefix([' ', '*', '^'])?;
    if listed.is_empty() {
        return None;
    }
    Some((
        hex,
        if escaped {
            unescape(listed)?
        } else {
            listed.to_string()
        },
    ))
}

/// GNU's escapes in a listed path: `\\`, `\n` and `\r`.
fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next()? {
            '\\' => '\\',
            'n' => '\n',
            'r' => '\r',
            _ => return None,
        });
    }
    Some(out)
}

/// A line as quoted in an error: its first 80 characters.
fn shorten(line: &str) -> String {
    match line.char_indices().nth(80) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_string(),
    }
}

/// A file of a Hugging Face cache snapshot: a link to `…/blobs/ID` whose ID is a SHA-256 or a git blob SHA-1
/// in lowercase hex, as huggingface_hub names blobs (by the ETag the Hub serves: the LFS sha256, or the git
/// blob id of a small file). `None` for anything else, so a copied snapshot (`cp -L`, or Windows without
/// symlinks) has no such reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheLink {
    /// The blob as the link names it (relative links resolved against the link's folder).
    pub blob: PathBuf,
    /// The SHA-256 or git blob SHA-1 the blob's name gives.
    pub reference: Reference,
}

/// The reference a Hugging Face cache snapshot file carries in the name of the blob it links to; `None` for anything that is not such a link.
pub fn cache_link(path: &Path) -> Option<CacheLink> {
    let target = std::fs::read_link(path).ok()?;
    let id = target.file_name()?.to_str()?;
    if target.parent()?.file_name()? != "blobs" {
        return None;
    }
    let algorithm = [Algorithm::Sha256, Algorithm::GitBlobSha1]
        .into_iter()
        .find(|&a| {
            id.len() == a.hex_len() && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        })?;
    let blob = lexically_normal(&path.parent().unwrap_or(Path::new("")).join(&target));
    Some(CacheLink {
        reference: Reference {
            kind: ReferenceKind::HfCache,
            algorithm,
            expected: id.to_string(),
            size: None,
            origin: blob.display().to_string(),
        },
        blob,
    })
}

/// `a/b/../../blobs/x` as `blobs/x`, without touching the disk (the blob may be missing): a `..` after a
/// normal component removes it.
fn lexically_normal(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out.iter().collect()
}

/// For a Hugging Face cache repository folder (`models--ORG--NAME`, holding `snapshots/`), the snapshot
/// verified: the one `refs/main` names, else the only one; an error when it holds several and `refs/main`
/// names none of them.
pub fn repository_snapshot(folder: &Path) -> Option<Result<PathBuf, InputError>> {
    let snapshots = folder.join("snapshots");
    if !snapshots.is_dir() {
        return None;
    }
    let main = std::fs::read_to_string(folder.join("refs").join("main")).ok();
    if let Some(named) = main
        .map(|rev| snapshots.join(rev.trim()))
        .filter(|s| s.is_dir())
    {
        return Some(Ok(named));
    }
    let mut all: Vec<PathBuf> = match std::fs::read_dir(&snapshots) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect(),
        Err(e) => return Some(Err(InputError::new(&snapshots, Problem::Io(e)))),
    };
    all.sort();
    Some(match all.len() {
        1 => Ok(all.remove(0)),
        // None or several, and refs/main names none of them: the user names one.
        _ => Err(InputError::new(
            folder,
            DiscoveryProblem::CacheRepository {
                snapshot: snapshots.display().to_string(),
            }
            .into(),
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn manifest_lines_in_every_layout() {
        assert_eq!(
            manifest_line(&format!("{A}  model.safetensors")),
            Some((A.into(), "model.safetensors".into()))
        );
        assert_eq!(
            manifest_line(&format!("{} *sub/x.gguf", A.to_uppercase())),
            Some((A.into(), "sub/x.gguf".into()))
        );
        assert_eq!(
            manifest_line(&format!("SHA256 (a (1).bin) = {A}")),
            Some((A.into(), "a (1).bin".into()))
        );
        assert_eq!(
            manifest_line(&format!("\\{A}  two\\nlines\\\\x")),
            Some((A.into(), "two\nlines\\x".into()))
        );
        assert_eq!(manifest_line(&format!("{A} model.safetensors")), None);
        assert_eq!(manifest_line(&format!("{}  x", &A[..40])), None);
        assert_eq!(manifest_line(&format!("{A}  ")), None);
    }

    #[test]
    fn a_manifest_names_its_bad_line_and_a_path_listed_twice() {
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path().join("SHA256SUMS");
        std::fs::write(&m, format!("# release\n\n{A}  a\r\n{A} *a\nnot a line\n")).unwrap();
        let e = read_manifest(&m).unwrap_err();
        assert_eq!(e.problem.code(), "bad_manifest");
        assert!(e.to_string().contains("line 5 is neither"), "{e}");
        let other = A.replace('9', "8");
        std::fs::write(&m, format!("{A}  a\n{other}  a\n")).unwrap();
        let e = read_manifest(&m).unwrap_err();
        assert!(
            e.to_string().contains(&format!(
                "line 2 lists a again with another hash (first at {}:1)",
                m.display()
            )),
            "{e}"
        );
        std::fs::write(&m, format!("{A}  a\n{A}  ./b\n")).unwrap();
        let list = read_manifest(&m).unwrap();
        assert_eq!(list.files.len(), 2);
        assert_eq!(list.files[1].path, PathBuf::from("./b"));
        assert_eq!(list.files[1].reference.origin, format!("{}:2", m.display()));
    }

    #[test]
    fn cache_links_are_blobs_named_by_a_digest() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = dir.path().join("blobs");
        let snap = dir.path().join("snapshots").join("abc");
        std::fs::create_dir_all(&blobs).unwrap();
        std::fs::create_dir_all(&snap).unwrap();
        let sha1 = "0123456789abcdef0123456789abcdef01234567";
        for (name, id) in [("big", A), ("small", sha1), ("other", "README")] {
            std::fs::write(blobs.join(id), b"x").unwrap();
            std::os::unix::fs::symlink(format!("../../blobs/{id}"), snap.join(name)).unwrap();
        }
        let big = cache_link(&snap.join("big")).unwrap();
        assert_eq!(big.reference.algorithm, Algorithm::Sha256);
        assert_eq!(big.reference.expected, A);
        assert_eq!(std::fs::read(&big.blob).unwrap(), b"x");
        assert_eq!(big.blob, blobs.join(A));
        let small = cache_link(&snap.join("small")).unwrap();
        assert_eq!(small.reference.algorithm, Algorithm::GitBlobSha1);
        assert_eq!(cache_link(&snap.join("other")), None);
        assert_eq!(cache_link(&blobs.join(A)), None);
    }
}
