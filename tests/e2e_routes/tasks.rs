//! The task routes: create (with an idempotency key), list, one, assign,
//! cancel and complete; each with its 400, 404, 409, 413 and 422.

use serde_json::json;

use super::api::Api;

/// Walks the task routes on `api`: one task that holds sh (and leaves it
/// running `sleep 600`), one blocked behind it; `tag` names them.
pub(super) fn walk(api: &Api, tag: &str) {
    let hold = api.ok(
        "POST",
        "/api/tasks",
        Some(&json!({"title": format!("hold-{tag}"), "body": "sleep 600", "assign": "sh"})),
        201,
    );
    let hold_id = hold["id"].as_u64().expect("id");
    let hold_path = format!("/api/tasks/{hold_id}");
    api.wait("sh runs the task", &hold_path, |t| {
        t["task"]["status"] == "running"
    });
    let keyed = [("Idempotency-Key", tag)];
    let later_body = json!({"title": format!("later-{tag}"), "after": [hold_id]});
    let later = api.ok_with("POST", "/api/tasks", &keyed, Some(&later_body), 201);
    assert_eq!(later["status"], "blocked", "{later}");
    let again = api.ok_with("POST", "/api/tasks", &keyed, Some(&later_body), 200);
    assert_eq!(again["id"], later["id"], "the key's task, not a new one");
    let later_id = later["id"].as_u64().expect("id");
    let listed = api.get("/api/tasks?status=blocked");
    assert!(
        listed
            .as_array()
            .expect("tasks")
            .iter()
            .any(|t| t["id"] == later_id),
        "{listed}"
    );
    api.fails("GET", "/api/tasks?status=sleepy", None, 400, "bad_status");
    let detail = api.get(&hold_path);
    assert_eq!(detail["task"]["title"], format!("hold-{tag}"), "{detail}");
    assert!(
        detail["events"].as_array().is_some_and(|e| !e.is_empty()),
        "{detail}"
    );
    let assign = format!("/api/tasks/{later_id}/assign");
    let cancel = format!("/api/tasks/{later_id}/cancel");
    let assigned = api.ok("POST", &assign, Some(&json!({"agent": "sh"})), 200);
    assert_eq!(
        (assigned["assignee"].as_str(), assigned["pinned"].as_bool()),
        (Some("sh"), Some(true)),
        "{assigned}"
    );
    // An unknown agent in the body is an invalid field, as at creation.
    api.post_fails(&assign, &json!({"agent": "ghost"}), 422, "refused");
    api.bad_json(&assign, b"sh");
    let cancelled = api.ok("POST", &cancel, None, 200);
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    api.fails("POST", &cancel, None, 409, "conflict");
    api.post_fails(&assign, &json!({"agent": "sh"}), 409, "conflict");

    let complete = format!("{hold_path}/complete");
    let summary = json!({"summary": format!("held-{tag}")});
    let sent = summary.to_string();
    api.post_fails(&complete, &summary, 422, "no_agent");
    api.fails_as("cc", &complete, sent.as_bytes(), 409, "conflict");
    api.fails_as("Not An Agent", &complete, sent.as_bytes(), 400, "bad_agent");
    api.fails_as("sh", &complete, b"done", 400, "bad_json");
    api.fails_as(
        "sh",
        "/api/tasks/x/complete",
        sent.as_bytes(),
        400,
        "bad_id",
    );
    let done = api.ok_with(
        "POST",
        &complete,
        &[("X-Nox-Agent", "sh")],
        Some(&summary),
        200,
    );
    assert_eq!(done["status"], "done", "{done}");
    assert!(
        done["result"]
            .as_str()
            .is_some_and(|r| r.contains(&format!("held-{tag}"))),
        "{done}"
    );

    let tasks = "/api/tasks";
    api.post_fails(tasks, &json!({"title": " "}), 422, "refused");
    api.post_fails(
        tasks,
        &json!({"title": "t", "assign": "ghost"}),
        422,
        "refused",
    );
    // Under the 2 MiB request limit: the runtime refuses the body itself.
    let why = api.post_fails(
        tasks,
        &json!({"title": "t", "body": "x".repeat(1024 * 1024 + 1)}),
        413,
        "too_large",
    );
    assert!(why.contains("task body") && why.contains("1 MiB"), "{why}");
    api.bad_json(tasks, b"{\"title\": \"t\",}");
    api.post_fails(tasks, &json!({"title": 5}), 400, "bad_json");
    api.fails("GET", "/api/tasks/999999", None, 404, "not_found");
    api.fails("GET", "/api/tasks/abc", None, 400, "bad_request");
    api.fails("POST", "/api/tasks/999999/cancel", None, 404, "not_found");
    api.post_fails(
        "/api/tasks/999999/assign",
        &json!({"agent": "sh"}),
        404,
        "not_found",
    );
    api.fails_as(
        "sh",
        "/api/tasks/999999/complete",
        sent.as_bytes(),
        404,
        "not_found",
    );
}
