//! Size limits nox enforces, in one place (docs/configuration.md lists
//! them): input beyond them is refused with an error naming the limit,
//! never truncated or silently dropped.

/// Largest task body (the prompt typed into the agent), in bytes: 1 MiB.
pub const MAX_TASK_BODY: usize = 1024 * 1024;
/// Longest task title, in characters.
pub const MAX_TASK_TITLE: usize = 500;
/// Largest request body the control socket reads, in bytes: a task body
/// at its limit plus room for the JSON around it (2 MiB).
pub const MAX_REQUEST: usize = 2 * 1024 * 1024;
/// Largest task file read from `.nox/tasks/`, in bytes (the body limit
/// plus room for front matter and title).
pub const MAX_TASK_FILE: u64 = MAX_TASK_BODY as u64 + 64 * 1024;
/// Most scrollback lines an agent may keep (`[ui] scrollback`): a full
/// 100,000-line scrollback of a 200-column pane is ~700 MiB in vt100.
pub const MAX_SCROLLBACK: usize = 100_000;
/// Most connections the control socket serves at once; more wait in the
/// kernel's backlog.
pub const MAX_CONNECTIONS: usize = 64;
/// Most event streams (`GET /api/events`) a listener keeps open at once;
/// they do not count against [`MAX_CONNECTIONS`] (a stream gives its
/// connection's permit back), so listeners never keep requests out.
pub const MAX_STREAMS: usize = 256;
/// Longest a control-socket client may take to send a request's head or
/// body, and longest a kept-alive connection may sit idle, in seconds.
pub const REQUEST_TIMEOUT_SECS: u64 = 10;

/// Checks a new task's title and body against the limits; the error says
/// which limit and by how much.
pub fn check_task(title: &str, body: &str) -> Result<(), LimitError> {
    if title.trim().is_empty() {
        return Err(LimitError::Invalid("a task needs a title".into()));
    }
    let n = title.chars().count();
    if n > MAX_TASK_TITLE {
        return Err(LimitError::TooLarge(format!(
            "the task title has {n} characters; the limit is {MAX_TASK_TITLE}"
        )));
    }
    if body.len() > MAX_TASK_BODY {
        return Err(LimitError::TooLarge(format!(
            "the task body is {} bytes; the limit is {MAX_TASK_BODY} bytes (1 MiB)",
            body.len()
        )));
    }
    Ok(())
}

/// A refused input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    /// Missing or malformed.
    #[error("{0}")]
    Invalid(String),
    /// Over a size limit.
    #[error("{0}")]
    TooLarge(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_limits_name_the_limit() {
        assert!(check_task("t", "b").is_ok());
        assert!(matches!(check_task(" ", "b"), Err(LimitError::Invalid(_))));
        let big = "x".repeat(MAX_TASK_BODY + 1);
        let e = check_task("t", &big).expect_err("too big");
        assert!(e.to_string().contains("1 MiB"), "{e}");
        assert!(check_task("t", &big[1..]).is_ok());
        let long = "t".repeat(MAX_TASK_TITLE + 1);
        assert!(matches!(
            check_task(&long, ""),
            Err(LimitError::TooLarge(_))
        ));
    }
}
