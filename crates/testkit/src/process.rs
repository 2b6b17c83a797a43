//! A child server process that is stopped when dropped, also while a failing test unwinds.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::io::AsyncWriteExt as _;

/// How long a server gets to exit after its stop signal before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// A running server whose stdout and stderr go to a log file.
pub(crate) struct ServerProcess {
    child: Child,
    name: &'static str,
    stop_signal: Signal,
    log_path: PathBuf,
}

impl ServerProcess {
    /// Spawns `command` with its output appended to `log_path`; `stop_signal` asks it to exit.
    pub(crate) fn spawn(
        name: &'static str,
        command: &mut Command,
        log_path: &Path,
        stop_signal: Signal,
    ) -> anyhow::Result<Self> {
        let log = std::fs::File::create(log_path)
            .with_context(|| format!("could not create {name} log {}", log_path.display()))?;
        let log_err = log
            .try_clone()
            .with_context(|| format!("could not duplicate the {name} log file handle"))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .with_context(|| format!("could not start {name} ({:?})", command.get_program()))?;
        Ok(Self {
            child,
            name,
            stop_signal,
            log_path: log_path.to_path_buf(),
        })
    }

    /// Returns the exit status if the process has already exited.
    pub(crate) fn exited(&mut self) -> anyhow::Result<Option<ExitStatus>> {
        self.child
            .try_wait()
            .with_context(|| format!("could not poll the {} process", self.name))
    }

    /// Returns the last `lines` lines of the server log, for error messages.
    pub(crate) fn log_tail(&self, lines: usize) -> String {
        log_tail(&self.log_path, lines)
    }

    /// Returns the whole server log (empty if it cannot be read).
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Waits until the log contains `marker`; `false` means the server exited because `port` was
    /// taken, and any other exit or a `timeout` without the marker is an error with the log tail.
    pub(crate) async fn wait_for_log(
        &mut self,
        marker: &str,
        port: u16,
        timeout: Duration,
    ) -> anyhow::Result<bool> {
        let deadline = Instant::now() + timeout;
        loop {
            let log = self.log();
            if let Some(status) = self.exited()? {
                if log.contains("Address already in use") {
                    return Ok(false);
                }
                anyhow::bail!(
                    "{} exited during start-up ({status}); log tail:\n{}",
                    self.name,
                    self.log_tail(30)
                );
            }
            if log.contains(marker) {
                return Ok(true);
            }
            if Instant::now() >= deadline {
                anyhow::bail!(
                    "{} on port {port} was not ready within {}s; log tail:\n{}",
                    self.name,
                    timeout.as_secs(),
                    self.log_tail(30)
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        if let Ok(raw) = i32::try_from(self.child.id()) {
            let _ = kill(Pid::from_raw(raw), self.stop_signal);
        }
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        tracing::warn!(
            server = self.name,
            "server ignored its stop signal; killing it"
        );
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Returns the last `lines` lines of the file at `path`, or a note that it could not be read.
pub(crate) fn log_tail(path: &Path, lines: usize) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let all: Vec<&str> = text.lines().collect();
            let start = all.len().saturating_sub(lines);
            all.get(start..).unwrap_or_default().join("\n")
        }
        Err(e) => format!("(could not read {}: {e})", path.display()),
    }
}

/// Runs a short-lived command to completion and fails with its stderr if it exits non-zero.
pub(crate) async fn run_checked(
    what: &str,
    command: &mut tokio::process::Command,
) -> anyhow::Result<std::process::Output> {
    let output = command
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .with_context(|| {
            format!(
                "could not run {what} ({:?})",
                command.as_std().get_program()
            )
        })?;
    if !output.status.success() {
        anyhow::bail!(
            "{what} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(output)
}

/// Runs a client `command` with `input` on its stdin (so secrets in it never appear in the process
/// list) and returns its stdout; fails with its stderr if it exits non-zero.
pub(crate) async fn pipe_to_stdin(
    what: &str,
    command: &mut tokio::process::Command,
    input: &str,
) -> anyhow::Result<String> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| {
            format!(
                "could not run {what} ({:?})",
                command.as_std().get_program()
            )
        })?;
    let mut stdin = child
        .stdin
        .take()
        .with_context(|| format!("{what} stdin was not captured"))?;
    let input = input.to_owned();
    let write = async move {
        let result = stdin.write_all(input.as_bytes()).await;
        drop(stdin);
        result
    };
    let (written, output) = tokio::join!(write, child.wait_with_output());
    let output = output.with_context(|| format!("could not wait for {what}"))?;
    if !output.status.success() {
        anyhow::bail!(
            "{what} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    written.with_context(|| format!("could not send SQL to {what}"))?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
