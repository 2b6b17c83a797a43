//! The HMAC-SHA256 signature of json webhook bodies, for senders and receivers.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Header carrying `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
pub const SIGNATURE_HEADER: &str = "X-Warden-Signature";
/// Header carrying the signing time in Unix seconds; part of the signed text.
pub const TIMESTAMP_HEADER: &str = "X-Warden-Timestamp";
/// Header carrying the event name, e.g. `review.created`.
pub const EVENT_HEADER: &str = "X-Warden-Event";

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8], timestamp: &str, body: &[u8]) -> Option<HmacSha256> {
    let mut mac = HmacSha256::new_from_slice(secret).ok()?;
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(mac)
}

/// The `X-Warden-Signature` value for `body` sent at `timestamp`; `None` only if HMAC refuses
/// the key, which HMAC-SHA256 never does.
pub(crate) fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> Option<String> {
    let tag = mac(secret, timestamp, body)?.finalize().into_bytes();
    Some(format!("sha256={}", hex::encode(tag)))
}

/// Whether `header` (the `X-Warden-Signature` value) signs `body` sent at `timestamp` (the
/// `X-Warden-Timestamp` value) with `secret`; compared in constant time. Receivers should also
/// refuse timestamps far from their clock, so a captured request cannot be replayed later.
pub fn verify_signature(secret: &[u8], timestamp: &str, body: &[u8], header: &str) -> bool {
    let Some(tag) = header
        .strip_prefix("sha256=")
        .and_then(|hex_tag| hex::decode(hex_tag).ok())
    else {
        return false;
    };
    mac(secret, timestamp, body).is_some_and(|mac| mac.verify_slice(&tag).is_ok())
}

#[cfg(test)]
#[path = "sign_tests.rs"]
mod tests;
