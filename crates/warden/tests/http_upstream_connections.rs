//! Warden's own upstream connections: kept open between requests (one TCP connection serves a
//! client's successive requests), and `https://` upstreams verified against the connection's CA
//! (a real TLS server on loopback: the test server with a development CA's certificate).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod http_common;

use http_common::{HttpHarness, start_test_server};
use serde_json::Value;

/// The bodies of the answers to `urls`, each of which must be a 200.
async fn curl_all_ok(key: &str, urls: &[String]) -> Vec<String> {
    let answers = curl_many(key, urls).await;
    assert_eq!(answers.len(), urls.len(), "{answers:?}");
    answers
        .into_iter()
        .map(|(status, body)| {
            assert_eq!(status, 200, "{body}");
            body
        })
        .collect()
}

/// Runs one curl over several URLs (one client connection, reused); returns the status codes
/// and the bodies, in order.
async fn curl_many(key: &str, urls: &[String]) -> Vec<(u16, String)> {
    let mut args = vec![
        "-sS".to_owned(),
        "--max-time".to_owned(),
        "30".to_owned(),
        "-H".to_owned(),
        format!("Authorization: Bearer {key}"),
        "-w".to_owned(),
        "\n@@%{http_code}@@\n".to_owned(),
    ];
    args.extend(urls.iter().cloned());
    let out = tokio::process::Command::new("curl")
        .args(&args)
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut answers = Vec::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("\n@@") {
        let after = &rest[i + 3..];
        let j = after.find("@@\n").unwrap();
        answers.push((after[..j].parse().unwrap_or(0), rest[..i].to_owned()));
        rest = &after[j + 3..];
    }
    answers
}

/// The upstream's log records whose path starts with `prefix`, once there are `want` of them
/// (the server logs a request after answering it), or what there is after 10 s.
async fn logged(log: &std::path::Path, prefix: &str, want: usize) -> Vec<Value> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let records: Vec<Value> = std::fs::read_to_string(log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|r| r["path"].as_str().is_some_and(|p| p.starts_with(prefix)))
            .collect();
        if records.len() >= want || std::time::Instant::now() >= deadline {
            return records;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_connections_are_kept_open_and_https_upstreams_are_verified() {
    let certs = tempfile::tempdir().unwrap();
    let ca = warden_tls::ensure_dev_ca(certs.path(), &[]).unwrap();
    let tls_log = certs.path().join("tls-upstream.jsonl");
    let (_tls_server, tls_port) = start_test_server(&[
        "--tls-cert",
        ca.server_cert.to_str().unwrap(),
        "--tls-key",
        ca.server_key.to_str().unwrap(),
        "--log",
        tls_log.to_str().unwrap(),
    ])
    .await;
    let extra = format!(
        r#"
[connections.secure]
kind = "http"
upstream = "https://localhost:{tls_port}"
tls = {{ ca = "{ca}" }}

[connections.untrusted]
kind = "http"
upstream = "https://localhost:{tls_port}"

[roles.tls_probers]
groups = ["tls-probers"]
connections = ["secure", "untrusted", "llm"]
allow = ["http:*"]
"#,
        ca = ca.ca_cert.display()
    );
    let h = HttpHarness::start(&[], &extra).await;
    let key = h.key("tls-probe-1", &["tls-probers"]).await;

    // Plain HTTP: three requests on one client connection go over one upstream connection.
    let urls: Vec<String> = (1..=3)
        .map(|i| format!("{}/echo/plain-{i}", h.base("llm")))
        .collect();
    curl_all_ok(&key, &urls).await;
    let records = logged(&h.upstream_log, "/echo/plain-", 3).await;
    assert_eq!(records.len(), 3, "{records:#?}");
    let ports: Vec<&Value> = records.iter().map(|r| &r["peer_port"]).collect();
    assert!(ports[0].is_u64(), "{records:#?}");
    assert!(ports.iter().all(|p| *p == ports[0]), "{ports:?}");

    // HTTPS verified with the connection's CA: forwarded, credentials never needed here, and
    // the kept connection serves the second request too.
    let urls: Vec<String> = (1..=2)
        .map(|i| format!("{}/echo/tls-{i}", h.base("secure")))
        .collect();
    for body in curl_all_ok(&key, &urls).await {
        let echoed: Value = serde_json::from_str(&body).unwrap();
        assert!(echoed["path"].as_str().unwrap().starts_with("/echo/tls-"));
        // Warden's own token never reaches the upstream.
        assert!(!body.contains(&key), "{body}");
    }
    let records = logged(&tls_log, "/echo/tls-", 2).await;
    assert_eq!(records.len(), 2, "{records:#?}");
    assert_eq!(records[0]["peer_port"], records[1]["peer_port"]);
    assert_eq!(
        records[0]["headers"]["host"],
        format!("localhost:{tls_port}")
    );

    // The same server without its CA configured: not trusted, so nothing is sent.
    let answers = curl_many(&key, &[format!("{}/echo/untrusted", h.base("untrusted"))]).await;
    assert_eq!(answers.len(), 1, "{answers:?}");
    let (status, body) = &answers[0];
    assert_eq!(*status, 502, "{body}");
    assert!(body.contains("cannot connect"), "{body}");
    assert!(body.to_lowercase().contains("certificate"), "{body}");
    // Nothing reached the server: the other requests' records are all there is.
    assert!(logged(&tls_log, "/echo/untrusted", 1).await.is_empty());
}
