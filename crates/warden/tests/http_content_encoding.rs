//! An upstream that compresses its response although Warden asked for identity encoding: for a
//! role whose answers are masked the body cannot be read, so it is refused (502, audited)
//! instead of reaching the client with its personal data inside; a role without masking gets
//! it as sent. Driven with curl against the real test server's `/gzip/` route.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod http_common;

use http_common::HttpHarness;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compressed_body_that_must_be_masked_is_refused() {
    let h = HttpHarness::start(&[], "").await;
    let masked = h.key("masked-1", &["masked-readers"]).await;
    let plain = h.key("res-1", &["researchers"]).await;
    let url = format!("{}/gzip/note", h.base("llm"));

    let (status, body) = h
        .curl(&[
            "--compressed",
            "-H",
            &format!("Authorization: Bearer {masked}"),
            &url,
        ])
        .await;
    assert_eq!(status, 502, "{body}");
    assert!(body.contains("gzip-encoded body"), "{body}");
    assert!(!body.contains("ada@example.com"), "{body}");
    // The upstream did answer: the refusal is Warden's.
    assert_eq!(h.upstream_request(1).await["path"], "/gzip/note");
    let events = h.requests("http:GET").await;
    assert!(
        events
            .iter()
            .any(|e| e["detail"]["status"] == 502 && e["identity"] == "masked-1"),
        "{events:#?}"
    );

    // Without masking the body is passed on as the upstream sent it (curl decompresses it).
    let (status, body) = h
        .curl(&[
            "--compressed",
            "-H",
            &format!("Authorization: Bearer {plain}"),
            &url,
        ])
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("ada@example.com"), "{body}");
}
