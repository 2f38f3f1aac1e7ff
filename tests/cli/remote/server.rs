//! A loopback HTTP/1.1 server for the remote tests: keep-alive, Range requests on files whose data region is
//! virtual (zeros past the header, never allocated), every request recorded and every body byte counted, and a
//! handler per test deciding what each request gets (a Hub API, a CDN that refuses Authorization, a gated
//! repository, a server ignoring Range or lying in Content-Range, a slow one, 429s).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    pub headers: Vec<(String, String)>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `Range: bytes=A-B` as `(A, B)`.
    pub fn range(&self) -> Option<(u64, u64)> {
        let r = self.header("range")?.strip_prefix("bytes=")?;
        let (a, b) = r.split_once('-')?;
        Some((a.parse().ok()?, b.parse().ok()?))
    }
}

/// A file's bytes: `head`, then zeros up to `len`.
#[derive(Clone)]
pub struct File {
    pub head: Arc<Vec<u8>>,
    pub len: u64,
}

impl File {
    pub fn bytes(head: Vec<u8>) -> Self {
        let len = head.len() as u64;
        File {
            head: Arc::new(head),
            len,
        }
    }

    /// A safetensors file: the writer's header, then its data region as zeros.
    pub fn safetensors(w: &paramscope::format::synth::SafetensorsWriter) -> Self {
        let header = w.header();
        let mut head = (header.len() as u64).to_le_bytes().to_vec();
        head.extend_from_slice(&header);
        let len = head.len() as u64 + w.data_bytes();
        File {
            head: Arc::new(head),
            len,
        }
    }

    fn slice(&self, start: u64, end: u64) -> Vec<u8> {
        (start..end)
            .map(|i| self.head.get(i as usize).copied().unwrap_or(0))
            .collect()
    }
}

/// What a handler answers.
pub enum Answer {
    /// Status, headers, body.
    Plain(u16, Vec<(String, String)>, Vec<u8>),
    /// A file, by range when asked (`ranges` false: the whole file with 200, as a server ignoring Range does).
    File {
        file: File,
        ranges: bool,
        extra: Vec<(String, String)>,
    },
    /// Sleeps this many milliseconds, then closes without answering.
    Stall(u64),
}

impl Answer {
    pub fn status(status: u16, headers: &[(&str, &str)]) -> Self {
        Answer::Plain(status, own(headers), Vec::new())
    }

    pub fn json(value: &serde_json::Value) -> Self {
        Answer::Plain(
            200,
            own(&[("Content-Type", "application/json")]),
            value.to_string().into_bytes(),
        )
    }

    pub fn redirect(to: &str, headers: &[(&str, &str)]) -> Self {
        let mut h = own(headers);
        h.push(("Location".into(), to.into()));
        Answer::Plain(302, h, Vec::new())
    }

    pub fn file(file: &File) -> Self {
        Answer::File {
            file: file.clone(),
            ranges: true,
            extra: Vec::new(),
        }
    }
}

fn own(headers: &[(&str, &str)]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

type Handler = dyn Fn(&Request) -> Answer + Send + Sync;

/// A running server; it lives until the test process ends.
pub struct Server {
    pub url: String,
    requests: Arc<Mutex<Vec<Request>>>,
    body_bytes: Arc<AtomicU64>,
}

impl Server {
    pub fn start(handler: impl Fn(&Request) -> Answer + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let body_bytes = Arc::new(AtomicU64::new(0));
        let handler: Arc<Handler> = Arc::new(handler);
        let (r, b) = (requests.clone(), body_bytes.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (h, r, b) = (handler.clone(), r.clone(), b.clone());
                std::thread::spawn(move || serve(stream, &*h, &r, &b));
            }
        });
        Server {
            url,
            requests,
            body_bytes,
        }
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// Body bytes written so far.
    pub fn body_bytes(&self) -> u64 {
        self.body_bytes.load(Ordering::SeqCst)
    }
}

fn serve(stream: TcpStream, handler: &Handler, log: &Mutex<Vec<Request>>, bytes: &AtomicU64) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let request = Request { path, headers };
        log.lock().unwrap().push(request.clone());
        let (status, mut head, body) = match handler(&request) {
            Answer::Stall(ms) => {
                std::thread::sleep(std::time::Duration::from_millis(ms));
                return;
            }
            Answer::Plain(s, h, b) => (s, h, Body::Bytes(b)),
            Answer::File {
                file,
                ranges,
                extra,
            } => match (ranges, request.range()) {
                (true, Some((a, b))) if a < file.len => {
                    let end = (b + 1).min(file.len);
                    let mut h = extra;
                    h.push((
                        "Content-Range".into(),
                        format!("bytes {a}-{}/{}", end - 1, file.len),
                    ));
                    (206, h, Body::File(file, a, end))
                }
                (true, Some(_)) => (
                    416,
                    vec![("Content-Range".into(), format!("bytes */{}", file.len))],
                    Body::Bytes(Vec::new()),
                ),
                _ => {
                    let len = file.len;
                    (200, extra, Body::File(file, 0, len))
                }
            },
        };
        head.push(("Content-Length".into(), body.len().to_string()));
        let mut text = format!("HTTP/1.1 {status} X\r\n");
        for (k, v) in &head {
            text.push_str(&format!("{k}: {v}\r\n"));
        }
        text.push_str("\r\n");
        if out.write_all(text.as_bytes()).is_err() {
            return;
        }
        if body.write(&mut out, bytes).is_err() {
            return;
        }
    }
}

enum Body {
    Bytes(Vec<u8>),
    File(File, u64, u64),
}

impl Body {
    fn len(&self) -> u64 {
        match self {
            Body::Bytes(b) => b.len() as u64,
            Body::File(_, a, b) => b - a,
        }
    }

    /// Writes in pieces, counting what the socket took: a client that hangs up stops the count.
    fn write(&self, out: &mut TcpStream, count: &AtomicU64) -> std::io::Result<()> {
        match self {
            Body::Bytes(b) => {
                out.write_all(b)?;
                count.fetch_add(b.len() as u64, Ordering::SeqCst);
            }
            Body::File(f, a, b) => {
                let mut at = *a;
                while at < *b {
                    let end = (at + (64 << 10)).min(*b);
                    out.write_all(&f.slice(at, end))?;
                    count.fetch_add(end - at, Ordering::SeqCst);
                    at = end;
                }
            }
        }
        out.flush()
    }
}
