//! Route rules classify the path the client sent; an upstream that resolves dot segments,
//! merges slashes or decodes `%2F` or `%63` would serve another one. Such paths are refused
//! with 400 before any rule sees them, audited, and never reach the upstream; a trailing slash
//! does not sidestep a rule; driven with curl
//! (`--path-as-is`, so curl sends the dot segments as written) against the real test server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod http_common;

use http_common::{HttpHarness, error_message};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_an_upstream_could_read_otherwise_are_refused() {
    let h = HttpHarness::start(&[], "").await;
    // Allowed only `autogen:model:read` (GET /v1/models/**).
    let cleaner = h.key("cleaner-1", &["cleaners"]).await;
    // Allowed every unmatched route, denied `autogen:artifact:delete` (DELETE /v1/files/*).
    let wide = h.key("wide-1", &["wide"]).await;
    let base = h.base("llm");

    let attempts: [(&str, &str, &str, &str); 8] = [
        // A model read that a resolving server would turn into a file read.
        (
            &cleaner,
            "GET",
            "/v1/models/../files/file-1/content",
            "dot segment",
        ),
        (
            &cleaner,
            "GET",
            "/v1/models/%2e%2e/files/file-1",
            "percent-encoded",
        ),
        (&cleaner, "GET", "/v1/models/./x", "dot segment"),
        // A denied delete, disguised as an unmatched route a merging or decoding server reads back.
        (&wide, "DELETE", "/v1//files/file-1", "empty segment"),
        (&wide, "DELETE", "/v1/files%2Ffile-1", "encoded slash"),
        (&wide, "DELETE", "/v1/files%5cfile-1", "encoded slash"),
        // A prompt that would leave unmasked as an unmatched route a decoding server reads back.
        (&wide, "POST", "/v1/chat/%63ompletions", "percent-encoded"),
        // Out of the connection's base path.
        (&wide, "GET", "/../../etc/passwd", "dot segment"),
    ];
    for (key, method, path, why) in attempts {
        let (status, body) = h
            .curl(&[
                "--path-as-is",
                "-X",
                method,
                "-H",
                &format!("Authorization: Bearer {key}"),
                &format!("{base}{path}"),
            ])
            .await;
        assert_eq!(status, 400, "{method} {path}: {body}");
        let error: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(error["error"]["type"], "warden_bad_request", "{body}");
        let message = error_message(&body);
        assert!(message.contains(why), "{method} {path}: {message}");
    }
    h.assert_nothing_forwarded();

    // Each refusal is audited with who sent it and the path as sent.
    let errors = h.protocol_errors().await;
    assert_eq!(errors.len(), attempts.len(), "{errors:#?}");
    assert!(
        errors.iter().any(|e| e["identity"] == "cleaner-1"
            && e["detail"]["path"] == "/v1/models/../files/file-1/content"),
        "{errors:#?}"
    );

    // A header some servers obey over the method or path is refused too.
    for header in [
        "X-HTTP-Method-Override: DELETE",
        "X-Method-Override: DELETE",
        "X-Original-URL: /v1/files/file-1",
    ] {
        let (status, body) = h
            .curl(&[
                "-X",
                "POST",
                "-H",
                header,
                "-H",
                &format!("Authorization: Bearer {wide}"),
                &format!("{base}/v1/anything"),
            ])
            .await;
        assert_eq!(status, 400, "{header}: {body}");
        let name = header.split(':').next().unwrap().to_ascii_lowercase();
        assert!(body.contains(&name), "{header}: {body}");
    }

    // A trailing slash does not sidestep the deny rule for DELETE /v1/files/*.
    let (status, body) = h
        .curl(&[
            "-X",
            "DELETE",
            "-H",
            &format!("Authorization: Bearer {wide}"),
            &format!("{base}/v1/files/file-1/"),
        ])
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("role:wide/deny[0]"), "{body}");
    h.assert_nothing_forwarded();

    // Ordinary paths, dots inside names and a trailing slash included, still go through.
    let (status, body) = h
        .curl(&[
            "-H",
            &format!("Authorization: Bearer {cleaner}"),
            &format!("{base}/v1/models/scripted-model.v2"),
        ])
        .await;
    assert_ne!(status, 400, "{body}");
    let (status, body) = h
        .curl(&[
            "-H",
            &format!("Authorization: Bearer {wide}"),
            &format!("{base}/echo/a..b/"),
        ])
        .await;
    assert_eq!(status, 200, "{body}");
    let echo: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(echo["path"], "/echo/a..b/");
}
