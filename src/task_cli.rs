//! `nox task add|list|show|cancel` (SPEC §3). While an instance runs they
//! act through its control socket, so the dashboard shows the change at
//! once; otherwise they act on the store directly.

use serde_json::{Value, json};

use crate::cli::TaskCommand;
use crate::client::{error_message, request};
use crate::config::Workspace;
use crate::domain::{Task, TaskEvent, TaskStatus};
use crate::server::TaskRequest;
use crate::store::{Store, events, tasks};

/// Runs a task subcommand; returns the exit code.
pub fn run(ws: &Workspace, cmd: &TaskCommand) -> u8 {
    match go(ws, cmd) {
        Ok(()) => 0,
        Err((code, msg)) => {
            eprintln!("nox: {msg}");
            code
        }
    }
}

type Outcome<T> = Result<T, (u8, String)>;

/// Through the socket when an instance answers: `Some((status, body))`.
fn via_socket(
    ws: &Workspace,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Option<(u16, String)> {
    let bytes = body.map(|b| b.to_string().into_bytes());
    request(&ws.dir().join("nox.sock"), method, path, bytes.as_deref()).ok()
}

fn store(ws: &Workspace) -> Outcome<Store> {
    Store::open(&ws.dir().join("nox.db")).map_err(|e| {
        (
            3,
            format!(
                "cannot open the store {}: {e}",
                ws.dir().join("nox.db").display()
            ),
        )
    })
}

fn answer(status: u16, body: &str) -> Outcome<Value> {
    if (200..300).contains(&status) {
        serde_json::from_str(body).map_err(|e| (1, format!("bad answer from nox: {e}")))
    } else {
        Err((
            if status == 404 || status == 422 || status == 409 || status == 400 {
                2
            } else {
                1
            },
            error_message(body),
        ))
    }
}

fn go(ws: &Workspace, cmd: &TaskCommand) -> Outcome<()> {
    match cmd {
        TaskCommand::Add(a) => {
            let body = match &a.body_file {
                Some(f) => Some(
                    std::fs::read_to_string(f).map_err(|e| (2, format!("{}: {e}", f.display())))?,
                ),
                None => a.body.clone(),
            };
            let req = json!({"title": a.title, "body": body, "priority": a.priority, "needs": a.needs,
                             "after": a.after, "assign": a.assign});
            let t: Task = match via_socket(ws, "POST", "/api/tasks", Some(&req)) {
                Some((status, text)) => serde_json::from_value(answer(status, &text)?)
                    .map_err(|e| (1, e.to_string()))?,
                None => {
                    let new: TaskRequest =
                        serde_json::from_value(req).map_err(|e| (2, e.to_string()))?;
                    let new = new.into_new();
                    store(ws)?
                        .write(move |c| tasks::create(c, &new))
                        .map_err(|e| (2, e.to_string()))?
                }
            };
            println!("task {} added ({}): {}", t.id, t.status, t.title);
            Ok(())
        }
        TaskCommand::List { status, json } => {
            let filter = match status.as_deref() {
                None => None,
                Some(s) => Some(TaskStatus::parse(s).ok_or_else(|| {
                    (2, format!("unknown status {s:?}: expected blocked, queued, assigned, running, done, failed or cancelled"))
                })?),
            };
            let mut list: Vec<Task> = match via_socket(ws, "GET", "/api/tasks", None) {
                Some((status, text)) => serde_json::from_value(answer(status, &text)?)
                    .map_err(|e| (1, e.to_string()))?,
                None => store(ws)?
                    .read(|c| tasks::list(c, None))
                    .map_err(|e| (3, e.to_string()))?,
            };
            list.retain(|t| filter.is_none_or(|f| t.status == f));
            if *json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&list).unwrap_or_default()
                );
            } else {
                println!(
                    "{:<5} {:<10} {:>4} {:<12} {:<10} TITLE",
                    "ID", "STATUS", "PRI", "ASSIGNEE", "AFTER"
                );
                for t in list {
                    let after: Vec<String> = t.after.iter().map(|a| format!("#{a}")).collect();
                    println!(
                        "{:<5} {:<10} {:>4} {:<12} {:<10} {}",
                        t.id,
                        t.status.as_str(),
                        t.priority,
                        t.assignee.as_deref().unwrap_or("-"),
                        after.join(","),
                        t.title
                    );
                }
            }
            Ok(())
        }
        TaskCommand::Show { id, json } => {
            let id = *id;
            let v = match via_socket(ws, "GET", &format!("/api/tasks/{id}"), None) {
                Some((status, text)) => answer(status, &text)?,
                None => {
                    let found = store(ws)?
                        .read(move |c| {
                            Ok(tasks::get(c, id)?.map(|t| (t, events::list(c, 0, 1000, Some(id)))))
                        })
                        .map_err(|e| (3, e.to_string()))?;
                    match found {
                        Some((t, evs)) => {
                            json!({"task": t, "events": evs.map_err(|e| (3, e.to_string()))?})
                        }
                        None => return Err((2, format!("no task {id}"))),
                    }
                }
            };
            if *json {
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
                return Ok(());
            }
            let t: Task =
                serde_json::from_value(v["task"].clone()).map_err(|e| (1, e.to_string()))?;
            println!(
                "task {}: {}\nstatus:   {}\nassignee: {}\npriority: {}\nattempts: {}/{}",
                t.id,
                t.title,
                t.status,
                t.assignee.as_deref().unwrap_or("-"),
                t.priority,
                t.attempts,
                t.max_attempts
            );
            if !t.after.is_empty() {
                println!(
                    "after:    {}",
                    t.after
                        .iter()
                        .map(|a| format!("#{a}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            if !t.detail.is_empty() {
                println!("detail:   {}", t.detail);
            }
            println!("\n{}", t.body);
            if let Some(r) = &t.result {
                println!("\nresult:\n{r}");
            }
            println!("\nevents:");
            for e in v["events"].as_array().into_iter().flatten() {
                println!(
                    "  {} {} {}",
                    e["ts_ms"],
                    e["kind"].as_str().unwrap_or(""),
                    e["data"]
                );
            }
            Ok(())
        }
        TaskCommand::Cancel { id } => {
            let id = *id;
            let t: Task = match via_socket(ws, "POST", &format!("/api/tasks/{id}/cancel"), None) {
                Some((status, text)) => serde_json::from_value(answer(status, &text)?)
                    .map_err(|e| (1, e.to_string()))?,
                None => store(ws)?
                    .write(move |c| tasks::apply(c, id, &TaskEvent::Cancel))
                    .map_err(|e| (2, e.to_string()))?,
            };
            println!("task {} {}", t.id, t.status);
            Ok(())
        }
    }
}
