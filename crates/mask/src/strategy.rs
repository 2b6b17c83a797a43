//! How a sensitive value is rewritten: redact, partial, keyed hash (null is the protocol's).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use warden_config::MaskStrategy;

use crate::{Entity, MaskError};

type HmacSha256 = Hmac<Sha256>;

/// Hex digits of the HMAC kept in a pseudonym (64 bits: collisions are negligible for joins).
const HASH_HEX: usize = 16;
/// The pseudonym prefix for whole values masked by a column rule.
const COLUMN_PREFIX: &str = "h";

/// The keyed hash, with the key already absorbed so each pseudonym costs one HMAC.
#[derive(Clone)]
pub(crate) struct Hasher {
    mac: Option<HmacSha256>,
}

impl Hasher {
    /// A hasher with `key`; an empty key is only an error if a strategy needs it.
    pub(crate) fn new(key: &[u8], needed: bool) -> Result<Self, MaskError> {
        if key.is_empty() {
            return if needed {
                Err(MaskError::MissingHashKey)
            } else {
                Ok(Hasher { mac: None })
            };
        }
        let mac = HmacSha256::new_from_slice(key).map_err(|_| MaskError::MissingHashKey)?;
        Ok(Hasher { mac: Some(mac) })
    }

    /// Appends `<prefix>_<16 hex of HMAC-SHA256(key, value)>`.
    fn pseudonym(&self, prefix: &str, value: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(prefix.as_bytes());
        out.push(b'_');
        match &self.mac {
            Some(mac) => {
                let mut mac = mac.clone();
                mac.update(value);
                let tag = mac.finalize().into_bytes();
                let hex = hex::encode(&tag[..HASH_HEX / 2]);
                out.extend_from_slice(hex.as_bytes());
            }
            None => out.extend_from_slice(&[b'0'; HASH_HEX]),
        }
    }
}

/// Appends the rewrite of a detector hit `value` of kind `entity` to `out`.
///
/// Text has no NULL, so `null` redacts here; [`crate::Masker::mask_value`] turns a whole value
/// into NULL instead.
pub(crate) fn entity(
    strategy: &MaskStrategy,
    hasher: &Hasher,
    entity: Entity,
    value: &[u8],
    out: &mut Vec<u8>,
) {
    match strategy {
        MaskStrategy::Redact | MaskStrategy::Null => {
            out.extend_from_slice(b"[redacted:");
            out.extend_from_slice(entity.as_str().as_bytes());
            out.push(b']');
        }
        MaskStrategy::Partial { keep } => partial(value, *keep, out),
        MaskStrategy::Hash => hasher.pseudonym(entity.as_str(), &canonical(entity, value), out),
    }
}

/// The rewrite of a whole column value; `None` means SQL NULL.
pub(crate) fn column(strategy: &MaskStrategy, hasher: &Hasher, value: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    match strategy {
        MaskStrategy::Redact => out.extend_from_slice(b"[redacted]"),
        MaskStrategy::Partial { keep } => partial(value, *keep, &mut out),
        MaskStrategy::Hash => hasher.pseudonym(COLUMN_PREFIX, value, &mut out),
        MaskStrategy::Null => return None,
    }
    Some(out)
}

/// The form hashed for a detector hit, so that formatting does not change the pseudonym:
/// emails lowercased; card, SSN, phone and IBAN reduced to uppercase letters and digits.
fn canonical(entity: Entity, value: &[u8]) -> Vec<u8> {
    match entity {
        Entity::Email => value.to_ascii_lowercase(),
        Entity::Card | Entity::Ssn | Entity::Phone | Entity::Iban => value
            .iter()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(u8::to_ascii_uppercase)
            .collect(),
        _ => value.to_vec(),
    }
}

/// Punctuation and whitespace are kept by `partial`; everything else is masked or counted.
fn is_separator(c: char) -> bool {
    c.is_ascii_punctuation() || c.is_whitespace()
}

/// Keeps the last `keep` non-separator characters and every separator, and replaces the other
/// characters with `*` one for one, so the shape and character count are preserved
/// (`4111 1111 1111 1111` → `**** **** **** 1111`). Bytes that are not UTF-8 count as one
/// character each.
fn partial(value: &[u8], keep: usize, out: &mut Vec<u8>) {
    match std::str::from_utf8(value) {
        Ok(s) => {
            let maskable = s.chars().filter(|&c| !is_separator(c)).count();
            let mut hide = maskable.saturating_sub(keep);
            let mut buf = [0u8; 4];
            for c in s.chars() {
                if hide > 0 && !is_separator(c) {
                    out.push(b'*');
                    hide -= 1;
                } else {
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
        Err(_) => {
            let sep = |c: u8| c.is_ascii_punctuation() || c.is_ascii_whitespace();
            let maskable = value.iter().filter(|&&c| !sep(c)).count();
            let mut hide = maskable.saturating_sub(keep);
            for &c in value {
                if hide > 0 && !sep(c) {
                    out.push(b'*');
                    hide -= 1;
                } else {
                    out.push(c);
                }
            }
        }
    }
}
