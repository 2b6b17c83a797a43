//! A throwaway MariaDB server on a free loopback port, with a password user for TCP logins.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::Context as _;
use nix::sys::signal::Signal;
use tempfile::TempDir;

use crate::process::{ServerProcess, pipe_to_stdin, run_checked};
use crate::random::random_hex;

/// The account created for TCP logins (all privileges, from any host).
const USER: &str = "warden";
const READY_TIMEOUT: Duration = Duration::from_secs(60);
const PORT_ATTEMPTS: usize = 5;
const INSTALL_HINT: &str = "install mariadb-server (scripts/install-test-deps.sh)";
/// Keeps each throwaway server small: the default InnoDB redo log alone is 96 MiB.
const SERVER_TUNING: [&str; 4] = [
    "--innodb-log-file-size=8M",
    "--innodb-buffer-pool-size=16M",
    "--innodb-flush-log-at-trx-commit=0",
    "--skip-name-resolve",
];

/// A running `mariadbd`; stopped (SIGTERM, then SIGKILL) and deleted on drop.
pub struct MariaDbServer {
    // Declared first so the server stops before its directory is removed.
    process: ServerProcess,
    port: u16,
    password: String,
    client: PathBuf,
    client_config: PathBuf,
    socket: PathBuf,
    dir: TempDir,
}

impl MariaDbServer {
    /// Creates a data directory with `mariadb-install-db`, starts `mariadbd` and creates the
    /// password user.
    pub async fn start() -> anyhow::Result<Self> {
        let install_db = find_tool(&["mariadb-install-db", "mysql_install_db"])?;
        let server_bin = find_tool(&["mariadbd", "mysqld"])?;
        let client = find_tool(&["mariadb", "mysql"])?;
        let dir = tempfile::Builder::new()
            .prefix("warden-mariadb-")
            .tempdir_in("/tmp")
            .context("could not create a temporary directory under /tmp")?;
        let data_dir = dir.path().join("data");
        let socket = dir.path().join("mariadb.sock");

        run_checked(
            "mariadb-install-db",
            tokio::process::Command::new(&install_db)
                .arg("--no-defaults")
                .arg(format!("--datadir={}", data_dir.display()))
                .args([
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                    "--user=root",
                ])
                .args(SERVER_TUNING)
                .current_dir(dir.path()),
        )
        .await
        .with_context(|| format!("could not create a MariaDB data directory: {INSTALL_HINT}"))?;

        let (process, port) = launch(&server_bin, &data_dir, &socket, dir.path()).await?;
        let password = random_hex(16)?;
        let client_config = dir.path().join("client.cnf");
        // The password lives in a 0600 option file, never on a command line.
        std::fs::write(
            &client_config,
            format!(
                "[client]\nuser={USER}\npassword={password}\nhost=127.0.0.1\nport={port}\n\
                 protocol=TCP\n"
            ),
        )
        .with_context(|| format!("could not write {}", client_config.display()))?;
        std::fs::set_permissions(&client_config, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("could not chmod {}", client_config.display()))?;

        let server = Self {
            process,
            port,
            password,
            client,
            client_config,
            socket,
            dir,
        };
        let create_user = format!(
            "CREATE USER '{USER}'@'%' IDENTIFIED BY '{}';\n\
             GRANT ALL PRIVILEGES ON *.* TO '{USER}'@'%' WITH GRANT OPTION;\n",
            server.password
        );
        server
            .run_client(
                &["--no-defaults", "--user=root", "--protocol=SOCKET"],
                true,
                &create_user,
            )
            .await
            .context("could not create the MariaDB test user")?;
        tracing::debug!(port, "mariadb test server ready");
        Ok(server)
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The user for TCP logins (all privileges), `"warden"`.
    pub fn user(&self) -> &str {
        USER
    }

    /// The password of [`MariaDbServer::user`] (random per server).
    pub fn password(&self) -> &str {
        &self.password
    }

    /// The unix socket, where `root` logs in without a password.
    pub fn socket_path(&self) -> &Path {
        &self.socket
    }

    /// The server log (stderr of `mariadbd`), useful when a test fails.
    pub fn log(&self) -> String {
        self.process.log()
    }

    /// Runs `sql` with the real `mariadb` client over TCP as [`MariaDbServer::user`] with its
    /// password, in batch mode without column names; returns stdout, or fails with stderr.
    pub async fn mysql(&self, sql: &str) -> anyhow::Result<String> {
        let defaults = format!("--defaults-file={}", self.client_config.display());
        self.run_client(&[defaults.as_str()], false, sql).await
    }

    async fn run_client(
        &self,
        args: &[&str],
        via_socket: bool,
        sql: &str,
    ) -> anyhow::Result<String> {
        let mut command = tokio::process::Command::new(&self.client);
        command.args(args);
        if via_socket {
            command.arg(format!("--socket={}", self.socket.display()));
        }
        command
            .args(["--batch", "--skip-column-names", "--connect-timeout=10"])
            .env_remove("MYSQL_PWD")
            .env_remove("MYSQL_HOST");
        pipe_to_stdin("the mariadb client", &mut command, sql).await
    }
}

impl std::fmt::Debug for MariaDbServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MariaDbServer")
            .field("port", &self.port)
            .field("dir", &self.dir.path())
            .finish_non_exhaustive()
    }
}

async fn launch(
    server_bin: &Path,
    data_dir: &Path,
    socket: &Path,
    work_dir: &Path,
) -> anyhow::Result<(ServerProcess, u16)> {
    for _ in 0..PORT_ATTEMPTS {
        let port = crate::free_port()?;
        let mut command = Command::new(server_bin);
        command
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data_dir.display()))
            .arg(format!("--socket={}", socket.display()))
            .arg(format!(
                "--pid-file={}",
                work_dir.join("mariadbd.pid").display()
            ))
            .arg(format!("--port={port}"))
            .args([
                "--bind-address=127.0.0.1",
                "--skip-networking=0",
                "--user=root",
            ])
            .args(["--max-connections=200"])
            .args(SERVER_TUNING)
            .current_dir(work_dir);
        let mut process = ServerProcess::spawn(
            "mariadbd",
            &mut command,
            &work_dir.join("mariadbd.log"),
            Signal::SIGTERM,
        )?;
        if wait_ready(&mut process, port).await? {
            return Ok((process, port));
        }
        tracing::debug!(port, "mariadbd lost a port race; retrying on another port");
    }
    anyhow::bail!("mariadbd could not bind a free port after {PORT_ATTEMPTS} attempts")
}

/// Waits for "ready for connections"; `false` means the port was taken.
async fn wait_ready(process: &mut ServerProcess, port: u16) -> anyhow::Result<bool> {
    process
        .wait_for_log("ready for connections", port, READY_TIMEOUT)
        .await
}

/// The first of `names` found on `$PATH` or in the usual sbin/bin directories.
fn find_tool(names: &[&str]) -> anyhow::Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    dirs.extend(["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"].map(PathBuf::from));
    for name in names {
        for dir in &dirs {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    anyhow::bail!("{} not found: {INSTALL_HINT}", names.join(" / "))
}
