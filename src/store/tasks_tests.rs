//! Tests of the task store: dependencies, cycles, order, keys, load.

use super::*;
use crate::store::Store;
use crate::store::events::{Filter, list as events};

fn store() -> (tempfile::TempDir, Store) {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Store::open(&tmp.path().join("nox.db")).expect("open");
    (tmp, s)
}

fn new(title: &str, after: Vec<TaskId>) -> NewTask {
    NewTask {
        title: title.into(),
        body: format!("do {title}"),
        after,
        ..NewTask::default()
    }
}

#[test]
fn dependent_task_unblocks_when_its_dependency_is_done() {
    let (_tmp, s) = store();
    let a = s.write(|c| create(c, &new("a", vec![]))).expect("a").0;
    let b = s
        .write(move |c| create(c, &new("b", vec![a.id])))
        .expect("b")
        .0;
    assert_eq!(
        (a.status, b.status),
        (TaskStatus::Queued, TaskStatus::Blocked)
    );
    let assign = TaskEvent::Assign {
        agent: "x".into(),
        lease_until: now_ms() + 1000,
    };
    s.write(move |c| apply(c, a.id, &assign)).expect("assign");
    s.write(move |c| apply(c, a.id, &TaskEvent::Started))
        .expect("start");
    s.write(move |c| {
        apply(
            c,
            a.id,
            &TaskEvent::Completed {
                result: "done a".into(),
            },
        )
    })
    .expect("done");
    let b2 = s
        .read(move |c| get(c, b.id))
        .expect("get")
        .expect("b exists");
    assert_eq!(
        (b2.status, b2.after.clone()),
        (TaskStatus::Queued, vec![a.id])
    );
    let a2 = s.read(move |c| get(c, a.id)).expect("get").expect("a");
    assert_eq!(a2.result.as_deref(), Some("done a"));
    let evs = s
        .read(move |c| {
            events(
                c,
                &Filter {
                    task: Some(b.id),
                    ..Filter::default()
                },
            )
        })
        .expect("events");
    assert_eq!(
        evs.iter().map(|e| e.body.describe()).collect::<Vec<_>>(),
        [
            format!("task {} created by user (blocked): b", b.id),
            format!("task {} blocked → queued: its dependencies are done", b.id)
        ]
    );
}

#[test]
fn missing_dependency_and_cycles_are_refused_with_names() {
    let (_tmp, s) = store();
    let e = s
        .write(|c| create(c, &new("x", vec![42])))
        .expect_err("missing");
    assert!(e.to_string().contains("task 42"), "{e}");
    let a = s.write(|c| create(c, &new("a", vec![]))).expect("a").0.id;
    let b = s
        .write(move |c| create(c, &new("b", vec![a])))
        .expect("b")
        .0
        .id;
    let e = s.write(move |c| set_after(c, a, &[b])).expect_err("cycle");
    assert_eq!(
        e.to_string(),
        format!("dependency cycle: #{a} → #{b} → #{a}")
    );
    let e = s
        .write(move |c| apply(c, a, &TaskEvent::Started))
        .expect_err("bad edge");
    assert!(e.to_string().contains("cannot start"), "{e}");
}

#[test]
fn list_orders_by_priority_and_filters_by_status() {
    let (_tmp, s) = store();
    s.write(|c| {
        create(
            c,
            &NewTask {
                priority: 1,
                ..new("low", vec![])
            },
        )
    })
    .expect("low");
    s.write(|c| {
        create(
            c,
            &NewTask {
                priority: 5,
                ..new("high", vec![])
            },
        )
    })
    .expect("high");
    let all = s.read(|c| list(c, None)).expect("list");
    assert_eq!(
        all.iter().map(|t| t.title.as_str()).collect::<Vec<_>>(),
        ["high", "low"]
    );
    assert_eq!(
        s.read(|c| list(c, Some(TaskStatus::Done)))
            .expect("done")
            .len(),
        0
    );
}

#[test]
fn an_idempotency_key_creates_once() {
    let (_tmp, s) = store();
    let keyed = |title: &str| NewTask {
        key: Some("k-1".into()),
        ..new(title, vec![])
    };
    let (first, made) = s.write(move |c| create(c, &keyed("one"))).expect("first");
    assert!(made);
    let (again, made) = s.write(move |c| create(c, &keyed("two"))).expect("again");
    assert!(!made, "the key was used: nothing new");
    assert_eq!(again.id, first.id);
    assert_eq!(again.title, "one");
    assert_eq!(s.read(|c| list(c, None)).expect("list").len(), 1);
    let created = s
        .read(|c| events(c, &Filter::default()))
        .expect("events")
        .iter()
        .filter(|e| e.body.kind() == "task.created")
        .count();
    assert_eq!(created, 1);
}

#[test]
fn open_tasks_are_counted_per_assignee() {
    let (_tmp, s) = store();
    for (title, who) in [("x", "a"), ("y", "a"), ("z", "b")] {
        s.write(move |c| {
            create(
                c,
                &NewTask {
                    assignee: Some(who.into()),
                    ..new(title, vec![])
                },
            )
        })
        .expect("create");
    }
    s.write(|c| apply(c, 3, &TaskEvent::Cancel))
        .expect("cancel");
    let load = s.read(open_by_assignee).expect("load");
    assert_eq!(load.get("a"), Some(&2));
    assert_eq!(load.get("b"), None, "a cancelled task is no load");
}
