//! The HTTP gateway against a real OpenAI-compatible server on loopback, driven with curl:
//! credential injection, route scopes, JSON and prompt masking, model allow-lists, usage in the
//! audit log, reviews (fail-fast and held), upstream failures, bounds, recordings.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod http_common;

use http_common::{HttpHarness, UPSTREAM_KEY};
use serde_json::{Value, json};

fn auth(key: &str) -> String {
    format!("Authorization: Bearer {key}")
}

fn chat(model: &str, text: &str) -> String {
    json!({"model": model, "messages": [{"role": "user", "content": text}]}).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_are_injected_and_routes_are_scoped() {
    let h = HttpHarness::start(&[], "").await;
    let agent = h.key("agent-1", &["agents"]).await;
    let researcher = h.key("res-1", &["researchers"]).await;
    let base = h.base("llm");

    let (status, body) = h
        .curl(&["-H", &auth(&agent), &format!("{base}/v1/models")])
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("scripted-model"), "{body}");
    let first = h.upstream_request(1).await;
    assert_eq!(
        first["headers"]["authorization"],
        format!("Bearer {UPSTREAM_KEY}")
    );
    let raw = std::fs::read_to_string(&h.upstream_log).unwrap();
    assert!(
        !raw.contains(&agent),
        "the caller's Warden key reached the upstream"
    );
    assert!(!body.contains(UPSTREAM_KEY));

    // The Host can name the connection instead of the path.
    let (status, body) = h
        .curl(&[
            "-H",
            &auth(&agent),
            "-H",
            "Host: llm.gw.test",
            &format!("http://{}/v1/models", h.addr),
        ])
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("scripted-model"), "{body}");
    assert_eq!(h.upstream_request(2).await["path"], "/v1/models");
    // Host names are case-insensitive, and may end with the root's dot.
    let (status, body) = h
        .curl(&[
            "-H",
            &auth(&agent),
            "-H",
            "Host: LLM.GW.Test.",
            &format!("http://{}/v1/models", h.addr),
        ])
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(h.upstream_request(3).await["path"], "/v1/models");

    // An unmatched route is `http:GET`, which the agents role does not allow.
    let (status, body) = h
        .curl(&["-H", &auth(&agent), &format!("{base}/echo/hello")])
        .await;
    assert_eq!(status, 403, "{body}");
    let error: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error["error"]["type"], "warden_denied");
    assert!(
        body.contains("default-deny") && body.contains("http:GET"),
        "{body}"
    );
    // A route the role denies names the rule.
    let (status, body) = h
        .curl(&[
            "-X",
            "DELETE",
            "-H",
            &auth(&agent),
            &format!("{base}/v1/files/file-1"),
        ])
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("role:agents/deny[0]"), "{body}");
    assert_eq!(
        h.upstream_requests().len(),
        3,
        "refused requests reached the upstream"
    );

    // The echo shows exactly what the upstream received: its own key, never the caller's.
    let (status, body) = h
        .curl(&[
            "-H",
            &auth(&researcher),
            "-H",
            "X-Trace: t-1",
            &format!("{base}/echo/hello?x=1"),
        ])
        .await;
    assert_eq!(status, 200, "{body}");
    let echo: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(echo["path"], "/echo/hello");
    assert_eq!(echo["query"], "x=1");
    assert_eq!(
        echo["headers"]["authorization"],
        format!("Bearer {UPSTREAM_KEY}")
    );
    assert_eq!(echo["headers"]["x-trace"], "t-1");
    assert!(!body.contains(&researcher));

    // Credentials: missing, wrong; unknown connection.
    let (status, body) = h.curl(&[&format!("{base}/v1/models")]).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("missing_token"), "{body}");
    let forged = format!("{}x", &agent[..agent.len() - 1]);
    let (status, body) = h
        .curl(&["-H", &auth(&forged), &format!("{base}/v1/models")])
        .await;
    assert_eq!(status, 401, "{body}");
    assert!(!body.contains(&forged), "the token was echoed: {body}");
    let (status, body) = h
        .curl(&[
            "-H",
            &auth(&agent),
            &format!("http://{}/c/nope/v1/models", h.addr),
        ])
        .await;
    assert_eq!(status, 404, "{body}");
    let error: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        error["error"]["message"],
        "no connection named \"nope\" is defined"
    );
    let failures = h
        .audit(warden_store::AuditFilter {
            kind: Some("auth_failed".into()),
            ..Default::default()
        })
        .await;
    assert_eq!(failures.len(), 2, "{failures:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_and_prompts_are_masked_and_usage_is_audited() {
    let h = HttpHarness::start(&[], "").await;
    let agent = h.key("agent-2", &["agents"]).await;
    let researcher = h.key("res-2", &["researchers"]).await;
    let url = format!("{}/v1/chat/completions", h.base("llm"));
    let prompt = "My email is bob@corp.example, card 5500 0000 0000 0004.";

    let (status, body) = h
        .curl(&[
            "-H",
            &auth(&agent),
            "-H",
            "Content-Type: application/json",
            "-d",
            &chat("scripted-model", prompt),
            &url,
        ])
        .await;
    assert_eq!(status, 200, "{body}");
    let reply: Value = serde_json::from_str(&body).unwrap();
    let content = reply["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(content.starts_with("Contact "), "{content}");
    for clear in [
        "jane.doe@example.com",
        "4111 1111 1111 1111",
        "bob@corp.example",
        "5500 0000 0000 0004",
    ] {
        assert!(
            !body.contains(clear),
            "{clear} reached the masked caller: {body}"
        );
    }
    assert!(
        content.contains("Zoë"),
        "non-ASCII text was damaged: {content}"
    );
    // The prompt left masked: the model provider never saw the caller's personal data.
    let sent = h.upstream_request(1).await;
    let sent_body = sent["body"].as_str().unwrap();
    assert!(sent_body.contains("My email is"), "{sent_body}");
    assert!(
        !sent_body.contains("bob@corp.example") && !sent_body.contains("5500 0000 0000 0004"),
        "{sent_body}"
    );

    // The audit event carries model, status and token usage.
    let events = h.requests("autogen:prompt").await;
    assert_eq!(events.len(), 1, "{events:#?}");
    let detail = &events[0]["detail"];
    assert_eq!(detail["model"], "scripted-model");
    assert_eq!(detail["status"], 200);
    assert!(
        detail["usage"]["total_tokens"].as_u64().unwrap() > 0,
        "{detail}"
    );
    assert_eq!(
        detail["usage"]["total_tokens"], reply["usage"]["total_tokens"],
        "audited usage differs from the response's"
    );

    // A model outside the role's allow-list never reaches the upstream.
    let before = h.upstream_requests().len();
    let (status, body) = h
        .curl(&[
            "-H",
            &auth(&agent),
            "-H",
            "Content-Type: application/json",
            "-d",
            &chat("gpt-4o", "hi"),
            &url,
        ])
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("role:agents/models") && body.contains("gpt-4o"),
        "{body}"
    );
    assert_eq!(h.upstream_requests().len(), before);

    // A role without a masking profile sees clear data, and its prompt leaves as written.
    let (status, body) = h
        .curl(&[
            "-H",
            &auth(&researcher),
            "-H",
            "Content-Type: application/json",
            "-d",
            &chat("gpt-4o", prompt),
            &url,
        ])
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("jane.doe@example.com"), "{body}");
    let sent = h.upstream_request(2).await;
    assert!(sent["body"].as_str().unwrap().contains("bob@corp.example"));

    // Sessions end with their TCP connection (curl exits): wait for all three.
    let ends = wait_for_session_ends(&h, 3).await;

    // The masked caller's recording holds no clear value; the exchange is in it.
    let agent_recording = recording_of(&h, "agent-2").await;
    assert!(
        agent_recording.contains("\"type\":\"exchange\""),
        "{agent_recording}"
    );
    assert!(agent_recording.contains("/v1/chat/completions"));
    // The masked JSON response is held as JSON, not as an escaped string.
    assert!(
        agent_recording.contains("\"response_json\":{"),
        "{agent_recording}"
    );
    for clear in [
        "jane.doe@example.com",
        "bob@corp.example",
        "4111 1111 1111 1111",
        "5500 0000 0000 0004",
        UPSTREAM_KEY,
        &agent,
    ] {
        assert!(!agent_recording.contains(clear), "{clear} in the recording");
    }

    // Listed, replayed as a timeline, and verified against the hashes in the chain.
    let session = ends
        .iter()
        .find(|e| e["identity"] == "agent-2" && e["detail"]["exchanges"] == 1)
        .unwrap_or_else(|| panic!("{ends:#?}"))["session"]
        .as_str()
        .unwrap()
        .to_owned();
    let (ok, listed, err) = warden(&h, &["sessions", "list", "--identity", "agent-2"]);
    assert!(ok, "{err}");
    let line = listed
        .lines()
        .find(|l| l.contains(&session))
        .unwrap_or_else(|| panic!("{listed}"));
    assert!(line.contains("llm") && line.contains("bytes"), "{line}");
    let (ok, timeline, err) = warden(&h, &["replay", &session]);
    assert!(ok, "{err}");
    assert!(
        timeline.contains("POST /v1/chat/completions -> 200 (autogen:prompt"),
        "{timeline}"
    );
    assert!(
        timeline.contains("model scripted-model, usage"),
        "{timeline}"
    );
    assert!(!timeline.contains("jane.doe@example.com"), "{timeline}");
    assert!(timeline.contains("  < {"), "{timeline}");
    let (ok, out, err) = warden(&h, &["audit", "verify"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("session recordings match"), "{out}");
}

async fn wait_for_session_ends(h: &HttpHarness, n: usize) -> Vec<Value> {
    for _ in 0..200 {
        let ends = h
            .audit(warden_store::AuditFilter {
                kind: Some("session_end".into()),
                ..Default::default()
            })
            .await;
        if ends.len() >= n {
            return ends;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("fewer than {n} sessions ended");
}

/// Runs the `warden` binary with the harness's config.
fn warden(h: &HttpHarness, args: &[&str]) -> (bool, String, String) {
    http_common::support::warden_cli(&h.config_path, args)
}

/// The recording files of sessions opened by `identity` (closed or still open).
async fn recording_of(h: &HttpHarness, identity: &str) -> String {
    let dir = h.dir.path().join("data/recordings");
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let content = http_common::recording_text(&entry.unwrap().path()).await;
        if content
            .lines()
            .next()
            .is_some_and(|l| l.contains(&format!("\"identity\":\"{identity}\"")))
        {
            text.push_str(&content);
        }
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviews_answer_202_then_run_the_approved_request_once() {
    let h = HttpHarness::start(&[], "").await;
    let cleaner = h.key("cleaner-1", &["cleaners"]).await;
    let careful = h.key("careful-1", &["careful"]).await;
    let approver = h.key("appr-1", &["approvers"]).await;
    let url = format!("{}/v1/files/file-42", h.base("llm"));

    // Fail-fast: 202 with the review id, nothing forwarded.
    let (status, body) = h.curl(&["-X", "DELETE", "-H", &auth(&cleaner), &url]).await;
    assert_eq!(status, 202, "{body}");
    let pending: Value = serde_json::from_str(&body).unwrap();
    let id = pending["review"]["id"].as_str().unwrap().to_owned();
    assert!(h.upstream_requests().is_empty());
    // A retry keeps the same review.
    let (status, body) = h.curl(&["-X", "DELETE", "-H", &auth(&cleaner), &url]).await;
    assert_eq!(status, 202, "{body}");
    assert!(body.contains(&id), "{body}");

    let approver_identity = h.identity(&approver).await;
    h.gateway
        .reviews
        .vote(&approver_identity, id.parse().unwrap(), true, None)
        .await
        .unwrap();
    let (status, body) = h.curl(&["-X", "DELETE", "-H", &auth(&cleaner), &url]).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("\"deleted\": true") || body.contains("\"deleted\":true"),
        "{body}"
    );
    assert_eq!(h.upstream_request(1).await["path"], "/v1/files/file-42");
    assert_eq!(h.upstream_requests().len(), 1);
    // Once: the next identical request needs a new review.
    let (status, _) = h.curl(&["-X", "DELETE", "-H", &auth(&cleaner), &url]).await;
    assert_eq!(status, 202);
    assert_eq!(h.upstream_requests().len(), 1);

    // Wait mode: held, then released when approved while the caller waits.
    let held_url = format!("{}/v1/files/file-7", h.base("llm"));
    let h = std::sync::Arc::new(h);
    let waiter = {
        let h = h.clone();
        let careful = careful.clone();
        tokio::spawn(async move {
            h.curl(&["-X", "DELETE", "-H", &auth(&careful), &held_url])
                .await
        })
    };
    let review = h.pending_review("file-7").await;
    h.gateway
        .reviews
        .vote(&approver_identity, review.id, true, None)
        .await
        .unwrap();
    let (status, body) = waiter.await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(h.upstream_request(2).await["path"], "/v1/files/file-7");

    // Wait mode past max_review_wait (3 s): 202 with the review id, the caller retries later.
    let slow_url = format!("{}/v1/files/file-8", h.base("llm"));
    let (status, body) = h
        .curl(&["-X", "DELETE", "-H", &auth(&careful), &slow_url])
        .await;
    assert_eq!(status, 202, "{body}");
    assert!(body.contains("no decision within 3 s"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_failures_and_bounds_are_clear() {
    // A listener that accepts and never answers, and a port nobody listens on.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let closed_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let extra = format!(
        r#"
[connections.silent]
kind = "http"
upstream = "http://127.0.0.1:{silent_port}"

[connections.closed]
kind = "http"
upstream = "http://127.0.0.1:{closed_port}"

[roles.prober]
groups = ["probers"]
connections = ["silent", "closed", "llm"]
allow = ["http:*", "autogen:*"]
"#
    );
    let h = HttpHarness::start(&[], &extra).await;
    let key = h.key("probe-1", &["probers"]).await;
    let (status, body) = h
        .curl(&["-H", &auth(&key), &format!("{}/x", h.base("closed"))])
        .await;
    assert_eq!(status, 502, "{body}");
    assert!(body.contains("cannot connect"), "{body}");
    let started = std::time::Instant::now();
    let (status, body) = h
        .curl(&["-H", &auth(&key), &format!("{}/x", h.base("silent"))])
        .await;
    assert_eq!(status, 504, "{body}");
    assert!(body.contains("did not answer within 3 s"), "{body}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    drop(silent);

    // Request bodies are bounded (64 KiB here): 413, audited, nothing forwarded.
    let big = "x".repeat(70_000);
    let (status, body) = h
        .curl(&[
            "-H",
            &auth(&key),
            "-H",
            "Content-Type: text/plain",
            "--data-binary",
            &big,
            &format!("{}/v1/embeddings", h.base("llm")),
        ])
        .await;
    assert_eq!(status, 413, "{body}");
    assert!(h.upstream_requests().is_empty());
    let errors = h
        .audit(warden_store::AuditFilter {
            kind: Some("protocol_error".into()),
            ..Default::default()
        })
        .await;
    assert_eq!(errors.len(), 1, "{errors:#?}");
    // The gateway keeps serving.
    let (status, _) = h
        .curl(&["-H", &auth(&key), &format!("{}/v1/models", h.base("llm"))])
        .await;
    assert_eq!(status, 200);
    let events = h.requests("http:GET").await;
    assert!(
        events.iter().any(|e| e["detail"]["status"] == 502),
        "{events:#?}"
    );
    assert!(
        events.iter().any(|e| e["detail"]["status"] == 504),
        "{events:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_budget_stops_an_identity_once_spent() {
    let h = HttpHarness::start(&[], "").await;
    let thrifty = h.key("thrifty-1", &["thrifty"]).await;
    let other = h.key("thrifty-2", &["thrifty"]).await;
    let url = format!("{}/v1/chat/completions", h.base("llm"));
    let call = |key: String| {
        let url = url.clone();
        let h = &h;
        async move {
            h.curl(&[
                "-H",
                &auth(&key),
                "-H",
                "Content-Type: application/json",
                "-d",
                &chat("scripted-model", "hi"),
                &url,
            ])
            .await
        }
    };
    // Each call costs about 14 tokens (words) of a 30-token budget: the third still starts
    // under it, the fourth is refused.
    let mut spent = 0;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let (status, body) = call(thrifty.clone()).await;
        statuses.push(status);
        if status == 200 {
            let reply: Value = serde_json::from_str(&body).unwrap();
            spent += reply["usage"]["total_tokens"].as_u64().unwrap();
        } else {
            assert_eq!(status, 429, "{body}");
            let error: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(error["error"]["code"], "token_budget_exhausted");
            assert!(
                body.contains(&format!("used {spent} of its 30 tokens")),
                "{body}"
            );
        }
    }
    assert!(spent >= 30, "{spent}");
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    let forwarded = statuses.iter().filter(|s| **s == 200).count();
    assert_eq!(
        h.upstream_request(forwarded).await["path"],
        "/v1/chat/completions"
    );
    assert_eq!(
        h.upstream_requests().len(),
        forwarded,
        "a refused call reached the model"
    );
    // The budget is per identity.
    let (status, _) = call(other).await;
    assert_eq!(status, 200);
    let events = h.requests("autogen:prompt").await;
    assert!(
        events.iter().any(|e| e["detail"]["status"] == 429),
        "{events:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_http2_and_plaintext_refused_off_the_allowance() {
    let h = HttpHarness::start(&[], "").await;
    let agent = h.key("agent-tls", &["agents"]).await;
    let tls = h.tls_listener().await;
    let ca = h.gateway.dev_ca.clone().expect("a development CA");
    let url = format!("https://localhost:{}/c/llm/v1/models", tls.port());
    // curl verifies the certificate against the development CA and negotiates HTTP/2 by ALPN.
    let out = tokio::process::Command::new("curl")
        .args([
            "-sS",
            "--http2",
            "-o",
            "/dev/null",
            "-w",
            "%{http_version} %{http_code}",
        ])
        .arg("--cacert")
        .arg(&ca)
        .args(["-H", &auth(&agent), &url])
        .output()
        .await
        .unwrap();
    let result = String::from_utf8_lossy(&out.stdout);
    assert_eq!(result, "2 200", "{}", String::from_utf8_lossy(&out.stderr));
    // HTTP/1.1 over TLS works too.
    let (status, body) = h
        .curl(&[
            "--http1.1",
            "--cacert",
            ca.to_str().unwrap(),
            "-H",
            &auth(&agent),
            &url,
        ])
        .await;
    assert_eq!(status, 200, "{body}");
    // Without TLS, a listener that does not allow plaintext refuses before reading a request.
    let (status, body) = h
        .curl(&[
            "-i",
            "-H",
            &auth(&agent),
            &format!("http://127.0.0.1:{}/c/llm/v1/models", tls.port()),
        ])
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("requires TLS"), "{body}");
    // Answered like every refusal of Warden's own, with a Date.
    assert!(body.contains("\r\ndate: "), "{body}");
    // An unverifiable certificate is refused by the client (no silent downgrade).
    let (status, _) = h.curl(&["-H", &auth(&agent), &url]).await;
    assert_eq!(status, 0);
}
