//! One test per edge of the task status machine, and the refusals.

use super::*;

fn task(status: TaskStatus) -> Task {
    let mut t = Task::new(1, "t", "do it", vec![], true);
    t.status = status;
    t
}

fn assign() -> TaskEvent {
    TaskEvent::Assign {
        agent: "a".into(),
        lease_until: 100,
    }
}

#[test]
fn new_task_is_blocked_or_queued() {
    assert_eq!(
        Task::new(1, "t", "b", vec![2], false).status,
        TaskStatus::Blocked
    );
    assert_eq!(
        Task::new(1, "t", "b", vec![2], true).status,
        TaskStatus::Queued
    );
}

#[test]
fn blocked_to_queued_when_deps_are_done() {
    assert_eq!(
        transition(&task(TaskStatus::Blocked), &TaskEvent::DepsDone).map(|t| t.status),
        Ok(TaskStatus::Queued)
    );
}

#[test]
fn queued_to_assigned_takes_a_lease_and_counts_an_attempt() {
    let t = transition(&task(TaskStatus::Queued), &assign()).expect("assign");
    assert_eq!(
        (t.status, t.assignee.as_deref(), t.lease_until, t.attempts),
        (TaskStatus::Assigned, Some("a"), Some(100), 1)
    );
}

#[test]
fn assigned_to_running_on_started() {
    assert_eq!(
        transition(&task(TaskStatus::Assigned), &TaskEvent::Started).map(|t| t.status),
        Ok(TaskStatus::Running)
    );
}

#[test]
fn lease_renews_while_assigned_or_running() {
    for s in [TaskStatus::Assigned, TaskStatus::Running] {
        let t = transition(&task(s), &TaskEvent::Renew { lease_until: 7 }).expect("renew");
        assert_eq!((t.status, t.lease_until), (s, Some(7)));
    }
}

#[test]
fn running_to_done_keeps_the_result() {
    let t = transition(
        &task(TaskStatus::Running),
        &TaskEvent::Completed {
            result: "ok".into(),
        },
    )
    .expect("done");
    assert_eq!(
        (t.status, t.result.as_deref(), t.lease_until),
        (TaskStatus::Done, Some("ok"), None)
    );
}

#[test]
fn lost_requeues_until_max_attempts_then_fails() {
    for s in [TaskStatus::Assigned, TaskStatus::Running] {
        let mut t = task(s);
        t.attempts = 1;
        let n = transition(
            &t,
            &TaskEvent::Lost {
                why: "agent crashed".into(),
                now_ms: 10_000,
            },
        )
        .expect("lost");
        assert_eq!(
            (n.status, n.detail.as_str()),
            (TaskStatus::Queued, "agent crashed")
        );
        assert_eq!(n.retry_at, Some(11_000), "first retry after 1 s");
        t.attempts = t.max_attempts;
        let n = transition(
            &t,
            &TaskEvent::Lost {
                why: "lease lapsed".into(),
                now_ms: 0,
            },
        )
        .expect("lost");
        assert_eq!(n.status, TaskStatus::Failed);
        assert!(
            n.detail.contains("gave up after 3 attempts"),
            "{}",
            n.detail
        );
    }
}

#[test]
fn cancel_from_every_open_status() {
    for s in [
        TaskStatus::Blocked,
        TaskStatus::Queued,
        TaskStatus::Assigned,
        TaskStatus::Running,
    ] {
        assert_eq!(
            transition(&task(s), &TaskEvent::Cancel).map(|t| t.status),
            Ok(TaskStatus::Cancelled)
        );
    }
}

#[test]
fn final_statuses_refuse_everything() {
    let all = [
        TaskEvent::DepsDone,
        assign(),
        TaskEvent::Started,
        TaskEvent::Renew { lease_until: 1 },
        TaskEvent::Completed {
            result: String::new(),
        },
        TaskEvent::Lost {
            why: String::new(),
            now_ms: 0,
        },
        TaskEvent::Cancel,
    ];
    for s in [TaskStatus::Done, TaskStatus::Failed, TaskStatus::Cancelled] {
        for ev in &all {
            let e = transition(&task(s), ev).expect_err("final");
            assert!(e.to_string().contains(s.as_str()), "{e}");
        }
    }
}

#[test]
fn edges_that_do_not_exist_are_refused() {
    assert!(transition(&task(TaskStatus::Queued), &TaskEvent::Started).is_err());
    assert!(
        transition(
            &task(TaskStatus::Queued),
            &TaskEvent::Completed {
                result: String::new()
            }
        )
        .is_err()
    );
    assert!(
        transition(
            &task(TaskStatus::Assigned),
            &TaskEvent::Completed {
                result: String::new()
            }
        )
        .is_err()
    );
    assert!(transition(&task(TaskStatus::Blocked), &assign()).is_err());
    assert!(transition(&task(TaskStatus::Running), &assign()).is_err());
    assert!(transition(&task(TaskStatus::Queued), &TaskEvent::DepsDone).is_err());
    assert!(
        transition(
            &task(TaskStatus::Queued),
            &TaskEvent::Lost {
                why: String::new(),
                now_ms: 0
            }
        )
        .is_err()
    );
}

#[test]
fn cycles_are_found_and_named() {
    let deps: BTreeMap<TaskId, Vec<TaskId>> = [(1, vec![]), (2, vec![1]), (3, vec![2])].into();
    assert_eq!(find_cycle(&deps, 1, &[3]), Some(vec![1, 3, 2, 1]));
    assert_eq!(find_cycle(&deps, 4, &[3]), None);
    assert_eq!(find_cycle(&deps, 1, &[1]), Some(vec![1, 1]));
}

#[test]
fn routing_prefers_assignee_then_capable_least_loaded_by_name() {
    let rust = vec!["rust".to_string()];
    let none: Vec<String> = vec![];
    let agents = [
        Candidate {
            name: "b",
            idle: true,
            capabilities: &rust,
            load: 0,
        },
        Candidate {
            name: "a",
            idle: true,
            capabilities: &rust,
            load: 0,
        },
        Candidate {
            name: "c",
            idle: true,
            capabilities: &none,
            load: 0,
        },
        Candidate {
            name: "d",
            idle: false,
            capabilities: &rust,
            load: 0,
        },
    ];
    let mut t = task(TaskStatus::Queued);
    t.needs = vec!["rust".into()];
    assert_eq!(route(&t, &agents), Some("a"), "ties by name");
    let loaded = [
        Candidate {
            load: 2,
            ..agents[1].clone()
        },
        agents[0].clone(),
    ];
    assert_eq!(route(&t, &loaded), Some("b"), "least loaded");
    t.assignee = Some("d".into());
    t.pinned = true;
    assert_eq!(
        route(&t, &agents),
        None,
        "explicit assignee busy: wait for it"
    );
    t.assignee = Some("c".into());
    assert_eq!(
        route(&t, &agents),
        Some("c"),
        "explicit assignee, needs aside"
    );
    t.assignee = Some("d".into());
    t.pinned = false;
    assert_eq!(route(&t, &agents), Some("a"), "a lease holder is no choice");
    t.assignee = None;
    t.needs = vec!["go".into()];
    assert_eq!(route(&t, &agents), None);
}

#[test]
fn retries_back_off_exponentially_up_to_a_minute() {
    let secs: Vec<u64> = (1..=9).map(|a| retry_backoff(a).as_secs()).collect();
    assert_eq!(secs, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    let mut t = task(TaskStatus::Running);
    t.attempts = 2;
    t.max_attempts = 5;
    let n = transition(
        &t,
        &TaskEvent::Lost {
            why: "lease lapsed".into(),
            now_ms: 0,
        },
    )
    .expect("lost");
    assert_eq!(n.retry_at, Some(2000));
    let assigned = transition(&n, &assign()).expect("assign clears the backoff");
    assert_eq!(assigned.retry_at, None);
}

#[test]
fn fail_ends_a_running_or_assigned_task_at_once() {
    for s in [TaskStatus::Assigned, TaskStatus::Running] {
        let n = transition(
            &task(s),
            &TaskEvent::Fail {
                why: "interrupted".into(),
            },
        )
        .expect("fail");
        assert_eq!(
            (n.status, n.detail.as_str()),
            (TaskStatus::Failed, "interrupted")
        );
        assert_eq!(n.attempts, 0, "a failure is not retried");
    }
    assert!(
        transition(
            &task(TaskStatus::Queued),
            &TaskEvent::Fail { why: "x".into() }
        )
        .is_err()
    );
}

#[test]
fn defer_keeps_a_queued_task_queued_with_the_reason() {
    let n = transition(
        &task(TaskStatus::Queued),
        &TaskEvent::Defer {
            why: "waiting: the user is typing into a".into(),
        },
    )
    .expect("defer");
    assert_eq!(n.status, TaskStatus::Queued);
    assert_eq!(n.detail, "waiting: the user is typing into a");
    assert!(
        transition(
            &task(TaskStatus::Running),
            &TaskEvent::Defer { why: "x".into() }
        )
        .is_err()
    );
    assert_eq!(
        TaskEvent::Assign {
            agent: "alpha".into(),
            lease_until: 1
        }
        .describe(),
        "assigned to alpha"
    );
}

#[test]
fn a_lost_task_forgets_its_last_holder_but_not_a_chosen_assignee() {
    let lost = |pinned: bool| {
        let mut t = task(TaskStatus::Running);
        t.assignee = Some("a".into());
        t.pinned = pinned;
        transition(
            &t,
            &TaskEvent::Lost {
                why: "agent a was stopped".into(),
                now_ms: 0,
            },
        )
        .expect("lost")
    };
    assert_eq!(lost(false).assignee, None);
    assert_eq!(lost(true).assignee.as_deref(), Some("a"));
}
