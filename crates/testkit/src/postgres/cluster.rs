//! Creating the data directory: `initdb`, `pg_hba.conf` and the TLS files.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use anyhow::Context as _;

use super::{PostgresOptions, SUPERUSER};
use crate::privilege::ServiceUser;
use crate::process::run_checked;
use crate::tls::TestCa;

/// Runs `initdb` (as `user` when given) to create an empty cluster in `data_dir`.
pub(super) async fn init(
    bin_dir: &Path,
    data_dir: &Path,
    work_dir: &Path,
    user: Option<&ServiceUser>,
) -> anyhow::Result<()> {
    let mut command = tokio::process::Command::new(bin_dir.join("initdb"));
    command
        .arg("-D")
        .arg(data_dir)
        .args([
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
            "-N",
        ])
        .current_dir(work_dir)
        .env("LC_ALL", "C");
    if let Some(user) = user {
        user.apply_tokio(&mut command);
    }
    run_checked("initdb", &mut command).await.with_context(|| {
        let as_user = user.map_or(String::new(), |u| format!(" as user {}", u.name()));
        format!(
            "could not create a PostgreSQL cluster in {}{as_user}",
            data_dir.display()
        )
    })?;
    Ok(())
}

/// Replaces `pg_hba.conf`: trust on the unix socket, the chosen method on loopback TCP (TLS
/// only when `options.tls`).
pub(super) fn write_hba(data_dir: &Path, options: &PostgresOptions) -> anyhow::Result<()> {
    let host_kind = if options.tls { "hostssl" } else { "host" };
    let method = options.auth.hba_method();
    let hba = format!(
        "# written by warden-testkit\n\
         local all all trust\n\
         {host_kind} all all 127.0.0.1/32 {method}\n"
    );
    let path = data_dir.join("pg_hba.conf");
    std::fs::write(&path, hba).with_context(|| format!("could not write {}", path.display()))
}

/// Writes `server.crt`/`server.key` signed by a fresh CA into `data_dir`; returns the CA PEM.
pub(super) fn write_tls_files(
    data_dir: &Path,
    user: Option<&ServiceUser>,
) -> anyhow::Result<String> {
    let ca = TestCa::new("warden-testkit postgres CA")?;
    let leaf = ca.issue_server(&["127.0.0.1", "localhost"])?;
    let cert_path = data_dir.join("server.crt");
    let key_path = data_dir.join("server.key");
    std::fs::write(&cert_path, &leaf.cert_pem)
        .with_context(|| format!("could not write {}", cert_path.display()))?;
    std::fs::write(&key_path, &leaf.key_pem)
        .with_context(|| format!("could not write {}", key_path.display()))?;
    // PostgreSQL refuses a key file readable by group or others.
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("could not chmod {}", key_path.display()))?;
    if let Some(user) = user {
        user.chown(&cert_path)?;
        user.chown(&key_path)?;
    }
    Ok(ca.cert_pem().to_owned())
}
