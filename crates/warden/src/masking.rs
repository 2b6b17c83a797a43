//! The masking profiles of a config, compiled, with the key of their `hash` pseudonyms: from
//! `[masking] hash_key`, or `mask-hash.key` in the data directory (32 random bytes, hex, mode
//! 0600, created on first use).

use crate::state;
use anyhow::Context;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use warden_config::Config;
use warden_mask::MaskProfiles;

/// Name of the generated pseudonym key in the data directory.
pub const HASH_KEY_FILE: &str = "mask-hash.key";

/// Every profile of `config`, compiled.
pub fn profiles(config: &Config) -> anyhow::Result<MaskProfiles> {
    if config.masking.profiles.is_empty() {
        return Ok(MaskProfiles::default());
    }
    let key = hash_key(config)?;
    MaskProfiles::compile(&config.masking, &key)
        .map_err(|(profile, e)| anyhow::anyhow!("masking.profiles.{profile}: {e}"))
}

fn hash_key(config: &Config) -> anyhow::Result<Vec<u8>> {
    if let Some(reference) = &config.masking.hash_key {
        let secret = warden_identity::resolve_secret(reference, &config.base_dir)
            .context("masking.hash_key")?;
        return Ok(secret.expose().as_bytes().to_vec());
    }
    let dir = state::data_dir(config);
    let path = dir.join(HASH_KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            hex::decode(text.trim()).with_context(|| format!("{} is not hex", path.display()))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let mut key = [0u8; 32];
            getrandom::fill(&mut key)
                .map_err(|e| anyhow::anyhow!("the system random source failed: {e}"))?;
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .with_context(|| format!("creating {}", path.display()))?;
            file.write_all(hex::encode(key).as_bytes())?;
            Ok(key.to_vec())
        }
        Err(error) => Err(error).with_context(|| format!("reading {}", path.display())),
    }
}
