//! The middleware every request passes through, from tower-http: a body
//! size limit, body and handler deadlines, request tracing, and the JSON
//! error shape over whatever they answer.
//!
//! Order, outermost first: JSON errors (so a 413 or 408 from a layer below
//! reads `{"error": …}` like a handler's), tracing, the body deadline, the
//! body limit. The handler deadline ([`handler_deadline`]) is added per
//! route by [`super::router`]: the hook routes wait for a decision (an
//! approval for up to 600 s, `CLAUDE_CODE.md`) and the SSE route streams, so
//! neither gets it.

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use tower_http::trace::{
    DefaultMakeSpan, DefaultOnFailure, DefaultOnRequest, DefaultOnResponse, TraceLayer,
};
use tracing::Level;

use crate::domain::limits::{MAX_REQUEST, REQUEST_TIMEOUT_SECS};

/// Wraps `router` in the stack. Layers added later wrap those added
/// earlier, so the body limit sits innermost and the JSON errors outermost.
pub fn apply<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router
        // One limit, this one: axum's own extractor limit (also 2 MiB by
        // default) is lifted so the two cannot disagree.
        .layer(axum::extract::DefaultBodyLimit::disable())
        // 413 before reading a body whose Content-Length is over the limit;
        // a chunked one fails to buffer once it passes the limit (axum
        // answers 413 for that too).
        .layer(RequestBodyLimitLayer::new(MAX_REQUEST))
        // A client that stops sending its body mid-way: its next frame must
        // come within the deadline (hooks included).
        .layer(RequestBodyTimeoutLayer::new(deadline()))
        // One span per request (method, URI, version — never headers, so a
        // bearer token never reaches the log) at debug, a 5xx at warn.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(
                    DefaultMakeSpan::new()
                        .level(Level::DEBUG)
                        .include_headers(false),
                )
                .on_request(DefaultOnRequest::new().level(Level::DEBUG))
                .on_response(DefaultOnResponse::new().level(Level::DEBUG))
                .on_failure(DefaultOnFailure::new().level(Level::WARN)),
        )
        .layer(axum::middleware::from_fn(super::error::json_errors))
}

/// How long a client may take to send a request (head excepted, which the
/// connection's own 3 s deadline covers), and how long a handler may take
/// to answer: [`REQUEST_TIMEOUT_SECS`].
fn deadline() -> Duration {
    Duration::from_secs(REQUEST_TIMEOUT_SECS)
}

/// The handler deadline for routes that answer at once: the request —
/// reading its body included — must complete within
/// [`REQUEST_TIMEOUT_SECS`], else `408 timeout` (the usual cause is a
/// client that stalls its body; the runtime answers API calls in
/// milliseconds).
pub fn handler_deadline() -> TimeoutLayer {
    TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, deadline())
}
