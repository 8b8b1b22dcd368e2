//! The asserting client of the route walk: a listener that notes every
//! (method, path, status) asked of it, and the checks of a success and of
//! an error in the `{"error": {"code", "message"}}` shape.

use std::cell::RefCell;

use serde_json::Value;

use super::http::{Listener, Reply};
use crate::support::eventually;

/// A listener and every (method, path, status) asked of it.
pub(super) struct Api {
    pub(super) to: Listener,
    pub(super) seen: RefCell<Vec<(String, String, u16)>>,
}

impl Api {
    pub(super) fn new(to: Listener) -> Self {
        Self {
            to,
            seen: RefCell::new(Vec::new()),
        }
    }

    pub(super) fn note(&self, method: &str, path: &str, status: u16) {
        self.seen
            .borrow_mut()
            .push((method.to_string(), path.to_string(), status));
    }

    pub(super) fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Reply {
        let r = self.to.call(method, path, headers, body);
        self.note(method, path, r.status);
        r
    }

    /// Asserts `METHOD path` answers `want` with JSON, and returns it.
    pub(super) fn ok_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
        want: u16,
    ) -> Value {
        let bytes = body.map(|b| b.to_string().into_bytes());
        let r = self.send(method, path, headers, bytes.as_deref());
        assert_eq!(r.status, want, "{method} {path}: {}", r.body);
        assert!(
            r.header("content-type")
                .is_some_and(|v| v.starts_with("application/json")),
            "{method} {path}: {}",
            r.head
        );
        r.json()
    }

    pub(super) fn ok(&self, method: &str, path: &str, body: Option<&Value>, want: u16) -> Value {
        self.ok_with(method, path, &[], body, want)
    }

    pub(super) fn get(&self, path: &str) -> Value {
        self.ok("GET", path, None, 200)
    }

    /// Asserts `METHOD path` fails with `want` and the JSON error `code`.
    pub(super) fn fails_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
        want: u16,
        code: &str,
    ) -> String {
        let r = self.send(method, path, headers, body);
        assert_error(&r, want, code, &format!("{method} {path}"))
    }

    pub(super) fn fails(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        want: u16,
        code: &str,
    ) -> String {
        let bytes = body.map(|b| b.to_string().into_bytes());
        self.fails_with(method, path, &[], bytes.as_deref(), want, code)
    }

    /// Asserts `POST path` with the JSON `body` fails with `want` and `code`.
    pub(super) fn post_fails(&self, path: &str, body: &Value, want: u16, code: &str) -> String {
        self.fails("POST", path, Some(body), want, code)
    }

    /// Asserts `POST path` with `raw` (not JSON, or not closed) is 400 `bad_json`.
    pub(super) fn bad_json(&self, path: &str, raw: &[u8]) {
        self.fails_with("POST", path, &[], Some(raw), 400, "bad_json");
    }

    /// Asserts `POST path` with `body`, sent as `agent` (its `X-Nox-Agent`),
    /// fails with `want` and `code`.
    pub(super) fn fails_as(&self, agent: &str, path: &str, body: &[u8], want: u16, code: &str) {
        self.fails_with(
            "POST",
            path,
            &[("X-Nox-Agent", agent)],
            Some(body),
            want,
            code,
        );
    }

    /// Polls `GET path` (not noted) until `pred` holds.
    pub(super) fn wait(&self, what: &str, path: &str, pred: impl Fn(&Value) -> bool) {
        eventually(what, 30, || {
            let r = self.to.call("GET", path, &[], None);
            r.status == 200 && pred(&r.json())
        });
    }
}

/// Asserts `r` is the error `want` with `code` in the JSON shape; its message.
pub(super) fn assert_error(r: &Reply, want: u16, code: &str, what: &str) -> String {
    assert_eq!(r.status, want, "{what}: {} {}", r.head, r.body);
    assert!(
        r.header("content-type")
            .is_some_and(|v| v.starts_with("application/json")),
        "{what}: {}",
        r.head
    );
    let v = r.json();
    assert_eq!(v["error"]["code"], code, "{what}: {v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{what}: {v}"
    );
    assert_eq!(
        v.as_object().map(serde_json::Map::len),
        Some(1),
        "{what}: only `error`: {v}"
    );
    v["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}
