//! The AutoGen example end to end with a scripted model: `examples/autogen/agent.py` (real
//! `autogen-agentchat` and `autogen-ext`) reaches its model through Warden's OpenAI-compatible
//! route (in front of `scripts/openai-test-server.py` replaying `examples/autogen/script.json`)
//! and runs its `query_db` tool through Warden's PostgreSQL listener (a real PostgreSQL). The
//! agent's SELECT comes back masked, its DROP TABLE is refused, and the audit log shows both.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod http_common;

use http_common::{UPSTREAM_KEY, repo_root, start_test_server, venv_python};
use std::sync::Arc;
use tokio::net::TcpListener;
use warden_app::wiring::Gateway;
use warden_testkit::PostgresServer;

const SEED: &str = r#"
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, email text, card text);
INSERT INTO customers (name, email, card) VALUES
  ('Ada Lovelace', 'ada@example.com', '4111 1111 1111 1111'),
  ('Alan Turing', 'alan@example.org', '5500 0000 0000 0004'),
  ('Grace Hopper', 'grace@example.net', '3400 000000 00009'),
  ('Edsger Dijkstra', 'edsger@example.com', '4012 8888 8888 1881');
"#;

fn config(pg_port: u16, llm_port: u16) -> String {
    format!(
        r#"
[gateway]
data_dir = "data"
node = "autogen-e2e"

[connections.llm]
kind = "http"
upstream = "http://127.0.0.1:{llm_port}"
api = "openai"
credentials = {{ headers = {{ Authorization = {{ file = "llm-key" }} }} }}
routes = [
  {{ method = "POST", path = "/v1/chat/completions", action = "autogen:prompt", outbound = true }},
  {{ method = "GET", path = "/v1/models/**", action = "autogen:model:read" }},
]

[connections.pg-demo]
kind = "postgres"
upstream = "127.0.0.1:{pg_port}"
database = "shop"
tls = {{ mode = "disable" }}
credentials = {{ username = "postgres", password = {{ file = "pg-password" }} }}

[masking.profiles.pii]
detectors = ["email", "card"]
strategy = {{ kind = "partial", keep = 4 }}

[roles.agents]
groups = ["agents"]
connections = ["llm", "pg-demo"]
allow = ["autogen:*", "sql:read"]
models = ["scripted-*"]
mask = "pii"
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_autogen_agent_works_through_warden_and_cannot_drop_the_table() {
    warden_tls::install_crypto_provider();
    let pg = PostgresServer::start().await.unwrap();
    pg.create_database("shop").await.unwrap();
    pg.psql("shop", SEED).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("model-requests.jsonl");
    let script = repo_root().join("examples/autogen/script.json");
    let auth = format!("Bearer {UPSTREAM_KEY}");
    let (_model, llm_port) = start_test_server(&[
        "--require-auth",
        &auth,
        "--log",
        log.to_str().unwrap(),
        "--script",
        script.to_str().unwrap(),
    ])
    .await;
    std::fs::write(dir.path().join("llm-key"), &auth).unwrap();
    std::fs::write(dir.path().join("pg-password"), pg.password()).unwrap();
    let config_path = dir.path().join("warden.toml");
    std::fs::write(&config_path, config(pg.port(), llm_port)).unwrap();
    let config = warden_app::state::load_config(&config_path).unwrap();
    let gateway = Arc::new(Gateway::build(&config).await.unwrap());
    let pg_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let pg_addr = pg_listener.local_addr().unwrap();
    tokio::spawn(gateway.postgres().unwrap().serve(
        pg_listener,
        warden_pg::PgListenerConfig {
            allow_plaintext_loopback: true,
        },
    ));
    let http_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let http_addr = http_listener.local_addr().unwrap();
    tokio::spawn(gateway.http().unwrap().serve(
        http_listener,
        warden_http::HttpListenerConfig {
            allow_plaintext_loopback: true,
        },
    ));
    let (_, key) = warden_identity::create_api_key(
        gateway.store.as_ref(),
        "autogen-agent",
        vec!["agents".into()],
        vec![],
        None,
    )
    .await
    .unwrap();
    let key = key.expose().clone();

    let out = tokio::process::Command::new(venv_python())
        .arg(repo_root().join("examples/autogen/agent.py"))
        .env("WARDEN_LLM_URL", format!("http://{http_addr}/c/llm/v1"))
        .env("WARDEN_KEY", &key)
        .env(
            "WARDEN_PG_DSN",
            format!(
                "host=127.0.0.1 port={} dbname=pg-demo user=agent sslmode=disable",
                pg_addr.port()
            ),
        )
        .env("WARDEN_MODEL", "scripted-model")
        .env_remove("OPENAI_API_KEY")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "agent failed:\n{stdout}\n{stderr}");

    // The agent saw masked rows (partial: last 4 kept), never a clear email or card.
    assert!(stdout.contains("Ada Lovelace"), "{stdout}");
    for clear in ["ada@example.com", "alan@example.org", "4111 1111 1111 1111"] {
        assert!(
            !stdout.contains(clear),
            "{clear} reached the agent:\n{stdout}"
        );
    }
    // Its DROP TABLE was refused by policy, with the rule, and the table is still there.
    assert!(stdout.contains("42501"), "{stdout}");
    assert!(stdout.contains("default-deny"), "{stdout}");
    assert_eq!(
        pg.psql("shop", "SELECT count(*) FROM customers")
            .await
            .unwrap()
            .trim(),
        "4"
    );

    // The model provider got three prompts, each with the provider key Warden injected, none
    // with the agent's key or a clear value from the database.
    // (The test server logs a request after answering it: wait for the third line.)
    let mut requests: Vec<serde_json::Value> = Vec::new();
    for _ in 0..200 {
        requests = std::fs::read_to_string(&log)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        if requests.len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(requests.len(), 3, "{requests:#?}");
    for request in &requests {
        assert_eq!(request["headers"]["authorization"], auth);
        let body = request["body"].as_str().unwrap();
        assert!(!body.contains(&key));
        assert!(!body.contains("ada@example.com"), "{body}");
    }

    // The security team's view: both legs in one audit log.
    gateway.audit.flush().await.unwrap();
    let events: Vec<serde_json::Value> =
        warden_store::audit::search(gateway.store.as_ref(), &Default::default())
            .await
            .unwrap()
            .into_iter()
            .map(|e| serde_json::to_value(e).unwrap())
            .collect();
    let of = |kind: &str, action: &str| {
        events
            .iter()
            .filter(|e| e["kind"] == kind && e["action"] == action)
            .count()
    };
    assert_eq!(of("request", "autogen:prompt"), 3, "{events:#?}");
    assert!(of("request", "sql:read") >= 1, "{events:#?}");
    assert_eq!(of("decision", "sql:ddl"), 1, "{events:#?}");
    let denied = events
        .iter()
        .find(|e| e["kind"] == "decision" && e["action"] == "sql:ddl")
        .unwrap();
    assert_eq!(denied["verdict"], "deny");
    assert_eq!(denied["identity"], "autogen-agent");
    let prompt = events
        .iter()
        .find(|e| e["kind"] == "request" && e["action"] == "autogen:prompt")
        .unwrap();
    assert_eq!(prompt["detail"]["model"], "scripted-model");
    assert!(prompt["detail"]["usage"]["total_tokens"].as_u64().unwrap() > 0);
}
