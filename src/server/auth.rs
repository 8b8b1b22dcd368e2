//! The guard of the TCP listener (`nox --headless --listen ADDR`, SPEC §6):
//! the bearer token of `.nox/api-token` (256 random bits, mode 0600,
//! created on the first `--listen`) on every route but `/health`, compared
//! in constant time (RFC 6750 §2.1 `Authorization: Bearer`; 401 with
//! `WWW-Authenticate: Bearer` without it), and a `Host` check against the
//! listen address and `localhost` that stops DNS rebinding (403). No CORS
//! headers are sent: browsers keep other origins out. The control socket
//! has no guard: its file mode (0600) is its access control.

use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ApiError;

/// What the TCP listener accepts.
#[derive(Clone)]
pub struct Guard {
    token: Arc<str>,
    hosts: Arc<[String]>,
}

impl Guard {
    /// A guard for `token`, accepting `Host` values naming `addr` (its IP
    /// and port, `localhost` with its port, and the bare names).
    pub fn new(token: &str, addr: std::net::SocketAddr) -> Self {
        let port = addr.port();
        let ip = match addr.ip() {
            std::net::IpAddr::V6(v6) => format!("[{v6}]"),
            v4 @ std::net::IpAddr::V4(_) => v4.to_string(),
        };
        let hosts = vec![
            format!("{ip}:{port}"),
            ip,
            format!("localhost:{port}"),
            "localhost".to_string(),
        ];
        Self {
            token: Arc::from(token),
            hosts: Arc::from(hosts),
        }
    }

    fn host_ok(&self, host: Option<&HeaderValue>) -> bool {
        host.and_then(|h| h.to_str().ok())
            .map(str::to_ascii_lowercase)
            .is_some_and(|h| self.hosts.contains(&h))
    }

    fn token_ok(&self, auth: Option<&HeaderValue>) -> bool {
        let Some(given) = auth
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
        else {
            return false;
        };
        constant_time_eq::constant_time_eq(given.trim().as_bytes(), self.token.as_bytes())
    }
}

/// The middleware: 403 for a foreign `Host`, 401 without the token.
pub async fn check(State(g): State<Guard>, req: Request, next: Next) -> Response {
    if !g.host_ok(req.headers().get(header::HOST)) {
        return ApiError(
            StatusCode::FORBIDDEN,
            "foreign_host",
            "the Host header does not name this listener (DNS rebinding is refused)".into(),
        )
        .into_response();
    }
    if req.uri().path() != "/health" && !g.token_ok(req.headers().get(header::AUTHORIZATION)) {
        let mut r = ApiError(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send Authorization: Bearer <the token in .nox/api-token>".into(),
        )
        .into_response();
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return r;
    }
    next.run(req).await
}

/// The token in `path`, created (256 random bits as 64 hex digits, mode
/// 0600) when there is none. An existing file readable by others is made
/// 0600 again, with a warning. Errors: no random source, an unreadable or
/// malformed file (it is never overwritten).
pub fn ensure_token(path: &Path) -> std::io::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let token = text.trim().to_string();
            if token.len() < 32 || !token.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(std::io::Error::other(format!(
                    "{} does not hold a token (64 hex digits); remove it and a new one is made",
                    path.display()
                )));
            }
            let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
            if mode != 0o600 {
                tracing::warn!("{} had mode {mode:o}; made it 0600", path.display());
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
            }
            Ok(token)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut bytes = [0u8; 32];
            std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
            let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)?;
            f.write_all(format!("{token}\n").as_bytes())?;
            f.sync_all()?;
            Ok(token)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_made_once_private_and_reused() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("api-token");
        let t = ensure_token(&p).expect("made");
        assert_eq!(t.len(), 64);
        let mode = std::fs::metadata(&p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(ensure_token(&p).expect("again"), t);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert_eq!(ensure_token(&p).expect("fixed"), t);
        let mode = std::fs::metadata(&p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::write(&p, "not a token").expect("garbage");
        assert!(ensure_token(&p).is_err());
    }

    #[test]
    fn hosts_and_tokens_are_checked() {
        let g = Guard::new("abc123", "127.0.0.1:8080".parse().expect("addr"));
        let h = |s: &'static str| HeaderValue::from_static(s);
        assert!(g.host_ok(Some(&h("127.0.0.1:8080"))));
        assert!(g.host_ok(Some(&h("LOCALHOST:8080"))));
        assert!(!g.host_ok(Some(&h("evil.example:8080"))));
        assert!(!g.host_ok(None));
        assert!(g.token_ok(Some(&h("Bearer abc123"))));
        assert!(!g.token_ok(Some(&h("Bearer abc124"))));
        assert!(!g.token_ok(Some(&h("Basic abc123"))));
        assert!(!g.token_ok(None));
    }
}
