//! The load generator of `benches/http.rs`: a minimal HTTP/1.1 client on
//! raw tokio streams (one request, its head read to `\r\n\r\n`, its body by
//! `Content-Length`), and closed-loop load: a fixed number of client tasks,
//! each sending its next request when the last one was answered, for a
//! warm-up and then a measured window. The same code drives nox and the
//! bare axum baseline.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long one request may take before it counts as an error.
const REQUEST_LIMIT: Duration = Duration::from_secs(5);

/// `METHOD path` as HTTP/1.1 bytes, with `Host`, the bearer token when
/// given, `Connection: close` unless `keep_alive`, and `body` as JSON.
pub fn request(
    method: &str,
    path: &str,
    host: &str,
    token: Option<&str>,
    keep_alive: bool,
    body: Option<&str>,
) -> Vec<u8> {
    let mut r = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\n");
    if let Some(t) = token {
        let _ = write!(r, "Authorization: Bearer {t}\r\n");
    }
    if !keep_alive {
        r.push_str("Connection: close\r\n");
    }
    if let Some(b) = body {
        let _ = write!(
            r,
            "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}",
            b.len()
        );
    } else {
        r.push_str("\r\n");
    }
    r.into_bytes()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Reads one response's head from `s` (bytes past it stay in `buf`): its
/// status and `Content-Length` (None: no such header).
pub async fn read_head<S: AsyncRead + Unpin>(
    s: &mut S,
    buf: &mut Vec<u8>,
) -> std::io::Result<(u16, Option<usize>)> {
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok());
    buf.drain(..end);
    Ok((status, length))
}

/// Sends `req` on `s` and reads the whole answer; its status.
pub async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    req: &[u8],
    buf: &mut Vec<u8>,
) -> std::io::Result<u16> {
    s.write_all(req).await?;
    buf.clear();
    let (status, length) = read_head(s, buf).await?;
    let want = length.ok_or_else(|| std::io::Error::other("no Content-Length"))?;
    let mut chunk = [0u8; 4096];
    while buf.len() < want {
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(status)
}

/// One client's whole request: connect when there is no connection, send,
/// read the answer; with `keep_alive` the connection is kept for the next,
/// else it is read to its end (the server closes it) and dropped.
async fn one(
    addr: SocketAddr,
    req: &[u8],
    keep_alive: bool,
    conn: &mut Option<TcpStream>,
    buf: &mut Vec<u8>,
) -> std::io::Result<u16> {
    if conn.is_none() {
        let s = TcpStream::connect(addr).await?;
        s.set_nodelay(true)?;
        *conn = Some(s);
    }
    let s = conn.as_mut().expect("connected");
    let status = exchange(s, req, buf).await;
    if !keep_alive || status.is_err() {
        if let (Ok(_), Some(mut s)) = (&status, conn.take()) {
            let mut rest = [0u8; 512];
            while matches!(s.read(&mut rest).await, Ok(n) if n > 0) {}
        }
        *conn = None;
    }
    status
}

/// What a load run measured.
#[derive(Default)]
pub struct Outcome {
    /// Requests answered 200 within the measured window.
    pub ok: u64,
    /// Requests answered 200 in the whole run (warm-up included).
    pub all: u64,
    /// Requests that failed or were answered otherwise (whole run).
    pub errors: u64,
    /// The measured window, in seconds.
    pub secs: f64,
    /// Latency of each request counted in `ok`, in µs.
    pub lat_us: Vec<u32>,
    /// The first error, as text.
    pub first_error: Option<String>,
}

impl Outcome {
    /// Requests per second.
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.secs
    }

    /// Adds another run's figures to these.
    pub fn merge(&mut self, o: Outcome) {
        self.ok += o.ok;
        self.all += o.all;
        self.errors += o.errors;
        self.secs += o.secs;
        self.lat_us.extend(o.lat_us);
        if self.first_error.is_none() {
            self.first_error = o.first_error;
        }
    }

    /// The `p` quantile of the latencies, in ms (nearest rank).
    pub fn pct_ms(&self, p: f64) -> f64 {
        let mut s = self.lat_us.clone();
        s.sort_unstable();
        s.get(((s.len() as f64 - 1.0) * p).round() as usize)
            .map_or(f64::NAN, |&us| f64::from(us) / 1000.0)
    }
}

/// Closed-loop load on `addr` with `clients` tasks sending `req`: a
/// `warmup`, then `measure` counted. Runs on `rt` (the load generator's
/// own runtime, whatever the server's).
pub fn run(
    rt: &tokio::runtime::Runtime,
    addr: SocketAddr,
    req: &[u8],
    keep_alive: bool,
    clients: usize,
    warmup: Duration,
    measure: Duration,
) -> Outcome {
    let req: Arc<[u8]> = Arc::from(req);
    rt.block_on(async move {
        let start = Instant::now() + Duration::from_millis(20);
        let from = start + warmup;
        let until = from + measure;
        let tasks: Vec<_> = (0..clients)
            .map(|_| {
                let req = Arc::clone(&req);
                tokio::spawn(async move {
                    tokio::time::sleep_until(start.into()).await;
                    let mut out = Outcome::default();
                    let mut conn = None;
                    let mut buf = Vec::with_capacity(8192);
                    loop {
                        let t0 = Instant::now();
                        if t0 >= until {
                            break;
                        }
                        let r = tokio::time::timeout(
                            REQUEST_LIMIT,
                            one(addr, &req, keep_alive, &mut conn, &mut buf),
                        )
                        .await;
                        let t1 = Instant::now();
                        match r {
                            Ok(Ok(200)) => {
                                out.all += 1;
                                if t0 >= from && t1 <= until {
                                    out.ok += 1;
                                    out.lat_us.push((t1 - t0).as_micros() as u32);
                                }
                            }
                            other => {
                                out.errors += 1;
                                conn = None;
                                out.first_error.get_or_insert_with(|| match other {
                                    Ok(Ok(status)) => format!("answered {status}"),
                                    Ok(Err(e)) => e.to_string(),
                                    Err(_) => format!("no answer within {REQUEST_LIMIT:?}"),
                                });
                            }
                        }
                    }
                    out
                })
            })
            .collect();
        let mut total = Outcome {
            secs: measure.as_secs_f64(),
            ..Outcome::default()
        };
        for t in tasks {
            let o = t.await.expect("load task");
            total.merge(Outcome { secs: 0.0, ..o });
        }
        total
    })
}
