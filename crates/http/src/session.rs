//! HTTP sessions: one per client TCP connection, connection name and token. The first request
//! authenticates and opens it (audited, with its own recording); later requests on the same
//! keep-alive connection reuse it, re-checking the token every [`RECHECK`] so an expired or
//! revoked credential stops within that bound; it closes with the TCP connection.

use crate::listener::HttpGateway;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use warden_core::{ConnectionKind, GatewayError, Secret, Session};
use warden_record::{HttpExchange, HttpHeader, HttpRecorder, RecordingKind};

/// How often a reused session's token is verified again.
pub const RECHECK: Duration = Duration::from_secs(30);
/// Longest a recorded exchange waits in memory before it is flushed to storage.
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// The sessions of one client TCP connection.
pub struct ClientConn {
    /// The client's address.
    pub peer: SocketAddr,
    /// (connection, token, session): a client rarely holds more than one, so a list, searched
    /// without allocating on every request.
    sessions: Mutex<Vec<(String, String, Arc<HttpSession>)>>,
    /// A request of this connection is held for review: the server watches for the client
    /// hanging up, which drops the request.
    pub held: AtomicBool,
}

/// One authenticated session and its recording.
pub struct HttpSession {
    /// The pipeline's session.
    pub session: Session,
    recorder: tokio::sync::Mutex<Option<Recorder>>,
    checked: Mutex<Instant>,
    /// Exchanges forwarded.
    pub forwarded: AtomicU64,
    /// Exchanges refused by Warden.
    pub refused: AtomicU64,
}

struct Recorder {
    recorder: HttpRecorder,
    flushed: Instant,
}

impl ClientConn {
    /// No sessions yet.
    pub fn new(peer: SocketAddr) -> Self {
        ClientConn {
            peer,
            sessions: Mutex::new(Vec::new()),
            held: AtomicBool::new(false),
        }
    }

    /// The session for `token` on `connection`, opened (and audited) on first use.
    pub async fn session(
        &self,
        gateway: &HttpGateway,
        connection: &str,
        token: &str,
    ) -> Result<Arc<HttpSession>, GatewayError> {
        let existing = self.find(connection, token);
        if let Some(session) = existing {
            if !session.recheck_due() {
                return Ok(session);
            }
            let credential = Secret::new(token.to_owned());
            let checked = gateway
                .pipeline
                .identify(&credential, "http", Some(self.peer))
                .await;
            match checked {
                Ok(_) => {
                    session.checked_now();
                    return Ok(session);
                }
                Err(refusal) => {
                    self.lock()
                        .retain(|(c, t, _)| !(c == connection && t == token));
                    session.close(gateway, Some(&refusal.message)).await;
                    return Err(refusal);
                }
            }
        }
        let credential = Secret::new(token.to_owned());
        let session = gateway
            .pipeline
            .authenticate(
                &credential,
                connection,
                ConnectionKind::Http,
                Some(self.peer),
            )
            .await?;
        let recorder = match open_recording(gateway, &session).await {
            Ok(recorder) => recorder,
            Err(error) => {
                let message = format!("cannot open the session recording: {error}");
                let _ = gateway
                    .pipeline
                    .close(&session, serde_json::json!({ "error": message }))
                    .await;
                return Err(GatewayError::gateway("recording_unavailable", message));
            }
        };
        let opened = Arc::new(HttpSession {
            session,
            recorder: tokio::sync::Mutex::new(recorder),
            checked: Mutex::new(Instant::now()),
            forwarded: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        });
        let raced = {
            let mut sessions = self.lock();
            let other = sessions
                .iter()
                .find(|(c, t, _)| c == connection && t == token)
                .map(|(_, _, s)| s.clone());
            if other.is_none() {
                sessions.push((connection.to_owned(), token.to_owned(), opened.clone()));
            }
            other
        };
        match raced {
            // Another request on this connection opened it first: use that one.
            Some(other) => {
                opened.close(gateway, None).await;
                Ok(other)
            }
            None => Ok(opened),
        }
    }

    /// Closes every session (the TCP connection ended).
    pub async fn close_all(&self, gateway: &HttpGateway) {
        let sessions: Vec<Arc<HttpSession>> = self.lock().drain(..).map(|(_, _, s)| s).collect();
        for session in sessions {
            session.close(gateway, None).await;
        }
    }

    fn find(&self, connection: &str, token: &str) -> Option<Arc<HttpSession>> {
        self.lock()
            .iter()
            .find(|(c, t, _)| c == connection && t == token)
            .map(|(_, _, s)| s.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(String, String, Arc<HttpSession>)>> {
        self.sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl HttpSession {
    fn recheck_due(&self) -> bool {
        let checked = *self
            .checked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let expired = self
            .session
            .identity
            .expires_at
            .is_some_and(|at| at <= chrono::Utc::now());
        expired || checked.elapsed() >= RECHECK
    }

    fn checked_now(&self) {
        *self
            .checked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Instant::now();
    }

    /// Appends one exchange to the recording; a recording that fails is logged and dropped,
    /// and the session end says so.
    pub async fn record(&self, exchange: &HttpExchange) {
        let mut guard = self.recorder.lock().await;
        let Some(recorder) = guard.as_mut() else {
            return;
        };
        let mut result = recorder.recorder.exchange(exchange).await;
        if result.is_ok() && recorder.flushed.elapsed() >= FLUSH_EVERY {
            result = recorder.recorder.flush().await;
            recorder.flushed = Instant::now();
        }
        if let Err(error) = result {
            tracing::error!(session = %self.session.id, %error, "recording failed");
        }
    }

    /// Finishes the recording and audits the end of the session with its hash.
    async fn close(&self, gateway: &HttpGateway, error: Option<&str>) {
        let recorder = self.recorder.lock().await.take();
        let finished = match recorder {
            Some(recorder) => match recorder.recorder.finish().await {
                Ok(finished) => Some(finished),
                Err(error) => {
                    tracing::error!(session = %self.session.id, %error, "cannot finish the recording");
                    None
                }
            },
            None => None,
        };
        let detail = serde_json::json!({
            "exchanges": self.forwarded.load(Ordering::Relaxed),
            "refused": self.refused.load(Ordering::Relaxed),
            "error": error,
            "recording": finished.map(|r| serde_json::json!({
                "sha256": r.sha256_hex,
                "bytes": r.bytes,
                "truncated": r.truncated,
            })),
        });
        if let Err(error) = gateway.pipeline.close(&self.session, detail).await {
            tracing::error!(session = %self.session.id, %error, "cannot audit the session end");
        }
    }
}

async fn open_recording(
    gateway: &HttpGateway,
    session: &Session,
) -> Result<Option<Recorder>, warden_record::RecordError> {
    let Some(store) = &gateway.recordings else {
        return Ok(None);
    };
    let id = session.id.to_string();
    let writer = store.create(&id, RecordingKind::Http).await?;
    let header = HttpHeader {
        session: id,
        identity: session.identity.subject.clone(),
        connection: session.connection.clone(),
        started: chrono::Utc::now(),
    };
    let recorder = HttpRecorder::start(writer, &header).await?;
    Ok(Some(Recorder {
        recorder,
        flushed: Instant::now(),
    }))
}
