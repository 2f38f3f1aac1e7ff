//! HTTP(S) range reads for remote sources, by `ureq` (rustls, webpki roots; `HTTPS_PROXY`/`NO_PROXY` honoured
//! by its `Proxy::try_from_env`). Redirects are followed here rather than by ureq so that each hop is counted
//! and the token is dropped the moment a redirect leaves the host it was meant for: the Hub sends `resolve` to a
//! CDN or pre-signed storage URL that rejects a second authentication.
//!
//! Every answer is checked against what was asked: a range request answered 200 (a server ignoring Range) is
//! abandoned before its body is read, a `Content-Range` other than the one asked or a short body is an input
//! error, and no body is read past the length the caller allowed.

use crate::format::error::{Problem, RemoteProblem};
use crate::format::source::ByteSource;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Redirects followed before giving up (the Hub needs one: `resolve` to the CDN).
pub const MAX_REDIRECTS: u32 = 10;
/// Attempts after the first on 429, 5xx and dropped connections.
const RETRIES: u32 = 4;
/// The first retry's wait; each further one doubles it (plus up to as much again of jitter).
const BACKOFF: Duration = Duration::from_millis(250);
/// The longest `Retry-After` honoured; a server asking for more is answered with an error instead.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// Seconds to wait for an answer unless `PARAMSCOPE_HTTP_TIMEOUT` says otherwise.
const DEFAULT_TIMEOUT_SECS: u64 = 30;
/// The largest response header ureq accepts (the Hub's are ~2 kB).
const MAX_RESPONSE_HEADER: usize = 64 << 10;

/// The client shared by every request of one load: kept-alive connections, the token and where it may go, and
/// what was spent.
pub struct Client {
    agent: ureq::Agent,
    token: Option<String>,
    /// `scheme://host[:port]` the token is sent to (the Hub's endpoint); no other host ever sees it.
    token_origin: Option<String>,
    requests: AtomicU64,
    bytes: AtomicU64,
}

/// A response's body and the headers the readers use.
pub struct Fetched {
    pub body: Vec<u8>,
    /// `X-Repo-Commit` of the first hop (the Hub's resolved commit).
    pub commit: Option<String>,
    /// `rel="next"` of a `Link` header (the Hub's paginated tree listing).
    pub next: Option<String>,
    /// The URL that answered, after redirects.
    pub final_url: String,
    /// `Content-Range`, when the answer was partial.
    pub content_range: Option<String>,
    pub status: u16,
}

/// Why one attempt failed, and whether another is worth making (and after how long).
struct Failure {
    problem: RemoteProblem,
    retry: bool,
    after: Option<Duration>,
}

impl Failure {
    fn fatal(problem: RemoteProblem) -> Self {
        Failure {
            problem,
            retry: false,
            after: None,
        }
    }
}

impl Client {
    /// A client with `concurrency` kept-alive connections per host; `token` goes to `token_origin` only.
    pub fn new(token: Option<String>, token_origin: Option<String>, concurrency: usize) -> Self {
        let secs = std::env::var("PARAMSCOPE_HTTP_TIMEOUT")
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s > 0.0)
            .unwrap_or(DEFAULT_TIMEOUT_SECS as f64);
        let timeout = Duration::from_secs_f64(secs.min(86_400.0));
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(timeout.min(Duration::from_secs(10))))
            .timeout_recv_response(Some(timeout))
            .timeout_per_read(Some(timeout))
            .max_idle_connections(concurrency * 2)
            .max_idle_connections_per_host(concurrency)
            .max_response_header_size(MAX_RESPONSE_HEADER)
            .user_agent(concat!("paramscope/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Client {
            agent,
            token,
            token_origin,
            requests: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        }
    }

    /// Requests made so far (each redirect hop and retry counted).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Body bytes received so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// GETs `url` (bytes `range` of it when given), reading at most `limit` body bytes, retrying what is worth
    /// retrying.
    pub fn get(
        &self,
        url: &str,
        range: Option<Range<u64>>,
        limit: u64,
    ) -> Result<Fetched, RemoteProblem> {
        let mut attempt = 0;
        loop {
            match self.get_once(url, range.clone(), limit) {
                Ok(f) => return Ok(f),
                Err(f) if f.retry && attempt < RETRIES => {
                    std::thread::sleep(wait(attempt, f.after));
                    attempt += 1;
                }
                Err(f) => return Err(f.problem),
            }
        }
    }

    fn get_once(
        &self,
        url: &str,
        range: Option<Range<u64>>,
        limit: u64,
    ) -> Result<Fetched, Failure> {
        let mut current = url.to_string();
        let mut authorised = self.token.is_some() && origin(url) == self.token_origin;
        let mut commit = None;
        for _ in 0..=MAX_REDIRECTS {
            let mut request = self.agent.get(&current);
            if let Some(r) = &range {
                request = request.header("Range", format!("bytes={}-{}", r.start, r.end - 1));
            }
            if let (true, Some(token)) = (authorised, &self.token) {
                request = request.header("Authorization", format!("Bearer {token}"));
            }
            self.requests.fetch_add(1, Ordering::Relaxed);
            let mut response = request.call().map_err(transport)?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let header = |name: &str| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            if commit.is_none() {
                commit = header("x-repo-commit");
            }
            if (300..400).contains(&status) && status != 304 {
                let Some(location) = header("location") else {
                    return Err(Failure::fatal(RemoteProblem::Status {
                        status,
                        reason: "a redirect without a Location".into(),
                    }));
                };
                // Read the (small) redirect body so the connection goes back to the pool.
                if let Ok(body) = response
                    .body_mut()
                    .with_config()
                    .limit(64 << 10)
                    .read_to_vec()
                {
                    self.bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
                }
                let next = join(&current, &location);
                // The token is for the host it was issued for; a redirect elsewhere goes without it.
                if origin(&next) != origin(&current) {
                    authorised = false;
                }
                current = next;
                continue;
            }
            if status == 429 || status >= 500 {
                let after = header("retry-after")
                    .and_then(|s| s.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                return Err(Failure {
                    problem: RemoteProblem::Status {
                        status,
                        reason: reason(status).into(),
                    },
                    retry: after.is_none_or(|a| a <= MAX_RETRY_AFTER),
                    after,
                });
            }
            if status >= 400 {
                return Err(Failure::fatal(refusal(
                    status,
                    header("x-error-code").as_deref(),
                    authorised,
                )));
            }
            let content_range = header("content-range");
            if let Some(r) = &range {
                let asked = r.end - r.start;
                let length = response.body().content_length();
                // A server ignoring Range sends the whole file: abandoned unread, unless the whole file is no
                // more than was asked for anyway.
                if status != 206 && length.is_none_or(|n| n > asked) {
                    return Err(Failure::fatal(RemoteProblem::RangeIgnored {
                        size: length.map_or("(unknown length)".into(), |n| format!("{n}-byte")),
                    }));
                }
            }
            let next = header("link").and_then(|l| next_link(&l));
            let body = response
                .body_mut()
                .with_config()
                .limit(limit)
                .read_to_vec()
                .map_err(transport)?;
            self.bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
            return Ok(Fetched {
                body,
                commit,
                next,
                final_url: current,
                content_range,
                status,
            });
        }
        Err(Failure::fatal(RemoteProblem::TooManyRedirects {
            max: MAX_REDIRECTS,
        }))
    }
}

/// The wait before retry `attempt` (0 = the first): the server's `Retry-After` when it gave one, else doubling
/// backoff, plus jitter so that 32 shards refused at once do not all come back at the same instant.
fn wait(attempt: u32, after: Option<Duration>) -> Duration {
    use std::hash::BuildHasher;
    let base = after.unwrap_or(BACKOFF * 2u32.pow(attempt));
    let noise = std::collections::hash_map::RandomState::new().hash_one(attempt) % 1000;
    base + BACKOFF.mul_f64(noise as f64 / 1000.0)
}

/// A transport failure: a dropped connection is retried, a name that does not resolve or a timeout is not.
fn transport(e: ureq::Error) -> Failure {
    match e {
        ureq::Error::Timeout(t) => Failure::fatal(RemoteProblem::Timeout(t.to_string())),
        ureq::Error::HostNotFound => {
            Failure::fatal(RemoteProblem::Network("host not found (DNS)".into()))
        }
        ureq::Error::BodyExceedsLimit(n) => Failure::fatal(RemoteProblem::ShortBody {
            asked: n,
            got: n.saturating_add(1),
        }),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
            Failure::fatal(RemoteProblem::Timeout(io.to_string()))
        }
        e @ (ureq::Error::Io(_) | ureq::Error::ConnectionFailed | ureq::Error::Protocol(_)) => {
            Failure {
                problem: RemoteProblem::Network(e.to_string()),
                retry: true,
                after: None,
            }
        }
        e => Failure::fatal(RemoteProblem::Network(e.to_string())),
    }
}

/// What a 4xx means, with the Hub's `X-Error-Code` telling a missing repository from a missing file.
fn refusal(status: u16, code: Option<&str>, with_token: bool) -> RemoteProblem {
    match (status, code) {
        (_, Some("RepoNotFound")) => RemoteProblem::RepoNotFound,
        (_, Some("RevisionNotFound")) => RemoteProblem::RevisionNotFound,
        (_, Some("EntryNotFound")) | (404, _) => RemoteProblem::NotFound,
        (401, _) => RemoteProblem::Unauthorized,
        (403, _) if with_token => RemoteProblem::Forbidden,
        (403, _) => RemoteProblem::Unauthorized,
        (status, _) => RemoteProblem::Status {
            status,
            reason: reason(status).into(),
        },
    }
}

fn reason(status: u16) -> &'static str {
    ureq::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

/// `scheme://authority` of a URL: what decides whether the token may be sent.
pub fn origin(url: &str) -> Option<String> {
    let uri: ureq::http::Uri = url.parse().ok()?;
    Some(format!(
        "{}://{}",
        uri.scheme_str()?.to_ascii_lowercase(),
        uri.authority()?.as_str().to_ascii_lowercase()
    ))
}

/// A `Location` resolved against the URL that sent it.
fn join(base: &str, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        return location.to_string();
    }
    let root = origin(base).unwrap_or_default();
    if location.starts_with('/') {
        return format!("{root}{location}");
    }
    let path = base.split(['?', '#']).next().unwrap_or(base);
    match path.rfind('/') {
        Some(i) if i >= root.len() => format!("{}/{location}", &path[..i]),
        _ => format!("{root}/{location}"),
    }
}

/// The `rel="next"` URL of a `Link` header.
fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params.contains("rel=\"next\"").then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

/// The bytes a first read of a remote safetensors file asks for. Measured on the synth writers' real shapes
/// (docs/remote.md): Llama-3.1-405B's 191 shard headers are at most 976 bytes, Llama-3-8B's as one file 34,072;
/// 64 KiB holds either in one round trip (huggingface_hub asks for 100 kB), and a longer header costs exactly
/// one more request, for the rest of it.
pub const FIRST_READ: usize = 64 << 10;

/// A remote file read by range requests: its length (from the first answer's `Content-Range`) and its first
/// bytes, fetched when it was opened.
pub struct RemoteFile<'c> {
    client: &'c Client,
    /// The URL after redirects: later reads go straight there.
    url: String,
    len: u64,
    head: Vec<u8>,
    /// `X-Repo-Commit` of the first answer.
    pub commit: Option<String>,
}

impl<'c> RemoteFile<'c> {
    /// Opens `url` by reading its first `first` bytes (all of it when shorter).
    pub fn open(client: &'c Client, url: &str, first: usize) -> Result<Self, RemoteProblem> {
        let first = first.max(1) as u64;
        let fetched = match client.get(url, Some(0..first), first) {
            Ok(f) => f,
            // 416 for a range starting at 0: the file is empty.
            Err(RemoteProblem::Status { status: 416, .. }) => {
                return Ok(RemoteFile {
                    client,
                    url: url.to_string(),
                    len: 0,
                    head: Vec::new(),
                    commit: None,
                })
            }
            Err(e) => return Err(e),
        };
        let len = match (&fetched.content_range, fetched.status) {
            (Some(cr), 206) => {
                let (start, end, total) =
                    parse_content_range(cr).ok_or_else(|| bad(0..first, cr))?;
                let want_end = first.min(total);
                if start != 0 || end + 1 != want_end || fetched.body.len() as u64 != want_end {
                    return Err(bad(0..first, cr));
                }
                total
            }
            (None, 206) => return Err(bad(0..first, "no Content-Range")),
            // A whole small file (checked in `get` to be no longer than asked).
            _ => fetched.body.len() as u64,
        };
        Ok(RemoteFile {
            client,
            url: fetched.final_url,
            len,
            head: fetched.body,
            commit: fetched.commit,
        })
    }
}

fn bad(asked: Range<u64>, answered: &str) -> RemoteProblem {
    RemoteProblem::BadRange {
        asked: format!("{}-{}", asked.start, asked.end.saturating_sub(1)),
        answered: answered.to_string(),
    }
}

/// `bytes START-END/TOTAL` → its three numbers.
fn parse_content_range(value: &str) -> Option<(u64, u64, u64)> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (span, total) = rest.split_once('/')?;
    let (start, end) = span.split_once('-')?;
    let (start, end, total) = (
        start.trim().parse().ok()?,
        end.trim().parse().ok()?,
        total.trim().parse().ok()?,
    );
    (start <= end && end < total).then_some((start, end, total))
}

impl ByteSource for RemoteFile<'_> {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), Problem> {
        let n = buf.len() as u64;
        let end =
            offset
                .checked_add(n)
                .filter(|&e| e <= self.len)
                .ok_or(Problem::ChangedWhileRead {
                    expected: self.len,
                    found: offset.saturating_add(n),
                })?;
        if n == 0 {
            return Ok(());
        }
        if end <= self.head.len() as u64 {
            buf.copy_from_slice(&self.head[offset as usize..end as usize]);
            return Ok(());
        }
        let fetched = self.client.get(&self.url, Some(offset..end), n)?;
        let cr = fetched
            .content_range
            .as_deref()
            .unwrap_or("no Content-Range");
        match parse_content_range(cr) {
            Some((s, e, total)) if s == offset && e + 1 == end && total == self.len => {}
            _ => return Err(bad(offset..end, cr).into()),
        }
        if fetched.body.len() as u64 != n {
            return Err(RemoteProblem::ShortBody {
                asked: n,
                got: fetched.body.len() as u64,
            }
            .into());
        }
        buf.copy_from_slice(&fetched.body);
        Ok(())
    }

    fn first_read(&self) -> usize {
        FIRST_READ
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges_parse_and_impossible_ones_do_not() {
        assert_eq!(parse_content_range("bytes 0-99/1000"), Some((0, 99, 1000)));
        assert_eq!(parse_content_range("bytes 5-4/10"), None);
        assert_eq!(parse_content_range("bytes 0-10/10"), None);
        assert_eq!(parse_content_range("bytes */10"), None);
    }

    #[test]
    fn redirects_resolve_and_origins_compare_hosts() {
        assert_eq!(join("http://a:1/x/y?q", "/z"), "http://a:1/z");
        assert_eq!(join("http://a:1/x/y", "z"), "http://a:1/x/z");
        assert_eq!(join("http://a/x", "https://b/c"), "https://b/c");
        assert_eq!(origin("HTTP://Hub:80/x").as_deref(), Some("http://hub:80"));
        assert_ne!(origin("http://a:1/x"), origin("http://a:2/x"));
    }

    #[test]
    fn the_next_page_of_a_link_header() {
        let link = "<https://hub/api/models/a/b/tree/main?cursor=xyz>; rel=\"next\"";
        assert_eq!(
            next_link(link).as_deref(),
            Some("https://hub/api/models/a/b/tree/main?cursor=xyz")
        );
        assert_eq!(next_link("<x>; rel=\"prev\""), None);
    }
}
