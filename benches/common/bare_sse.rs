//! The SSE baselines of `benches/http.rs` (`bare::sse`): bare axum SSE
//! servers in the bench process fed by a tokio broadcast channel, in three
//! steps towards what nox does: a prepared text per event; nox's own
//! `Event`, cloned out of the channel and serialized per subscriber (as
//! `server::events::sse`); and that `Event` also published from a plain
//! thread after acknowledging the request, as nox's store thread publishes
//! after the commit. Each on its own two-worker runtime, served on TCP
//! and on a Unix socket.

use std::convert::Infallible;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::{get, post};
use tokio::sync::{broadcast, oneshot};

use crate::bare::{Bare, runtime, serve_tcp};

/// What a baseline broadcasts, and from where.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `POST /send`'s body as the event's data, sent by the handler.
    Text,
    /// nox's `Event` (a `message.sent` whose text is the body), sent by
    /// the handler, serialized by each subscriber's stream.
    NoxEvent,
    /// The same, sent by a plain thread after it acknowledged the request.
    FromThread,
}

/// A baseline server: `GET /events` streams each broadcast as one event
/// (`event: message.sent`, an increasing id); `POST /send` broadcasts its
/// body and answers 201. Served on TCP and on the Unix socket `socket`.
pub fn sse(socket: &Path, mode: Mode) -> Bare {
    let rt = runtime();
    let app = if mode == Mode::Text {
        let (tx, _) = broadcast::channel::<std::sync::Arc<str>>(1024);
        Router::new()
            .route("/events", get(events))
            .route("/send", post(send))
            .with_state(tx)
    } else {
        let (tx, _) = broadcast::channel::<nox::domain::Event>(1024);
        let publisher = (mode == Mode::FromThread).then(|| {
            let (ptx, prx) = mpsc::channel::<(nox::domain::Event, oneshot::Sender<()>)>();
            let out = tx.clone();
            std::thread::spawn(move || {
                for (e, ack) in prx {
                    let _ = ack.send(());
                    let _ = out.send(e);
                }
            });
            ptx
        });
        Router::new()
            .route("/events", get(typed_events))
            .route("/send", post(typed_send))
            .with_state(Typed { tx, publisher })
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

type Tx = broadcast::Sender<std::sync::Arc<str>>;

async fn send(State(tx): State<Tx>, body: String) -> (StatusCode, String) {
    let _ = tx.send(std::sync::Arc::from(body.as_str()));
    (StatusCode::CREATED, body)
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

/// The state of the `NoxEvent` and `FromThread` servers.
#[derive(Clone)]
struct Typed {
    tx: broadcast::Sender<nox::domain::Event>,
    publisher: Option<mpsc::Sender<(nox::domain::Event, oneshot::Sender<()>)>>,
}

async fn typed_send(State(s): State<Typed>, text: String) -> StatusCode {
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
    let e = nox::domain::Event {
        id,
        ts_ms: now,
        body: nox::domain::EventBody::MessageSent { message },
    };
    match &s.publisher {
        Some(p) => {
            let (ack, acked) = oneshot::channel();
            if p.send((e, ack)).is_ok() {
                let _ = acked.await;
            }
        }
        None => {
            let _ = s.tx.send(e);
        }
    }
    StatusCode::CREATED
}

async fn typed_events(
    State(s): State<Typed>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let stream = futures_util::stream::unfold(s.tx.subscribe(), |mut rx| async move {
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
