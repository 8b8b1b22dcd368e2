//! The MCP server "nox" (rmcp): six tools whose calls run the operations of
//! [`super::ops`] off the async runtime; a failure comes back as a tool
//! error (`isError: true`) with its reason, never as a protocol error.

use std::sync::Arc;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerInfo};
use rmcp::{ServerHandler, tool, tool_handler, tool_router};

use super::bridge::Bridge;
use super::ops::{self, Outcome};
use super::params::{CompleteTask, DelegateTask, ListTasks, SendMessage, TaskResult};

/// The server's `instructions`, shown to the model with the tools.
pub const INSTRUCTIONS: &str = "nox runs a team of coding agents; you are one of them. \
    These tools reach the other agents through nox: see who is there (list_agents), \
    message one (send_message), hand work to others as tasks (delegate_task, list_tasks, \
    task_result), and report your own task done (complete_task).";

/// The MCP server of one agent.
#[derive(Clone)]
pub struct NoxMcp {
    bridge: Arc<Bridge>,
    tool_router: ToolRouter<Self>,
}

impl NoxMcp {
    /// A server whose tools act as `bridge`'s agent.
    pub fn new(bridge: Bridge) -> Self {
        Self {
            bridge: Arc::new(bridge),
            tool_router: Self::tool_router(),
        }
    }

    /// Runs `op` (blocking socket I/O) on the blocking pool; its outcome
    /// as a tool result.
    async fn run(&self, op: impl FnOnce(&Bridge) -> Outcome + Send + 'static) -> CallToolResult {
        let bridge = Arc::clone(&self.bridge);
        let out = tokio::task::spawn_blocking(move || op(&bridge))
            .await
            .unwrap_or_else(|e| Err(format!("nox mcp failed to run the tool: {e}")));
        to_result(out)
    }
}

/// An outcome as a tool result: success text, or a tool error with the reason.
pub fn to_result(out: Outcome) -> CallToolResult {
    match out {
        Ok(text) => CallToolResult::success(vec![ContentBlock::text(text)]),
        Err(why) => CallToolResult::error(vec![ContentBlock::text(why)]),
    }
}

#[tool_router]
impl NoxMcp {
    /// `list_agents`.
    #[tool(
        description = "List the agents of this nox workspace, you among them (marked \"you\": true): \
            name, kind (claude or generic), status (starting, idle, busy, waiting, stopped, exited, \
            crashed, …), capabilities, and current_task (the id of the task it works on, or null). \
            Use it to choose whom to message or delegate to.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn list_agents(&self) -> CallToolResult {
        self.run(ops::list_agents).await
    }

    /// `send_message`.
    #[tool(
        description = "Send a text message from you to another agent of this nox workspace (or to \
            \"user\", the person at the dashboard); nox delivers it to that agent between its \
            turns. Returns the message id and its delivery state. Do not wait in this turn for a \
            reply.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            open_world_hint = false
        )
    )]
    async fn send_message(&self, Parameters(p): Parameters<SendMessage>) -> CallToolResult {
        self.run(move |b| ops::send_message(b, &p)).await
    }

    /// `delegate_task`.
    #[tool(
        description = "Create a task for another agent to do; it becomes a subtask of the task you \
            are working on. nox gives it to `to` when named, else to an idle agent having every \
            capability in `needs`, once the tasks in `after` are done. Returns the task (id, \
            status, assignee); follow it with task_result.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            open_world_hint = false
        )
    )]
    async fn delegate_task(&self, Parameters(p): Parameters<DelegateTask>) -> CallToolResult {
        self.run(move |b| ops::delegate_task(b, &p)).await
    }

    /// `list_tasks`.
    #[tool(
        description = "List the tasks of this nox workspace (id, title, status, assignee, needs, \
            after, detail, created_by), optionally only those with one status. Results are left \
            out: use task_result for one task's result.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn list_tasks(&self, Parameters(p): Parameters<ListTasks>) -> CallToolResult {
        self.run(move |b| ops::list_tasks(b, &p)).await
    }

    /// `task_result`.
    #[tool(
        description = "Get one task's status, assignee and result (the summary or final message of \
            the agent that did it, present once the task is done; detail says why a task failed). \
            A task still queued, assigned or running has no result yet: check again later.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn task_result(&self, Parameters(p): Parameters<TaskResult>) -> CallToolResult {
        self.run(move |b| ops::task_result(b, &p)).await
    }

    /// `complete_task`.
    #[tool(
        description = "Mark the task you are working on as done, with a summary of what you did as \
            its result. Only your own running task can be completed: its id is your current_task \
            in list_agents.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            open_world_hint = false
        )
    )]
    async fn complete_task(&self, Parameters(p): Parameters<CompleteTask>) -> CallToolResult {
        self.run(move |b| ops::complete_task(b, &p)).await
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for NoxMcp {
    fn get_info(&self) -> ServerInfo {
        ServerInfo::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("nox", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_tools_each_with_an_object_schema_and_a_description() {
        let server = NoxMcp::new(Bridge::new("me", None, std::time::Duration::from_secs(1)));
        let mut names: Vec<String> = server
            .tool_router
            .list_all()
            .iter()
            .map(|t| {
                assert_eq!(t.input_schema["type"], "object", "{}", t.name);
                assert!(
                    t.description.as_ref().is_some_and(|d| d.len() > 40),
                    "{}",
                    t.name
                );
                t.name.to_string()
            })
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "complete_task",
                "delegate_task",
                "list_agents",
                "list_tasks",
                "send_message",
                "task_result"
            ]
        );
        assert_eq!(server.get_info().server_info.name, "nox");
    }

    #[test]
    fn a_failure_is_a_tool_error_with_its_reason() {
        let r = to_result(Err("no nox instance answers at /x".into()));
        assert_eq!(r.is_error, Some(true));
        let v = serde_json::to_value(&r).expect("json");
        assert_eq!(v["content"][0]["text"], "no nox instance answers at /x");
        assert_eq!(to_result(Ok("[]".into())).is_error, Some(false));
    }
}
