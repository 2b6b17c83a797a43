//! Starting the postmaster on a free port and waiting until it accepts connections.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::Context as _;
use nix::sys::signal::Signal;
use tokio::time::{Instant, sleep, timeout};

use super::{HOST, PostgresOptions, SUPERUSER};
use crate::privilege::ServiceUser;
use crate::process::ServerProcess;

/// How long a server may take to accept connections (a loaded 2-core machine is slow).
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How many fresh ports to try when another process wins the race for one.
const PORT_ATTEMPTS: usize = 5;

/// Everything needed to start the postmaster.
pub(super) struct Launch<'a> {
    pub(super) postgres: &'a Path,
    pub(super) pg_isready: &'a Path,
    pub(super) data_dir: &'a Path,
    pub(super) socket_dir: &'a Path,
    pub(super) log_path: &'a Path,
    pub(super) options: &'a PostgresOptions,
    pub(super) service_user: Option<&'a ServiceUser>,
}

enum Outcome {
    Ready,
    PortTaken,
}

/// Starts the postmaster, retrying on a port race; returns it once ready, with its port.
pub(super) async fn launch(launch: &Launch<'_>) -> anyhow::Result<(ServerProcess, u16)> {
    for _ in 0..PORT_ATTEMPTS {
        let port = crate::free_port()?;
        let mut process = ServerProcess::spawn(
            "postgres",
            &mut command(launch, port),
            launch.log_path,
            Signal::SIGQUIT,
        )?;
        match wait_ready(&mut process, launch, port).await? {
            Outcome::Ready => return Ok((process, port)),
            Outcome::PortTaken => {
                tracing::debug!(port, "postgres lost a port race; retrying on another port");
            }
        }
    }
    anyhow::bail!("postgres could not bind a free port after {PORT_ATTEMPTS} attempts")
}

fn command(launch: &Launch<'_>, port: u16) -> Command {
    let mut command = Command::new(launch.postgres);
    command
        .arg("-D")
        .arg(launch.data_dir)
        .arg("-p")
        .arg(port.to_string())
        .arg("-k")
        .arg(launch.socket_dir)
        .current_dir(launch.socket_dir)
        .env("LC_ALL", "C");
    let settings = [
        format!("listen_addresses={HOST}"),
        "fsync=off".to_owned(),
        "synchronous_commit=off".to_owned(),
        "full_page_writes=off".to_owned(),
        "shared_buffers=16MB".to_owned(),
        "max_connections=200".to_owned(),
        "huge_pages=off".to_owned(),
        format!(
            "password_encryption={}",
            launch.options.auth.password_encryption()
        ),
        format!("ssl={}", if launch.options.tls { "on" } else { "off" }),
    ];
    for setting in settings {
        command.arg("-c").arg(setting);
    }
    if let Some(user) = launch.service_user {
        user.apply_std(&mut command);
    }
    command
}

async fn wait_ready(
    process: &mut ServerProcess,
    launch: &Launch<'_>,
    port: u16,
) -> anyhow::Result<Outcome> {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if let Some(status) = process.exited()? {
            let log = process.log();
            if log.contains("Address already in use") {
                return Ok(Outcome::PortTaken);
            }
            anyhow::bail!(
                "postgres exited during start-up ({status}); log tail:\n{}",
                process.log_tail(30)
            );
        }
        if accepts_tcp(port).await && is_ready(launch, port).await {
            return Ok(Outcome::Ready);
        }
        if Instant::now() >= deadline {
            anyhow::bail!(
                "postgres on port {port} was not ready within {}s; log tail:\n{}",
                READY_TIMEOUT.as_secs(),
                process.log_tail(30)
            );
        }
        sleep(Duration::from_millis(100)).await;
    }
}

async fn accepts_tcp(port: u16) -> bool {
    matches!(
        timeout(
            Duration::from_secs(1),
            tokio::net::TcpStream::connect((HOST, port))
        )
        .await,
        Ok(Ok(_))
    )
}

/// `pg_isready` through our own unix socket, so a stranger on the same port cannot fool it.
async fn is_ready(launch: &Launch<'_>, port: u16) -> bool {
    let status = tokio::process::Command::new(launch.pg_isready)
        .arg("-q")
        .arg("-h")
        .arg(launch.socket_dir)
        .arg("-p")
        .arg(port.to_string())
        .args(["-U", SUPERUSER, "-d", "postgres", "-t", "2"])
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .status()
        .await
        .context("could not run pg_isready");
    matches!(status, Ok(s) if s.success())
}
