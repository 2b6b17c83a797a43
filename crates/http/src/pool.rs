//! Kept-open upstream connections of one HTTP connection on one thread: a request takes an idle
//! HTTP/1.1 connection that is ready for it, or opens one (TCP, then TLS for `https://`), and
//! the connection goes back to the idle list as soon as the response head is in; it is taken
//! again only once that response's body has been read to the end.

use crate::body::Body;
use crate::upstream::Connector;
use http::{Request, Response, Uri};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};
use tower_service::Service;
use warden_core::error::with_sources;

/// How long an idle connection is kept.
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// Most idle connections kept.
const MAX_IDLE: usize = 256;

/// Why an upstream exchange failed.
#[derive(Debug)]
pub enum SendError {
    /// No connection could be opened (refused, unresolvable, TLS failure).
    Connect(String),
    /// The connection failed while the request was sent or the response head read.
    Request(hyper::Error),
}

impl SendError {
    /// A short reason, without URLs (they may carry injected query credentials).
    pub fn reason(&self) -> String {
        match self {
            SendError::Connect(reason) => format!("cannot connect: {reason}"),
            SendError::Request(error) => format!("request failed: {}", with_sources(error)),
        }
    }
}

struct Idle {
    sender: SendRequest<Body>,
    since: Instant,
}

/// The connections of one upstream on one thread.
pub struct UpstreamPool {
    connector: Connector,
    /// `scheme://authority/`: where the connector connects.
    base: Uri,
    idle: Mutex<Vec<Idle>>,
}

impl UpstreamPool {
    /// A pool opening connections to `base` with `connector`.
    pub fn new(connector: Connector, base: Uri) -> Self {
        UpstreamPool {
            connector,
            base,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Sends `request` (origin-form URI, `Host` set) and returns the response head. A request a
    /// kept connection dropped before sending it (the server closed it meanwhile) is sent once
    /// more on a new connection.
    pub async fn send(&self, request: Request<Body>) -> Result<Response<Incoming>, SendError> {
        let (mut sender, kept) = match self.checkout() {
            Some(sender) => (sender, true),
            None => (self.connect().await?, false),
        };
        let request = match sender.try_send_request(request).await {
            Ok(response) => {
                self.put_back(sender);
                return Ok(response);
            }
            Err(mut error) => match error.take_message() {
                Some(unsent) if kept => unsent,
                _ => return Err(SendError::Request(error.into_error())),
            },
        };
        let mut sender = self.connect().await?;
        let response = sender
            .send_request(request)
            .await
            .map_err(SendError::Request)?;
        self.put_back(sender);
        Ok(response)
    }

    /// The most recently used idle connection ready for a request; closed and expired ones are
    /// dropped, busy ones (a body still being read) stay.
    fn checkout(&self) -> Option<SendRequest<Body>> {
        let mut idle = self.lock();
        let mut i = idle.len();
        while i > 0 {
            i -= 1;
            let entry = &idle[i];
            if entry.sender.is_closed() || entry.since.elapsed() >= IDLE_TIMEOUT {
                idle.remove(i);
            } else if entry.sender.is_ready() {
                return Some(idle.remove(i).sender);
            }
        }
        None
    }

    fn put_back(&self, sender: SendRequest<Body>) {
        let mut idle = self.lock();
        if idle.len() < MAX_IDLE {
            idle.push(Idle {
                sender,
                since: Instant::now(),
            });
        }
    }

    /// Opens a connection; its I/O runs as a task on the calling thread's runtime.
    async fn connect(&self) -> Result<SendRequest<Body>, SendError> {
        let mut connector = self.connector.clone();
        std::future::poll_fn(|cx| connector.poll_ready(cx))
            .await
            .map_err(|e| SendError::Connect(with_sources(e.as_ref())))?;
        let stream = connector
            .call(self.base.clone())
            .await
            .map_err(|e| SendError::Connect(with_sources(e.as_ref())))?;
        let (sender, connection) = http1::handshake(stream)
            .await
            .map_err(|e| SendError::Connect(with_sources(&e)))?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "upstream connection ended with an error");
            }
        });
        Ok(sender)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Idle>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
