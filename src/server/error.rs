//! API errors: `{"error": {"code", "message"}}` with a 4xx or 5xx status
//! (SPEC §6). Every runtime error maps to its status here, in one place.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::limits::{MAX_REQUEST, REQUEST_TIMEOUT_SECS};
use crate::runtime::RuntimeError;

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"error": {"code": "not_found", "message": "no agent named \"ghost\""}}))]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// The code and message of an error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A machine-readable code (`bad_json`, `not_found`, `conflict`,
    /// `refused`, `too_large`, `rate_limited`, `unauthorized`, …).
    pub code: String,
    /// What happened, for people.
    pub message: String,
}

/// An API error: status, machine code, human message.
#[derive(Debug)]
pub struct ApiError(pub StatusCode, pub &'static str, pub String);

impl ApiError {
    /// 400: the request cannot be read.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self(StatusCode::BAD_REQUEST, code, message.into())
    }
}

impl From<RuntimeError> for ApiError {
    fn from(e: RuntimeError) -> Self {
        let (status, code) = match &e {
            RuntimeError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            RuntimeError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            RuntimeError::Refused(_) => (StatusCode::UNPROCESSABLE_ENTITY, "refused"),
            RuntimeError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            RuntimeError::Limited(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            RuntimeError::Gone(_) => (StatusCode::SERVICE_UNAVAILABLE, "gone"),
            RuntimeError::Store(_) => (StatusCode::SERVICE_UNAVAILABLE, "store"),
        };
        Self(status, code, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.1.to_string(),
                message: self.2,
            },
        };
        (self.0, axum::Json(body)).into_response()
    }
}

/// Gives every error the JSON shape: axum's own rejections (a path or
/// query value that does not parse, a wrong method) and unknown routes
/// answer in plain text; this middleware rewrites any error response that
/// is not JSON into `{"error": {"code", "message"}}`, keeping its status.
pub async fn json_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/event-stream"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
        // tower-http's and axum's own text ("length limit exceeded") does
        // not say what the limit is.
        format!("the request body is over the limit of {MAX_REQUEST} bytes (2 MiB)")
    } else if status == StatusCode::REQUEST_TIMEOUT && text.is_empty() {
        format!("the request did not arrive and complete within {REQUEST_TIMEOUT_SECS} s")
    } else if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("request failed")
            .to_string()
    } else {
        text
    };
    let mut out = ApiError(status, code, message).into_response();
    for (k, v) in &parts.headers {
        if k != axum::http::header::CONTENT_TYPE && k != axum::http::header::CONTENT_LENGTH {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out
}

/// The answer to a route nox does not have: 404 with the JSON shape.
pub async fn no_route(uri: axum::http::Uri) -> ApiError {
    ApiError(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no route {}", uri.path()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_runtime_error_has_its_status() {
        let cases = [
            (RuntimeError::NotFound("x".into()), 404),
            (RuntimeError::Conflict("x".into()), 409),
            (RuntimeError::Refused("x".into()), 422),
            (RuntimeError::TooLarge("x".into()), 413),
            (RuntimeError::Limited("x".into()), 429),
            (RuntimeError::Gone("x".into()), 503),
            (RuntimeError::Store("x".into()), 503),
        ];
        for (e, status) in cases {
            assert_eq!(ApiError::from(e).0.as_u16(), status);
        }
    }
}
