//! A connection's place in the listener's budgets: every connection is
//! served under one of [`MAX_CONNECTIONS`](crate::domain::limits::MAX_CONNECTIONS)
//! request permits, and an answer that stays open — the event stream —
//! trades it for one of [`MAX_STREAMS`] stream permits, so listeners
//! streaming events never keep requests (`/health` included) out.

use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::domain::limits::MAX_STREAMS;

/// The permit one connection holds; cloned into each of its requests'
/// extensions by [`super::listen::serve`].
#[derive(Clone, Debug)]
pub struct Slot(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    held: Mutex<Option<OwnedSemaphorePermit>>,
    streams: Arc<Semaphore>,
}

/// The stream budget of one listener.
pub fn streams() -> Arc<Semaphore> {
    Arc::new(Semaphore::new(MAX_STREAMS))
}

impl Slot {
    /// A connection served under `request` (a permit of the request
    /// budget); `streams` is its listener's stream budget.
    pub fn new(request: OwnedSemaphorePermit, streams: Arc<Semaphore>) -> Self {
        Self(Arc::new(Inner {
            held: Mutex::new(Some(request)),
            streams,
        }))
    }

    /// Moves this connection from the request budget to the stream budget,
    /// freeing its request permit. `false` when all [`MAX_STREAMS`] stream
    /// permits are taken (the caller answers 503).
    pub fn into_stream(&self) -> bool {
        let Ok(stream) = Arc::clone(&self.0.streams).try_acquire_owned() else {
            return false;
        };
        *self
            .0
            .held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(stream);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_frees_its_request_permit_and_takes_a_stream_permit() {
        let requests = Arc::new(Semaphore::new(1));
        let streams = Arc::new(Semaphore::new(1));
        let permit = Arc::clone(&requests).try_acquire_owned().expect("free");
        let slot = Slot::new(permit, Arc::clone(&streams));
        assert_eq!(requests.available_permits(), 0);
        assert!(slot.into_stream());
        assert_eq!(
            (requests.available_permits(), streams.available_permits()),
            (1, 0)
        );
        // No stream permit left: refused, and the other keeps its request.
        let other = Slot::new(
            Arc::clone(&requests).try_acquire_owned().expect("free"),
            Arc::clone(&streams),
        );
        assert!(!other.into_stream());
        assert_eq!(requests.available_permits(), 0);
        drop(slot);
        assert_eq!(
            streams.available_permits(),
            1,
            "the stream permit ends with its connection"
        );
    }
}
