//! `warden quickstart`: a sandbox PostgreSQL seeded with personal data, a gateway in front of it
//! on the embedded store with its admin API, API keys for a read-only agent, a write-with-review
//! engineer and two approvers, and the commands to try.

use crate::{state, wiring};
use anyhow::Context;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use tokio::net::TcpListener;
use warden_core::{AuditKind, AuditRecord};
use warden_testkit::PostgresServer;

const SEED: &str = r#"
CREATE TABLE customers (
  id serial PRIMARY KEY, name text NOT NULL, email text, phone text, card text, ssn text,
  password text, created timestamptz DEFAULT now());
INSERT INTO customers (name, email, phone, card, ssn, password) VALUES
  ('Ada Lovelace',  'ada@example.com',   '+44 20 7946 0958', '4111 1111 1111 1111', '078-05-1120', 'hunter2'),
  ('Alan Turing',   'alan@example.org',  '+44 161 496 0000', '5500-0000-0000-0004', '219-09-9999', 'enigma'),
  ('Grace Hopper',  'grace@example.net', '(212) 555-0143',   '3400 000000 00009',   '457-55-5462', 'cobol'),
  ('Edsger Dijkstra','edsger@example.nl','+31 20 555 0199',  '6011 0000 0000 0004', '123-45-6789', 'goto');
CREATE TABLE orders (
  id serial PRIMARY KEY, customer_id int REFERENCES customers(id), amount numeric(10,2),
  status text DEFAULT 'new', placed timestamptz DEFAULT now());
INSERT INTO orders (customer_id, amount, status) VALUES
  (1, 10.50, 'shipped'), (1, 99.99, 'new'), (2, 5.00, 'shipped'), (3, 42.00, 'new'), (4, 7.25, 'cancelled');
"#;

/// Runs the demo until Ctrl-C.
pub async fn run(dir: &Path, port: u16) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let dir = dir.canonicalize()?;
    println!("starting a sandbox PostgreSQL from the installed binaries…");
    let pg = PostgresServer::start().await.context(
        "cannot start the sandbox PostgreSQL (install it with: apt-get install postgresql)",
    )?;
    pg.create_database("shop").await?;
    pg.psql("shop", SEED).await?;
    write_private(&dir.join("pg-password"), pg.password())?;

    let listener = match TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => listener,
        Err(_) => TcpListener::bind("127.0.0.1:0").await?,
    };
    let address = listener.local_addr()?;
    let admin_listener = TcpListener::bind("127.0.0.1:0").await?;
    let admin_address = admin_listener.local_addr()?;
    let http_listener = TcpListener::bind("127.0.0.1:0").await?;
    let http_address = http_listener.local_addr()?;
    // A stand-in LLM API (OpenAI-compatible, scripted) behind the HTTP listener, when Python is
    // here; its key is Warden's to inject.
    let llm = start_model(&dir).await;
    let config_path = dir.join("warden.toml");
    std::fs::write(
        &config_path,
        config_text(
            pg.port(),
            address.port(),
            admin_address.port(),
            llm.as_ref().map(|(_, port)| (http_address.port(), *port)),
        ),
    )?;
    let config = state::load_config(&config_path)?;
    let gateway = Arc::new(wiring::Gateway::build(&config).await?);

    let mut keys = Vec::new();
    for (name, group) in [
        ("demo-agent", "agents"),
        ("engineer", "engineering"),
        ("dba-1", "dba"),
        ("dba-2", "dba"),
    ] {
        let _ = warden_identity::revoke_api_key(gateway.store.as_ref(), name).await;
        let (record, key) = warden_identity::create_api_key(
            gateway.store.as_ref(),
            name,
            vec![group.into()],
            vec![],
            Some(chrono::Utc::now() + chrono::Duration::days(1)),
        )
        .await?;
        gateway
            .audit
            .record(
                AuditRecord {
                    identity: Some(name.into()),
                    ..AuditRecord::new(AuditKind::KeyCreated)
                }
                .with_detail(serde_json::json!({ "key_id": record.id, "groups": record.groups })),
            )
            .await?;
        keys.push(key.expose().clone());
    }
    let pg_gateway = gateway.postgres()?;
    let serving = tokio::spawn(Arc::clone(&pg_gateway).serve(
        listener,
        warden_pg::PgListenerConfig {
            allow_plaintext_loopback: true,
        },
    ));
    let admin = tokio::spawn(crate::admin::serve(admin_listener, gateway.clone(), false));
    let http = tokio::spawn(gateway.http()?.serve(
        http_listener,
        warden_http::HttpListenerConfig {
            allow_plaintext_loopback: true,
        },
    ));
    gateway
        .audit
        .record(AuditRecord::new(AuditKind::GatewayStart).with_detail(
            serde_json::json!({ "quickstart": true, "listener": address.to_string(), "admin": admin_address.to_string() }),
        ))
        .await?;
    print_instructions(
        &dir,
        &config_path,
        (address.port(), admin_address.port()),
        &keys,
        gateway.dev_ca.as_deref(),
    );
    match &llm {
        Some(_) => print_llm_instructions(http_address.port()),
        None => println!(
            "\n(The LLM demo needs python3 and scripts/openai-test-server.py; it was skipped.)"
        ),
    }
    println!("\nPress Ctrl-C to stop.");

    tokio::signal::ctrl_c().await?;
    serving.abort();
    admin.abort();
    http.abort();
    drop(llm);
    gateway
        .audit
        .record(AuditRecord::new(AuditKind::GatewayStop))
        .await?;
    gateway.audit.checkpoint().await?;
    println!(
        "\nstopped; the audit log stays in {}",
        dir.join("data").display()
    );
    drop(pg);
    Ok(ExitCode::SUCCESS)
}

fn print_instructions(
    dir: &Path,
    config: &Path,
    (port, admin_port): (u16, u16),
    keys: &[String],
    ca: Option<&Path>,
) {
    let key = |i: usize| keys.get(i).map(String::as_str).unwrap_or_default();
    let (agent, engineer, dba1, dba2) = (key(0), key(1), key(2), key(3));
    let conn = |db: &str| format!("host=127.0.0.1 port={port} dbname={db} user=me");
    let ca = ca.map(|c| c.display().to_string()).unwrap_or_default();
    let config = config.display();
    println!(
        r#"
Warden is in front of a sandbox PostgreSQL holding customer data.
Clients log in with a Warden API key as the password; the database password stays inside Warden.

As the demo agent (role: read only; emails, phones, cards, SSNs and passwords masked):
  export AGENT='{agent}'
  PGPASSWORD=$AGENT psql "{c}" -c 'select name, email, card, password from customers'
  PGPASSWORD=$AGENT psql "{c}" -c 'drop table customers'            # refused: SQLSTATE 42501
  PGPASSWORD=$AGENT psql "{c}" -c "with d as (delete from orders returning *) select count(*) from d"   # refused too

As the engineer (role: reads allowed, writes need approval, DDL and admin denied):
  export ENGINEER='{engineer}'
  PGPASSWORD=$ENGINEER psql "{c}" -c "update orders set status = 'shipped' where id = 2"   # held for review

Approving it (in another terminal: two distinct approvers of group dba; the engineer cannot):
  export WARDEN_SERVER=http://127.0.0.1:{admin_port}
  WARDEN_TOKEN='{dba1}' cargo run -p warden -- review list --state pending
  WARDEN_TOKEN='{dba1}' cargo run -p warden -- review approve <id> --comment 'ticket 42'
  WARDEN_TOKEN='{dba2}' cargo run -p warden -- review approve <id>   # quorum reached: the update runs once
  curl -s http://127.0.0.1:{admin_port}/openapi.json | head -c 300

Over TLS with the development CA:
  PGPASSWORD=$AGENT psql "host=localhost port={port} dbname=pg-demo user=me sslmode=verify-full sslrootcert={ca}" -c 'select 1'

What the security team sees (in another terminal):
  cargo run -p warden -- audit search --config {config} --identity demo-agent
  cargo run -p warden -- audit verify --config {config}
  cargo run -p warden -- policy check --config {config} --subject demo-agent --group agents --connection pg-demo --action sql:write

Files: {dir}."#,
        c = conn("pg-demo"),
        dir = dir.display(),
    );
}

/// Starts `scripts/openai-test-server.py` requiring a fresh key (written to `llm-auth` for
/// Warden to inject); `None` when it cannot run here.
async fn start_model(dir: &Path) -> Option<(tokio::process::Child, u16)> {
    use tokio::io::AsyncBufReadExt;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/openai-test-server.py");
    let mut secret = [0u8; 16];
    getrandom::fill(&mut secret).ok()?;
    let auth = format!("Bearer sk-quickstart-{}", hex::encode(secret));
    write_private(&dir.join("llm-auth"), &auth).ok()?;
    let mut child = tokio::process::Command::new("python3")
        .arg(script)
        .args(["--port", "0", "--require-auth", &auth])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .ok()?;
    let stdout = child.stdout.take()?;
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let line = tokio::time::timeout(std::time::Duration::from_secs(10), lines.next_line())
        .await
        .ok()?
        .ok()??;
    let port = line.strip_prefix("LISTENING ")?.trim().parse().ok()?;
    Some((child, port))
}

fn print_llm_instructions(http_port: u16) {
    let url = format!("http://127.0.0.1:{http_port}/c/llm/v1");
    println!(
        r#"
The demo agent also reaches an LLM API (a scripted stand-in) through Warden's HTTP listener, with
the same key; Warden injects the provider key, masks personal data both ways and audits usage:
  curl -s {url}/chat/completions -H "Authorization: Bearer $AGENT" -H 'Content-Type: application/json' \
    -d '{{"model":"scripted-model","messages":[{{"role":"user","content":"mail me at ann@example.com"}}]}}'
  curl -s {url}/chat/completions -H "Authorization: Bearer $AGENT" -H 'Content-Type: application/json' \
    -d '{{"model":"gpt-4o","messages":[{{"role":"user","content":"hi"}}]}}'     # refused: model not allowed
  OpenAI SDK: OpenAI(base_url="{url}", api_key=AGENT)"#
    );
}

fn config_text(
    pg_port: u16,
    listen_port: u16,
    admin_port: u16,
    http: Option<(u16, u16)>,
) -> String {
    let llm = http.map_or(String::new(), |(http_port, port)| {
        format!(
            r#"
[[gateway.listeners]]
protocol = "http"
address = "127.0.0.1:{http_port}"
allow_plaintext_loopback = true

[connections.llm]
kind = "http"
upstream = "http://127.0.0.1:{port}"
api = "openai"
credentials = {{ headers = {{ Authorization = {{ file = "llm-auth" }} }} }}
routes = [
  {{ method = "POST", path = "/v1/chat/completions", action = "autogen:prompt", outbound = true }},
  {{ method = "GET", path = "/v1/models/**", action = "autogen:model:read" }},
]

[roles.agents-llm]
groups = ["agents"]
connections = ["llm"]
allow = ["autogen:*"]
models = ["scripted-*"]
mask = "pii"
"#
        )
    });
    let base = format!(
        r#"# Generated by `warden quickstart`.
[gateway]
data_dir = "data"
node = "quickstart"

[[gateway.listeners]]
protocol = "postgres"
address = "127.0.0.1:{listen_port}"
allow_plaintext_loopback = true

[[gateway.listeners]]
protocol = "admin"
address = "127.0.0.1:{admin_port}"
allow_plaintext_loopback = true

[admin]
admins = ["dba"]

[connections.pg-demo]
kind = "postgres"
upstream = "127.0.0.1:{pg_port}"
database = "shop"
tags = {{ env = "demo", data = "pii" }}
tls = {{ mode = "disable" }}
credentials = {{ username = "postgres", password = {{ file = "pg-password" }} }}

[review_policies.dba-approval]
approvers = ["dba"]
quorum = 2
timeout = "30m"

# Agents never see contact data, card numbers, SSNs or passwords in clear.
[masking.profiles.pii]
detectors = ["email", "card", "ssn", "phone"]
strategy = {{ kind = "partial", keep = 4 }}
columns = [{{ match = "*.password", strategy = {{ kind = "redact" }} }}]

[roles.agents]
groups = ["agents"]
connections = ["pg-*"]
allow = ["sql:read"]
mask = "pii"

[roles.engineers]
groups = ["engineering"]
connections = ["pg-demo"]
allow = ["sql:read"]
review = ["sql:write"]
deny = ["sql:ddl", "sql:admin", "sql:unknown"]
review_policy = "dba-approval"
"#
    );
    base + &llm
}

fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}
