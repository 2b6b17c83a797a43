//! Authentication requests (`R`) and the client's PasswordMessage (`p`).

use super::{cstr, tagged};
use crate::PgError;
use bytes::Bytes;

/// AuthenticationOk.
pub fn ok() -> Bytes {
    tagged(b'R', &0u32.to_be_bytes())
}

/// AuthenticationCleartextPassword.
pub fn cleartext_password() -> Bytes {
    tagged(b'R', &3u32.to_be_bytes())
}

/// The password from a PasswordMessage body.
pub fn password(body: &[u8]) -> Result<&str, PgError> {
    cstr(body)
        .map(|(p, _)| p)
        .ok_or_else(|| PgError::Malformed("password message is not a string".into()))
}

/// A server's authentication request, decoded.
#[derive(Debug)]
pub enum AuthRequest<'a> {
    /// Done.
    Ok,
    /// Send the password in clear.
    Cleartext,
    /// Send MD5 of password, user and this salt.
    Md5([u8; 4]),
    /// SASL with these mechanisms.
    Sasl(Vec<&'a str>),
    /// SASL server-first or continue data.
    SaslContinue(&'a [u8]),
    /// SASL server-final data.
    SaslFinal(&'a [u8]),
    /// Anything else (Kerberos, GSS, SSPI).
    Unsupported(u32),
}

/// Decodes an `R` message body.
pub fn decode(body: &[u8]) -> Result<AuthRequest<'_>, PgError> {
    let code = body
        .get(..4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| PgError::Malformed("authentication message too short".into()))?;
    let rest = body.get(4..).unwrap_or_default();
    Ok(match code {
        0 => AuthRequest::Ok,
        3 => AuthRequest::Cleartext,
        5 => {
            let salt = rest
                .get(..4)
                .ok_or_else(|| PgError::Malformed("md5 salt missing".into()))?;
            AuthRequest::Md5([salt[0], salt[1], salt[2], salt[3]])
        }
        10 => {
            let mut mechanisms = Vec::new();
            let mut rest = rest;
            while let Some((name, after)) = cstr(rest) {
                if name.is_empty() {
                    break;
                }
                mechanisms.push(name);
                rest = after;
            }
            AuthRequest::Sasl(mechanisms)
        }
        11 => AuthRequest::SaslContinue(rest),
        12 => AuthRequest::SaslFinal(rest),
        other => AuthRequest::Unsupported(other),
    })
}

/// PasswordMessage with a NUL-terminated password (cleartext or md5 hash).
pub fn password_message(password: &str) -> Bytes {
    let mut body = Vec::with_capacity(password.len() + 1);
    body.extend_from_slice(password.as_bytes());
    body.push(0);
    tagged(b'p', &body)
}

/// SASLInitialResponse.
pub fn sasl_initial_response(mechanism: &str, data: &[u8]) -> Bytes {
    let mut body = Vec::new();
    body.extend_from_slice(mechanism.as_bytes());
    body.push(0);
    body.extend_from_slice(&(data.len() as i32).to_be_bytes());
    body.extend_from_slice(data);
    tagged(b'p', &body)
}

/// SASLResponse.
pub fn sasl_response(data: &[u8]) -> Bytes {
    tagged(b'p', data)
}
