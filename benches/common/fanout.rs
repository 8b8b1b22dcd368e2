//! SSE fan-out of `benches/http.rs`: subscribers on TCP or a Unix socket
//! that scan their raw stream for the bench's markers (`nxb<TAG>-<K>#`,
//! carried in each event's data; chunked framing needs no decoding for
//! that), a board of per-event arrival stamps (first, last, count), and a
//! producer that sends one event at a time and waits until every
//! subscriber has it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::Notify;

use crate::load::{exchange, read_head};

/// A connection of either kind.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Where a client connects.
#[derive(Clone, Debug)]
pub enum Endpoint {
    /// TCP.
    Tcp(SocketAddr),
    /// A Unix socket.
    Unix(PathBuf),
}

impl Endpoint {
    /// A new connection.
    pub async fn connect(&self) -> std::io::Result<Box<dyn Io>> {
        Ok(match self {
            Self::Tcp(a) => {
                let s = tokio::net::TcpStream::connect(a).await?;
                s.set_nodelay(true)?;
                Box::new(s)
            }
            Self::Unix(p) => Box::new(tokio::net::UnixStream::connect(p).await?),
        })
    }
}

/// Arrival stamps per event (ns since `base`).
pub struct Board {
    base: Instant,
    clients: u32,
    first: Vec<AtomicU64>,
    last: Vec<AtomicU64>,
    count: Vec<AtomicU32>,
    all_in: Notify,
}

impl Board {
    /// A board for `events` events and `clients` subscribers.
    pub fn new(events: usize, clients: usize) -> Arc<Self> {
        Arc::new(Self {
            base: Instant::now(),
            clients: clients as u32,
            first: (0..events).map(|_| AtomicU64::new(u64::MAX)).collect(),
            last: (0..events).map(|_| AtomicU64::new(0)).collect(),
            count: (0..events).map(|_| AtomicU32::new(0)).collect(),
            all_in: Notify::new(),
        })
    }

    /// Now, in ns since the board's base.
    pub fn now(&self) -> u64 {
        self.base.elapsed().as_nanos() as u64
    }

    fn arrived(&self, k: usize, at: u64) {
        if k >= self.count.len() {
            return;
        }
        self.first[k].fetch_min(at, Ordering::Relaxed);
        self.last[k].fetch_max(at, Ordering::Relaxed);
        if self.count[k].fetch_add(1, Ordering::AcqRel) + 1 == self.clients {
            self.all_in.notify_one();
        }
    }

    /// Waits until every subscriber has event `k`: (first, last) arrival.
    pub async fn wait_all(&self, k: usize, limit: Duration) -> Option<(u64, u64)> {
        let end = tokio::time::Instant::now() + limit;
        while self.count[k].load(Ordering::Acquire) < self.clients {
            if tokio::time::timeout_at(end, self.all_in.notified())
                .await
                .is_err()
            {
                return None;
            }
        }
        Some((
            self.first[k].load(Ordering::Relaxed),
            self.last[k].load(Ordering::Relaxed),
        ))
    }

    /// How many subscribers had event `k`.
    pub fn count(&self, k: usize) -> u32 {
        self.count[k].load(Ordering::Acquire)
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Calls `hit(k)` for each whole marker `PREFIX<K>#` in `buf` and drops
/// what was scanned, keeping a tail that may hold the start of the next.
fn scan(buf: &mut Vec<u8>, prefix: &[u8], mut hit: impl FnMut(usize)) {
    let mut i = 0;
    let mut cut = None;
    while let Some(p) = find(&buf[i..], prefix) {
        let s = i + p + prefix.len();
        match buf[s..].iter().position(|b| !b.is_ascii_digit()) {
            Some(d) if d > 0 && buf[s + d] == b'#' => {
                let k = std::str::from_utf8(&buf[s..s + d])
                    .ok()
                    .and_then(|t| t.parse().ok());
                if let Some(k) = k {
                    hit(k);
                }
                i = s + d + 1;
            }
            Some(_) => i = s,
            None => {
                cut = Some(i + p);
                break;
            }
        }
    }
    let cut = cut.unwrap_or_else(|| i.max(buf.len().saturating_sub(prefix.len() + 24)));
    buf.drain(..cut.min(buf.len()));
}

/// Connects to `ep`, sends `req` (a `GET` of the event stream) and reads
/// the answer's head; on 200, a task that stamps `prefix` markers on
/// `board` until the stream ends. Returns the status.
pub async fn subscribe(
    ep: &Endpoint,
    req: &[u8],
    board: Arc<Board>,
    prefix: String,
) -> std::io::Result<(u16, Option<tokio::task::JoinHandle<()>>)> {
    let mut s = ep.connect().await?;
    s.write_all(req).await?;
    let mut buf = Vec::with_capacity(16 * 1024);
    let (status, _) = read_head(&mut s, &mut buf).await?;
    if status != 200 {
        return Ok((status, None));
    }
    let task = tokio::spawn(async move {
        let mut chunk = vec![0u8; 16 * 1024];
        // Markers come in order; one counted per subscriber and event.
        let mut next = 0;
        loop {
            scan(&mut buf, prefix.as_bytes(), |k| {
                if k >= next {
                    next = k + 1;
                    board.arrived(k, board.now());
                }
            });
            match s.read(&mut chunk).await {
                Ok(n) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                _ => return,
            }
        }
    });
    Ok((status, Some(task)))
}

/// One event's timings, in ms.
pub struct Timing {
    /// Request sent → the last subscriber has it (bounds commit → last).
    pub send_to_last: f64,
    /// Request sent → the first subscriber has it.
    pub send_to_first: f64,
    /// The first subscriber → the last (the fan-out's spread).
    pub spread: f64,
    /// Request sent → its answer read.
    pub answer: f64,
}

/// Sends event `k` by `req` on `ep` (a new connection) and waits until
/// every subscriber on `board` has it.
pub async fn produce(
    ep: &Endpoint,
    req: &[u8],
    want: u16,
    board: &Board,
    k: usize,
) -> Result<Timing, String> {
    let t0 = board.now();
    let mut s = ep.connect().await.map_err(|e| format!("connect: {e}"))?;
    let mut buf = Vec::new();
    let status = exchange(&mut s, req, &mut buf)
        .await
        .map_err(|e| format!("request: {e}"))?;
    let t1 = board.now();
    drop(s);
    if status != want {
        return Err(format!(
            "answered {status}: {}",
            String::from_utf8_lossy(&buf)
        ));
    }
    let Some((first, last)) = board.wait_all(k, Duration::from_secs(5)).await else {
        return Err(format!(
            "event {k}: {} of {} subscribers had it after 5 s",
            board.count(k),
            board.clients
        ));
    };
    let ms = |a: u64, b: u64| b.saturating_sub(a) as f64 / 1e6;
    Ok(Timing {
        send_to_last: ms(t0, last),
        send_to_first: ms(t0, first),
        spread: ms(first, last),
        answer: ms(t0, t1),
    })
}
