//! A Hub stand-in on loopback: the tree listing API, `resolve` redirecting to a second server (the CDN, which
//! refuses any request carrying Authorization, as pre-signed storage does), gated repositories, and the Hub's
//! `X-Error-Code` on 404s.

use super::server::{Answer, File, Request, Server};
use std::collections::HashMap;
use std::sync::Arc;

pub const TOKEN: &str = "hf_loopbackSECRET0123456789";
pub const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

/// One repository: its files, and whether it is gated (readable with [`TOKEN`] only).
#[derive(Clone, Default)]
pub struct Repo {
    pub files: Vec<(String, File)>,
    pub gated: bool,
}

pub struct Hub {
    pub hub: Server,
    pub cdn: Server,
}

impl Hub {
    pub fn start(repos: Vec<(&str, Repo)>) -> Hub {
        let repos: Arc<HashMap<String, Repo>> =
            Arc::new(repos.into_iter().map(|(n, r)| (n.to_string(), r)).collect());
        let blobs = repos.clone();
        let cdn = Server::start(move |req: &Request| {
            if req.header("authorization").is_some() {
                return Answer::status(400, &[]);
            }
            let path = req.path.trim_start_matches("/blob/");
            let found = blobs.iter().find_map(|(name, repo)| {
                let file = path.strip_prefix(name.as_str())?.strip_prefix('/')?;
                repo.files
                    .iter()
                    .find(|(f, _)| f == file)
                    .map(|(_, data)| data.clone())
            });
            match found {
                Some(f) => Answer::file(&f),
                None => Answer::status(404, &[]),
            }
        });
        let cdn_url = cdn.url.clone();
        let hub = Server::start(move |req: &Request| answer(&repos, &cdn_url, req));
        Hub { hub, cdn }
    }
}

fn answer(repos: &HashMap<String, Repo>, cdn: &str, req: &Request) -> Answer {
    let path = req.path.split('?').next().unwrap_or("");
    let (api, rest) = match path.strip_prefix("/api/models/") {
        Some(rest) => (true, rest),
        None => (false, path.trim_start_matches('/')),
    };
    let parts: Vec<&str> = rest.splitn(5, '/').collect();
    if parts.len() < 4 {
        return Answer::status(404, &[]);
    }
    let name = format!("{}/{}", parts[0], parts[1]);
    let Some(repo) = repos.get(&name) else {
        return Answer::status(404, &[("X-Error-Code", "RepoNotFound")]);
    };
    if repo.gated {
        match req.header("authorization") {
            None => return Answer::status(401, &[("X-Error-Code", "GatedRepo")]),
            Some(a) if a != format!("Bearer {TOKEN}") => {
                return Answer::status(403, &[("X-Error-Code", "GatedRepo")])
            }
            Some(_) => {}
        }
    }
    let rev = parts[3];
    if rev != "main" && rev != COMMIT {
        return Answer::status(404, &[("X-Error-Code", "RevisionNotFound")]);
    }
    let file = parts.get(4).copied().unwrap_or("");
    if api && parts[2] == "tree" {
        let listing: Vec<serde_json::Value> = repo
            .files
            .iter()
            .filter(|(f, _)| !f.contains('/'))
            .map(|(f, d)| serde_json::json!({"type": "file", "path": f, "size": d.len, "oid": "x"}))
            .collect();
        return Answer::json(&serde_json::Value::Array(listing));
    }
    if !api && parts[2] == "resolve" {
        if !repo.files.iter().any(|(f, _)| f == file) {
            return Answer::status(404, &[("X-Error-Code", "EntryNotFound")]);
        }
        return Answer::redirect(
            &format!("{cdn}/blob/{name}/{file}"),
            &[("X-Repo-Commit", COMMIT)],
        );
    }
    Answer::status(404, &[])
}
