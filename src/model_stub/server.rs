//! The HTTP side of the scripted endpoint (axum): `POST /v1/messages`,
//! `POST /v1/messages/count_tokens`, and 200 for anything else (Claude Code
//! probes `HEAD /api/hello`). A script error never drops the connection
//! (Claude Code would retry for minutes): it is answered as text.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use super::script::Script;
use super::sse;

struct StubState {
    script: Script,
    requests: AtomicU64,
}

/// A running stub endpoint.
#[derive(Debug, Clone)]
pub struct StubServer {
    /// Where it listens (loopback).
    pub addr: SocketAddr,
}

impl StubServer {
    /// `http://127.0.0.1:PORT`, the value for `ANTHROPIC_BASE_URL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Serves `script` on `listener` until the tokio runtime ends.
pub fn serve(listener: TcpListener, script: Script) -> std::io::Result<StubServer> {
    let addr = listener.local_addr()?;
    let state = Arc::new(StubState {
        script,
        requests: AtomicU64::new(0),
    });
    let app = Router::new()
        .route("/v1/messages", post(messages))
        .route("/v1/messages/count_tokens", post(count_tokens))
        .fallback(|| async { "ok" })
        .layer(DefaultBodyLimit::max(256 * 1024 * 1024))
        .with_state(state);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("model stub on {addr}: {e}");
        }
    });
    Ok(StubServer { addr })
}

async fn count_tokens() -> impl IntoResponse {
    axum::Json(json!({"input_tokens": 100}))
}

async fn messages(State(st): State<Arc<StubState>>, body: Bytes) -> Response {
    let n = st.requests.fetch_add(1, Ordering::Relaxed);
    let id = format!("msg_nox_{n:06}");
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let model = request
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("claude-opus-5-5")
        .to_string();
    let reply = if request.is_null() {
        super::script::Reply {
            text: "(nox model stub: the request was not JSON)".into(),
            tool: None,
            delay_ms: 0,
        }
    } else {
        st.script.reply(&request)
    };
    tracing::debug!(target: "nox::model_stub", "request {n}: {:?}", super::script::position(&request));
    if request.get("stream").and_then(Value::as_bool) != Some(true) {
        return axum::Json(sse::message(&id, &model, &reply)).into_response();
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<String>(64);
    tokio::spawn(async move {
        if tx.send(sse::start(&id, &model)).await.is_err() {
            return;
        }
        let mut held = Duration::ZERO;
        let delay = Duration::from_millis(reply.delay_ms);
        while held < delay {
            let step = delay.saturating_sub(held).min(Duration::from_millis(400));
            tokio::time::sleep(step).await;
            held += step;
            if tx.send(sse::ping()).await.is_err() {
                return;
            }
        }
        for f in sse::body(&reply) {
            if tx.send(f).await.is_err() {
                return;
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|s| (Ok::<_, Infallible>(Bytes::from(s)), rx))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
