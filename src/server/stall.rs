//! A write deadline on a connection: a client that accepts none of its
//! answer for [`WRITE_STALL`] — an SSE client that stopped reading, a
//! peer that vanished without a FIN — has the connection closed, so it
//! cannot hold one of the served connections forever.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// Longest a write may wait for the client to make room.
pub const WRITE_STALL: Duration = Duration::from_secs(10);

/// `S` whose writes fail with `TimedOut` once one has been pending for
/// [`WRITE_STALL`]; reads pass through.
pub struct WriteDeadline<S> {
    inner: S,
    stall: Pin<Box<Sleep>>,
    armed: bool,
}

impl<S> WriteDeadline<S> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            stall: Box::pin(tokio::time::sleep(WRITE_STALL)),
            armed: false,
        }
    }

    /// The wrapped stream.
    pub fn into_inner(self) -> S {
        self.inner
    }

    /// After a pending write: arms the deadline on the first, and fails
    /// once it passed.
    fn pending<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        if !self.armed {
            self.armed = true;
            self.stall.as_mut().reset(Instant::now() + WRITE_STALL);
        }
        match self.stall.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the client accepted nothing for {}s", WRITE_STALL.as_secs()),
            ))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn done<T>(&mut self, r: Poll<io::Result<T>>, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        match r {
            Poll::Pending => self.pending(cx),
            ready @ Poll::Ready(_) => {
                self.armed = false;
                ready
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for WriteDeadline<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WriteDeadline<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.done(r, cx)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let r = Pin::new(&mut self.inner).poll_flush(cx);
        self.done(r, cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let r = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.done(r, cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.done(r, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test(start_paused = true)]
    async fn a_write_nobody_reads_fails_after_the_deadline_and_a_read_one_does_not() {
        let (a, mut b) = tokio::io::duplex(1024);
        let mut w = WriteDeadline::new(a);
        // Read by the peer: never times out, however long it takes in all.
        let reader = tokio::spawn(async move {
            let mut buf = vec![0u8; 512];
            let mut got = 0;
            while got < 4096 {
                tokio::time::sleep(WRITE_STALL / 2).await;
                got += b.read(&mut buf).await.expect("read");
            }
            b
        });
        w.write_all(&[1u8; 4096]).await.expect("read in time");
        let _b = reader.await.expect("reader");
        // Nobody reads now: the write fails once the deadline passed.
        let began = Instant::now();
        let e = tokio::time::timeout(WRITE_STALL * 3, w.write_all(&[2u8; 8192]))
            .await
            .expect("the write ends by itself")
            .expect_err("stalled");
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert!(began.elapsed() >= WRITE_STALL);
    }
}
