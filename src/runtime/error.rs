//! The runtime's typed error: what a face gets back from a request. The
//! control socket maps each kind to one HTTP status in one place
//! (`server::error`).

use crate::store::StoreError;

/// Why the runtime refused or failed a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuntimeError {
    /// What the request names does not exist (an agent, a task).
    #[error("{0}")]
    NotFound(String),
    /// Not possible in the current state (cancel a done task, add an agent
    /// whose name is taken).
    #[error("{0}")]
    Conflict(String),
    /// The request itself is refused: an unknown assignee, a dependency
    /// cycle, a bad definition, hooks for an agent that takes none.
    #[error("{0}")]
    Refused(String),
    /// Over a size limit (task body, request).
    #[error("{0}")]
    TooLarge(String),
    /// Over a rate limit (messages between two agents); the message is
    /// kept as refused.
    #[error("{0}")]
    Limited(String),
    /// The runtime (or the part that would answer) has stopped.
    #[error("{0}")]
    Gone(String),
    /// The store failed (locked, full disk, corrupt).
    #[error("the store failed: {0}")]
    Store(String),
}

impl From<StoreError> for RuntimeError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Refused(m) => Self::Refused(m),
            StoreError::NotFound(m) => Self::NotFound(m),
            StoreError::Conflict(m) => Self::Conflict(m),
            StoreError::Closed => Self::Gone("the store is closed".into()),
            StoreError::Sqlite(e) => Self::Store(e.to_string()),
        }
    }
}

/// Results of runtime requests.
pub type Result<T> = std::result::Result<T, RuntimeError>;

/// The error for an agent name nothing answers to.
pub fn no_agent(name: &str) -> RuntimeError {
    RuntimeError::NotFound(format!("no agent named {name:?}"))
}
