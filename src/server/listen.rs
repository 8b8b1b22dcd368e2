//! Serving the control socket with limits: at most
//! [`MAX_CONNECTIONS`](crate::domain::limits::MAX_CONNECTIONS) connections
//! served at once (more wait up to 250 ms for a place, then are answered
//! `503 busy`, as many again at a time,
//! so the backlog drains and a client learns why; past that they wait in
//! the kernel's backlog), a deadline on reading each request's
//! head (a connection that sends nothing is closed), one request per
//! connection (no idle keep-alive) with a lingering close, a deadline on
//! writes the client does not take ([`super::stall`]), and a deadline
//! and a size limit on request bodies ([`super::layers`]). Half-open connections can
//! therefore neither exhaust nox's file descriptors nor stop `/health`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::{Semaphore, watch};

use super::slot::Slot;
use super::stall::WriteDeadline;
use crate::domain::limits::{MAX_CONNECTIONS, MAX_REQUEST, REQUEST_TIMEOUT_SECS};

/// A listener the API is served on: the control socket, or a TCP address
/// (`--listen`).
pub trait Incoming: Send + 'static {
    /// A connection.
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// The next connection.
    fn next(&self) -> impl std::future::Future<Output = std::io::Result<Self::Stream>> + Send;
}

impl Incoming for UnixListener {
    type Stream = tokio::net::UnixStream;
    async fn next(&self) -> std::io::Result<Self::Stream> {
        self.accept().await.map(|(s, _)| s)
    }
}

impl Incoming for TcpListener {
    type Stream = tokio::net::TcpStream;
    async fn next(&self) -> std::io::Result<Self::Stream> {
        let (s, _) = self.accept().await?;
        let _ = s.set_nodelay(true);
        Ok(s)
    }
}

/// What a connection over the cap gets before it is closed.
fn busy() -> Vec<u8> {
    let body = r#"{"error":{"code":"busy","message":"too many connections to nox; try again in a moment"}}"#;
    format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Answers `503 busy` to a connection over the cap: reads what the client
/// sent first and lingers after the answer, so the close does not reset
/// the connection before the client has read why.
async fn refuse<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S) {
    let mut buf = vec![0u8; 16 * 1024];
    let _ = tokio::time::timeout(Duration::from_millis(200), stream.read(&mut buf)).await;
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(&busy())).await;
    let _ = stream.shutdown().await;
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        while stream.read(&mut buf).await.is_ok_and(|n| n > 0) {}
    })
    .await;
}

/// Serves `router` on `listener` until `stop` turns true.
pub async fn serve<L: Incoming>(listener: L, router: Router, mut stop: watch::Receiver<bool>) {
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let refusals = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let streams = super::slot::streams();
    let head_timeout = Duration::from_secs(REQUEST_TIMEOUT_SECS.min(3));
    loop {
        // Accept only while a connection could at least be refused properly;
        // past that, clients wait in the kernel's backlog.
        let Ok(spare) = Arc::clone(&refusals).acquire_owned().await else {
            return;
        };
        let accepted = tokio::select! {
            a = listener.next() => a,
            _ = stop.changed() => return,
        };
        let stream = match accepted {
            Ok(s) => s,
            Err(e) => {
                // EMFILE and friends: wait a little instead of spinning.
                tracing::warn!("control socket: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let served = Served {
            router: router.clone(),
            streams: Arc::clone(&streams),
            head_timeout,
        };
        if let Ok(permit) = Arc::clone(&permits).try_acquire_owned() {
            drop(spare);
            tokio::spawn(served.serve(stream, permit));
            continue;
        }
        // All places taken: a burst (a hundred event streams connecting at
        // once) frees them in a moment, so wait briefly before refusing.
        // The spare permit bounds how many wait.
        let permits = Arc::clone(&permits);
        tokio::spawn(async move {
            let mut stream = stream;
            match tokio::time::timeout(BURST_WAIT, permits.acquire_owned()).await {
                Ok(Ok(permit)) => {
                    drop(spare);
                    served.serve(stream, permit).await;
                }
                _ => {
                    refuse(&mut stream).await;
                    drop(spare);
                }
            }
        });
    }
}

/// How long a connection over the cap waits for a place before `503 busy`.
const BURST_WAIT: Duration = Duration::from_millis(250);

/// What serving one connection needs.
struct Served {
    router: Router,
    streams: Arc<Semaphore>,
    head_timeout: Duration,
}

impl Served {
    /// Serves one request on `stream` under `permit` (tagged into the
    /// request as its [`Slot`]), then lingers.
    async fn serve<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(
        self,
        stream: S,
        permit: tokio::sync::OwnedSemaphorePermit,
    ) {
        let slot = Slot::new(permit, self.streams);
        let tagged = slot.clone();
        let service = TowerToHyperService::new(tower::util::MapRequest::new(
            self.router,
            move |mut req: axum::http::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(tagged.clone());
                req
            },
        ));
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(self.head_timeout)
            .keep_alive(false)
            .serve_connection(TokioIo::new(WriteDeadline::new(stream)), service)
            .without_shutdown();
        match conn.await {
            Ok(parts) => linger(parts.io.into_inner().into_inner()).await,
            Err(e) => tracing::debug!("control socket connection: {e}"),
        }
        drop(slot);
    }
}

/// Most bytes of a request nox did not read that [`linger`] drains.
const LINGER_BYTES: usize = 16 * MAX_REQUEST;

/// A lingering close (as Apache's `lingering_close`): after the answer,
/// ends the write side and reads and drops what the client is still
/// sending — the rest of a body refused with 413 before it was read — for
/// at most [`LINGER_BYTES`] or 2 s. Closing with unread input would reset
/// the connection, and the client would see the reset instead of the
/// answer.
async fn linger<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S) {
    let _ = stream.shutdown().await;
    // Small and on the stack: nearly every client has sent everything it
    // had (a fresh 64 KiB per connection showed as page faults).
    let mut buf = [0u8; 8 * 1024];
    let mut left = LINGER_BYTES;
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while left > 0 {
            match stream.read(&mut buf).await {
                Ok(n) if n > 0 => left = left.saturating_sub(n),
                _ => break,
            }
        }
    })
    .await;
}
