//! Streaming a query's results with bounded memory.
//!
//! The query runs on a blocking thread (tokio's blocking pool, never an async worker)
//! and hands its output in chunks of whole lines through a bounded channel to the
//! response body. When the client goes away, hyper drops the body, the channel closes,
//! and the producer — which checks the channel between chunks and every few hundred
//! keys read — stops reading the store. A producer whose client does not read blocks on
//! the full channel no longer than the query's deadline.

use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use http_body::Frame;
use tokio::sync::mpsc::{self, error::TrySendError};

use crate::limits::{Permit, Stats};
use crate::saf::{End, end_line};

/// Bytes buffered before a chunk is sent.
const CHUNK_BYTES: usize = 32 * 1024;
/// A non-empty buffer is sent at the latest after this long, so that a slow scan
/// still shows its results as it finds them.
const FLUSH_AFTER: Duration = Duration::from_millis(50);
/// Chunks in flight between the producer and the connection.
const CHANNEL_CHUNKS: usize = 4;

/// How a body ends when its producer stops without finishing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// SAF: a `failed` line is added, so the stream stays well-formed.
    Saf,
    /// Plain JSON lines: the connection is aborted, so the client sees the truncation.
    Plain,
}

struct Chunk {
    bytes: Bytes,
    last: bool,
}

/// What the body says if the producer ends without its last chunk.
type Epitaph = Arc<Mutex<Option<Vec<u8>>>>;

/// The response body fed by a producer.
struct QueryBody {
    rx: mpsc::Receiver<Chunk>,
    framing: Framing,
    epitaph: Epitaph,
    done: bool,
}

impl http_body::Body for QueryBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.done {
            return Poll::Ready(None);
        }
        match ready!(self.rx.poll_recv(cx)) {
            Some(chunk) => {
                self.done = chunk.last;
                if chunk.bytes.is_empty() {
                    return if chunk.last {
                        Poll::Ready(None)
                    } else {
                        // Cannot happen (empty chunks are not sent); ask again.
                        cx.waker().wake_by_ref();
                        Poll::Pending
                    };
                }
                Poll::Ready(Some(Ok(Frame::data(chunk.bytes))))
            }
            None => {
                self.done = true;
                match self.framing {
                    Framing::Saf => {
                        let line = self
                            .epitaph
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .take()
                            .unwrap_or_else(|| {
                                end_line(&End::Failed("the query ended unexpectedly".into()))
                            });
                        Poll::Ready(Some(Ok(Frame::data(Bytes::from(line)))))
                    }
                    Framing::Plain => Poll::Ready(Some(Err(std::io::Error::other(
                        "the query ended early; results are incomplete",
                    )))),
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }
}

/// Tells a running scan whether to stop: client gone or deadline passed.
#[derive(Debug, Clone)]
pub(crate) struct Probe {
    tx: mpsc::Sender<Chunk>,
    deadline: Instant,
}

impl Probe {
    /// The client went away.
    pub fn gone(&self) -> bool {
        self.tx.is_closed()
    }

    /// The query's time is up.
    pub fn expired(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Either.
    pub fn cancelled(&self) -> bool {
        self.gone() || self.expired()
    }
}

impl std::fmt::Debug for Chunk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Chunk({} bytes, last {})", self.bytes.len(), self.last)
    }
}

/// The producer's end: a line buffer sent in chunks.
#[derive(Debug)]
pub(crate) struct Sink {
    tx: mpsc::Sender<Chunk>,
    handle: tokio::runtime::Handle,
    deadline: Instant,
    timeout: Duration,
    epitaph: Epitaph,
    /// Whole lines not yet sent.
    pub buf: Vec<u8>,
    last_flush: Instant,
    /// The client is gone or the deadline passed while sending.
    broken: bool,
    aborted: bool,
}

impl Sink {
    pub fn probe(&self) -> Probe {
        Probe {
            tx: self.tx.clone(),
            deadline: self.deadline,
        }
    }

    /// Sends the buffer if it is large or old enough; false: stop producing.
    pub fn maybe_flush(&mut self) -> bool {
        if self.broken {
            return false;
        }
        if self.buf.len() >= CHUNK_BYTES
            || (!self.buf.is_empty() && self.last_flush.elapsed() >= FLUSH_AFTER)
        {
            return self.send(false);
        }
        true
    }

    /// Ends a plain stream as failed: what is buffered goes out, then the connection
    /// is cut.
    pub fn abort(&mut self) {
        self.aborted = true;
    }

    /// The query's deadline passed.
    pub fn timeout_message(&self) -> String {
        format!("query timed out after {} s", self.timeout.as_secs())
    }

    fn send(&mut self, last: bool) -> bool {
        if self.broken {
            return false;
        }
        let chunk = Chunk {
            bytes: Bytes::from(std::mem::replace(
                &mut self.buf,
                Vec::with_capacity(if last { 0 } else { CHUNK_BYTES + 1024 }),
            )),
            last,
        };
        self.last_flush = Instant::now();
        match self.tx.try_send(chunk) {
            Ok(()) => true,
            Err(TrySendError::Closed(_)) => {
                self.broken = true;
                false
            }
            Err(TrySendError::Full(chunk)) => {
                let left = self.deadline.saturating_duration_since(Instant::now());
                let sent = self
                    .handle
                    .block_on(tokio::time::timeout(left, self.tx.send(chunk)));
                match sent {
                    Ok(Ok(())) => true,
                    Ok(Err(_)) => {
                        self.broken = true;
                        false
                    }
                    Err(_) => {
                        // The client does not read: say so if it ever reads again.
                        let line = end_line(&End::Failed(self.timeout_message()));
                        *self.epitaph.lock().unwrap_or_else(|p| p.into_inner()) = Some(line);
                        self.broken = true;
                        false
                    }
                }
            }
        }
    }

    fn finish(mut self) {
        if !self.aborted && !self.broken {
            self.send(true);
        } else if self.aborted && !self.buf.is_empty() {
            self.send(false);
        }
    }
}

/// Where a query's response goes.
#[derive(Debug, Clone)]
pub(crate) struct Streamer {
    pub handle: tokio::runtime::Handle,
    pub timeout: Duration,
    pub stats: Arc<Stats>,
}

impl Streamer {
    /// Runs `job` on a blocking thread and answers 200 with what it writes to its
    /// sink. The permit is released when the job is done.
    pub fn respond<F>(&self, permit: Permit, framing: Framing, job: F) -> Response
    where
        F: FnOnce(&mut Sink) + Send + 'static,
    {
        let (tx, rx) = mpsc::channel(CHANNEL_CHUNKS);
        let epitaph: Epitaph = Arc::default();
        let now = Instant::now();
        let mut sink = Sink {
            tx,
            handle: self.handle.clone(),
            deadline: now + self.timeout,
            timeout: self.timeout,
            epitaph: Arc::clone(&epitaph),
            buf: Vec::with_capacity(4096),
            last_flush: now,
            broken: false,
            aborted: false,
        };
        let stats = Arc::clone(&self.stats);
        self.handle.spawn_blocking(move || {
            let _permit = permit;
            job(&mut sink);
            let probe = sink.probe();
            if probe.gone() {
                stats.cancelled.fetch_add(1, Ordering::Relaxed);
            } else if sink.broken || probe.expired() {
                stats.timed_out.fetch_add(1, Ordering::Relaxed);
            }
            drop(probe);
            sink.finish();
        });
        let body = QueryBody {
            rx,
            framing,
            epitaph,
            done: false,
        };
        ndjson(StatusCode::OK, Body::new(body))
    }
}

/// A response with the NDJSON content type.
pub(crate) fn ndjson(status: StatusCode, body: Body) -> Response {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    r
}

/// A complete NDJSON body.
pub(crate) fn ndjson_bytes(bytes: Vec<u8>) -> Response {
    ndjson(StatusCode::OK, Body::from(bytes))
}
