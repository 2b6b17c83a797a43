//! A gateway with an HTTP listener in front of the OpenAI-compatible test server
//! (`scripts/openai-test-server.py`, a real HTTP server on loopback that streams SSE).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../support/mod.rs"]
pub mod support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use warden_app::wiring::Gateway;

/// The key the upstream demands; Warden injects it, callers never hold it.
pub const UPSTREAM_KEY: &str = "sk-upstream-7f3a9c2e41d8";

/// A running gateway, its upstream and API keys.
pub struct HttpHarness {
    /// Config and data dir.
    pub dir: TempDir,
    /// The gateway's HTTP listener.
    pub addr: SocketAddr,
    /// The shared gateway state.
    pub gateway: Arc<Gateway>,
    /// The test server process.
    upstream: Child,
    /// The test server's request log.
    pub upstream_log: PathBuf,
    /// Path of the config file.
    pub config_path: PathBuf,
}

/// The repository root (for scripts).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .to_path_buf()
}

/// The Python of the venv `scripts/install-test-deps.sh` makes (openai SDK, AutoGen).
pub fn venv_python() -> String {
    let venv =
        Path::new(&std::env::var("HOME").unwrap()).join(".cache/warden-autogen-venv/bin/python");
    assert!(
        venv.exists(),
        "{} is missing: run scripts/install-test-deps.sh",
        venv.display()
    );
    venv.display().to_string()
}

/// Starts the test server with `args`, returning it and its port.
pub async fn start_test_server(args: &[&str]) -> (Child, u16) {
    let mut child = Command::new("python3")
        .arg(repo_root().join("scripts/openai-test-server.py"))
        .args(["--port", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
        .await
        .expect("test server did not start")
        .unwrap()
        .unwrap();
    let port = line
        .strip_prefix("LISTENING ")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    (child, port)
}

impl HttpHarness {
    /// Starts the test server (extra `server_args`) and a gateway whose config adds `extra`.
    pub async fn start(server_args: &[&str], extra: &str) -> HttpHarness {
        warden_tls::install_crypto_provider();
        let _ = tracing_subscriber::fmt()
            .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
            .with_test_writer()
            .try_init();
        let dir = tempfile::tempdir().unwrap();
        let upstream_log = dir.path().join("upstream.jsonl");
        let auth = format!("Bearer {UPSTREAM_KEY}");
        let mut args = vec![
            "--require-auth",
            &auth,
            "--log",
            upstream_log.to_str().unwrap(),
        ];
        args.extend_from_slice(server_args);
        let (upstream, port) = start_test_server(&args).await;
        std::fs::write(
            dir.path().join("llm-key"),
            format!("Bearer {UPSTREAM_KEY}\n"),
        )
        .unwrap();
        let config_path = dir.path().join("warden.toml");
        std::fs::write(&config_path, format!("{}\n{extra}", config_text(port))).unwrap();
        let config = warden_app::state::load_config(&config_path).unwrap();
        let gateway = Arc::new(Gateway::build(&config).await.unwrap());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(gateway.http().unwrap().serve(
            listener,
            warden_http::HttpListenerConfig {
                allow_plaintext_loopback: true,
            },
        ));
        HttpHarness {
            dir,
            addr,
            gateway,
            upstream,
            upstream_log,
            config_path,
        }
    }

    /// Serves a second HTTP listener that requires TLS (the development CA's certificate);
    /// returns its address.
    pub async fn tls_listener(&self) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(self.gateway.http().unwrap().serve(
            listener,
            warden_http::HttpListenerConfig {
                allow_plaintext_loopback: false,
            },
        ));
        addr
    }

    /// The identity behind an API key, as the gateway sees it.
    pub async fn identity(&self, key: &str) -> warden_core::Identity {
        support::identity(&self.gateway, self.dir.path(), key).await
    }

    /// A new API key named `name` in `groups`.
    pub async fn key(&self, name: &str, groups: &[&str]) -> String {
        support::api_key(&self.gateway, name, groups).await
    }

    /// `http://addr/c/<connection>`.
    pub fn base(&self, connection: &str) -> String {
        format!("http://{}/c/{connection}", self.addr)
    }

    /// Runs curl with `args`; returns (status, body).
    pub async fn curl(&self, args: &[&str]) -> (u16, String) {
        let out = Command::new("curl")
            .args(["-sS", "--max-time", "30", "-w", "\n%{http_code}"])
            .args(args)
            .output()
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, status) = text.rsplit_once('\n').unwrap();
        (status.trim().parse().unwrap_or(0), body.to_owned())
    }

    /// Every request the upstream received, as JSON.
    pub fn upstream_requests(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.upstream_log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// The `n`-th request (1-based) the upstream received, waiting for its log line (the test
    /// server logs after it answers).
    pub async fn upstream_request(&self, n: usize) -> serde_json::Value {
        for _ in 0..200 {
            if let Some(request) = self.upstream_requests().into_iter().nth(n - 1) {
                return request;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("the upstream did not log request {n}");
    }

    /// Asserts that no request reached the upstream.
    pub fn assert_nothing_forwarded(&self) {
        let forwarded = self.upstream_requests();
        assert!(
            forwarded.is_empty(),
            "a refused request reached the upstream: {forwarded:#?}"
        );
    }

    /// The review whose payload holds `needle`, once it exists (within 10 s).
    pub async fn pending_review(&self, needle: &str) -> warden_core::review::Review {
        for _ in 0..500 {
            let pending = self
                .gateway
                .reviews
                .list(&warden_store::ReviewFilter::default())
                .await
                .unwrap();
            if let Some(review) = pending.into_iter().find(|r| r.payload.contains(needle)) {
                return review;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("no review holds {needle:?}");
    }

    /// `protocol_error` audit events: requests refused before policy decided.
    pub async fn protocol_errors(&self) -> Vec<serde_json::Value> {
        self.audit(warden_store::AuditFilter {
            kind: Some("protocol_error".into()),
            ..Default::default()
        })
        .await
    }

    /// Audit events matching a filter, as JSON.
    pub async fn audit(&self, filter: warden_store::AuditFilter) -> Vec<serde_json::Value> {
        support::audit_events(&self.gateway, filter).await
    }

    /// `request` audit events of `action`.
    pub async fn requests(&self, action: &str) -> Vec<serde_json::Value> {
        self.audit(warden_store::AuditFilter {
            kind: Some("request".into()),
            action: Some(action.into()),
            ..Default::default()
        })
        .await
    }

    /// All files under the data dir's recordings, concatenated.
    pub async fn recordings_text(&self) -> String {
        let dir = self.dir.path().join("data/recordings");
        let mut text = String::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            text.push_str(&recording_text(&entry.unwrap().path()).await);
        }
        text
    }
}

/// The events of one recording file, decoded; empty if it cannot be read (a file renamed
/// away while the directory was listed).
pub async fn recording_text(path: &std::path::Path) -> String {
    let events = warden_record::read_recording_file(path).await;
    String::from_utf8(events.unwrap_or_default()).unwrap()
}

fn config_text(port: u16) -> String {
    format!(
        r#"
[gateway]
data_dir = "data"
node = "http-test"

[gateway.http]
domain = "gw.test"
upstream_timeout = "3s"
max_review_wait = "3s"
max_request_body = 65536

[connections.llm]
kind = "http"
upstream = "http://127.0.0.1:{port}"
api = "openai"
credentials = {{ headers = {{ Authorization = {{ file = "llm-key" }} }} }}
routes = [
  {{ method = "POST", path = "/v1/chat/completions", action = "autogen:prompt", outbound = true }},
  {{ method = "POST", path = "/v1/embeddings", action = "autogen:embed", outbound = true }},
  {{ method = "POST", path = "/echo/upload/**", action = "autogen:upload", outbound = true }},
  {{ method = "GET", path = "/v1/models/**", action = "autogen:model:read" }},
  {{ method = "DELETE", path = "/v1/files/*", action = "autogen:artifact:delete" }},
]

[masking.profiles.pii]
detectors = ["email", "card"]
columns = [{{ match = "*.password" }}]

[roles.agents]
groups = ["agents"]
connections = ["llm"]
allow = ["autogen:*"]
deny = ["autogen:artifact:delete"]
models = ["scripted-*"]
mask = "pii"

[roles.researchers]
groups = ["researchers"]
connections = ["llm"]
allow = ["autogen:*", "http:GET"]

# Reads any unmatched GET, its answers masked.
[roles.masked-readers]
groups = ["masked-readers"]
connections = ["llm"]
allow = ["http:GET"]
mask = "pii"

# Every unmatched route and every route rule, but never a file delete.
[roles.wide]
groups = ["wide"]
connections = ["llm"]
allow = ["http:*", "autogen:*"]
deny = ["autogen:artifact:delete"]

[roles.thrifty]
groups = ["thrifty"]
connections = ["llm"]
allow = ["autogen:*"]
token_budget = {{ tokens = 30, window = "1d" }}

[roles.cleaners]
groups = ["cleaners"]
connections = ["llm"]
allow = ["autogen:model:read"]
review = ["autogen:artifact:delete"]
review_policy = "agent-deletes"

[roles.careful]
groups = ["careful"]
connections = ["llm"]
review = ["autogen:artifact:delete"]
review_policy = "people-wait"

[review_policies.agent-deletes]
approvers = ["approvers"]
timeout = "10m"
mode = "fail_fast"

[review_policies.people-wait]
approvers = ["approvers"]
timeout = "10m"
"#
    )
}

/// The `error.message` of one of Warden's JSON error replies.
pub fn error_message(reply: &str) -> String {
    let error: serde_json::Value = serde_json::from_str(reply).unwrap();
    error["error"]["message"].as_str().unwrap().to_owned()
}
