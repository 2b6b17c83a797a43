//! The upstream leg: connect to the real server and log in with the connection's credentials.

use crate::PgError;
use crate::frame::{Frame, FrameReader};
use crate::messages::authentication::{self, AuthRequest};
use crate::messages::{backend_key_data, error_response, startup};
use crate::stream::{MaybeTls, ReadHalf, WriteHalf};
use bytes::Bytes;
use postgres_protocol::authentication::sasl::{ChannelBinding, ScramSha256};
use rustls::ClientConfig;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use warden_core::Secret;

/// Largest message accepted from an upstream server.
pub const MAX_UPSTREAM_MESSAGE: usize = 1 << 30;

/// Where and how to log in upstream for one connection.
#[derive(Clone)]
pub struct UpstreamTarget {
    /// `host:port`.
    pub address: String,
    /// Database when the client names none.
    pub database: Option<String>,
    /// Upstream user name.
    pub user: String,
    /// Upstream password, if the server asks for one.
    pub password: Option<Secret<String>>,
    /// TLS config; `None` connects in plaintext.
    pub tls: Option<Arc<ClientConfig>>,
}

impl std::fmt::Debug for UpstreamTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamTarget")
            .field("address", &self.address)
            .field("database", &self.database)
            .field("user", &self.user)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

/// A logged-in upstream session, ready for queries.
pub struct Upstream {
    /// Frames from the server.
    pub reader: FrameReader<ReadHalf>,
    /// Bytes to the server.
    pub writer: WriteHalf,
    /// Real backend process id.
    pub process_id: u32,
    /// Real cancel key.
    pub secret_key: Bytes,
    /// ParameterStatus and NoticeResponse frames to relay to the client.
    pub greeting: Vec<Frame>,
}

/// Connects, negotiates TLS and authenticates; `parameters` go into the StartupMessage.
pub async fn connect(
    target: &UpstreamTarget,
    parameters: Vec<(String, String)>,
    timeout: Duration,
) -> Result<Upstream, PgError> {
    tokio::time::timeout(timeout, connect_inner(target, parameters))
        .await
        .map_err(|_| PgError::Timeout("connecting to the upstream server"))?
}

async fn connect_inner(
    target: &UpstreamTarget,
    mut parameters: Vec<(String, String)>,
) -> Result<Upstream, PgError> {
    let tcp = TcpStream::connect(&target.address)
        .await
        .map_err(|e| PgError::Upstream(format!("cannot connect to {}: {e}", target.address)))?;
    tcp.set_nodelay(true)?;
    let stream = match &target.tls {
        None => MaybeTls::Plain(tcp),
        Some(config) => tls_upgrade(tcp, config.clone(), &target.address).await?,
    };
    let (read, mut writer) = stream.split();
    let mut reader = FrameReader::new(read, MAX_UPSTREAM_MESSAGE);
    parameters.insert(0, ("user".into(), target.user.clone()));
    let message = startup::StartupMessage {
        version: startup::PROTOCOL_3_0,
        parameters,
    };
    writer.write_all(&message.encode()).await?;
    authenticate(&mut reader, &mut writer, target).await?;

    let mut greeting = Vec::new();
    let mut key = None;
    loop {
        let frame = next(&mut reader).await?;
        match frame.tag() {
            b'S' | b'N' => greeting.push(frame),
            b'K' => key = Some(backend_key_data::decode(frame.body())?),
            b'Z' => break,
            b'E' => return Err(refused(&frame)),
            b'v' => {}
            other => {
                return Err(PgError::Upstream(format!(
                    "unexpected message {:?} during start-up",
                    other as char
                )));
            }
        }
    }
    let (process_id, secret_key) = key.unwrap_or((0, Bytes::new()));
    Ok(Upstream {
        reader,
        writer,
        process_id,
        secret_key,
        greeting,
    })
}

async fn tls_upgrade(
    mut tcp: TcpStream,
    config: Arc<ClientConfig>,
    address: &str,
) -> Result<MaybeTls, PgError> {
    tcp.write_all(&startup::ssl_request()).await?;
    let mut answer = [0u8; 1];
    tcp.read_exact(&mut answer).await?;
    if answer[0] != b'S' {
        return Err(PgError::Upstream(
            "the server does not offer TLS (set tls.mode = \"disable\" to connect without)".into(),
        ));
    }
    let host = address.rsplit_once(':').map_or(address, |(h, _)| h);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let name = rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|e| PgError::Tls(format!("bad server name {host}: {e}")))?;
    let tls = tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(|e| PgError::Tls(format!("handshake with {address}: {e}")))?;
    Ok(MaybeTls::Client(Box::new(tls)))
}

async fn authenticate(
    reader: &mut FrameReader<ReadHalf>,
    writer: &mut WriteHalf,
    target: &UpstreamTarget,
) -> Result<(), PgError> {
    let password = || {
        target
            .password
            .as_ref()
            .map(|p| p.expose().as_str())
            .ok_or_else(|| {
                PgError::Upstream(
                    "the server asks for a password and the connection has none".into(),
                )
            })
    };
    let mut scram: Option<ScramSha256> = None;
    loop {
        let frame = next(reader).await?;
        match frame.tag() {
            b'R' => {}
            b'E' => return Err(refused(&frame)),
            other => {
                return Err(PgError::Upstream(format!(
                    "unexpected message {:?} during authentication",
                    other as char
                )));
            }
        }
        match authentication::decode(frame.body())? {
            AuthRequest::Ok => return Ok(()),
            AuthRequest::Cleartext => {
                writer
                    .write_all(&authentication::password_message(password()?))
                    .await?;
            }
            AuthRequest::Md5(salt) => {
                let hash = postgres_protocol::authentication::md5_hash(
                    target.user.as_bytes(),
                    password()?.as_bytes(),
                    salt,
                );
                writer
                    .write_all(&authentication::password_message(&hash))
                    .await?;
            }
            AuthRequest::Sasl(mechanisms) => {
                if !mechanisms.contains(&"SCRAM-SHA-256") {
                    return Err(PgError::Upstream(format!(
                        "the server offers only SASL mechanisms {mechanisms:?}"
                    )));
                }
                let client =
                    ScramSha256::new(password()?.as_bytes(), ChannelBinding::unsupported());
                writer
                    .write_all(&authentication::sasl_initial_response(
                        "SCRAM-SHA-256",
                        client.message(),
                    ))
                    .await?;
                scram = Some(client);
            }
            AuthRequest::SaslContinue(data) => {
                let client = scram
                    .as_mut()
                    .ok_or_else(|| PgError::Upstream("SASL continue before start".into()))?;
                client
                    .update(data)
                    .map_err(|e| PgError::Upstream(format!("SCRAM: {e}")))?;
                writer
                    .write_all(&authentication::sasl_response(client.message()))
                    .await?;
            }
            AuthRequest::SaslFinal(data) => {
                let mut client = scram
                    .take()
                    .ok_or_else(|| PgError::Upstream("SASL final before start".into()))?;
                client
                    .finish(data)
                    .map_err(|e| PgError::Upstream(format!("SCRAM server proof: {e}")))?;
            }
            AuthRequest::Unsupported(code) => {
                return Err(PgError::Upstream(format!(
                    "the server asks for authentication method {code}, which Warden does not speak"
                )));
            }
        }
    }
}

async fn next(reader: &mut FrameReader<ReadHalf>) -> Result<Frame, PgError> {
    reader
        .next()
        .await?
        .ok_or_else(|| PgError::Upstream("the server closed the connection during start-up".into()))
}

fn refused(frame: &Frame) -> PgError {
    let message = error_response::message(frame.body()).unwrap_or_default();
    PgError::Upstream(format!("the server refused the login: {message}"))
}
