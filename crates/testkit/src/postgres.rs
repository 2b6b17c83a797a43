//! A throwaway PostgreSQL cluster on a free loopback port, removed when dropped.

mod cluster;
mod launch;

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use tempfile::TempDir;

use crate::privilege::ServiceUser;
use crate::process::{ServerProcess, pipe_to_stdin};
use crate::random::random_hex;

/// The superuser every cluster is created with.
const SUPERUSER: &str = "postgres";
/// The only address the server listens on.
const HOST: &str = "127.0.0.1";

/// The authentication method for TCP connections, written to `pg_hba.conf`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PgAuth {
    /// No password needed.
    Trust,
    /// SCRAM-SHA-256 (password stored as a SCRAM verifier).
    #[default]
    Scram,
    /// MD5 challenge (password stored as an MD5 hash).
    Md5,
    /// Cleartext password on the wire (stored as a SCRAM verifier).
    Password,
}

impl PgAuth {
    fn hba_method(self) -> &'static str {
        match self {
            Self::Trust => "trust",
            Self::Scram => "scram-sha-256",
            Self::Md5 => "md5",
            Self::Password => "password",
        }
    }

    fn password_encryption(self) -> &'static str {
        match self {
            Self::Md5 => "md5",
            Self::Trust | Self::Scram | Self::Password => "scram-sha-256",
        }
    }
}

/// How to set up a [`PostgresServer`].
#[derive(Debug, Clone, Default)]
pub struct PostgresOptions {
    /// The authentication method for TCP connections (default SCRAM).
    pub auth: PgAuth,
    /// Serve TLS with a certificate from a fresh test CA and accept only TLS over TCP.
    pub tls: bool,
}

/// A running PostgreSQL server; stopped (SIGQUIT, then SIGKILL) and deleted on drop.
pub struct PostgresServer {
    // Declared first so the server stops before its directory is removed.
    process: ServerProcess,
    port: u16,
    password: String,
    bin_dir: PathBuf,
    psql: PathBuf,
    socket_dir: PathBuf,
    ca_cert_pem: Option<String>,
    options: PostgresOptions,
    dir: TempDir,
}

impl PostgresServer {
    /// Starts a server with the default options (SCRAM over TCP, no TLS).
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(PostgresOptions::default()).await
    }

    /// Starts a server with `options`.
    pub async fn start_with(options: PostgresOptions) -> anyhow::Result<Self> {
        let bin_dir = crate::bin::pg_bin_dir()?.to_path_buf();
        let psql = crate::bin::find_pg_bin("psql")?;
        let pg_isready = crate::bin::find_pg_bin("pg_isready")?;
        let service_user = ServiceUser::when_root(&["postgres", "nobody"])?;

        // Always under /tmp: the unprivileged user must reach it and the socket path must stay
        // under the 107-byte limit, neither of which a custom TMPDIR guarantees.
        let dir = tempfile::Builder::new()
            .prefix("warden-pg-")
            .tempdir_in("/tmp")
            .context("could not create a temporary directory under /tmp")?;
        if let Some(user) = &service_user {
            user.chown(dir.path())?;
        }
        let data_dir = dir.path().join("data");
        let socket_dir = dir.path().to_path_buf();

        cluster::init(&bin_dir, &data_dir, dir.path(), service_user.as_ref()).await?;
        cluster::write_hba(&data_dir, &options)?;
        let ca_cert_pem = if options.tls {
            Some(cluster::write_tls_files(&data_dir, service_user.as_ref())?)
        } else {
            None
        };

        let (process, port) = launch::launch(&launch::Launch {
            postgres: &bin_dir.join("postgres"),
            pg_isready: &pg_isready,
            data_dir: &data_dir,
            socket_dir: &socket_dir,
            log_path: &dir.path().join("postgres.log"),
            options: &options,
            service_user: service_user.as_ref(),
        })
        .await?;

        let server = Self {
            process,
            port,
            password: random_hex(16)?,
            bin_dir,
            psql,
            socket_dir,
            ca_cert_pem,
            options,
            dir,
        };
        server
            .psql(
                "postgres",
                &format!("ALTER ROLE {SUPERUSER} PASSWORD '{}'", server.password),
            )
            .await
            .context("could not set the superuser password")?;
        tracing::debug!(port, dir = %server.dir.path().display(), "postgres test server ready");
        Ok(server)
    }

    /// The address the server listens on, `"127.0.0.1"`.
    pub fn host(&self) -> &str {
        HOST
    }

    /// The TCP port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The superuser's name, `"postgres"`.
    pub fn user(&self) -> &str {
        SUPERUSER
    }

    /// The superuser's password (random per server).
    pub fn password(&self) -> &str {
        &self.password
    }

    /// The authentication options this server was started with.
    pub fn options(&self) -> &PostgresOptions {
        &self.options
    }

    /// A `postgres://user:password@127.0.0.1:port/database` URL for TCP connections.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{SUPERUSER}:{}@{HOST}:{}/{}",
            self.password,
            self.port,
            percent_encode(database)
        )
    }

    /// The directory `initdb`, `postgres` and (usually) `psql` were found in.
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// The directory holding the server's unix socket (trust authentication, for `psql -h`).
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// The server log (stderr of the postmaster), useful when a test fails.
    pub fn log(&self) -> String {
        self.process.log()
    }

    /// Creates database `name` and returns its URL.
    pub async fn create_database(&self, name: &str) -> anyhow::Result<String> {
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        self.psql("postgres", &format!("CREATE DATABASE {quoted}"))
            .await
            .with_context(|| format!("could not create database {name}"))?;
        Ok(self.url(name))
    }

    /// Runs `sql` with the real `psql -XAtq -v ON_ERROR_STOP=1` as the superuser over the unix
    /// socket and returns its stdout; fails with psql's stderr if any statement fails.
    pub async fn psql(&self, database: &str, sql: &str) -> anyhow::Result<String> {
        let mut command = tokio::process::Command::new(&self.psql);
        command
            .args(["-XAtq", "-v", "ON_ERROR_STOP=1", "-h"])
            .arg(&self.socket_dir)
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-U", SUPERUSER, "-d", database])
            .env("PGCONNECT_TIMEOUT", "10")
            .env_remove("PGSERVICE")
            .env_remove("PGOPTIONS")
            .env_remove("PGSSLMODE");
        // SQL goes through stdin so passwords in it never appear in the process list.
        pipe_to_stdin(&format!("psql on database {database}"), &mut command, sql).await
    }

    /// When started with `tls: true`, the PEM of the CA that signed the server certificate.
    pub fn ca_cert_pem(&self) -> Option<&str> {
        self.ca_cert_pem.as_deref()
    }
}

impl std::fmt::Debug for PostgresServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresServer")
            .field("port", &self.port)
            .field("options", &self.options)
            .field("dir", &self.dir.path())
            .finish_non_exhaustive()
    }
}

/// Percent-encodes everything but unreserved URL characters.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
