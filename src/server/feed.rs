//! One SSE client's feed: a task that replays the event log from the store
//! after the client's last id, then forwards live events, into a buffer of
//! its own that the response body drains. The core publishes on a
//! broadcast channel and never waits for a client; a client that lets its
//! buffer fill ([`MAX_UNREAD`] events or [`MAX_UNREAD_BYTES`]) is dropped
//! with a logged reason and may reconnect with `Last-Event-ID`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::response::sse::Event as SseEvent;
use tokio::sync::{broadcast, mpsc};

use crate::domain::Event;
use crate::runtime::RuntimeHandle;

/// Events read from the store per step of a replay.
const PAGE: usize = 500;
/// Most events a client may leave unread before it is dropped.
pub const MAX_UNREAD: usize = 1024;
/// Most bytes of event data a client may leave unread before it is dropped
/// (8 MiB).
pub const MAX_UNREAD_BYTES: usize = 8 * 1024 * 1024;
/// Longest a replay waits for a client to make room before dropping it.
const REPLAY_STALL: Duration = Duration::from_secs(30);

/// What the response body reads: SSE events, and the byte count it gives
/// back as it reads them.
pub struct Outlet {
    rx: mpsc::Receiver<(SseEvent, usize)>,
    unread: Arc<AtomicUsize>,
}

impl Outlet {
    /// The next event to write; `None` once the feed ended (follow=false,
    /// shutdown, or the client was dropped).
    pub async fn next(&mut self) -> Option<SseEvent> {
        let (e, n) = self.rx.recv().await?;
        self.unread.fetch_sub(n, Ordering::Relaxed);
        Some(e)
    }
}

/// Starts the feed of events after `last` (0: from the beginning); with
/// `follow`, live events follow the replay without a gap or a repeat.
pub fn start(handle: RuntimeHandle, last: u64, follow: bool) -> Outlet {
    let (tx, rx) = mpsc::channel(MAX_UNREAD);
    let unread = Arc::new(AtomicUsize::new(0));
    let feed = Feed {
        // Subscribed before the replay: nothing committed meanwhile is
        // missed, and what the replay already sent is skipped by id.
        live: handle.subscribe(),
        handle,
        last,
        follow,
        tx,
        unread: Arc::clone(&unread),
    };
    tokio::spawn(feed.run());
    Outlet { rx, unread }
}

fn sse(e: &Event) -> (SseEvent, usize) {
    let data = serde_json::to_string(e).unwrap_or_default();
    let n = data.len();
    let ev = SseEvent::default()
        .id(e.id.to_string())
        .event(e.body.kind())
        .data(data);
    (ev, n)
}

struct Feed {
    handle: RuntimeHandle,
    live: broadcast::Receiver<Event>,
    last: u64,
    follow: bool,
    tx: mpsc::Sender<(SseEvent, usize)>,
    unread: Arc<AtomicUsize>,
}

/// Why a feed ended early.
enum Ended {
    /// The client went away.
    Gone,
    /// The client read too slowly; the reason is logged.
    Dropped(String),
}

impl Feed {
    async fn run(mut self) {
        match self.pump().await {
            Ok(()) | Err(Ended::Gone) => {}
            Err(Ended::Dropped(why)) => tracing::warn!(
                "events: dropped a client: {why}; it can reconnect with Last-Event-ID \
                 set to the last id it received (events up to {} were queued for it)",
                self.last
            ),
        }
    }

    async fn pump(&mut self) -> Result<(), Ended> {
        self.replay().await?;
        if !self.follow {
            return Ok(());
        }
        loop {
            let got = tokio::select! {
                got = self.live.recv() => got,
                () = self.tx.closed() => return Err(Ended::Gone),
            };
            match got {
                Ok(e) if e.id > self.last => self.offer(&e)?,
                Ok(_) => {}
                // The broadcast outran this task (not the client): catch up
                // from the store.
                Err(broadcast::error::RecvError::Lagged(_)) => self.replay().await?,
                Err(broadcast::error::RecvError::Closed) => return Ok(()),
            }
        }
    }

    /// Sends every stored event after `last`, waiting for the client to
    /// make room (it reads at its own pace) but not longer than
    /// [`REPLAY_STALL`] at a time.
    async fn replay(&mut self) -> Result<(), Ended> {
        loop {
            let Ok(page) = self.handle.events(self.last, PAGE).await else {
                return Err(Ended::Gone);
            };
            for e in &page.events {
                let item = sse(e);
                self.unread.fetch_add(item.1, Ordering::Relaxed);
                match tokio::time::timeout(REPLAY_STALL, self.tx.send(item)).await {
                    Ok(Ok(())) => self.last = e.id,
                    Ok(Err(_)) => return Err(Ended::Gone),
                    Err(_) => {
                        return Err(Ended::Dropped(format!(
                            "it read nothing for {}s during a replay",
                            REPLAY_STALL.as_secs()
                        )));
                    }
                }
            }
            // Rows this version cannot read still move the replay on.
            if let Some(last) = page.last {
                self.last = self.last.max(last);
            }
            if page.rows < PAGE {
                return Ok(());
            }
        }
    }

    /// Hands a live event to the client's buffer without waiting.
    fn offer(&mut self, e: &Event) -> Result<(), Ended> {
        let (ev, n) = sse(e);
        let bytes = self.unread.fetch_add(n, Ordering::Relaxed) + n;
        if bytes > MAX_UNREAD_BYTES {
            return Err(Ended::Dropped(format!(
                "it left {bytes} bytes of events unread (limit {MAX_UNREAD_BYTES})"
            )));
        }
        match self.tx.try_send((ev, n)) {
            Ok(()) => {
                self.last = e.id;
                Ok(())
            }
            Err(mpsc::error::TrySendError::Full(_)) => Err(Ended::Dropped(format!(
                "it left {MAX_UNREAD} events unread"
            ))),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(Ended::Gone),
        }
    }
}
