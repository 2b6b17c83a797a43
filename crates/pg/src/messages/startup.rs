//! The untagged first packet: StartupMessage, SSLRequest, GSSENCRequest or CancelRequest.

use super::cstr;
use crate::PgError;
use bytes::{BufMut, Bytes, BytesMut};

/// Protocol 3.0.
pub const PROTOCOL_3_0: u32 = 3 << 16;
/// Protocol 3.2 (PostgreSQL 18; longer cancel keys).
pub const PROTOCOL_3_2: u32 = (3 << 16) | 2;
const SSL_REQUEST: u32 = 80877103;
const GSSENC_REQUEST: u32 = 80877104;
const CANCEL_REQUEST: u32 = 80877102;

/// A decoded first packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Startup {
    /// The client asks for TLS.
    SslRequest,
    /// The client asks for GSSAPI encryption.
    GssEncRequest,
    /// The client wants a running query on another connection cancelled.
    CancelRequest {
        /// Backend process id Warden handed out.
        process_id: u32,
        /// Secret key Warden handed out.
        secret_key: Bytes,
    },
    /// A session start.
    StartupMessage(StartupMessage),
}

/// StartupMessage: the protocol version and the parameters (`user`, `database`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartupMessage {
    /// Requested protocol version.
    pub version: u32,
    /// Parameters in order.
    pub parameters: Vec<(String, String)>,
}

impl StartupMessage {
    /// The value of parameter `name`.
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.parameters
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Encodes as an untagged packet.
    pub fn encode(&self) -> Bytes {
        let mut body = BytesMut::new();
        body.put_u32(self.version);
        for (k, v) in &self.parameters {
            super::put_cstr(&mut body, k);
            super::put_cstr(&mut body, v);
        }
        body.put_u8(0);
        untagged(&body)
    }
}

/// Decodes the body of a first packet (after its length).
pub fn decode(body: &[u8]) -> Result<Startup, PgError> {
    let code = body
        .get(..4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| PgError::Malformed("startup packet too short".into()))?;
    let rest = body.get(4..).unwrap_or_default();
    match code {
        SSL_REQUEST => Ok(Startup::SslRequest),
        GSSENC_REQUEST => Ok(Startup::GssEncRequest),
        CANCEL_REQUEST => {
            let pid = rest
                .get(..4)
                .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
                .ok_or_else(|| PgError::Malformed("cancel request too short".into()))?;
            let key = rest.get(4..).unwrap_or_default();
            if key.is_empty() || key.len() > 256 {
                return Err(PgError::Malformed("cancel request key length".into()));
            }
            Ok(Startup::CancelRequest {
                process_id: pid,
                secret_key: Bytes::copy_from_slice(key),
            })
        }
        version if version >> 16 == 3 => {
            let mut parameters = Vec::new();
            let mut rest = rest;
            loop {
                match rest.first() {
                    Some(0) => break,
                    None => {
                        return Err(PgError::Malformed(
                            "startup parameters are not terminated".into(),
                        ));
                    }
                    Some(_) => {}
                }
                let (key, after) = cstr(rest)
                    .ok_or_else(|| PgError::Malformed("startup parameter name".into()))?;
                let (value, after) = cstr(after)
                    .ok_or_else(|| PgError::Malformed("startup parameter value".into()))?;
                parameters.push((key.to_owned(), value.to_owned()));
                rest = after;
            }
            Ok(Startup::StartupMessage(StartupMessage {
                version,
                parameters,
            }))
        }
        other => Err(PgError::Malformed(format!(
            "unsupported protocol version {}.{}",
            other >> 16,
            other & 0xffff
        ))),
    }
}

/// Encodes a CancelRequest for the upstream server.
pub fn cancel_request(process_id: u32, secret_key: &[u8]) -> Bytes {
    let mut body = BytesMut::new();
    body.put_u32(CANCEL_REQUEST);
    body.put_u32(process_id);
    body.put_slice(secret_key);
    untagged(&body)
}

/// Encodes an SSLRequest.
pub fn ssl_request() -> Bytes {
    let mut body = BytesMut::new();
    body.put_u32(SSL_REQUEST);
    untagged(&body)
}

fn untagged(body: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(body.len() + 4);
    out.put_u32((body.len() + 4) as u32);
    out.put_slice(body);
    out.freeze()
}

/// NegotiateProtocolVersion: the newest minor version Warden speaks, and options it ignored.
pub fn negotiate_protocol_version(minor: u32, unsupported: &[&str]) -> Bytes {
    let mut body = BytesMut::new();
    body.put_u32(minor);
    body.put_u32(unsupported.len() as u32);
    for option in unsupported {
        super::put_cstr(&mut body, option);
    }
    super::tagged(b'v', &body)
}
