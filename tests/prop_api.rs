//! A property test of the API: random bodies — bytes, and JSON objects made
//! of the routes' own field names with values of every type — sent by POST to
//! every POST route of a running `nox --headless` instance, over the
//! socket and over loopback, never get a 5xx. Routes and field names come
//! from the OpenAPI description, so what is added later is covered.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use crate::support::Ws;

/// Every POST route of the OpenAPI description (so a route added later is
/// covered), with its parameters filled in both ways: a name or id that
/// exists and one that does not.
fn routes(spec: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        if item.get("post").is_none() {
            continue;
        }
        for (name, id, event) in [
            ("sh", "1", "Stop?agent=sh"),
            ("ghost", "999", "PreToolUse?agent=ghost"),
        ] {
            out.push(
                path.replace("{name}", name)
                    .replace("{id}", id)
                    .replace("{event}", event),
            );
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The field names of every request body in the description, and the
/// hook payload's (whose body is Claude Code's JSON, not a schema of ours).
fn fields(spec: &Value) -> Vec<String> {
    let mut out = vec![
        "session_id".to_string(),
        "tool_name".to_string(),
        "tool_input".to_string(),
        "stop_hook_active".to_string(),
    ];
    let schemas = &spec["components"]["schemas"];
    for item in spec["paths"].as_object().expect("paths").values() {
        let mut refs = Vec::new();
        refs_in(&item["post"]["requestBody"], &mut refs);
        for name in refs {
            let name = name.trim_start_matches("#/components/schemas/");
            if let Some(props) = schemas[name]["properties"].as_object() {
                out.extend(props.keys().cloned());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Every `$ref` under `v` (a body may be `oneOf` null and a schema).
fn refs_in(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                out.push(r.to_string());
            }
            m.values().for_each(|x| refs_in(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| refs_in(x, out)),
        _ => {}
    }
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "[a-z0-9 ._-]{0,24}".prop_map(Value::String),
        "\\PC{0,40}".prop_map(Value::String),
    ]
}

fn value(fields: Vec<String>) -> impl Strategy<Value = Value> {
    scalar().prop_recursive(2, 16, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(fields.clone()), inner), 0..4)
                .prop_map(|kv| { Value::Object(kv.into_iter().collect::<Map<_, _>>(),) }),
        ]
    })
}

fn body(fields: &[String]) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        prop::collection::vec(
            (
                prop::sample::select(fields.to_vec()),
                value(fields.to_vec())
            ),
            0..6
        )
        .prop_map(|kv| {
            Value::Object(kv.into_iter().collect::<Map<_, _>>())
                .to_string()
                .into_bytes()
        }),
        value(fields.to_vec()).prop_map(|v| v.to_string().into_bytes()),
    ]
}

fn tcp_post(addr: &str, token: &str, path: &str, body: &[u8]) -> u16 {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).expect("head");
    let _ = s.write_all(body);
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    resp.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[test]
fn random_bodies_on_every_post_route_never_get_a_5xx() {
    let ws = Ws::new(
        "[[agent]]\nname = \"sh\"\ncommand = \"sh\"\nargs = [\"-c\", \"printf 'ready> '; while IFS= read -r l; do printf 'ready> '; done\"]\nready_pattern = 'ready>\\s*$'\n",
    );
    let (child, first) = crate::e2e_headless::start(&ws, &["--listen", ":0"]);
    // Stopped when dropped, also when a case fails.
    let _instance = child;
    let addr = first
        .trim()
        .trim_start_matches("listening on http://")
        .to_string();
    let token = std::fs::read_to_string(ws.file(".nox/api-token")).expect("token");
    let token = token.trim().to_string();
    let socket = ws.file(".nox/nox.sock");
    let config = ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let spec = nox::server::openapi::spec();
    let spec = serde_json::to_value(&spec).expect("the description as JSON");
    let (routes, fields) = (routes(&spec), fields(&spec));
    assert!(
        routes.len() >= 20 && fields.iter().any(|f| f == "agent"),
        "{routes:?} {fields:?}"
    );
    proptest!(config, |(route in prop::sample::select(routes.clone()), body in body(&fields))| {
        let (st, text) = nox::client::request(&socket, "POST", &route, &[], Some(&body), Duration::from_secs(15))
            .expect("an answer on the socket");
        prop_assert!(st < 500, "socket POST {route} {:?} → {st}: {text}", String::from_utf8_lossy(&body));
        let st = tcp_post(&addr, &token, &route, &body);
        prop_assert!((1..500).contains(&st), "loopback POST {route} {:?} → {st}", String::from_utf8_lossy(&body));
    });
}
