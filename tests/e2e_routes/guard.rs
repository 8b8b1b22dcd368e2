//! The guard of loopback TCP, on every route the description names: 401
//! without the token or with a wrong one (`/health` is open), 403 for a
//! foreign `Host` even with it.

use serde_json::Value;

use super::api::{Api, assert_error};

/// Asks every route of `spec` on `api` (TCP at `addr`, whose token is
/// `bearer`) without the token, with a wrong one and for a foreign `Host`;
/// returns how many routes it asked.
pub(super) fn every_route(api: &Api, spec: &Value, addr: &str, bearer: &str) -> usize {
    let host = ("Host", addr);
    let mut guarded = 0;
    for (template, item) in spec["paths"].as_object().expect("paths") {
        let path = template
            .replace("{name}", "sh")
            .replace("{id}", "1")
            .replace("{event}", "Stop");
        for method in item.as_object().expect("path item").keys() {
            let method = method.to_uppercase();
            let what = format!("{method} {path}");
            let ask = |headers: &[(&str, &str)]| api.to.raw(&method, &path, headers, None);
            let bare = ask(&[host]);
            let wrong = ask(&[host, ("Authorization", "Bearer 0123")]);
            let foreign = ask(&[("Host", "evil.example"), ("Authorization", bearer)]);
            for r in [&bare, &wrong, &foreign] {
                api.note(&method, &path, r.status);
            }
            if path == "/health" {
                assert_eq!((bare.status, wrong.status), (200, 200), "{what} is open");
            } else {
                for (r, how) in [(&bare, "without a token"), (&wrong, "with a wrong token")] {
                    assert_error(r, 401, "unauthorized", &format!("{what} {how}"));
                }
                assert_eq!(bare.header("www-authenticate"), Some("Bearer"), "{what}");
            }
            assert_error(
                &foreign,
                403,
                "foreign_host",
                &format!("{what} for evil.example"),
            );
            guarded += 1;
        }
    }
    guarded
}
