//! An LLM request's body says which model runs, so Warden must read it whatever the client
//! claims: a JSON body sent as `text/plain` still meets the model allow-list, and a body that
//! cannot be read as the API's JSON (NaN, which Python servers accept; a model that is not a
//! string; a gzip-compressed body) is refused before policy, audited, and never forwarded.
//! Driven with curl against the real OpenAI-compatible test server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod http_common;

use http_common::{HttpHarness, error_message};
use std::io::Write;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_model_is_read_however_the_request_is_dressed() {
    let h = HttpHarness::start(&[], "").await;
    // Allowed `autogen:*` for models `scripted-*` only.
    let agent = h.key("agent-1", &["agents"]).await;
    let url = format!("{}/v1/chat/completions", h.base("llm"));
    let auth = format!("Authorization: Bearer {agent}");
    let messages = r#""messages": [{"role": "user", "content": "hi"}]"#;

    // A JSON body labelled as text is still an LLM request for gpt-4o.
    let (status, reply) = as_text(
        &h,
        &auth,
        &url,
        &format!(r#"{{"model": "gpt-4o", {messages}}}"#),
    )
    .await;
    assert_eq!(status, 403, "{reply}");
    assert!(reply.contains("gpt-4o"), "{reply}");

    let gzipped = {
        let path = h.dir.path().join("request.json.gz");
        let body = format!(r#"{{"model": "gpt-4o", {messages}}}"#);
        std::fs::write(&path, gzip(body.as_bytes())).unwrap();
        format!("@{}", path.display())
    };
    let refused: [(&str, String, &str, u16, &str); 3] = [
        (
            "application/json",
            format!(r#"{{"model": "gpt-4o", "temperature": NaN, {messages}}}"#),
            "",
            400,
            "not valid JSON",
        ),
        (
            "application/json",
            format!(r#"{{"model": ["gpt-4o"], {messages}}}"#),
            "",
            400,
            "other than a string",
        ),
        ("application/json", gzipped, "gzip", 415, "gzip-encoded"),
    ];
    for (content_type, body, coding, expected, why) in &refused {
        let mut args = vec![
            "-H".to_owned(),
            auth.clone(),
            "-H".to_owned(),
            format!("Content-Type: {content_type}"),
            "--data-binary".to_owned(),
            body.clone(),
            url.clone(),
        ];
        if !coding.is_empty() {
            args.extend(["-H".to_owned(), format!("Content-Encoding: {coding}")]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (status, reply) = h.curl(&args).await;
        assert_eq!(status, *expected, "{body}: {reply}");
        let message = error_message(&reply);
        assert!(message.contains(why), "{body}: {message}");
    }
    h.assert_nothing_forwarded();
    let errors = h.protocol_errors().await;
    assert_eq!(errors.len(), refused.len(), "{errors:#?}");

    // The same request with an allowed model, labelled as text, goes through.
    let (status, reply) = as_text(
        &h,
        &auth,
        &url,
        &format!(r#"{{"model": "scripted-model", {messages}}}"#),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(h.upstream_request(1).await["path"], "/v1/chat/completions");
}

/// POSTs `body` labelled `text/plain`; (status, reply).
async fn as_text(h: &HttpHarness, auth: &str, url: &str, body: &str) -> (u16, String) {
    h.curl(&[
        "-H",
        auth,
        "-H",
        "Content-Type: text/plain",
        "--data-binary",
        body,
        url,
    ])
    .await
}

/// `data` gzip-compressed by the system's `gzip`.
fn gzip(data: &[u8]) -> Vec<u8> {
    let mut child = std::process::Command::new("gzip")
        .arg("-c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(data).unwrap();
    child.wait_with_output().unwrap().stdout
}
