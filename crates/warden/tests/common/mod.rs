//! A gateway in-process in front of a throwaway PostgreSQL, with API keys for three roles.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../support/mod.rs"]
pub mod support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tempfile::TempDir;
use tokio::net::TcpListener;
use warden_app::wiring::Gateway;
use warden_testkit::PostgresServer;

/// Demo data with personal data in it.
pub const SEED: &str = r#"
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, email text, card text, password text);
INSERT INTO customers (name, email, card, password) VALUES
  ('Ada Lovelace', 'ada@example.com', '4111 1111 1111 1111', 'hunter2'),
  ('Alan Turing', 'alan@example.org', '5500-0000-0000-0004', 'enigma'),
  ('Grace Hopper', 'grace@example.net', '3400 000000 00009', 'cobol');
CREATE TABLE orders (id serial PRIMARY KEY, customer_id int REFERENCES customers(id), amount numeric(10,2), placed timestamptz DEFAULT now());
INSERT INTO orders (customer_id, amount) VALUES (1, 10.50), (1, 99.99), (2, 5.00), (3, 42.00);
CREATE TABLE secrets (id int);
"#;

/// A running gateway and its upstream.
pub struct Harness {
    /// The real PostgreSQL behind the gateway.
    pub pg: PostgresServer,
    /// Config and data dir.
    pub dir: TempDir,
    /// The gateway's PostgreSQL listener.
    pub addr: SocketAddr,
    /// The shared gateway state.
    pub gateway: Arc<Gateway>,
    /// API key of `demo-agent` (group agents: read only).
    pub agent_key: String,
    /// API key of `eng` (group engineering: read and write, no DDL or admin).
    pub engineer_key: String,
    /// API key of `dba` (group dba: everything).
    pub dba_key: String,
    /// Path of the config file.
    pub config_path: PathBuf,
    /// The admin API (plain HTTP on loopback).
    pub admin: SocketAddr,
}

impl Harness {
    /// Starts PostgreSQL (SCRAM), seeds it, and runs a gateway with plaintext allowed on loopback.
    pub async fn start() -> Harness {
        Harness::start_with(warden_testkit::PostgresOptions::default()).await
    }

    /// Like [`Harness::start`] with upstream auth method and TLS chosen by `options`; a TLS
    /// upstream is verified against the test CA (`verify-full`).
    pub async fn start_with(options: warden_testkit::PostgresOptions) -> Harness {
        Harness::start_configured(options, "", &[]).await
    }

    /// Like [`Harness::start_with`], with `extra` appended to the config and `files` (name,
    /// contents) written beside it first.
    pub async fn start_configured(
        options: warden_testkit::PostgresOptions,
        extra: &str,
        files: &[(&str, &str)],
    ) -> Harness {
        warden_tls::install_crypto_provider();
        let _ = tracing_subscriber::fmt()
            .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
            .with_test_writer()
            .try_init();
        let pg = PostgresServer::start_with(options).await.unwrap();
        pg.create_database("app").await.unwrap();
        pg.psql("app", SEED).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pg-password"), pg.password()).unwrap();
        let config_path = dir.path().join("warden.toml");
        let tls = match pg.ca_cert_pem() {
            Some(ca) => {
                std::fs::write(dir.path().join("upstream-ca.pem"), ca).unwrap();
                r#"{ mode = "verify-full", ca = "upstream-ca.pem" }"#
            }
            None => r#"{ mode = "disable" }"#,
        };
        for (name, contents) in files {
            std::fs::write(dir.path().join(name), contents).unwrap();
        }
        std::fs::write(
            &config_path,
            format!("{}\n{extra}", config_text(pg.port(), tls)),
        )
        .unwrap();
        let config = warden_app::state::load_config(&config_path).unwrap();
        let gateway = Arc::new(Gateway::build(&config).await.unwrap());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let pg_gateway = gateway.postgres().unwrap();
        tokio::spawn(pg_gateway.serve(
            listener,
            warden_pg::PgListenerConfig {
                allow_plaintext_loopback: true,
            },
        ));
        let admin_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let admin = admin_listener.local_addr().unwrap();
        tokio::spawn(warden_app::admin::serve(
            admin_listener,
            gateway.clone(),
            false,
        ));
        let key = |name: &'static str, group: &'static str| {
            let store = gateway.store.clone();
            async move {
                let (_, key) = warden_identity::create_api_key(
                    store.as_ref(),
                    name,
                    vec![group.into()],
                    vec![],
                    None,
                )
                .await
                .unwrap();
                key.expose().clone()
            }
        };
        let agent_key = key("demo-agent", "agents").await;
        let engineer_key = key("eng", "engineering").await;
        let dba_key = key("dba", "dba").await;
        Harness {
            pg,
            dir,
            addr,
            gateway,
            agent_key,
            engineer_key,
            dba_key,
            config_path,
            admin,
        }
    }

    /// Runs `sql` expecting Warden's refusal (SQLSTATE 42501); returns the server-side error.
    pub async fn denied(
        client: &tokio_postgres::Client,
        sql: &str,
    ) -> tokio_postgres::error::DbError {
        let error = client
            .batch_execute(sql)
            .await
            .err()
            .unwrap_or_else(|| panic!("{sql:?} was allowed"));
        let db = error
            .as_db_error()
            .unwrap_or_else(|| panic!("{sql:?}: {error}"))
            .clone();
        assert_eq!(db.code().code(), "42501", "{sql:?}: {}", db.message());
        db
    }

    /// Runs the `warden` binary with the admin API and `token` in its environment (and a login
    /// file of its own); returns (success, stdout, stderr).
    pub async fn warden_cli(&self, token: &str, args: &[&str]) -> (bool, String, String) {
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_warden"))
            .args(args)
            .env("WARDEN_SERVER", format!("http://{}", self.admin))
            .env("WARDEN_TOKEN", token)
            .env("WARDEN_LOGIN_FILE", self.dir.path().join("login.json"))
            .output()
            .await
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// A libpq connection string through the gateway (plaintext on loopback).
    pub fn conninfo(&self, database: &str) -> String {
        format!(
            "host=127.0.0.1 port={} dbname={database} user=whoever sslmode=disable",
            self.addr.port()
        )
    }

    /// A libpq connection string through the gateway over TLS, verifying the gateway's
    /// development CA.
    pub fn tls_conninfo(&self, database: &str) -> String {
        let ca = self.gateway.dev_ca.clone().expect("dev CA generated");
        format!(
            "host=localhost port={} dbname={database} user=x sslmode=verify-full sslrootcert={}",
            self.addr.port(),
            ca.display()
        )
    }

    /// Connects tokio-postgres through the gateway with `key` as the password.
    pub async fn client(&self, key: &str) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(
            &format!("{} password={key}", self.conninfo("pg-test/app")),
            tokio_postgres::NoTls,
        )
        .await
        .unwrap();
        tokio::spawn(connection);
        client
    }

    /// Runs real `psql` through the gateway with `key`; returns (status ok, stdout, stderr).
    pub async fn psql(&self, key: &str, sql: &str) -> (bool, String, String) {
        let output = tokio::process::Command::new(self.pg.bin_dir().join("psql"))
            .arg("-X")
            .arg("-At")
            .arg("-v")
            .arg("ON_ERROR_STOP=0")
            .arg(self.conninfo("pg-test/app"))
            .env("PGPASSWORD", key)
            .env("PGCONNECT_TIMEOUT", "10")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use tokio::io::AsyncWriteExt;
        let mut child = output;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(sql.as_bytes()).await.unwrap();
        drop(stdin);
        let out = child.wait_with_output().await.unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Creates pgbench's tables directly upstream (DDL the gateway's roles may not run).
    pub async fn pgbench_init(&self) {
        stdout_of(
            "pgbench -i",
            tokio::process::Command::new(self.pg.bin_dir().join("pgbench")).args([
                "-i",
                "-s",
                "1",
                "-q",
                &self.pg.url("app"),
            ]),
        )
        .await;
    }

    /// Runs pgbench's TPC-B-like script through the gateway as `key` in simple, extended and
    /// prepared mode, `transactions` per each of 4 clients, and checks each run completed.
    pub async fn pgbench_every_mode(&self, key: &str, transactions: u32) {
        let pgbench = self.pg.bin_dir().join("pgbench");
        let count = transactions.to_string();
        for mode in ["simple", "extended", "prepared"] {
            let stdout = stdout_of(
                mode,
                tokio::process::Command::new(&pgbench)
                    .args(["-n", "-M", mode, "-c", "4", "-j", "2", "-t", &count])
                    .arg(self.conninfo("pg-test/app"))
                    .env("PGPASSWORD", key),
            )
            .await;
            let done = format!(
                "number of transactions actually processed: {0}/{0}",
                4 * transactions
            );
            assert!(stdout.contains(&done), "{mode}: {stdout}");
        }
    }

    /// A new API key named `name` in `groups`.
    pub async fn key(&self, name: &str, groups: &[&str]) -> String {
        support::api_key(&self.gateway, name, groups).await
    }

    /// The identity behind an API key, as the gateway sees it.
    pub async fn identity(&self, key: &str) -> warden_core::Identity {
        support::identity(&self.gateway, self.dir.path(), key).await
    }

    /// Runs SQL directly on the upstream as superuser (to check what really happened).
    pub async fn upstream(&self, sql: &str) -> String {
        self.pg.psql("app", sql).await.unwrap().trim().to_owned()
    }

    /// Audit events matching a filter, as JSON.
    pub async fn audit(&self, filter: warden_store::AuditFilter) -> Vec<serde_json::Value> {
        support::audit_events(&self.gateway, filter).await
    }
}

fn config_text(port: u16, tls: &str) -> String {
    format!(
        r#"
[gateway]
data_dir = "data"
node = "test-node"

[connections.pg-test]
kind = "postgres"
upstream = "127.0.0.1:{port}"
database = "app"
tls = {tls}
credentials = {{ username = "postgres", password = {{ file = "pg-password" }} }}

[connections.web]
kind = "http"
upstream = "http://127.0.0.1:1"

[roles.agents]
groups = ["agents"]
connections = ["pg-*"]
allow = ["sql:read"]

[roles.engineers]
groups = ["engineering"]
connections = ["pg-test"]
allow = ["sql:read", "sql:write"]
deny = ["sql:admin", "sql:ddl", "sql:unknown"]

[roles.dba]
groups = ["dba"]
connections = ["pg-test"]
allow = ["sql:*"]

[admin]
admins = ["dba"]
auditors = ["auditors"]

# Support staff read customers, but never their contact data, cards or passwords.
[masking.profiles.pii]
detectors = ["email", "card"]
strategy = {{ kind = "redact" }}
columns = [{{ match = "*.password", strategy = {{ kind = "redact" }} }}]

[roles.support]
groups = ["support"]
connections = ["pg-test"]
allow = ["sql:read"]
mask = "pii"

# Analysts read; writes are default-denied unless an access review grants `writers`.
[roles.analysts]
groups = ["analysts"]
connections = ["pg-test"]
allow = ["sql:read"]
review = ["sql:admin"]
review_policy = "two-person"

[roles.writers]
groups = ["writers"]
connections = ["pg-test"]
allow = ["sql:write"]
review_policy = "agent-writes"

# Reviews: people wait for two approvers; agents fail fast and retry once approved.
[review_policies.two-person]
approvers = ["approvers"]
quorum = 2
timeout = "60s"

[review_policies.quick]
approvers = ["approvers"]
timeout = "2s"

[review_policies.agent-writes]
approvers = ["approvers"]
timeout = "10m"
mode = "fail_fast"

[roles.oncall]
groups = ["oncall"]
connections = ["pg-test"]
allow = ["sql:read"]
review = ["sql:write"]
review_policy = "two-person"

[roles.hasty]
groups = ["hasty"]
connections = ["pg-test"]
allow = ["sql:read"]
review = ["sql:write"]
review_policy = "quick"

# Support leads read masked and may correct data once a write is approved.
[roles.support-leads]
groups = ["support-leads"]
connections = ["pg-test"]
allow = ["sql:read"]
review = ["sql:write"]
review_policy = "agent-writes"
mask = "pii"

[roles.bots]
groups = ["bots"]
connections = ["pg-test"]
allow = ["sql:read"]
review = ["sql:write"]
review_policy = "agent-writes"
"#
    )
}

/// An untagged StartupMessage packet with `user`, `database` and extra parameters.
pub fn startup_packet(version: u32, database: &str, extra: &[(&str, &str)]) -> Vec<u8> {
    let mut body = version.to_be_bytes().to_vec();
    let mut parameters = vec![("user", "x"), ("database", database)];
    parameters.extend_from_slice(extra);
    for (k, v) in parameters {
        body.extend_from_slice(k.as_bytes());
        body.push(0);
        body.extend_from_slice(v.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut packet = ((body.len() + 4) as u32).to_be_bytes().to_vec();
    packet.extend_from_slice(&body);
    packet
}

/// Runs `command`, asserts it succeeded (showing `what` and both streams otherwise) and
/// returns its standard output.
pub async fn stdout_of(what: &str, command: &mut tokio::process::Command) -> String {
    let out = command.output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what}: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}
