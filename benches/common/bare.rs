//! The same-run baselines of `benches/http.rs`: bare axum servers in the
//! bench process, each on its own two-worker tokio runtime (as nox's
//! `commands::runtime()`), so they compete with the load generator for the
//! machine's cores as nox does. `axum::serve` with its defaults (HTTP/1.1,
//! keep-alive unless the client sends `Connection: close`), `TCP_NODELAY` on
//! accepted connections (as nox sets on its TCP listener). For where
//! nox's time goes, the same hello world also behind nox's own serving
//! layers (`nox::server::listen::serve`, the TCP guard, the JSON-error
//! middleware), in this process.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use tokio::sync::{broadcast, watch};

/// A bare server: its runtime (dropping it stops the server) and its
/// TCP address.
pub struct Bare {
    rt: Option<tokio::runtime::Runtime>,
    stop: Option<watch::Sender<bool>>,
    /// Where it listens on TCP.
    pub addr: SocketAddr,
}

impl Drop for Bare {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(rt) = self.rt.take() {
            rt.shutdown_timeout(Duration::from_secs(1));
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("bare-axum")
        .enable_all()
        .build()
        .expect("baseline runtime")
}

fn serve_tcp(rt: &tokio::runtime::Runtime, app: Router) -> SocketAddr {
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind the baseline");
    let addr = listener.local_addr().expect("baseline address");
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    rt.spawn(async move { axum::serve(listener, app).await });
    addr
}

/// Hello world: `GET /health` answers `Hello, World!`.
pub fn hello() -> Bare {
    let rt = runtime();
    let app = Router::new().route("/health", get(|| async { "Hello, World!" }));
    let addr = serve_tcp(&rt, app);
    Bare {
        rt: Some(rt),
        stop: None,
        addr,
    }
}

/// The token the guarded hello world wants.
pub const TOKEN: &str = "0123456789abcdef0123456789abcdef";

/// Hello world (`GET /api/hello`) served by nox's connection layer
/// (`listen::serve`: the connection cap, the head deadline, one request
/// per connection); with `guarded`, also behind nox's TCP guard (Host and
/// bearer token [`TOKEN`]) and its JSON-error middleware, as nox layers
/// its router. nox's body-limit middleware is private and left out.
pub fn nox_layers(guarded: bool) -> Bare {
    let rt = runtime();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let mut app = Router::new().route("/api/hello", get(|| async { "Hello, World!" }));
    if guarded {
        app = app
            .layer(axum::middleware::from_fn(nox::server::error::json_errors))
            .layer(axum::middleware::from_fn_with_state(
                nox::server::auth::Guard::new(TOKEN, addr),
                nox::server::auth::check,
            ));
    }
    let (stop, rx) = watch::channel(false);
    rt.spawn(nox::server::listen::serve(listener, app, rx));
    Bare {
        rt: Some(rt),
        stop: Some(stop),
        addr,
    }
}

/// SSE through a tokio broadcast channel: `GET /events` streams each
/// broadcast text as one event (`event: message.sent`, an increasing id);
/// `POST /send` broadcasts its body and answers 201 with it. With
/// `typed`, the channel carries nox's own `Event` instead (a
/// `message.sent` whose text is the body), which each subscriber's stream
/// clones out of the channel and serializes itself, as nox's
/// `events::sse` does. Served on TCP and on the Unix socket `socket`.
pub fn sse(socket: &Path, typed: bool) -> Bare {
    let rt = runtime();
    let app = if typed {
        let (tx, _) = broadcast::channel::<nox::domain::Event>(1024);
        Router::new()
            .route("/events", get(typed_events))
            .route("/send", post(typed_send))
            .with_state(tx)
    } else {
        let (tx, _) = broadcast::channel::<std::sync::Arc<str>>(1024);
        Router::new()
            .route("/events", get(events))
            .route("/send", post(send))
            .with_state(tx)
    };
    let addr = serve_tcp(&rt, app.clone());
    let unix = rt
        .block_on(async { tokio::net::UnixListener::bind(socket) })
        .expect("bind the baseline's socket");
    rt.spawn(async move { axum::serve(unix, app).await });
    Bare {
        rt: Some(rt),
        stop: None,
        addr,
    }
}

type Typed = broadcast::Sender<nox::domain::Event>;

async fn typed_send(State(tx): State<Typed>, text: String) -> axum::http::StatusCode {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let message = nox::domain::Message {
        id,
        from: "sh0".into(),
        to: "user".into(),
        text,
        kind: nox::domain::MessageKind::Message,
        state: nox::domain::MessageState::Delivered,
        created_ms: now,
        delivered_ms: Some(now),
        ..nox::domain::Message::default()
    };
    let _ = tx.send(nox::domain::Event {
        id,
        ts_ms: now,
        body: nox::domain::EventBody::MessageSent { message },
    });
    axum::http::StatusCode::CREATED
}

async fn typed_events(
    State(tx): State<Typed>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let stream = futures_util::stream::unfold(tx.subscribe(), |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(e) => {
                    let sse = Event::default()
                        .id(e.id.to_string())
                        .event(e.body.kind())
                        .data(serde_json::to_string(&e).unwrap_or_default());
                    return Some((Ok(sse), rx));
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

type Tx = broadcast::Sender<std::sync::Arc<str>>;

async fn send(State(tx): State<Tx>, body: String) -> (axum::http::StatusCode, String) {
    let _ = tx.send(std::sync::Arc::from(body.as_str()));
    (axum::http::StatusCode::CREATED, body)
}

async fn events(
    State(tx): State<Tx>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let rx = tx.subscribe();
    let stream = futures_util::stream::unfold((rx, 0u64), |(mut rx, n)| async move {
        loop {
            match rx.recv().await {
                Ok(text) => {
                    let e = Event::default()
                        .id((n + 1).to_string())
                        .event("message.sent")
                        .data(&*text);
                    return Some((Ok(e), (rx, n + 1)));
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
