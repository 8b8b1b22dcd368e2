//! The claude agent's routes: a `PermissionRequest` hook that waits for
//! the API's approval, the approval itself, and a `Stop` hook; each with
//! its 400, 404, 409 and 422.

use serde_json::{Value, json};

use super::api::Api;

/// Walks cc's approval and the hook routes on `api`; `tag` names the
/// command cc asks to run.
pub(super) fn walk(api: &Api, tag: &str) {
    // cc: its permission hook waits for the API's answer.
    let asking = {
        let to = api.to.clone();
        let payload =
            json!({"tool_name": "Bash", "tool_input": {"command": format!("touch {tag}")}});
        std::thread::spawn(move || {
            to.call(
                "POST",
                "/hook/PermissionRequest?agent=cc",
                &[],
                Some(payload.to_string().as_bytes()),
            )
        })
    };
    let what = format!("touch {tag}");
    api.wait("cc waits for an approval", "/api/agents/cc", |a| {
        a["approval"]["what"] == what.as_str()
    });
    let approve = "/api/agents/cc/approve";
    let decided = api.ok("POST", approve, Some(&json!({"allow": true})), 200);
    assert_eq!(
        (
            decided["agent"].as_str(),
            decided["allow"].as_bool(),
            decided["by"].as_str()
        ),
        (Some("cc"), Some(true), Some("api")),
        "{decided}"
    );
    assert_eq!(decided["approval"]["what"], what.as_str(), "{decided}");
    let hooked = asking.join().expect("the hook request");
    api.note("POST", "/hook/PermissionRequest?agent=cc", hooked.status);
    assert_eq!(hooked.status, 200, "{}", hooked.body);
    let answer: Value = serde_json::from_str(&hooked.body).expect("the hook's answer");
    assert_eq!(
        answer["hookSpecificOutput"]["decision"]["behavior"], "allow",
        "{answer}"
    );
    api.post_fails(approve, &json!({"allow": false}), 409, "conflict");
    api.bad_json(approve, b"yes");
    api.post_fails(approve, &json!({"allow": "yes"}), 400, "bad_json");

    let stop = api.send("POST", "/hook/Stop?agent=cc", &[], Some(b"{}"));
    assert_eq!(
        (stop.status, stop.body.as_str()),
        (200, ""),
        "a Stop hook says nothing"
    );
    api.post_fails("/hook/Stop?agent=sh", &json!({}), 422, "refused");
    api.post_fails("/hook/Stop?agent=ghost", &json!({}), 404, "not_found");
    api.bad_json("/hook/Stop?agent=cc", b"{");
    api.post_fails(
        "/hook/Stop?agent=cc",
        &json!({"session_id": "nope"}),
        400,
        "bad_hook",
    );
}
