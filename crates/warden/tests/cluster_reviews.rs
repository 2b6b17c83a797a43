//! Two `warden gateway` processes sharing one PostgreSQL store: a statement held on node A is
//! listed and approved through node B's admin API with the CLI, is released on A by polling the
//! shared store, and runs exactly once. Each node announces the transitions it made to a signed
//! json webhook, and both nodes' audit chains verify.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use uuid::Uuid;
use warden_review::{EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature};
use warden_testkit::PostgresServer;

const WEBHOOK_SECRET: &str = "cluster-webhook-secret";
/// Longest a gateway may take to print that it is ready.
const READY_WITHIN: Duration = Duration::from_secs(60);
/// Longest any one CLI command may take.
const CLI_WITHIN: Duration = Duration::from_secs(60);

/// One POST the webhook receiver got, and the node whose URL it was sent to.
#[derive(Clone)]
struct Delivery {
    node: String,
    headers: HeaderMap,
    body: Bytes,
}

impl Delivery {
    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .unwrap()
            .to_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

type Deliveries = Arc<Mutex<Vec<Delivery>>>;

async fn receive(
    State(seen): State<Deliveries>,
    UrlPath(node): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    seen.lock().unwrap().push(Delivery {
        node,
        headers,
        body,
    });
    StatusCode::OK
}

/// A loopback HTTP server recording every POST to `/hooks/{node}`; returns its base URL.
async fn start_receiver(seen: Deliveries) -> (String, tokio::task::JoinHandle<()>) {
    let app = Router::new()
        .route("/hooks/{node}", post(receive))
        .with_state(seen);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (base, server)
}

/// The config of one node; only the node name, its data dir, ports and webhook path differ.
fn config_text(node: &str, pg_port: u16, admin_port: u16, upstream: u16, hooks: &str) -> String {
    format!(
        r#"
[gateway]
data_dir = "data-{node}"
node = "{node}"
store = {{ kind = "postgres", url = {{ file = "store-url" }} }}

[[gateway.listeners]]
protocol = "postgres"
address = "127.0.0.1:{pg_port}"
allow_plaintext_loopback = true

[[gateway.listeners]]
protocol = "admin"
address = "127.0.0.1:{admin_port}"
allow_plaintext_loopback = true

[connections.pg-app]
kind = "postgres"
upstream = "127.0.0.1:{upstream}"
database = "app"
tls = {{ mode = "disable" }}
credentials = {{ username = "postgres", password = {{ file = "pg-password" }} }}

[roles.oncall]
groups = ["oncall"]
connections = ["pg-app"]
allow = ["sql:read"]
review = ["sql:write"]
review_policy = "oncall-writes"

[review_policies.oncall-writes]
approvers = ["approvers"]
quorum = 1
mode = "wait"
timeout = "60s"

[admin]
auditors = ["auditors"]

[[webhooks]]
url = "{hooks}/hooks/{node}"
format = "json"
secret = {{ file = "webhook-secret" }}
"#
    )
}

/// Appends every line of `stream` to `log`.
fn drain(stream: impl AsyncRead + Unpin + Send + 'static, log: Arc<Mutex<String>>) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let mut log = log.lock().unwrap();
            log.push_str(&line);
            log.push('\n');
        }
    });
}

/// A running `warden gateway` process; killed if still running when dropped.
struct Node {
    name: String,
    config: PathBuf,
    pg_port: u16,
    admin: String,
    child: Child,
    /// Its stdout and stderr, interleaved by line.
    log: Arc<Mutex<String>>,
}

impl Node {
    /// Writes `<name>.toml` in `dir` and starts a gateway on fresh ports, once more if a port
    /// was taken in between; returns when it prints that it is ready.
    async fn start(dir: &Path, name: &str, upstream: u16, hooks: &str) -> Node {
        let config = dir.join(format!("{name}.toml"));
        for _ in 0..3 {
            let pg_port = warden_testkit::free_port().unwrap();
            let admin_port = warden_testkit::free_port().unwrap();
            let text = config_text(name, pg_port, admin_port, upstream, hooks);
            std::fs::write(&config, text).unwrap();
            let mut child = Command::new(env!("CARGO_BIN_EXE_warden"))
                .arg("gateway")
                .arg("--config")
                .arg(&config)
                .env("RUST_LOG", "warn")
                .env_remove("WARDEN_CONFIG")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .unwrap();
            let log = Arc::new(Mutex::new(String::new()));
            drain(child.stdout.take().unwrap(), log.clone());
            drain(child.stderr.take().unwrap(), log.clone());
            let started = Instant::now();
            loop {
                if log.lock().unwrap().contains("warden gateway ready") {
                    return Node {
                        name: name.to_owned(),
                        config,
                        pg_port,
                        admin: format!("http://127.0.0.1:{admin_port}"),
                        child,
                        log,
                    };
                }
                if let Some(status) = child.try_wait().unwrap() {
                    // Let the readers take the last lines.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    let text = log.lock().unwrap().clone();
                    if text.contains("cannot listen") {
                        break;
                    }
                    panic!("gateway {name} exited ({status}) before it was ready:\n{text}");
                }
                assert!(
                    started.elapsed() < READY_WITHIN,
                    "gateway {name} not ready within {READY_WITHIN:?}:\n{}",
                    log.lock().unwrap()
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        panic!("gateway {name}: no free ports after three tries");
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Stops the gateway with SIGTERM (it audits the stop and signs a checkpoint) and returns
    /// whether it exited successfully.
    async fn stop(&mut self) -> bool {
        let pid = self.child.id().expect("the gateway is still running");
        let kill = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await
            .unwrap();
        assert!(kill.success(), "could not signal gateway {}", self.name);
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("gateway {} did not stop within 30 s", self.name))
            .unwrap();
        // Let the readers take the last lines.
        tokio::time::sleep(Duration::from_millis(100)).await;
        status.success()
    }
}

/// Runs the `warden` CLI in `dir` with `env`; returns (success, stdout, stderr).
async fn warden(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> (bool, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_warden"));
    command
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .env("WARDEN_LOGIN_FILE", dir.join("login.json"))
        .env_remove("WARDEN_CONFIG")
        .env_remove("WARDEN_SERVER")
        .env_remove("WARDEN_TOKEN")
        .env_remove("WARDEN_CA")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    for (name, value) in env {
        command.env(name, value);
    }
    let out = tokio::time::timeout(CLI_WITHIN, command.output())
        .await
        .unwrap_or_else(|_| panic!("warden {args:?} did not finish within {CLI_WITHIN:?}"))
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs a review command against `node`'s admin API as the holder of `token`; asserts it
/// succeeded and returns its stdout.
async fn review_cli(dir: &Path, node: &Node, token: &str, args: &[&str]) -> String {
    let mut full = vec!["review"];
    full.extend_from_slice(args);
    let (ok, stdout, stderr) = warden(
        dir,
        &[("WARDEN_SERVER", &node.admin), ("WARDEN_TOKEN", token)],
        &full,
    )
    .await;
    assert!(
        ok,
        "warden {full:?} via {}: {stdout}\n{stderr}\ngateway log:\n{}",
        node.name,
        node.log()
    );
    stdout
}

/// Creates an API key with `warden keys create` through `config`; returns the key.
async fn create_key(dir: &Path, config: &Path, name: &str, group: &str) -> String {
    let config = config.to_str().unwrap();
    let (ok, stdout, stderr) = warden(
        dir,
        &[],
        &[
            "keys", "create", "--config", config, "--name", name, "--group", group,
        ],
    )
    .await;
    assert!(ok, "keys create {name}: {stderr}");
    let key = stdout.lines().next().unwrap_or_default().trim().to_owned();
    assert!(!key.is_empty(), "no key printed for {name}: {stdout}");
    key
}

/// Waits until a pending review by `requester` is listed through `node`; returns its id.
async fn pending_review(
    dir: &Path,
    node: &Node,
    token: &str,
    requester: &str,
    held: &mut Child,
) -> Uuid {
    let started = Instant::now();
    loop {
        let listed = review_cli(dir, node, token, &["list", "--state", "pending"]).await;
        let line = listed
            .lines()
            .find(|line| line.contains(&format!(" {requester} on pg-app: sql:write")));
        if let Some(line) = line {
            let id = line.split_whitespace().next().unwrap();
            return Uuid::parse_str(id).unwrap_or_else(|_| panic!("no review id in {line:?}"));
        }
        if let Some(status) = held.try_wait().unwrap() {
            panic!("psql ended ({status}) before its review was listed: {listed}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no pending review by {requester} listed through {} within 30 s: {listed}",
            node.name
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until the receiver holds `created`, `approved` and `executed` of review `id`, then a
/// little longer for anything extra; returns the deliveries about that review.
async fn webhook_deliveries(seen: &Deliveries, id: Uuid) -> Vec<Delivery> {
    let about = |seen: &Deliveries| -> Vec<Delivery> {
        seen.lock()
            .unwrap()
            .iter()
            .filter(|d| d.json()["review"]["id"] == id.to_string())
            .cloned()
            .collect()
    };
    let wanted = ["review.created", "review.approved", "review.executed"];
    let started = Instant::now();
    loop {
        let events: Vec<String> = about(seen)
            .iter()
            .map(|d| d.json()["event"].as_str().unwrap().to_owned())
            .collect();
        if wanted.iter().all(|w| events.iter().any(|e| e == w)) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "webhooks after 30 s: {events:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    about(seen)
}

#[tokio::test]
async fn a_statement_held_on_one_node_is_approved_on_another_and_runs_once_with_signed_webhooks() {
    let pg = PostgresServer::start().await.unwrap();
    pg.create_database("app").await.unwrap();
    pg.psql(
        "app",
        "CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 0);",
    )
    .await
    .unwrap();
    pg.create_database("warden_store").await.unwrap();

    let seen: Deliveries = Arc::default();
    let (hooks, receiver) = start_receiver(seen.clone()).await;

    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    std::fs::write(dir.join("store-url"), pg.url("warden_store")).unwrap();
    std::fs::write(dir.join("pg-password"), pg.password()).unwrap();
    std::fs::write(dir.join("webhook-secret"), format!("{WEBHOOK_SECRET}\n")).unwrap();

    // Keys go into the shared store (through A's config, so it also migrates the store first).
    let a_config = dir.join("node-a.toml");
    std::fs::write(&a_config, config_text("node-a", 1, 2, pg.port(), &hooks)).unwrap();
    let ann = create_key(dir, &a_config, "ann", "oncall").await;
    let bob = create_key(dir, &a_config, "bob", "approvers").await;

    let mut a = Node::start(dir, "node-a", pg.port(), &hooks).await;
    let mut b = Node::start(dir, "node-b", pg.port(), &hooks).await;

    // Ann's write through node A is held for review.
    let mut held = Command::new(pg.bin_dir().join("psql"))
        .args(["-X", "-At", "-v", "ON_ERROR_STOP=1", "-c"])
        .arg("UPDATE t SET v = v + 1 WHERE id = 1; SELECT v FROM t WHERE id = 1;")
        .arg(format!(
            "host=127.0.0.1 port={} dbname=pg-app/app user=ann sslmode=disable",
            a.pg_port
        ))
        .env("PGPASSWORD", &ann)
        .env("PGCONNECT_TIMEOUT", "10")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    // Bob sees it through node B, and node A sees the same review.
    let id = pending_review(dir, &b, &bob, "ann", &mut held).await;
    let on_a = review_cli(dir, &a, &bob, &["show", &id.to_string()]).await;
    assert!(on_a.starts_with(&format!("{id}  pending ")), "{on_a}");
    assert!(on_a.contains("UPDATE t SET v = v + 1"), "{on_a}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        held.try_wait().unwrap().is_none(),
        "psql must still be held"
    );
    assert_eq!(
        pg.psql("app", "SELECT v FROM t WHERE id = 1")
            .await
            .unwrap()
            .trim(),
        "0"
    );

    // Bob approves through node B; node A notices through the store and runs the statement.
    let approved = review_cli(dir, &b, &bob, &["approve", &id.to_string()]).await;
    assert!(
        approved.starts_with(&format!("{id}  approved ")),
        "{approved}"
    );
    let decided = Instant::now();
    let out = tokio::time::timeout(Duration::from_secs(30), held.wait_with_output())
        .await
        .unwrap_or_else(|_| {
            panic!(
                "psql still held 30 s after approval on node B:\n{}",
                a.log()
            )
        })
        .unwrap();
    let released_after = decided.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "psql failed: {stdout}\n{stderr}\n{}",
        a.log()
    );
    assert!(
        released_after < Duration::from_secs(10),
        "released {released_after:?} after the approval on another node"
    );
    assert!(
        stderr.contains(&format!("review {id}")),
        "the notice names the review: {stderr}"
    );
    assert_eq!(
        stdout.lines().last(),
        Some("1"),
        "ran exactly once: {stdout}"
    );
    assert_eq!(
        pg.psql("app", "SELECT v FROM t WHERE id = 1")
            .await
            .unwrap()
            .trim(),
        "1"
    );

    // The stored review is executed, as seen through either node.
    for node in [&a, &b] {
        let shown = review_cli(dir, node, &bob, &["show", &id.to_string()]).await;
        assert!(
            shown.starts_with(&format!("{id}  executed  1/1 ")),
            "via {}: {shown}",
            node.name
        );
        assert!(shown.contains("vote: bob approved"), "{shown}");
        let pending = review_cli(dir, node, &bob, &["list", "--state", "pending"]).await;
        assert!(!pending.contains(&id.to_string()), "{pending}");
    }

    // Each transition is announced once, by the node that made it, signed with the secret.
    let deliveries = webhook_deliveries(&seen, id).await;
    let mut by_event: BTreeMap<String, Vec<&Delivery>> = BTreeMap::new();
    for delivery in &deliveries {
        let event = delivery.json()["event"].as_str().unwrap().to_owned();
        by_event.entry(event).or_default().push(delivery);
    }
    let names: Vec<&str> = by_event.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["review.approved", "review.created", "review.executed"]
    );
    let expected = [
        ("review.created", "node-a", "pending", "ann"),
        ("review.approved", "node-b", "approved", "bob"),
        ("review.executed", "node-a", "executed", "ann"),
    ];
    let now = chrono::Utc::now().timestamp();
    for (event, node, state, actor) in expected {
        let sent = &by_event[event];
        assert_eq!(sent.len(), 1, "{event} sent {} times", sent.len());
        let delivery = sent[0];
        assert_eq!(delivery.node, node, "{event} sent by the node that made it");
        assert_eq!(delivery.header(EVENT_HEADER), event);
        assert_eq!(delivery.header("content-type"), "application/json");
        let body = delivery.json();
        assert_eq!(body["review"]["state"], state, "{body}");
        assert_eq!(body["actor"], actor, "{body}");
        assert_eq!(body["review"]["requester"], "ann");
        assert_eq!(body["review"]["connection"], "pg-app");
        assert_eq!(body["review"]["action"], "sql:write");
        assert_eq!(body["review"]["policy"], "oncall-writes");
        assert_eq!(body["review"]["quorum"], 1);
        assert_eq!(
            body["approve_command"],
            format!("warden review approve {id}")
        );
        let timestamp = delivery.header(TIMESTAMP_HEADER);
        let signature = delivery.header(SIGNATURE_HEADER);
        assert!(
            (now - timestamp.parse::<i64>().unwrap()).abs() < 300,
            "{timestamp}"
        );
        assert!(
            verify_signature(
                WEBHOOK_SECRET.as_bytes(),
                &timestamp,
                &delivery.body,
                &signature
            ),
            "{event}: signature does not verify"
        );
        let mut tampered = delivery.body.to_vec();
        let at = tampered.len() / 2;
        tampered[at] ^= 0x01;
        assert!(!verify_signature(
            WEBHOOK_SECRET.as_bytes(),
            &timestamp,
            &tampered,
            &signature
        ));
        let later = (timestamp.parse::<i64>().unwrap() + 1).to_string();
        assert!(!verify_signature(
            WEBHOOK_SECRET.as_bytes(),
            &later,
            &delivery.body,
            &signature
        ));
        assert!(!verify_signature(
            b"another-secret",
            &timestamp,
            &delivery.body,
            &signature
        ));
    }

    // Each node's chain holds the transitions it made.
    let a_path = a.config.to_str().unwrap().to_owned();
    let (ok, events, stderr) = warden(
        dir,
        &[],
        &["audit", "search", "--config", &a_path, "--kind", "review"],
    )
    .await;
    assert!(ok, "{stderr}");
    let mut transitions: Vec<(String, String)> = events
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|e| e["detail"]["review"] == id.to_string())
        .map(|e| {
            (
                e["node"].as_str().unwrap().to_owned(),
                e["detail"]["transition"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    transitions.sort();
    let pairs: Vec<(&str, &str)> = transitions
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("node-a", "created"),
            ("node-a", "executed"),
            ("node-b", "approved")
        ]
    );

    // Both nodes' chains in the shared store verify, while running and after a clean stop
    // (which signs a checkpoint with each node's own key).
    let (ok, report, stderr) = warden(dir, &[], &["audit", "verify", "--config", &a_path]).await;
    assert!(ok, "audit verify: {report}\n{stderr}");
    for node in ["node-a", "node-b"] {
        assert!(report.contains(&format!("node {node}: ")), "{report}");
    }
    assert!(a.stop().await, "node-a did not stop cleanly:\n{}", a.log());
    assert!(b.stop().await, "node-b did not stop cleanly:\n{}", b.log());
    assert!(a.log().contains("warden gateway stopped"), "{}", a.log());
    let key = |node: &str| dir.join(format!("data-{node}/audit-signing.pub"));
    let (a_key, b_key) = (key("node-a"), key("node-b"));
    let (ok, report, stderr) = warden(
        dir,
        &[],
        &[
            "audit",
            "verify",
            "--config",
            &a_path,
            "--key",
            a_key.to_str().unwrap(),
            "--key",
            b_key.to_str().unwrap(),
        ],
    )
    .await;
    assert!(ok, "audit verify with both keys: {report}\n{stderr}");
    for node in ["node-a", "node-b"] {
        let line = report
            .lines()
            .find(|l| l.starts_with(&format!("node {node}: ")))
            .unwrap_or_else(|| panic!("{node} missing: {report}"));
        assert!(!line.contains(" 0 signed checkpoints"), "{line}");
    }
    receiver.abort();
}
