//! `GET /api/openapi.json`: the OpenAPI 3.1 description, the same on the
//! socket and on loopback TCP (behind the token there), naming every route
//! the router serves with its method, request bodies by schema, the bearer
//! scheme on all but `/health`, the SSE route as `text/event-stream`, the
//! hook route as internal; and docs/api.md mentions every route of it.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::e2e_headless::{http, start};
use crate::support::{Ws, socket_call, socket_get};

/// Every route the router serves: (method, path as the description spells it).
const ROUTES: &[(&str, &str)] = &[
    ("get", "/health"),
    ("post", "/hook/{event}"),
    ("get", "/api/openapi.json"),
    ("get", "/metrics"),
    ("get", "/api/agents"),
    ("post", "/api/agents"),
    ("get", "/api/agents/{name}"),
    ("delete", "/api/agents/{name}"),
    ("post", "/api/agents/{name}/start"),
    ("post", "/api/agents/{name}/stop"),
    ("post", "/api/agents/{name}/restart"),
    ("get", "/api/agents/{name}/screen"),
    ("post", "/api/agents/{name}/input"),
    ("post", "/api/agents/{name}/approve"),
    ("get", "/api/tasks"),
    ("post", "/api/tasks"),
    ("get", "/api/tasks/{id}"),
    ("post", "/api/tasks/{id}/cancel"),
    ("post", "/api/tasks/{id}/assign"),
    ("post", "/api/tasks/{id}/complete"),
    ("get", "/api/messages"),
    ("post", "/api/messages"),
    ("get", "/api/events"),
];

/// The routes whose request body is a JSON schema of nox's own.
const BODIES: &[(&str, &str)] = &[
    ("/api/agents", "AgentRequest"),
    ("/api/agents/{name}/input", "InputRequest"),
    ("/api/agents/{name}/approve", "ApproveRequest"),
    ("/api/tasks", "TaskRequest"),
    ("/api/tasks/{id}/assign", "AssignRequest"),
    ("/api/tasks/{id}/complete", "CompleteRequest"),
    ("/api/messages", "MessageRequest"),
];

const TOML: &str = "[[agent]]\nname = \"sh\"\ncommand = \"sh\"\n";

/// `path` with its parameters filled in with names nothing answers to.
fn concrete(path: &str) -> String {
    path.replace("{name}", "ghost")
        .replace("{id}", "999999")
        .replace("{event}", "Stop")
}

/// Every (method, path) the description has.
fn described(spec: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            out.insert((method.clone(), path.clone()));
        }
    }
    out
}

/// The `$ref` a JSON request body points to, through a nullable `oneOf`.
fn body_ref(op: &Value) -> Option<String> {
    let schema = &op["requestBody"]["content"]["application/json"]["schema"];
    let direct = schema["$ref"].as_str();
    let nullable = schema["oneOf"]
        .as_array()
        .and_then(|alts| alts.iter().find_map(|a| a["$ref"].as_str()));
    direct.or(nullable).map(str::to_string)
}

#[test]
fn the_description_names_every_route_on_the_socket_and_behind_the_token() {
    let ws = Ws::new(TOML);
    let (mut nox, first) = start(&ws, &["--listen", "127.0.0.1:0"]);
    let addr = first
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("first line: {first:?}"))
        .to_string();
    let host = ("Host", addr.as_str());
    let token = std::fs::read_to_string(ws.file(".nox/api-token")).expect("token");
    let bearer = format!("Bearer {}", token.trim());

    let spec = socket_get(ws.path(), "/api/openapi.json");
    let (st, body) = http(&addr, "GET", "/api/openapi.json", &[host]);
    assert_eq!(st, 401, "{body}");
    let (st, body) = http(
        &addr,
        "GET",
        "/api/openapi.json",
        &[host, ("Authorization", bearer.as_str())],
    );
    assert_eq!(st, 200, "{}", body.chars().take(300).collect::<String>());
    let over_tcp: Value = serde_json::from_str(&body).expect("JSON over TCP");
    assert_eq!(over_tcp, spec, "the socket and TCP describe the same API");

    assert!(
        spec["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        spec["openapi"]
    );
    // The description and the list name the same routes, and the router
    // serves each (an unknown route is 404 `no route …`, a wrong method 405).
    let want: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_string(), (*p).to_string()))
        .collect();
    let have = described(&spec);
    let undescribed: Vec<_> = want.difference(&have).collect();
    let unlisted: Vec<_> = have.difference(&want).collect();
    assert!(
        undescribed.is_empty() && unlisted.is_empty(),
        "served but not described: {undescribed:?}; described but not in ROUTES: {unlisted:?}"
    );
    for (method, path) in ROUTES {
        let mut url = concrete(path);
        if *path == "/api/events" {
            url.push_str("?follow=false");
        }
        let (st, body) = socket_call(ws.path(), &method.to_uppercase(), &url, None);
        let unrouted = st == 405
            || (st == 404
                && body["error"]["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("no route")));
        assert!(!unrouted, "{method} {url} is not served: {st} {body}");
    }

    // Request bodies reference their schemas, and every reference resolves.
    for (path, schema) in BODIES {
        let op = &spec["paths"][path]["post"];
        assert_eq!(
            body_ref(op).as_deref(),
            Some(format!("#/components/schemas/{schema}").as_str()),
            "{path}: {op}"
        );
    }
    let text = spec.to_string();
    for piece in text.split("\"$ref\":\"#/components/").skip(1) {
        let name = piece.split('"').next().unwrap_or_default();
        let (kind, name) = name.split_once('/').expect("kind/name");
        assert!(
            spec["components"][kind][name].is_object(),
            "dangling reference {kind}/{name}"
        );
    }

    // The bearer scheme on every route but /health, with its 401.
    assert_eq!(
        spec["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert_eq!(spec["security"], serde_json::json!([{"bearer": []}]));
    let mut ids = BTreeSet::new();
    for (method, path) in ROUTES {
        let op = &spec["paths"][path][method];
        let open = *path == "/health";
        assert_eq!(op["security"] == serde_json::json!([]), open, "{path}");
        assert_eq!(op["responses"]["401"].is_object(), !open, "{path}");
        assert!(op["responses"]["403"].is_object(), "{path}");
        let id = op["operationId"].as_str().expect("operationId");
        assert!(ids.insert(id.to_string()), "operationId {id} twice");
    }
    for (path, _) in BODIES {
        let responses = &spec["paths"][path]["post"]["responses"];
        for status in ["400", "413"] {
            assert!(responses[status].is_object(), "{path} lacks {status}");
        }
    }
    let sse = &spec["paths"]["/api/events"]["get"]["responses"]["200"]["content"];
    assert!(sse["text/event-stream"].is_object(), "{sse}");
    let hook = &spec["paths"]["/hook/{event}"]["post"];
    assert_eq!(hook["x-internal"], true);
    assert_eq!(hook["tags"], serde_json::json!(["internal"]));
    assert!(
        spec["components"]["schemas"]["ErrorBody"]["properties"]["error"].is_object(),
        "the error shape"
    );

    crate::support::kill(nox.id() as i32, nix::sys::signal::Signal::SIGTERM);
    assert_eq!(nox.wait().expect("wait").code(), Some(0));
}

#[test]
fn docs_api_md_mentions_every_route_of_the_description() {
    let spec = serde_json::to_value(nox::server::openapi::spec()).expect("spec");
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/api.md"))
        .expect("docs/api.md");
    let missing: Vec<String> = described(&spec)
        .into_iter()
        .map(|(m, p)| format!("{} {p}", m.to_uppercase()))
        .filter(|route| !docs.contains(route.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/api.md does not mention {missing:?}"
    );
}
