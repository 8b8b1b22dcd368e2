//! The message routes: send and list; each with its 400, 404, 413 and 422.

use serde_json::json;

use super::api::Api;

/// Walks the message routes on `api`; `tag` marks the note it sends.
pub(super) fn walk(api: &Api, tag: &str) {
    let text = format!("note-{tag}");
    let sent = api.ok(
        "POST",
        "/api/messages",
        Some(&json!({"from": "off", "to": "user", "text": text})),
        201,
    );
    assert_eq!(
        (sent["to"].as_str(), sent["state"].as_str()),
        (Some("user"), Some("delivered")),
        "{sent}"
    );
    let flow = api.get("/api/messages?agent=off&limit=10");
    assert!(
        flow.as_array()
            .expect("messages")
            .iter()
            .any(|m| m["text"] == text.as_str()),
        "{flow}"
    );
    let messages = "/api/messages";
    api.post_fails(
        messages,
        &json!({"to": "ghost", "text": "hi"}),
        404,
        "not_found",
    );
    api.post_fails(messages, &json!({"to": "sh", "text": " "}), 422, "refused");
    api.post_fails(
        messages,
        &json!({"from": "nobody", "to": "sh", "text": "hi"}),
        422,
        "refused",
    );
    let as_other = json!({"from": "off", "to": "user", "text": "hi"}).to_string();
    api.fails_as("cc", messages, as_other.as_bytes(), 422, "bad_sender");
    let why = api.post_fails(
        messages,
        &json!({"to": "user", "from": "off", "text": "x".repeat(1024 * 1024 + 1)}),
        413,
        "too_large",
    );
    assert!(why.contains("the message is"), "{why}");
    api.bad_json(messages, b"[1, 2");
    api.fails("GET", "/api/messages?limit=many", None, 400, "bad_query");
}
