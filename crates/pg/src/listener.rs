//! Accepts PostgreSQL clients: TLS negotiation, cancel requests, token authentication, the
//! upstream login, then hands the connection to the relay.

use crate::PgError;
use crate::cancel::CancelRegistry;
use crate::frame::FrameReader;
use crate::messages::startup::{self, Startup, StartupMessage};
use crate::messages::{authentication, backend_key_data, error_response, ready_for_query};
use crate::recording::{SAMPLE_ROWS, SessionRecording};
use crate::served::{Ends, Served};
use crate::session::{CatalogScope, Relay, audit_protocol_error};
use crate::statements::Statements;
use crate::stream::MaybeTls;
use crate::upstream::{self, UpstreamTarget};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use warden_core::workers::{Placement, Workers};
use warden_core::{ConnectionKind, Pipeline, Secret, Session, Verdict};
use warden_record::{RecordingKind, RecordingStore, SqlHeader, SqlRecorder};
use warden_sql::Classifier;

/// Client messages larger than this close the connection.
pub const MAX_CLIENT_MESSAGE: usize = 16 * 1024 * 1024;
const STARTUP_TIMEOUT: Duration = Duration::from_secs(15);
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(15);

/// Settings of one PostgreSQL listener.
#[derive(Debug, Clone)]
pub struct PgListenerConfig {
    /// Accept clients without TLS when they connect from a loopback address.
    pub allow_plaintext_loopback: bool,
}

/// Everything a PostgreSQL listener needs, shared by its connections.
pub struct PgGateway {
    /// The shared pipeline.
    pub pipeline: Pipeline,
    /// Statement classifier with its cache.
    pub classifier: Arc<Classifier>,
    /// PostgreSQL connections by name.
    pub targets: BTreeMap<String, UpstreamTarget>,
    /// Kinds of every configured connection, to tell "unknown" from "not PostgreSQL".
    pub kinds: BTreeMap<String, ConnectionKind>,
    /// Server TLS; `None` refuses SSLRequest.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Cancel key mapping.
    pub cancels: CancelRegistry,
    /// Column names looked up for masking; `None` when no masking profile is configured.
    pub catalogs: Option<Arc<crate::catalog::Catalogs>>,
    /// Where sessions are recorded; `None` records nothing.
    pub recordings: Option<Arc<dyn RecordingStore>>,
}

/// Startup parameters passed through to the upstream server. Anything else (notably `options`,
/// `role`, `session_authorization`, `default_transaction_read_only`) could change what the
/// session may do, so it is dropped.
const PASSED_PARAMETERS: [&str; 8] = [
    "application_name",
    "client_encoding",
    "datestyle",
    "timezone",
    "intervalstyle",
    "extra_float_digits",
    "search_path",
    "lc_monetary",
];

impl PgGateway {
    /// Accepts connections forever. Each is handed to one of the data-path workers (see
    /// [`Workers`]) and served there start to end, with its upstream connection.
    pub async fn serve(self: Arc<Self>, listener: TcpListener, config: PgListenerConfig) {
        Workers::shared()
            .accept(listener, Placement::Pack, move |tcp, peer| {
                let (gateway, config) = (self.clone(), config.clone());
                async move {
                    if let Err(error) = gateway.handle(tcp, peer, &config).await {
                        tracing::debug!(%peer, %error, "postgres connection ended with an error");
                    }
                }
            })
            .await;
    }

    async fn handle(
        self: &Arc<Self>,
        tcp: TcpStream,
        peer: SocketAddr,
        config: &PgListenerConfig,
    ) -> Result<(), PgError> {
        tcp.set_nodelay(true)?;
        let _ = socket2::SockRef::from(&tcp).set_keepalive(true);
        let negotiated = tokio::time::timeout(STARTUP_TIMEOUT, self.negotiate(tcp)).await;
        let (stream, startup) = match negotiated {
            Ok(Ok(Some(pair))) => pair,
            Ok(Ok(None)) => return Ok(()),
            Ok(Err(error)) => {
                audit_protocol_error(&self.pipeline, None, &error).await;
                return Err(error);
            }
            Err(_) => return Err(PgError::Timeout("waiting for the startup packet")),
        };
        let (read, mut write) = stream.0.split();
        let mut client = FrameReader::new(read, MAX_CLIENT_MESSAGE);
        let is_tls = stream.1;

        if startup.version != startup::PROTOCOL_3_0 {
            let unsupported: Vec<&str> = startup
                .parameters
                .iter()
                .filter(|(k, _)| k.starts_with("_pq_."))
                .map(|(k, _)| k.as_str())
                .collect();
            write
                .write_all(&startup::negotiate_protocol_version(0, &unsupported))
                .await?;
        }
        let plaintext_ok = config.allow_plaintext_loopback && peer.ip().is_loopback();
        if !is_tls && !plaintext_ok {
            return fatal(
                &mut write,
                "28000",
                "this gateway requires TLS: connect with sslmode=require or stronger",
            )
            .await;
        }
        let requested = startup.parameter("database").unwrap_or_default();
        let (connection, database) = match requested.split_once('/') {
            Some((c, d)) => (c, Some(d)),
            None => (requested, None),
        };
        let Some(target) = self.targets.get(connection) else {
            let message = match self.kinds.get(connection) {
                Some(kind) => {
                    format!("connection \"{connection}\" is a {kind} connection, not postgres")
                }
                None => format!(
                    "no connection named \"{connection}\": set the database name to a Warden connection, e.g. pg-prod or pg-prod/otherdb"
                ),
            };
            return fatal(&mut write, "3D000", &message).await;
        };

        write
            .write_all(&authentication::cleartext_password())
            .await?;
        let token = match tokio::time::timeout(STARTUP_TIMEOUT, client.next()).await {
            Ok(Ok(Some(frame))) if frame.tag() == b'p' => {
                Secret::new(authentication::password(frame.body())?.to_owned())
            }
            Ok(Ok(None)) => return Ok(()),
            Ok(Ok(Some(_))) => {
                return fatal(&mut write, "08P01", "expected a password message").await;
            }
            Ok(Err(error)) => return Err(error),
            Err(_) => return Err(PgError::Timeout("waiting for the password")),
        };
        let session = match self
            .pipeline
            .authenticate(&token, connection, ConnectionKind::Postgres, Some(peer))
            .await
        {
            Ok(session) => session,
            Err(refusal) => {
                let code = if refusal.fault == warden_core::Fault::Client {
                    "28P01"
                } else {
                    "58000"
                };
                return fatal(&mut write, code, &format!("warden: {}", refusal.message)).await;
            }
        };
        drop(token);

        let read_only = self.read_only(&session);
        let mut parameters: Vec<(String, String)> = startup
            .parameters
            .iter()
            .filter(|(k, _)| PASSED_PARAMETERS.contains(&k.to_ascii_lowercase().as_str()))
            .cloned()
            .collect();
        let database = database
            .map(str::to_owned)
            .or_else(|| target.database.clone())
            .unwrap_or_else(|| target.user.clone());
        parameters.push(("database".into(), database.clone()));
        if read_only {
            parameters.push(("default_transaction_read_only".into(), "on".into()));
        }
        let upstream = match upstream::connect(target, parameters, UPSTREAM_TIMEOUT).await {
            Ok(upstream) => upstream,
            Err(error) => {
                tracing::warn!(connection, %error, "upstream login failed");
                let _ = self
                    .pipeline
                    .close(&session, serde_json::json!({ "error": error.to_string() }))
                    .await;
                return fatal(
                    &mut write,
                    "08001",
                    &format!("warden: cannot open the upstream session for {connection}: {error}"),
                )
                .await;
            }
        };
        let (fake_pid, fake_key, cancel) = self.cancels.register(
            &target.address,
            upstream.process_id,
            upstream.secret_key.clone(),
        )?;
        let mut hello = Vec::new();
        hello.extend_from_slice(&authentication::ok());
        for frame in &upstream.greeting {
            hello.extend_from_slice(frame.bytes());
        }
        hello.extend_from_slice(&backend_key_data::encode(fake_pid, &fake_key));
        hello.extend_from_slice(&ready_for_query::encode(ready_for_query::IDLE));
        write.write_all(&hello).await?;

        let statements = Statements::new(self.classifier.clone());
        let catalog = self.catalogs.clone().map(|catalogs| CatalogScope {
            catalogs,
            connection: connection.to_owned(),
            target: target.clone(),
            database,
        });
        // Every session is recorded; a session that cannot be is not served (fail closed).
        let recording = match self.open_recording(&session).await {
            Ok(recording) => recording,
            Err(error) => {
                tracing::error!(%error, "cannot open the session recording");
                let message = format!("warden: cannot open the session recording: {error}");
                let _ = self
                    .pipeline
                    .close(&session, serde_json::json!({ "error": message }))
                    .await;
                return fatal(&mut write, "58000", &message).await;
            }
        };
        let relay = Relay::new(
            self.pipeline.clone(),
            Arc::new(session),
            statements,
            (write, upstream.writer),
            catalog,
        )
        .with_recording(recording);
        let served = Served {
            ends: Ends {
                gateway: self.clone(),
                relay,
                read_only,
                cancel,
                peer,
            },
            client,
            server: upstream.reader,
        };
        served.run().await;
        Ok(())
    }

    /// The session's recording, when the gateway records.
    async fn open_recording(
        &self,
        session: &Session,
    ) -> Result<Option<SessionRecording>, warden_record::RecordError> {
        let Some(store) = &self.recordings else {
            return Ok(None);
        };
        let id = session.id.to_string();
        let writer = store.create(&id, RecordingKind::Sql).await?;
        let header = SqlHeader {
            session: id,
            identity: session.identity.subject.clone(),
            connection: session.connection.clone(),
            started: chrono::Utc::now(),
        };
        let recorder = SqlRecorder::start(writer, &header, SAMPLE_ROWS).await?;
        Ok(Some(SessionRecording::new(recorder)))
    }

    /// Reads the first packets: TLS upgrade, GSS refusal, cancel, until a StartupMessage.
    async fn negotiate(
        &self,
        tcp: TcpStream,
    ) -> Result<Option<((MaybeTls, bool), StartupMessage)>, PgError> {
        let mut stream = MaybeTls::Plain(tcp);
        loop {
            let mut reader = FrameReader::new(stream, 10_000);
            let Some(packet) = reader.next_startup().await? else {
                return Ok(None);
            };
            if reader.has_buffered() {
                return Err(PgError::Malformed("data after the startup packet".into()));
            }
            let (inner, _) = reader.into_parts();
            stream = inner;
            match startup::decode(&packet)? {
                Startup::SslRequest => {
                    let MaybeTls::Plain(mut tcp) = stream else {
                        return Err(PgError::Malformed("second SSLRequest".into()));
                    };
                    match &self.tls {
                        Some(config) => {
                            tcp.write_all(b"S").await?;
                            let tls = tokio_rustls::TlsAcceptor::from(config.clone())
                                .accept(tcp)
                                .await
                                .map_err(|e| PgError::Tls(e.to_string()))?;
                            stream = MaybeTls::Server(Box::new(tls));
                        }
                        None => {
                            tcp.write_all(b"N").await?;
                            stream = MaybeTls::Plain(tcp);
                        }
                    }
                }
                Startup::GssEncRequest => {
                    stream.write_all(b"N").await?;
                }
                Startup::CancelRequest {
                    process_id,
                    secret_key,
                } => {
                    self.cancels.cancel(process_id, &secret_key).await?;
                    return Ok(None);
                }
                Startup::StartupMessage(message) => {
                    if message
                        .parameter("replication")
                        .is_some_and(|r| r != "false" && r != "0" && r != "off")
                    {
                        return Err(PgError::Malformed(
                            "replication connections are not supported".into(),
                        ));
                    }
                    let is_tls = stream.is_tls();
                    return Ok(Some(((stream, is_tls), message)));
                }
            }
        }
    }

    /// Whether the identity may do nothing but read on this connection: then the upstream
    /// session is opened read-only as well, so a classification miss still cannot write.
    fn read_only(&self, session: &Session) -> bool {
        ["sql:write", "sql:ddl", "sql:admin", "sql:unknown"]
            .into_iter()
            .all(|name| {
                self.pipeline
                    .verdict(session, &warden_core::Action::named(name))
                    == Verdict::Deny
            })
    }
}

async fn fatal<W: AsyncWriteExt + Unpin>(
    write: &mut W,
    code: &str,
    message: &str,
) -> Result<(), PgError> {
    write
        .write_all(&error_response::fatal(code, message))
        .await?;
    write.flush().await?;
    Ok(())
}
