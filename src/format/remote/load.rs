//! Reading a remote checkpoint: resolve what the spelling names (the cache first, then the Hub's tree listing),
//! then read the index and the headers of its shards concurrently, and describe where it all came from.

use super::http::{origin, Client, RemoteFile, FIRST_READ};
use super::hub::{self, Choice, HubRef, Listed, Spec};
use crate::format::error::{DiscoveryProblem, InputError, LoadError, Problem, RemoteProblem};
use crate::format::gguf::split::PartName;
use crate::format::sharded::index::{self, MAX_INDEX_BYTES};
use crate::format::{self, gguf, safetensors, sharded, LoadOptions, ParsedFile, Source};
use crate::model::checkpoint::{Checkpoint, Format, Origin, OriginKind};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Requests in flight at once: enough to hide the round trip of a far server behind the others, few enough to
/// stay a polite client (huggingface_hub's downloads use 8; the Hub serves many more per client).
const CONCURRENCY: usize = 32;
/// The most bytes of a `config.json` or an API answer read.
const MAX_JSON_BYTES: u64 = 16 << 20;
/// Pages of a tree listing followed (the Hub pages by 1000 entries).
const MAX_PAGES: usize = 100;

static DONE: AtomicU64 = AtomicU64::new(0);
static TOTAL: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

pub fn progress() -> (u64, u64, u64) {
    (
        DONE.load(Ordering::Relaxed),
        TOTAL.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    )
}

pub fn load(spec: &str, options: LoadOptions) -> Result<Checkpoint, LoadError> {
    DONE.store(0, Ordering::Relaxed);
    TOTAL.store(0, Ordering::Relaxed);
    BYTES.store(0, Ordering::Relaxed);
    let endpoint = hub::endpoint();
    let at_spec = |p: RemoteProblem| InputError::new(spec, p.into());
    match hub::parse(spec, &endpoint).map_err(at_spec)? {
        Spec::Url(url) => load_url(&endpoint, &url, options),
        Spec::Hub(r) => load_hub(&endpoint, r, options),
    }
}

/// Every file of the Hub repository `spec` names (`hf://ORG/REPO[@REV]`), with the hashes its tree listing gives,
/// and the listing's address; nothing else is downloaded.
pub fn listing(spec: &str) -> Result<(String, Vec<Listed>), InputError> {
    let endpoint = hub::endpoint();
    let at_spec = |p: RemoteProblem| InputError::new(spec, p.into());
    match hub::parse(spec, &endpoint).map_err(at_spec)? {
        Spec::Hub(r) => {
            let client = client(&endpoint);
            let files = list(&client, &endpoint, &r).map_err(at_spec)?;
            Ok((hub::tree_url(&endpoint, &r, &r.revision), files))
        }
        Spec::Url(_) => Err(at_spec(RemoteProblem::BadUrl(format!(
            "{spec}: a listing of hashes needs a Hub repository (hf://ORG/REPO[@REVISION])"
        )))),
    }
}

/// The client of one load: the token goes to the endpoint's host only.
fn client(endpoint: &str) -> Client {
    Client::new(hub::token(), origin(endpoint), CONCURRENCY)
}

/// Where the files of one checkpoint are fetched from, and how they are shown.
struct Place<'a> {
    client: &'a Client,
    /// The URL of a file given its path in the repository (or next to the URL given).
    url: Box<dyn Fn(&str) -> String + Sync + 'a>,
    /// The name a file is shown under.
    shown: Box<dyn Fn(&str) -> PathBuf + Sync + 'a>,
}

fn load_url(endpoint: &str, url: &str, options: LoadOptions) -> Result<Checkpoint, LoadError> {
    let client = client(endpoint);
    let clean = url.split(['?', '#']).next().unwrap_or(url);
    let (base, name) = clean.rsplit_once('/').unwrap_or(("", clean));
    let query = &url[clean.len()..];
    let place = Place {
        client: &client,
        url: Box::new(|file| format!("{base}/{file}{query}")),
        shown: Box::new(|file| PathBuf::from(format!("{base}/{file}"))),
    };
    let choice =
        direct_choice(name, None).unwrap_or_else(|| Choice::Safetensors(vec![name.to_string()]));
    let (mut checkpoint, files) = read_choice(&place, &choice, Path::new(clean), options, None)?;
    checkpoint.notes.push(chosen_note(&files, None, &client));
    checkpoint.origin = Some(Origin {
        kind: OriginKind::Url,
        repo: None,
        revision: None,
        commit: None,
        url: clean.to_string(),
        files,
        cached: false,
        requests: client.requests(),
        bytes_transferred: client.bytes(),
        config_json: None,
    });
    Ok(checkpoint)
}

/// The choice a file path makes by itself (an index, a safetensors file, a GGUF file or part).
fn direct_choice(path: &str, listing: Option<&[Listed]>) -> Option<Choice> {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name.ends_with(".safetensors.index.json") {
        return Some(Choice::Index(path.to_string()));
    }
    if name.ends_with(".safetensors") {
        return Some(Choice::Safetensors(vec![path.to_string()]));
    }
    if name.ends_with(".gguf") {
        let folder = &path[..path.len() - name.len()];
        let parts = match PartName::parse(name) {
            Some(part) => (1..=part.count)
                .map(|p| format!("{folder}{}", part.file_name(p)))
                .collect(),
            None => vec![path.to_string()],
        };
        let _ = listing;
        return Some(Choice::Gguf(parts));
    }
    None
}

fn load_hub(endpoint: &str, r: HubRef, options: LoadOptions) -> Result<Checkpoint, LoadError> {
    let shown = PathBuf::from(r.shown());
    if let Some(checkpoint) = from_cache(&r, options)? {
        return Ok(checkpoint);
    }
    if hub::offline() {
        let cache = hub::cache_dir().map_or("no cache folder".into(), |c| c.display().to_string());
        return Err(InputError::new(&shown, RemoteProblem::NotCached { cache }.into()).into());
    }
    let client = client(endpoint);
    let at = |p: RemoteProblem| LoadError::from(InputError::new(&shown, p.into()));
    let named_file = r.path.as_deref().and_then(|p| direct_choice(p, None));
    let (choice, has_config) = match named_file {
        Some(choice) => (choice, None),
        None => {
            let listing = list(&client, endpoint, &r).map_err(at)?;
            let has_config = listing
                .iter()
                .any(|f| is_config(&f.path, r.path.as_deref()));
            let choice = hub::choose(&listing, r.quant.as_deref()).map_err(|p| match p {
                RemoteProblem::NoWeights { .. } => RemoteProblem::NoWeights {
                    listing: names(&listing),
                },
                p => p,
            });
            (choice.map_err(at)?, Some(has_config))
        }
    };
    // The revision is pinned to the commit the first file resolved to, so every shard comes from one snapshot.
    let commit = std::sync::OnceLock::<String>::new();
    let revision = || commit.get().cloned().unwrap_or_else(|| r.revision.clone());
    let place = Place {
        client: &client,
        url: Box::new(|file| hub::resolve_url(endpoint, &r.repo, &revision(), file)),
        shown: Box::new(|file| r.shown_file(file)),
    };
    let on_commit = |c: &str| {
        if hub::is_commit(c) {
            let _ = commit.set(c.to_string());
        }
    };
    let folder = r.path.as_deref().map(|p| match named_file_folder(p) {
        Some(f) => f,
        None => format!("{}/", p.trim_end_matches('/')),
    });
    let (mut checkpoint, files) = read_choice(&place, &choice, &shown, options, Some(&on_commit))?;
    let config_json = match (checkpoint.format, has_config) {
        (Format::Gguf, _) | (_, Some(false)) => None,
        _ => {
            let file = format!("{}config.json", folder.unwrap_or_default());
            client
                .get(&(place.url)(&file), None, MAX_JSON_BYTES)
                .ok()
                .map(|f| f.body)
        }
    };
    checkpoint.notes.push(chosen_note(
        &files,
        commit.get().map(String::as_str),
        &client,
    ));
    checkpoint.origin = Some(Origin {
        kind: OriginKind::Hub,
        repo: Some(r.repo.clone()),
        revision: Some(r.revision.clone()),
        commit: commit.get().cloned(),
        url: format!("{endpoint}/{}", r.repo),
        files,
        cached: false,
        requests: client.requests(),
        bytes_transferred: client.bytes(),
        config_json,
    });
    Ok(checkpoint)
}

/// The folder part (`sub/`) of a file path that names a weight file.
fn named_file_folder(path: &str) -> Option<String> {
    direct_choice(path, None)?;
    Some(
        path.rsplit_once('/')
            .map_or(String::new(), |(f, _)| format!("{f}/")),
    )
}

fn is_config(path: &str, folder: Option<&str>) -> bool {
    match folder {
        Some(f) => path == format!("{}/config.json", f.trim_end_matches('/')),
        None => path == "config.json",
    }
}

fn names(listing: &[Listed]) -> String {
    if listing.is_empty() {
        return " (it is empty)".into();
    }
    let shown: Vec<&str> = listing.iter().take(8).map(|f| f.path.as_str()).collect();
    let more = listing.len().saturating_sub(8);
    let more = if more > 0 {
        format!(", and {more} more")
    } else {
        String::new()
    };
    format!(" (it holds {}{more})", shown.join(", "))
}

/// The files of the repository folder `r` names, from the Hub's tree listing (every page of it).
fn list(client: &Client, endpoint: &str, r: &HubRef) -> Result<Vec<Listed>, RemoteProblem> {
    let mut url = hub::tree_url(endpoint, r, &r.revision);
    let mut files = Vec::new();
    for _ in 0..MAX_PAGES {
        let page = client.get(&url, None, MAX_JSON_BYTES)?;
        let entries: Vec<serde_json::Value> = serde_json::from_slice(&page.body).map_err(|e| {
            RemoteProblem::Api(format!("the tree listing is not a JSON array ({e})"))
        })?;
        for e in entries {
            if e.get("type").and_then(|t| t.as_str()) != Some("file") {
                continue;
            }
            let Some(path) = e.get("path").and_then(|p| p.as_str()) else {
                continue;
            };
            let size = e
                .pointer("/lfs/size")
                .or_else(|| e.get("size"))
                .and_then(|s| s.as_u64())
                .unwrap_or(0);
            let text = |pointer: &str| {
                e.pointer(pointer)
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            };
            files.push(Listed {
                path: path.to_string(),
                size,
                sha256: text("/lfs/oid"),
                git_oid: text("/oid"),
            });
        }
        match page.next {
            Some(next) => url = next,
            None => return Ok(files),
        }
    }
    Ok(files)
}

/// Reads the files `choice` names at `place`: the checkpoint, and the files read in order.
fn read_choice(
    place: &Place,
    choice: &Choice,
    shown: &Path,
    options: LoadOptions,
    on_commit: Option<&(dyn Fn(&str) + Sync)>,
) -> Result<(Checkpoint, Vec<String>), LoadError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(CONCURRENCY)
        .build()
        .map_err(|e| InputError::new(shown, Problem::Io(std::io::Error::other(e))))?;
    let counted = |bytes_before: u64| {
        DONE.fetch_add(1, Ordering::Relaxed);
        BYTES.store(place.client.bytes().max(bytes_before), Ordering::Relaxed);
    };
    match choice {
        Choice::Index(index_file) => {
            TOTAL.store(1, Ordering::Relaxed);
            let index_shown = (place.shown)(index_file);
            let at_index = |p: Problem| LoadError::from(InputError::new(&index_shown, p));
            let fetched = place
                .client
                .get(&(place.url)(index_file), None, MAX_INDEX_BYTES)
                .map_err(|p| at_index(p.into()))?;
            if let (Some(c), Some(f)) = (&fetched.commit, on_commit) {
                f(c);
            }
            counted(0);
            let index = index::parse(&fetched.body, &index_shown).map_err(at_index)?;
            let folder = index_file
                .rsplit_once('/')
                .map_or(String::new(), |(f, _)| format!("{f}/"));
            let shards = index.shards();
            TOTAL.fetch_add(shards.len() as u64, Ordering::Relaxed);
            let mut errors = Vec::new();
            let mut readable = Vec::new();
            for shard in shards {
                if index::shard_name_is_contained(shard) {
                    readable.push(shard);
                } else {
                    errors.push(InputError::new(
                        &index_shown,
                        crate::format::error::ShardedProblem::ShardOutsideFolder {
                            shard: shard.to_string(),
                        }
                        .into(),
                    ));
                }
            }
            let results: Vec<_> = pool.install(|| {
                readable
                    .par_iter()
                    .map(|shard| {
                        let file = format!("{folder}{shard}");
                        let r = read_safetensors(place, &file);
                        counted(0);
                        r
                    })
                    .collect()
            });
            let mut files = vec![index_file.clone()];
            files.extend(readable.iter().map(|s| format!("{folder}{s}")));
            let shards_read = readable.iter().copied().zip(results).collect();
            let checkpoint = sharded::finish_indexed(
                &index_shown,
                &index,
                shards_read,
                None,
                errors,
                Vec::new(),
                Format::Safetensors,
            )?;
            Ok((with_path(checkpoint, shown), files))
        }
        Choice::Safetensors(files) => {
            TOTAL.store(files.len() as u64, Ordering::Relaxed);
            let first = read_first(place, &files[0], on_commit, |s| {
                safetensors::read_source(s, &(place.shown)(&files[0]))
            });
            counted(0);
            let rest: Vec<_> = pool.install(|| {
                files[1..]
                    .par_iter()
                    .map(|f| {
                        let r = read_safetensors(place, f);
                        counted(0);
                        r
                    })
                    .collect()
            });
            let results: Vec<_> = std::iter::once(first).chain(rest).collect();
            let checkpoint = if files.len() == 1 {
                let parsed = results.into_iter().next().ok_or_else(|| no_file(shown))??;
                format::assemble(
                    Format::Safetensors,
                    crate::model::checkpoint::Layout::SingleFile,
                    shown,
                    vec![parsed],
                    None,
                    Vec::new(),
                )
            } else {
                let shown_files: Vec<PathBuf> = files.iter().map(|f| (place.shown)(f)).collect();
                let missing = format::discover::series::missing(&shown_files)
                    .into_iter()
                    .map(|(part, count, file)| {
                        let file = file.display().to_string();
                        InputError::new(
                            shown,
                            DiscoveryProblem::MissingPart { part, count, file }.into(),
                        )
                    })
                    .collect();
                sharded::finish_unindexed(shown, results, missing, Vec::new(), Format::Safetensors)?
            };
            Ok((checkpoint, files.clone()))
        }
        Choice::Gguf(parts) => {
            TOTAL.store(parts.len() as u64, Ordering::Relaxed);
            let detail = options.metadata;
            let read = |f: &String| {
                let r = read_first(place, f, None, |s| {
                    gguf::read_source(s, &(place.shown)(f), detail)
                });
                counted(0);
                r
            };
            let first = read_first(place, &parts[0], on_commit, |s| {
                gguf::read_source(s, &(place.shown)(&parts[0]), detail)
            });
            counted(0);
            let rest: Vec<_> = pool.install(|| parts[1..].par_iter().map(read).collect());
            let results = std::iter::once(first).chain(rest).collect();
            let first_shown = (place.shown)(&parts[0]);
            let checkpoint = gguf::split::finish(&first_shown, parts.len(), results, Vec::new())?;
            Ok((with_path(checkpoint, shown), parts.clone()))
        }
    }
}

fn no_file(shown: &Path) -> LoadError {
    InputError::new(
        shown,
        RemoteProblem::NoWeights {
            listing: String::new(),
        }
        .into(),
    )
    .into()
}

/// The checkpoint named by what the user wrote rather than by its first file.
fn with_path(mut checkpoint: Checkpoint, shown: &Path) -> Checkpoint {
    checkpoint.path = shown.to_path_buf();
    checkpoint
}

/// Opens `file` at `place` and reads it with `read`; the first answer's commit goes to `on_commit`.
fn read_first<T>(
    place: &Place,
    file: &str,
    on_commit: Option<&(dyn Fn(&str) + Sync)>,
    read: impl FnOnce(&RemoteFile) -> Result<T, InputError>,
) -> Result<T, InputError> {
    let shown = (place.shown)(file);
    let source = RemoteFile::open(place.client, &(place.url)(file), FIRST_READ)
        .map_err(|p| InputError::new(&shown, p.into()))?;
    if let (Some(c), Some(f)) = (&source.commit, on_commit) {
        f(c);
    }
    read(&source)
}

fn read_safetensors(place: &Place, file: &str) -> Result<ParsedFile, InputError> {
    read_first(place, file, None, |s| {
        safetensors::read_source(s, &(place.shown)(file))
    })
}

/// The checkpoint of `r` from the local cache, when its revision is complete there: every file the choice
/// names present (an index's shards included). `None` sends the load to the network.
fn from_cache(r: &HubRef, options: LoadOptions) -> Result<Option<Checkpoint>, LoadError> {
    let Some(cache) = hub::cache_dir() else {
        return Ok(None);
    };
    let Some((folder, commit)) = hub::cached_snapshot(&cache, r) else {
        return Ok(None);
    };
    let source = if folder.is_file() {
        match format::discover(&folder) {
            Ok(mut sources) if sources.len() == 1 => sources.remove(0),
            _ => return Ok(None),
        }
    } else {
        let Ok(read) = std::fs::read_dir(&folder) else {
            return Ok(None);
        };
        let listing: Vec<Listed> = read
            .flatten()
            .filter(|e| e.path().is_file())
            .map(|e| Listed {
                path: e.file_name().to_string_lossy().into_owned(),
                size: e.metadata().map_or(0, |m| m.len()),
                sha256: None,
                git_oid: None,
            })
            .collect();
        let Ok(choice) = hub::choose(&listing, r.quant.as_deref()) else {
            return Ok(None);
        };
        match choice {
            Choice::Index(i) => Source::Index {
                path: folder.join(i),
                unindexed: Vec::new(),
            },
            Choice::Safetensors(files) if files.len() == 1 => Source::File(folder.join(&files[0])),
            Choice::Safetensors(files) => Source::Shards {
                folder: folder.clone(),
                files: files.iter().map(|f| folder.join(f)).collect(),
            },
            Choice::Gguf(parts) => Source::Gguf {
                shown: folder.join(&parts[0]),
                parts: parts.iter().map(|p| folder.join(p)).collect(),
            },
        }
    };
    if !complete(&source) {
        return Ok(None);
    }
    let mut checkpoint = format::load(&source, options)?;
    checkpoint.notes.push(format!(
        "read from the local Hugging Face cache ({}) without the network",
        folder.display()
    ));
    checkpoint.origin = Some(Origin {
        kind: OriginKind::Hub,
        repo: Some(r.repo.clone()),
        revision: Some(r.revision.clone()),
        commit: Some(commit),
        url: format!("{}/{}", hub::endpoint(), r.repo),
        files: checkpoint
            .files
            .iter()
            .map(|f| {
                f.path
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect(),
        cached: true,
        requests: 0,
        bytes_transferred: 0,
        config_json: std::fs::read(folder.join("config.json")).ok(),
    });
    Ok(Some(checkpoint))
}

/// Whether every file a cached source needs is there (an interrupted download leaves shards missing).
fn complete(source: &Source) -> bool {
    match source {
        Source::File(p) => p.is_file(),
        Source::Index { path, .. } => {
            let folder = path.parent().unwrap_or(Path::new(""));
            index::read(path).is_ok_and(|i| i.shards().iter().all(|s| folder.join(s).is_file()))
        }
        Source::Shards { files, .. } => {
            files.iter().all(|f| f.is_file()) && format::discover::series::missing(files).is_empty()
        }
        Source::Gguf { parts, .. } => parts.iter().all(|p| p.is_file()),
        Source::Remote(_) => false,
    }
}

/// Which files were read and what it cost, for the report's notes.
fn chosen_note(files: &[String], commit: Option<&str>, client: &Client) -> String {
    let what = match files {
        [one] => one.clone(),
        [index, rest @ ..] if index.ends_with(".index.json") => {
            format!("{index} and the {} shards it names", rest.len())
        }
        [first, rest @ ..] => format!("{first} and {} more", rest.len()),
        [] => "nothing".into(),
    };
    let at = commit.map_or(String::new(), |c| {
        format!(" at commit {}", &c[..c.len().min(12)])
    });
    format!(
        "read remotely{at}: {what}; {} requests, {} received",
        client.requests(),
        crate::model::units::bytes(client.bytes())
    )
}
