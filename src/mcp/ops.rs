//! The six operations behind the tools: each maps its input to one request
//! on the control socket and the answer to the text the model reads (a
//! compact JSON document), or a refusal to the reason it can act on.

use serde_json::{Map, Value, json};

use super::bridge::{Bridge, CallError};
use super::params::{CompleteTask, DelegateTask, ListTasks, SendMessage, TaskResult};

/// What a tool call gives back: the text to show, or why it failed.
pub type Outcome = Result<String, String>;

/// The task fields `list_tasks` shows (the body and result are left to
/// `task_result`, so a long list stays short).
const TASK_LINE: [&str; 8] = [
    "id",
    "title",
    "status",
    "assignee",
    "needs",
    "after",
    "detail",
    "created_by",
];

/// The task fields `task_result`, `delegate_task` and `complete_task` show.
const TASK_RESULT: [&str; 7] = [
    "id", "title", "status", "assignee", "result", "summary", "detail",
];

/// `list_agents`: every agent with its name, kind, status, capabilities and
/// current task; the calling agent is marked `"you": true`.
pub fn list_agents(b: &Bridge) -> Outcome {
    let agents = b
        .call("GET", "/api/agents", None)
        .map_err(|e| e.explain(None))?;
    Ok(text(&shape_agents(&agents, b.agent())))
}

/// `send_message`: a message from this agent to `to`.
pub fn send_message(b: &Bridge, p: &SendMessage) -> Outcome {
    let body = json!({"from": b.agent(), "to": p.to, "text": p.text});
    let m = b
        .call("POST", "/api/messages", Some(&body))
        .map_err(|e| message_refused(&e))?;
    Ok(text(&pick(
        &m,
        &["id", "to", "state", "reason", "task", "created_ms"],
    )))
}

/// `delegate_task`: a new task, created by this agent (the instance makes
/// it a subtask of the task the agent is working on).
pub fn delegate_task(b: &Bridge, p: &DelegateTask) -> Outcome {
    let t = b
        .call("POST", "/api/tasks", Some(&delegate_body(p)))
        .map_err(|e| task_refused(&e))?;
    Ok(text(&pick(&t, &TASK_RESULT)))
}

/// `list_tasks`: the tasks, optionally of one status, one line each.
pub fn list_tasks(b: &Bridge, p: &ListTasks) -> Outcome {
    let path = match p.status {
        Some(s) => format!("/api/tasks?status={}", s.as_str()),
        None => "/api/tasks".to_string(),
    };
    let tasks = b.call("GET", &path, None).map_err(|e| e.explain(None))?;
    let lines: Vec<Value> = tasks
        .as_array()
        .map(|a| a.iter().map(|t| pick(t, &TASK_LINE)).collect())
        .unwrap_or_default();
    Ok(text(&Value::Array(lines)))
}

/// `task_result`: a task's status, assignee and result.
pub fn task_result(b: &Bridge, p: &TaskResult) -> Outcome {
    let v = b
        .call("GET", &format!("/api/tasks/{}", p.id), None)
        .map_err(|e| match e.status() {
            Some(404) => e.explain(Some("Call list_tasks to see the task ids.")),
            _ => e.explain(None),
        })?;
    let task = if v["task"].is_object() {
        &v["task"]
    } else {
        &v
    };
    Ok(text(&pick(task, &TASK_RESULT)))
}

/// `complete_task`: marks this agent's running task done with a summary.
pub fn complete_task(b: &Bridge, p: &CompleteTask) -> Outcome {
    let t = b
        .call(
            "POST",
            &format!("/api/tasks/{}/complete", p.id),
            Some(&json!({"summary": p.summary})),
        )
        .map_err(|e| match e.status() {
            Some(409) => e.explain(Some(
                "Only the task you are running can be completed: its id is your current_task in \
                 list_agents.",
            )),
            Some(404) => e.explain(Some("Call list_tasks to see the task ids.")),
            _ => e.explain(None),
        })?;
    Ok(text(&pick(&t, &TASK_RESULT)))
}

/// The body of `POST /api/tasks` for `p` (`to` is the API's `assign`).
pub fn delegate_body(p: &DelegateTask) -> Value {
    let mut body = json!({"title": p.title, "body": p.body});
    if let Some(to) = &p.to {
        body["assign"] = json!(to);
    }
    if !p.needs.is_empty() {
        body["needs"] = json!(p.needs);
    }
    if !p.after.is_empty() {
        body["after"] = json!(p.after);
    }
    body
}

/// The agents of `GET /api/agents` as the model sees them.
pub fn shape_agents(agents: &Value, me: &str) -> Value {
    let list = agents.as_array().map(Vec::as_slice).unwrap_or_default();
    Value::Array(
        list.iter()
            .map(|a| {
                let mut v = pick(
                    a,
                    &["name", "kind", "status", "capabilities", "current_task"],
                );
                if a["name"] == me {
                    v["you"] = json!(true);
                }
                v
            })
            .collect(),
    )
}

/// The reason a message was refused, with what to do about it.
fn message_refused(e: &CallError) -> String {
    let hint = match e.status() {
        Some(404) => "Call list_agents for the agents' names.",
        Some(413) => "Send a shorter text.",
        Some(429) => {
            "You are sending messages too fast: this one was kept as refused and will not be \
             delivered. Wait before sending again."
        }
        _ => return e.explain(None),
    };
    e.explain(Some(hint))
}

/// The reason a task was refused, with what to do about it.
fn task_refused(e: &CallError) -> String {
    let hint = match e.status() {
        Some(404 | 409 | 422) => {
            "Change the request as the reason says (the agents' names: list_agents; the task \
             ids: list_tasks)."
        }
        Some(413) => "Shorten the body.",
        _ => return e.explain(None),
    };
    e.explain(Some(hint))
}

/// The `keys` of object `v` that are present, in that order.
fn pick(v: &Value, keys: &[&str]) -> Value {
    let mut out = Map::new();
    for k in keys {
        if let Some(x) = v.get(*k) {
            out.insert((*k).to_string(), x.clone());
        }
    }
    Value::Object(out)
}

fn text(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::bridge::tests::fake_instance;
    use super::*;

    #[test]
    fn delegate_maps_to_assign_needs_and_after() {
        let p = DelegateTask {
            title: "t".into(),
            body: "b".into(),
            to: Some("be".into()),
            needs: vec!["rust".into()],
            after: vec![1, 2],
        };
        assert_eq!(
            delegate_body(&p),
            json!({"title": "t", "body": "b", "assign": "be", "needs": ["rust"], "after": [1, 2]})
        );
        let bare = DelegateTask {
            title: "t".into(),
            body: "b".into(),
            ..DelegateTask::default()
        };
        assert_eq!(delegate_body(&bare), json!({"title": "t", "body": "b"}));
    }

    #[test]
    fn agents_show_what_a_model_needs_and_who_it_is() {
        let agents = json!([
            {"name": "be", "kind": "claude", "status": "busy", "detail": "x", "pid": 7,
             "current_task": 4, "capabilities": ["rust"]},
            {"name": "fe", "kind": "generic", "status": "idle", "current_task": null,
             "capabilities": []}
        ]);
        assert_eq!(
            shape_agents(&agents, "fe"),
            json!([
                {"name": "be", "kind": "claude", "status": "busy", "capabilities": ["rust"],
                 "current_task": 4},
                {"name": "fe", "kind": "generic", "status": "idle", "capabilities": [],
                 "current_task": null, "you": true}
            ])
        );
    }

    fn with_fake(
        status: u16,
        body: &str,
        op: impl FnOnce(&Bridge) -> Outcome,
    ) -> (Outcome, String) {
        let tmp = tempfile::tempdir().expect("tmp");
        let (sock, h) = fake_instance(tmp.path(), status, body);
        let out = op(&Bridge::new("me", Some(sock), Duration::from_secs(5)));
        (out, h.join().expect("fake"))
    }

    fn body_of(req: &str) -> Value {
        serde_json::from_str(req.split_once("\r\n\r\n").map_or("", |(_, b)| b)).expect("body")
    }

    #[test]
    fn a_rate_limited_message_says_it_was_kept_as_refused() {
        let (out, req) = with_fake(
            429,
            r#"{"error": {"code": "rate_limited", "message": "me sent 20 messages in the last minute"}}"#,
            |b| {
                send_message(
                    b,
                    &SendMessage {
                        to: "be".into(),
                        text: "hi".into(),
                    },
                )
            },
        );
        assert!(req.starts_with("POST /api/messages "), "{req}");
        assert_eq!(
            body_of(&req),
            json!({"from": "me", "to": "be", "text": "hi"})
        );
        let why = out.expect_err("refused");
        assert!(
            why.starts_with("me sent 20 messages in the last minute (HTTP 429 rate_limited)")
                && why.contains("kept as refused"),
            "{why}"
        );
    }

    #[test]
    fn task_result_reads_the_task_out_of_its_events() {
        let (out, req) = with_fake(
            200,
            r#"{"task": {"id": 5, "title": "t", "body": "long", "status": "done",
                "assignee": "be", "result": "all green", "detail": ""}, "events": [1, 2]}"#,
            |b| task_result(b, &TaskResult { id: 5 }),
        );
        assert!(req.starts_with("GET /api/tasks/5 "), "{req}");
        let v: Value = serde_json::from_str(&out.expect("ok")).expect("json");
        assert_eq!(
            v,
            json!({"id": 5, "title": "t", "status": "done", "assignee": "be",
                   "result": "all green", "detail": ""})
        );
    }

    #[test]
    fn completing_someone_elses_task_explains_which_one_can_be() {
        let (out, req) = with_fake(
            409,
            r#"{"error": {"code": "conflict", "message": "task 3 is not me's running task"}}"#,
            |b| {
                complete_task(
                    b,
                    &CompleteTask {
                        id: 3,
                        summary: "did it".into(),
                    },
                )
            },
        );
        assert!(req.starts_with("POST /api/tasks/3/complete "), "{req}");
        assert_eq!(body_of(&req), json!({"summary": "did it"}));
        let why = out.expect_err("refused");
        assert!(why.contains("current_task"), "{why}");
    }

    #[test]
    fn list_tasks_filters_by_status_and_leaves_bodies_out() {
        let (out, req) = with_fake(
            200,
            r#"[{"id": 1, "title": "t", "body": "long", "status": "queued", "assignee": null,
                 "needs": [], "after": [], "result": null, "detail": "", "created_by": "api"}]"#,
            |b| {
                list_tasks(
                    b,
                    &ListTasks {
                        status: Some(super::super::params::Status::Queued),
                    },
                )
            },
        );
        assert!(req.starts_with("GET /api/tasks?status=queued "), "{req}");
        let out = out.expect("ok");
        assert!(
            !out.contains("long") && out.contains(r#""status":"queued""#),
            "{out}"
        );
    }
}
