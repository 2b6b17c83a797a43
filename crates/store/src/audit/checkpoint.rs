//! Signed checkpoints: Ed25519 over the RFC 8785 canonical JSON of
//! `{"hash": …, "node": …, "seq": …, "time": …}` (time in the stored form).

use crate::{Checkpoint, StoreError, timestamp};
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde_json::json;

/// The bytes a checkpoint's signature covers.
pub fn checkpoint_message(
    node: &str,
    seq: u64,
    hash: &str,
    time: &DateTime<Utc>,
) -> Result<Vec<u8>, StoreError> {
    let fields = json!({
        "node": node,
        "seq": seq,
        "hash": hash,
        "time": timestamp::format(time),
    });
    serde_jcs::to_vec(&fields).map_err(|e| StoreError::Corrupt {
        table: "audit_checkpoints",
        message: format!("checkpoint {seq} of node {node} cannot be canonicalised: {e}"),
    })
}

/// A checkpoint of `node`'s chain at (`seq`, `hash`), signed now with `key`.
pub(crate) fn sign(
    key: &SigningKey,
    node: &str,
    seq: u64,
    hash: &str,
) -> Result<Checkpoint, StoreError> {
    let time = timestamp::truncate(Utc::now());
    let message = checkpoint_message(node, seq, hash, &time)?;
    let signature = key.sign(&message);
    Ok(Checkpoint {
        node: node.to_owned(),
        seq,
        hash: hash.to_owned(),
        time,
        signature: hex::encode(signature.to_bytes()),
        public_key: hex::encode(key.verifying_key().to_bytes()),
    })
}

/// Why a checkpoint's signature is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SignatureProblem {
    /// Signed by a key other than the trusted one.
    UntrustedKey,
    /// The signature or the recorded key does not verify.
    Invalid,
}

/// Checks `checkpoint`'s signature with the recorded key, which must be one of `trusted` unless
/// `trusted` is empty.
pub(crate) fn check_signature(
    checkpoint: &Checkpoint,
    trusted: &[VerifyingKey],
) -> Result<(), SignatureProblem> {
    let key = decode_verifying_key(&checkpoint.public_key).ok_or(SignatureProblem::Invalid)?;
    if !trusted.is_empty() && !trusted.contains(&key) {
        return Err(SignatureProblem::UntrustedKey);
    }
    let signature = hex::decode(&checkpoint.signature)
        .ok()
        .and_then(|bytes| Signature::from_slice(&bytes).ok())
        .ok_or(SignatureProblem::Invalid)?;
    let message = checkpoint_message(
        &checkpoint.node,
        checkpoint.seq,
        &checkpoint.hash,
        &checkpoint.time,
    )
    .map_err(|_| SignatureProblem::Invalid)?;
    key.verify_strict(&message, &signature)
        .map_err(|_| SignatureProblem::Invalid)
}

/// A hex Ed25519 public key, if it is one.
pub(crate) fn decode_verifying_key(text: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = hex::decode(text.trim()).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}
