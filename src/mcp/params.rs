//! The tools' inputs: what a model may pass, with the JSON schemas (and
//! field descriptions, from these doc comments) that `tools/list` shows.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Input of `send_message`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SendMessage {
    /// The name of the agent to send to (see `list_agents`), or `user` for the person at the nox dashboard.
    pub to: String,
    /// The message: plain text, not empty.
    pub text: String,
}

/// Input of `delegate_task`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct DelegateTask {
    /// A one-line title.
    pub title: String,
    /// The full instructions, delivered to the agent that takes the task as its prompt: say what done means.
    pub body: String,
    /// The agent that must do it (a name from `list_agents`). Leave it out to let nox pick an idle agent with the capabilities in `needs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub to: Option<String>,
    /// Capabilities the agent doing it must have (see `list_agents`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<String>,
    /// Ids of tasks that must be done before this one starts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<u64>,
}

/// A task status, to filter `list_tasks` by: blocked (waits for the tasks
/// it comes after), queued (waits for an agent), assigned (given to an
/// agent, not started), running, done, failed (gave up), cancelled. The
/// variants carry no doc comments so that the schema is a plain `enum`.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum Status {
    Blocked,
    Queued,
    Assigned,
    Running,
    Done,
    Failed,
    Cancelled,
}

impl Status {
    /// The name the API uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Blocked => "blocked",
            Status::Queued => "queued",
            Status::Assigned => "assigned",
            Status::Running => "running",
            Status::Done => "done",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
        }
    }
}

/// Input of `list_tasks`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct ListTasks {
    /// Only tasks with this status (blocked: waits for the tasks it comes after; queued: waits for an agent; assigned: given to an agent, not started); leave it out for every task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Status")]
    pub status: Option<Status>,
}

/// Input of `task_result`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct TaskResult {
    /// The task id (`delegate_task` returned it; `list_tasks` shows them all).
    pub id: u64,
}

/// Input of `complete_task`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CompleteTask {
    /// The id of the task you are working on (your `current_task` in `list_agents`).
    pub id: u64,
    /// What you did and what came out of it: this becomes the task's result, read by whoever delegated it.
    pub summary: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_named_as_the_api_names_them() {
        for s in [
            Status::Blocked,
            Status::Queued,
            Status::Assigned,
            Status::Running,
            Status::Done,
            Status::Failed,
            Status::Cancelled,
        ] {
            assert_eq!(serde_json::to_value(s).expect("json"), s.as_str());
        }
    }

    #[test]
    fn only_title_and_body_are_required_to_delegate() {
        let d: DelegateTask =
            serde_json::from_str(r#"{"title": "t", "body": "b"}"#).expect("minimal input");
        assert!(d.to.is_none() && d.needs.is_empty() && d.after.is_empty());
        let schema = serde_json::to_value(schemars::schema_for!(DelegateTask)).expect("schema");
        assert_eq!(schema["required"], serde_json::json!(["title", "body"]));
        assert_eq!(schema["properties"]["to"]["type"], "string");
    }

    #[test]
    fn the_status_filter_is_a_plain_optional_enum() {
        let schema = serde_json::to_value(schemars::schema_for!(ListTasks)).expect("schema");
        let status = &schema["properties"]["status"];
        assert_eq!(status["type"], "string", "{schema}");
        assert_eq!(status["enum"].as_array().map(Vec::len), Some(7), "{schema}");
        assert!(schema.get("required").is_none(), "{schema}");
    }
}
