//! Warden API keys: `wdn_<16 hex id>_<43 base64url chars>`, bound to a machine identity.
//!
//! The id is public (it names the key in `warden keys list` and the audit log); the secret part
//! is 32 random bytes, shown once at creation. The store keeps only the hex SHA-256 of the
//! secret part's text, and verification compares hashes in constant time.

use crate::IdentityError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use warden_core::{AuthMethod, Identity, IdentityKind, Secret};
use warden_store::{ApiKeyRecord, Store, StoreError};

/// Every API key starts with this.
pub const API_KEY_PREFIX: &str = "wdn_";
/// Issuer of API key identities.
pub const API_KEY_ISSUER: &str = "warden";

const ID_BYTES: usize = 8;
const SECRET_BYTES: usize = 32;
const ID_LEN: usize = ID_BYTES * 2;
const SECRET_LEN: usize = 43;
const MAX_NAME_LEN: usize = 64;

/// Creates a key for the machine identity `name` and stores its hash. Returns the stored record
/// and the full key, which is never stored and cannot be shown again.
pub async fn create_api_key(
    store: &dyn Store,
    name: &str,
    groups: Vec<String>,
    scopes: Vec<String>,
    expires_at: Option<DateTime<Utc>>,
) -> Result<(ApiKeyRecord, Secret<String>), IdentityError> {
    check_name(name)?;
    for (what, values) in [("group", &groups), ("scope", &scopes)] {
        if values.iter().any(|v| v.trim().is_empty() || v.trim() != v) {
            return Err(IdentityError::InvalidApiKey(format!(
                "a {what} is empty or has surrounding spaces"
            )));
        }
    }
    let now = Utc::now();
    if expires_at.is_some_and(|at| at <= now) {
        return Err(IdentityError::InvalidApiKey(
            "expiry is in the past; give a future time or a duration such as 30d".to_owned(),
        ));
    }
    let id = hex::encode(random::<ID_BYTES>()?);
    let secret = URL_SAFE_NO_PAD.encode(random::<SECRET_BYTES>()?);
    let record = ApiKeyRecord {
        id: id.clone(),
        name: name.to_owned(),
        groups,
        scopes,
        secret_hash: secret_hash(&secret),
        created_at: now,
        expires_at,
        revoked_at: None,
    };
    store.insert_api_key(&record).await.map_err(|e| match e {
        StoreError::Conflict(_) => IdentityError::ApiKeyNameTaken(name.to_owned()),
        other => IdentityError::Store(other),
    })?;
    Ok((
        record,
        Secret::new(format!("{API_KEY_PREFIX}{id}_{secret}")),
    ))
}

/// The machine identity behind `key`, or why it is refused. A wrong secret for a real id is
/// `unknown_api_key`, like an unknown id, and revocation or expiry is only reported to someone
/// who holds the right secret.
pub async fn verify_api_key(store: &dyn Store, key: &str) -> Result<Identity, IdentityError> {
    let (id, secret) = parse(key)?;
    let record = store.api_key(id).await?;
    let presented = secret_hash(secret);
    // Compare against a dummy hash when the id is unknown so both paths do the same work.
    let stored = record
        .as_ref()
        .map_or_else(|| "0".repeat(64), |r| r.secret_hash.clone());
    let matches: bool = presented.as_bytes().ct_eq(stored.as_bytes()).into();
    let Some(record) = record.filter(|_| matches) else {
        return Err(IdentityError::UnknownApiKey);
    };
    if let Some(at) = record.revoked_at {
        return Err(IdentityError::ApiKeyRevoked { id: record.id, at });
    }
    if let Some(at) = record.expires_at
        && at <= Utc::now()
    {
        return Err(IdentityError::ApiKeyExpired { id: record.id, at });
    }
    Ok(Identity {
        subject: record.name,
        kind: IdentityKind::Machine,
        groups: record.groups,
        scopes: record.scopes,
        issuer: API_KEY_ISSUER.to_owned(),
        auth_method: AuthMethod::ApiKey,
        expires_at: record.expires_at,
    })
}

/// All API keys (hashes only), newest first.
pub async fn list_api_keys(store: &dyn Store) -> Result<Vec<ApiKeyRecord>, IdentityError> {
    Ok(store.api_keys().await?)
}

/// Revokes the key with this id, or the unrevoked key with this name.
pub async fn revoke_api_key(
    store: &dyn Store,
    id_or_name: &str,
) -> Result<ApiKeyRecord, IdentityError> {
    store
        .revoke_api_key(id_or_name, Utc::now())
        .await?
        .ok_or_else(|| IdentityError::ApiKeyNotFound(crate::error::shown(id_or_name)))
}

/// Splits a key into its id and secret part, checking the exact format.
fn parse(key: &str) -> Result<(&str, &str), IdentityError> {
    let rest = key
        .strip_prefix(API_KEY_PREFIX)
        .ok_or(IdentityError::MalformedApiKey)?;
    let (id, rest) = rest
        .split_at_checked(ID_LEN)
        .ok_or(IdentityError::MalformedApiKey)?;
    let secret = rest
        .strip_prefix('_')
        .ok_or(IdentityError::MalformedApiKey)?;
    let id_ok = id
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let secret_ok = secret.len() == SECRET_LEN
        && URL_SAFE_NO_PAD
            .decode(secret)
            .is_ok_and(|bytes| bytes.len() == SECRET_BYTES);
    if id_ok && secret_ok {
        Ok((id, secret))
    } else {
        Err(IdentityError::MalformedApiKey)
    }
}

fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn random<const N: usize>() -> Result<[u8; N], IdentityError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| IdentityError::Random(e.to_string()))?;
    Ok(bytes)
}

/// Names become identity subjects and are used by `revoke`, so they are plain and unambiguous.
fn check_name(name: &str) -> Result<(), IdentityError> {
    let invalid = |why: &str| IdentityError::InvalidApiKey(format!("api key name {why}"));
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(invalid(&format!(
            "must have 1 to {MAX_NAME_LEN} characters"
        )));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | ':'))
    {
        return Err(invalid(
            "may only contain letters, digits and - _ . @ : (e.g. ci-bot)",
        ));
    }
    if name.starts_with(API_KEY_PREFIX)
        || (name.len() == ID_LEN && name.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(invalid(
            "must not look like a key id or a key; choose a descriptive name such as ci-bot",
        ));
    }
    Ok(())
}

#[cfg(test)]
#[path = "api_keys_tests.rs"]
mod tests;
