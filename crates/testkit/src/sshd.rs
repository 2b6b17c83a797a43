//! A throwaway OpenSSH server on a free loopback port with a generated client key.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::Context as _;
use nix::sys::signal::Signal;
use nix::unistd::{User, geteuid};
use tempfile::TempDir;

use crate::process::{ServerProcess, run_checked};

/// The OpenSSH server binary; sshd re-executes itself, so it must be an absolute path.
const SSHD: &str = "/usr/sbin/sshd";
/// Where sshd expects its privilege separation directory when started as root.
const PRIVSEP_DIR: &str = "/run/sshd";
const READY_TIMEOUT: Duration = Duration::from_secs(30);
const PORT_ATTEMPTS: usize = 5;

/// A running `sshd` that accepts [`SshServer::client_key_path`] for [`SshServer::user`];
/// stopped (SIGTERM, then SIGKILL) and deleted on drop.
pub struct SshServer {
    // Declared first so the server stops before its directory is removed.
    process: ServerProcess,
    port: u16,
    user: String,
    client_key: PathBuf,
    known_hosts: PathBuf,
    host_public_key: String,
    dir: TempDir,
}

impl SshServer {
    /// Generates host and client keys, writes a config and starts `sshd -D -e`.
    pub async fn start() -> anyhow::Result<Self> {
        anyhow::ensure!(
            Path::new(SSHD).exists(),
            "{SSHD} not found: install openssh-server (scripts/install-test-deps.sh)"
        );
        let user = User::from_uid(geteuid())
            .context("could not look up the current user")?
            .context("the current uid has no passwd entry, so sshd cannot log it in")?
            .name;
        if geteuid().is_root() {
            std::fs::create_dir_all(PRIVSEP_DIR)
                .with_context(|| format!("could not create {PRIVSEP_DIR}"))?;
            std::fs::set_permissions(PRIVSEP_DIR, std::fs::Permissions::from_mode(0o755))
                .with_context(|| format!("could not chmod {PRIVSEP_DIR}"))?;
        }
        let dir = tempfile::Builder::new()
            .prefix("warden-sshd-")
            .tempdir_in("/tmp")
            .context("could not create a temporary directory under /tmp")?;
        let host_key = dir.path().join("host_ed25519_key");
        let client_key = dir.path().join("client_ed25519_key");
        keygen(&host_key, "warden-testkit-host").await?;
        keygen(&client_key, "warden-testkit-client").await?;
        let authorized = read(&client_key.with_extension("pub"))?;
        let authorized_keys = dir.path().join("authorized_keys");
        write(&authorized_keys, &authorized)?;
        let host_public_key = key_without_comment(&read(&host_key.with_extension("pub"))?);

        for _ in 0..PORT_ATTEMPTS {
            let port = crate::free_port()?;
            let config = dir.path().join("sshd_config");
            write(
                &config,
                &sshd_config(port, &host_key, &authorized_keys, dir.path(), &user),
            )?;
            let mut process = ServerProcess::spawn(
                "sshd",
                Command::new(SSHD)
                    .arg("-D")
                    .arg("-e")
                    .arg("-f")
                    .arg(&config),
                &dir.path().join("sshd.log"),
                Signal::SIGTERM,
            )?;
            if wait_ready(&mut process, port).await? {
                let known_hosts = dir.path().join("known_hosts");
                write(
                    &known_hosts,
                    &format!("[127.0.0.1]:{port} {host_public_key}\n"),
                )?;
                tracing::debug!(port, "sshd test server ready");
                return Ok(Self {
                    process,
                    port,
                    user,
                    client_key,
                    known_hosts,
                    host_public_key,
                    dir,
                });
            }
            tracing::debug!(port, "sshd lost a port race; retrying on another port");
        }
        anyhow::bail!("sshd could not bind a free port after {PORT_ATTEMPTS} attempts")
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The login that accepts the client key (the user running the tests, root here).
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The unencrypted ed25519 private key authorised for [`SshServer::user`].
    pub fn client_key_path(&self) -> &Path {
        &self.client_key
    }

    /// The host's public key, `"ssh-ed25519 AAAA..."`, for a known_hosts entry.
    pub fn host_public_key(&self) -> String {
        self.host_public_key.clone()
    }

    /// A known_hosts file trusting this server's host key at `[127.0.0.1]:port`.
    pub fn known_hosts_path(&self) -> &Path {
        &self.known_hosts
    }

    /// The sshd log (stderr of `sshd -e`), useful when a test fails.
    pub fn log(&self) -> String {
        self.process.log()
    }

    /// An `ssh` client command for `user@127.0.0.1` with this server's key, port and
    /// known_hosts, in batch mode with strict host key checking; append the remote command.
    pub fn ssh_command(&self) -> tokio::process::Command {
        let mut command = tokio::process::Command::new("ssh");
        command
            .args(["-F", "/dev/null", "-i"])
            .arg(&self.client_key)
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-o", "BatchMode=yes"])
            .args(["-o", "StrictHostKeyChecking=yes"])
            .args(["-o", "IdentitiesOnly=yes"])
            .args(["-o", "GlobalKnownHostsFile=/dev/null"])
            .arg("-o")
            .arg(format!("UserKnownHostsFile={}", self.known_hosts.display()))
            .args(["-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR"])
            .arg(format!("{}@127.0.0.1", self.user))
            .kill_on_drop(true);
        command
    }

    /// Runs `command` on the server with the real `ssh` client and returns its output (a
    /// non-zero remote exit status is not an error; check `status`).
    pub async fn ssh(&self, command: &str) -> anyhow::Result<std::process::Output> {
        self.ssh_command()
            .arg("--")
            .arg(command)
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .context("could not run ssh: install openssh-client")
    }
}

impl std::fmt::Debug for SshServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshServer")
            .field("port", &self.port)
            .field("user", &self.user)
            .field("dir", &self.dir.path())
            .finish_non_exhaustive()
    }
}

fn sshd_config(port: u16, host_key: &Path, authorized: &Path, dir: &Path, user: &str) -> String {
    format!(
        "Port {port}\n\
         ListenAddress 127.0.0.1\n\
         HostKey {host_key}\n\
         PidFile {pid}\n\
         AuthorizedKeysFile {authorized}\n\
         AllowUsers {user}\n\
         PubkeyAuthentication yes\n\
         PasswordAuthentication no\n\
         KbdInteractiveAuthentication no\n\
         PermitRootLogin prohibit-password\n\
         UsePAM no\n\
         StrictModes no\n\
         PrintMotd no\n\
         LogLevel VERBOSE\n\
         Subsystem sftp internal-sftp\n",
        host_key = host_key.display(),
        pid = dir.join("sshd.pid").display(),
        authorized = authorized.display(),
    )
}

/// Waits for "Server listening on 127.0.0.1 port N"; `false` means the port was taken.
async fn wait_ready(process: &mut ServerProcess, port: u16) -> anyhow::Result<bool> {
    let listening = format!("Server listening on 127.0.0.1 port {port}");
    process.wait_for_log(&listening, port, READY_TIMEOUT).await
}

async fn keygen(path: &Path, comment: &str) -> anyhow::Result<()> {
    run_checked(
        "ssh-keygen",
        tokio::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
            .arg(path),
    )
    .await
    .context("could not generate an ssh key: install openssh-client (ssh-keygen)")?;
    Ok(())
}

fn key_without_comment(line: &str) -> String {
    line.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("could not read {}", path.display()))
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("could not write {}", path.display()))
}
