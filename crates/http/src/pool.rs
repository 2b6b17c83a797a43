//! Kept-open upstream connections of one HTTP connection on one thread: a request takes an idle
//! HTTP/1.1 connection, or opens one (TCP, then TLS for `https://`); the connection comes back
//! to the idle list once its response body has been read to the end.

use crate::client::{UpstreamBody, UpstreamConn, UpstreamRequest};
use http::Response;
use rustls::pki_types::ServerName;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use warden_core::error::with_sources;
use warden_tls::MaybeTls;

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
    Request(String),
}

impl SendError {
    /// A short reason, without URLs (they may carry injected query credentials).
    pub fn reason(&self) -> String {
        match self {
            SendError::Connect(reason) => format!("cannot connect: {reason}"),
            SendError::Request(reason) => format!("request failed: {reason}"),
        }
    }
}

/// Where and how connections to one upstream are opened.
#[derive(Clone)]
pub struct Dialer {
    /// Host name or IP address (without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// TLS for `https://` upstreams, with the name the certificate must carry.
    pub tls: Option<(TlsConnector, ServerName<'static>)>,
    /// Time allowed for TCP and TLS set-up.
    pub connect_timeout: Duration,
    /// Largest response head read.
    pub max_head: usize,
}

/// The connections of one upstream on one thread.
pub struct UpstreamPool {
    dialer: Dialer,
    idle: Mutex<Vec<UpstreamConn>>,
}

impl UpstreamPool {
    /// A pool opening connections with `dialer`.
    pub fn new(dialer: Dialer) -> Self {
        UpstreamPool {
            dialer,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Sends `request` and returns the response head with its body. An idempotent request a
    /// kept connection failed before any response arrived (the upstream closed it meanwhile)
    /// is sent once more on a new connection.
    pub async fn send(
        self: &Arc<Self>,
        request: &UpstreamRequest,
    ) -> Result<Response<UpstreamBody>, SendError> {
        let max_head = self.dialer.max_head;
        if let Some(mut conn) = self.checkout() {
            match conn.exchange(request, max_head).await {
                Ok(head) => return Ok(self.response(conn, head)),
                Err(error) if error.nothing_received && request.idempotent => {
                    tracing::debug!(reason = %error.reason, "kept upstream connection failed; retrying on a new one");
                }
                Err(error) => return Err(SendError::Request(error.reason)),
            }
        }
        let mut conn = self.connect().await?;
        match conn.exchange(request, max_head).await {
            Ok(head) => Ok(self.response(conn, head)),
            Err(error) => Err(SendError::Request(error.reason)),
        }
    }

    fn response(
        self: &Arc<Self>,
        conn: UpstreamConn,
        head: crate::h1::ResponseHead,
    ) -> Response<UpstreamBody> {
        let body = UpstreamBody::new(conn, &head, self.clone());
        let mut response = Response::new(body);
        *response.status_mut() = head.status;
        *response.version_mut() = head.version;
        *response.headers_mut() = head.headers;
        response
    }

    /// The most recently used idle connection that is still open; closed and expired ones
    /// are dropped.
    fn checkout(&self) -> Option<UpstreamConn> {
        let mut idle = self.lock();
        while let Some(mut conn) = idle.pop() {
            if conn.since.elapsed() < IDLE_TIMEOUT && conn.still_open() {
                return Some(conn);
            }
        }
        None
    }

    /// Keeps `conn` for the next request.
    pub(crate) fn put_back(&self, mut conn: UpstreamConn) {
        let mut idle = self.lock();
        if idle.len() < MAX_IDLE {
            conn.since = std::time::Instant::now();
            idle.push(conn);
        }
    }

    /// Opens a connection: TCP (no delay), then TLS for `https://`.
    async fn connect(&self) -> Result<UpstreamConn, SendError> {
        let dialer = &self.dialer;
        let timeout = dialer.connect_timeout;
        let timed_out = || SendError::Connect(format!("timed out after {} s", timeout.as_secs()));
        let tcp = tokio::time::timeout(
            timeout,
            TcpStream::connect((dialer.host.as_str(), dialer.port)),
        )
        .await
        .map_err(|_| timed_out())?
        .map_err(|e| SendError::Connect(with_sources(&e)))?;
        tcp.set_nodelay(true)
            .map_err(|e| SendError::Connect(with_sources(&e)))?;
        let io = match &dialer.tls {
            None => MaybeTls::Plain(tcp),
            Some((connector, name)) => {
                let tls = tokio::time::timeout(timeout, connector.connect(name.clone(), tcp))
                    .await
                    .map_err(|_| timed_out())?
                    .map_err(|e| SendError::Connect(format!("TLS: {}", with_sources(&e))))?;
                MaybeTls::Client(Box::new(tls))
            }
        };
        Ok(UpstreamConn::new(io))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<UpstreamConn>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
#[path = "pool_tests.rs"]
mod tests;
