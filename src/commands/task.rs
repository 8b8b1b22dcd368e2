//! `nox task add|list|show|cancel` (SPEC §3). While an instance runs they
//! act through its control socket, so the dashboard shows the change at
//! once; otherwise they act on the store directly. `add` never writes
//! twice: each request carries an idempotency key, and a CLI that gets no
//! answer from a running instance says so instead of writing to the store.

use serde_json::{Value, json};

use super::events::human;
use super::instance::{EXIT_STORE, Failure, Route, answer, call};
use crate::cli::{TaskAdd, TaskCommand};
use crate::config::Workspace;
use crate::domain::limits::{MAX_TASK_BODY, check_task};
use crate::domain::{Event, NewTask, Task, TaskEvent, TaskStatus};
use crate::say;
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

fn store(ws: &Workspace) -> Result<Store, Failure> {
    let db = ws.dir().join("nox.db");
    Store::open(&db).map_err(|e| {
        (
            EXIT_STORE,
            format!("cannot open the store {}: {e}", db.display()),
        )
    })
}

/// The body of `--body-file FILE`, refused past the body limit before it
/// is read.
fn body_file(path: &std::path::Path) -> Result<String, Failure> {
    let meta = std::fs::metadata(path).map_err(|e| (2, format!("{}: {e}", path.display())))?;
    if meta.len() > MAX_TASK_BODY as u64 {
        return Err((
            2,
            format!(
                "{}: {} bytes; a task body is at most {MAX_TASK_BODY} bytes (1 MiB)",
                path.display(),
                meta.len()
            ),
        ));
    }
    std::fs::read_to_string(path).map_err(|e| (2, format!("{}: {e}", path.display())))
}

fn add(ws: &Workspace, a: &TaskAdd) -> Result<(), Failure> {
    let body = match &a.body_file {
        Some(f) => Some(body_file(f)?),
        None => a.body.clone(),
    };
    check_task(&a.title, body.as_deref().unwrap_or(&a.title)).map_err(|e| (2, e.to_string()))?;
    let key = a
        .idempotency_key
        .clone()
        .unwrap_or_else(crate::sys::uuid::new_v4);
    let req = json!({"title": a.title, "body": body, "priority": a.priority, "needs": a.needs,
                     "after": a.after, "assign": a.assign});
    let acting = super::instance::acting_agent();
    let mut headers = vec![
        (crate::server::tasks::IDEMPOTENCY_KEY, key.as_str()),
        ("X-Nox-Client", "cli"),
    ];
    if let Some(a) = &acting {
        headers.push((crate::server::tasks::AGENT_HEADER, a.as_str()));
    }
    let (t, made) = match call(ws, "POST", "/api/tasks", Some(&req), &headers).map_err(|(c, m)| {
        (c, format!("{m} To get its answer without adding a second task: nox task add … --idempotency-key {key}"))
    })? {
        Route::Instance(status, text) => {
            let t: Task = serde_json::from_value(answer(status, &text)?).map_err(|e| (1, e.to_string()))?;
            (t, status == 201)
        }
        Route::Files => {
            if let Some(who) = &a.assign {
                let cfg = super::load(ws).map_err(|c| (c, "the config is invalid".to_string()))?;
                if !cfg.agents.iter().any(|x| &x.name == who) {
                    return Err((2, format!("cannot assign to {who:?}: no agent of that name in {}", ws.config_path().display())));
                }
            }
            let new = NewTask {
                body: body.unwrap_or_else(|| a.title.clone()),
                title: a.title.clone(),
                priority: a.priority,
                needs: a.needs.clone(),
                after: a.after.clone(),
                assignee: a.assign.clone(),
                max_attempts: None,
                key: Some(key.clone()),
                created_by: "cli".into(),
                parent: None,
            };
            store(ws)?
                .write(move |c| tasks::create(c, &new))
                .map_err(|e| (2, e.to_string()))?
        }
    };
    if made {
        say!("task {} added ({}): {}", t.id, t.status, t.title);
    } else {
        say!(
            "task {} was already added with this key ({}): {}",
            t.id,
            t.status,
            t.title
        );
    }
    Ok(())
}

fn go(ws: &Workspace, cmd: &TaskCommand) -> Result<(), Failure> {
    match cmd {
        TaskCommand::Add(a) => add(ws, a),
        TaskCommand::List { status, json } => {
            let filter = match status.as_deref() {
                None => None,
                Some(s) => Some(TaskStatus::parse(s).ok_or_else(|| {
                    (2, format!("unknown status {s:?}: expected blocked, queued, assigned, running, done, failed or cancelled"))
                })?),
            };
            let mut list: Vec<Task> = match call(ws, "GET", "/api/tasks", None, &[])? {
                Route::Instance(status, text) => serde_json::from_value(answer(status, &text)?)
                    .map_err(|e| (1, e.to_string()))?,
                Route::Files => store(ws)?
                    .read(|c| tasks::list(c, None))
                    .map_err(|e| (EXIT_STORE, e.to_string()))?,
            };
            list.retain(|t| filter.is_none_or(|f| t.status == f));
            if *json {
                say!(
                    "{}",
                    serde_json::to_string_pretty(&list).unwrap_or_default()
                );
                return Ok(());
            }
            say!(
                "{:<5} {:<10} {:>4} {:<12} {:<10} TITLE",
                "ID",
                "STATUS",
                "PRI",
                "ASSIGNEE",
                "AFTER"
            );
            for t in list {
                let after: Vec<String> = t.after.iter().map(|a| format!("#{a}")).collect();
                say!(
                    "{:<5} {:<10} {:>4} {:<12} {:<10} {}",
                    t.id,
                    t.status.as_str(),
                    t.priority,
                    t.assignee.as_deref().unwrap_or("-"),
                    after.join(","),
                    t.title
                );
            }
            Ok(())
        }
        TaskCommand::Show { id, json } => show(ws, *id, *json),
        TaskCommand::Cancel { id } => {
            let id = *id;
            let t: Task = match call(ws, "POST", &format!("/api/tasks/{id}/cancel"), None, &[])? {
                Route::Instance(status, text) => serde_json::from_value(answer(status, &text)?)
                    .map_err(|e| (1, e.to_string()))?,
                Route::Files => store(ws)?
                    .write(move |c| tasks::apply(c, id, &TaskEvent::Cancel))
                    .map_err(|e| (2, e.to_string()))?,
            };
            say!("task {} {}", t.id, t.status);
            Ok(())
        }
    }
}

fn show(ws: &Workspace, id: u64, as_json: bool) -> Result<(), Failure> {
    let v: Value = match call(ws, "GET", &format!("/api/tasks/{id}"), None, &[])? {
        Route::Instance(status, text) => answer(status, &text)?,
        Route::Files => {
            let found = store(ws)?
                .read(move |c| {
                    let Some(t) = tasks::get(c, id)? else {
                        return Ok(None);
                    };
                    let f = events::Filter {
                        task: Some(id),
                        ..events::Filter::default()
                    };
                    Ok(Some((t, events::list(c, &f)?)))
                })
                .map_err(|e| (EXIT_STORE, e.to_string()))?;
            match found {
                Some((t, evs)) => json!({"task": t, "events": evs}),
                None => return Err((2, format!("no task {id}"))),
            }
        }
    };
    if as_json {
        say!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return Ok(());
    }
    let t: Task = serde_json::from_value(v["task"].clone()).map_err(|e| (1, e.to_string()))?;
    say!("task {}: {}", t.id, t.title);
    say!("status:   {}", t.status);
    say!("assignee: {}", t.assignee.as_deref().unwrap_or("-"));
    say!("priority: {}", t.priority);
    say!("attempts: {}/{}", t.attempts, t.max_attempts);
    say!(
        "created:  {} by {}",
        super::out::local_time(t.created_ms),
        t.created_by
    );
    if !t.after.is_empty() {
        let after: Vec<String> = t.after.iter().map(|a| format!("#{a}")).collect();
        say!("after:    {}", after.join(", "));
    }
    if !t.detail.is_empty() {
        say!("detail:   {}", t.detail);
    }
    say!("\n{}", t.body);
    if let Some(r) = &t.result {
        say!("\nresult:\n{r}");
    }
    say!("\nevents:");
    let evs: Vec<Event> = serde_json::from_value(v["events"].clone()).unwrap_or_default();
    for e in &evs {
        say!("  {}", human(e).replace('\n', "\n  "));
    }
    Ok(())
}
