//! Dropping root for servers that refuse to run as root (PostgreSQL).

use std::os::unix::process::CommandExt as _;
use std::path::Path;

use anyhow::Context as _;
use nix::unistd::{Gid, Uid, User, chown, geteuid};

/// The unprivileged system user a server runs as when the tests run as root.
#[derive(Debug, Clone)]
pub(crate) struct ServiceUser {
    name: String,
    uid: Uid,
    gid: Gid,
}

impl ServiceUser {
    /// Returns the first of `candidates` that exists, or `None` when not running as root (the
    /// server then simply runs as the current user).
    pub(crate) fn when_root(candidates: &[&str]) -> anyhow::Result<Option<Self>> {
        if !geteuid().is_root() {
            return Ok(None);
        }
        for name in candidates {
            let user = User::from_name(name)
                .with_context(|| format!("could not look up system user {name}"))?;
            if let Some(user) = user {
                return Ok(Some(Self {
                    name: user.name,
                    uid: user.uid,
                    gid: user.gid,
                }));
            }
        }
        anyhow::bail!(
            "running as root but none of the users {candidates:?} exists: install postgresql \
             (scripts/install-test-deps.sh) or run the tests as a normal user"
        )
    }

    /// The user's login name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Makes `path` owned by this user.
    pub(crate) fn chown(&self, path: &Path) -> anyhow::Result<()> {
        chown(path, Some(self.uid), Some(self.gid))
            .with_context(|| format!("could not chown {} to user {}", path.display(), self.name))
    }

    /// Makes a std command run as this user.
    pub(crate) fn apply_std(&self, command: &mut std::process::Command) {
        command.uid(self.uid.as_raw()).gid(self.gid.as_raw());
    }

    /// Makes a tokio command run as this user.
    pub(crate) fn apply_tokio(&self, command: &mut tokio::process::Command) {
        command.uid(self.uid.as_raw()).gid(self.gid.as_raw());
    }
}
