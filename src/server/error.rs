//! API errors: `{"error": {"code", "message"}}` with a 4xx or 5xx status
//! (SPEC §6). Every runtime error maps to its status here, in one place.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::runtime::RuntimeError;

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
        (
            self.0,
            axum::Json(json!({"error": {"code": self.1, "message": self.2}})),
        )
            .into_response()
    }
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
