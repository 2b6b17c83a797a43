//! The node's checkpoint signing key: `audit-signing.key` (hex of 32 random bytes, mode 0600)
//! and its public half `audit-signing.pub` (hex of 32 bytes) in the data directory.

use crate::StoreError;
use ed25519_dalek::{SigningKey, VerifyingKey};
use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// File name of the private signing key in the data directory.
pub const SIGNING_KEY_FILE: &str = "audit-signing.key";
/// File name of the public verifying key in the data directory.
pub const VERIFYING_KEY_FILE: &str = "audit-signing.pub";

fn key_error(path: &Path, message: impl Into<String>) -> StoreError {
    StoreError::SigningKey {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Loads `data_dir/audit-signing.key`, creating it (and `audit-signing.pub`) on first use.
/// Refuses a key file that other users can read.
pub fn load_or_create_signing_key(data_dir: &Path) -> Result<SigningKey, StoreError> {
    let path = data_dir.join(SIGNING_KEY_FILE);
    fs::create_dir_all(data_dir)
        .map_err(|e| key_error(&path, format!("cannot create the data directory: {e}")))?;
    if !path.exists() {
        create_key_file(&path)?;
    }
    let key = read_signing_key(&path)?;
    write_public_key(&data_dir.join(VERIFYING_KEY_FILE), &key.verifying_key())?;
    Ok(key)
}

/// Reads a verifying key written as `audit-signing.pub` (hex of 32 bytes), e.g. a copy kept
/// away from the gateway, for `warden audit verify`.
pub fn load_verifying_key(path: &Path) -> Result<VerifyingKey, StoreError> {
    let text =
        fs::read_to_string(path).map_err(|e| key_error(path, format!("cannot read: {e}")))?;
    super::checkpoint::decode_verifying_key(&text).ok_or_else(|| {
        key_error(
            path,
            "not an Ed25519 public key (expected 64 hex characters, as in audit-signing.pub)",
        )
    })
}

/// Writes a fresh key to a private temporary file, then links it into place, so a concurrent
/// starter never reads a half-written key and an existing key is never replaced.
fn create_key_file(path: &Path) -> Result<(), StoreError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)
        .map_err(|e| key_error(path, format!("the system random source failed: {e}")))?;
    let temporary = temporary_path(path);
    let written = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temporary)?;
        file.write_all(format!("{}\n", hex::encode(secret)).as_bytes())?;
        file.sync_all()?;
        match fs::hard_link(&temporary, path) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            other => other,
        }
    })();
    let _ = fs::remove_file(&temporary);
    written.map_err(|e| key_error(path, format!("cannot create: {e}")))?;
    tracing::info!(path = %path.display(), "created a new audit signing key");
    Ok(())
}

fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".tmp-{}", std::process::id()));
    PathBuf::from(name)
}

fn read_signing_key(path: &Path) -> Result<SigningKey, StoreError> {
    let metadata = fs::metadata(path).map_err(|e| key_error(path, format!("cannot read: {e}")))?;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(key_error(
            path,
            format!(
                "other users may read it (mode {mode:o}); run `chmod 600 {}`",
                path.display()
            ),
        ));
    }
    let text =
        fs::read_to_string(path).map_err(|e| key_error(path, format!("cannot read: {e}")))?;
    let bytes: [u8; 32] = hex::decode(text.trim())
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| key_error(path, "not a signing key (expected 64 hex characters)"))?;
    Ok(SigningKey::from_bytes(&bytes))
}

/// Keeps `audit-signing.pub` in step with the key.
fn write_public_key(path: &Path, key: &VerifyingKey) -> Result<(), StoreError> {
    let text = format!("{}\n", hex::encode(key.to_bytes()));
    match fs::read_to_string(path) {
        Ok(existing) if existing == text => return Ok(()),
        Ok(_) => tracing::warn!(
            path = %path.display(),
            "the audit public key file did not match the signing key; rewriting it"
        ),
        Err(_) => {}
    }
    fs::write(path, text).map_err(|e| key_error(path, format!("cannot write: {e}")))
}

#[cfg(test)]
#[path = "signing_key_tests.rs"]
mod tests;
