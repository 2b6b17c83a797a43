//! Resolving a config [`SecretRef`] to its value.

use crate::IdentityError;
use std::path::Path;
use warden_config::SecretRef;
use warden_core::Secret;

/// The value behind `reference`: an environment variable, or a file (relative paths are taken
/// from `base_dir`, the config file's directory). Trailing newlines are stripped; an empty value
/// is refused. Errors name the variable or file, never the value.
pub fn resolve_secret(
    reference: &SecretRef,
    base_dir: &Path,
) -> Result<Secret<String>, IdentityError> {
    let (value, origin) = match reference {
        SecretRef::Env { env } => {
            let origin = format!("environment variable {env}");
            let value = std::env::var(env).map_err(|e| {
                let why = match e {
                    std::env::VarError::NotPresent => "is not set",
                    std::env::VarError::NotUnicode(_) => "is not valid UTF-8",
                };
                IdentityError::SecretUnavailable(format!("secret {origin} {why}"))
            })?;
            (value, origin)
        }
        SecretRef::File { file } => {
            let path = base_dir.join(file);
            let origin = format!("file {}", path.display());
            let value = std::fs::read_to_string(&path).map_err(|e| {
                IdentityError::SecretUnavailable(format!("cannot read secret {origin}: {e}"))
            })?;
            (value, origin)
        }
    };
    let trimmed = value.trim_end_matches(['\n', '\r']);
    if trimmed.is_empty() {
        return Err(IdentityError::SecretUnavailable(format!(
            "secret {origin} is empty"
        )));
    }
    Ok(Secret::new(trimmed.to_owned()))
}

#[cfg(test)]
#[path = "secret_tests.rs"]
mod tests;
