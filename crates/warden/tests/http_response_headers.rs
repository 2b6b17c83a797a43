//! Personal data in an upstream's response headers: a role whose answers are masked gets them
//! masked (structural headers such as Content-Type untouched), a role without masking gets them
//! as sent. Driven with curl against the real test server, which reflects a request header.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod http_common;

use http_common::HttpHarness;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_headers_are_masked_for_a_masked_role() {
    let h = HttpHarness::start(&[], "").await;
    let url = format!("{}/echo/me", h.base("llm"));
    let headers_of = |key: String| {
        let (h, url) = (&h, url.clone());
        async move {
            // -D - prints the response head before the body.
            let (status, out) = h
                .curl(&[
                    "-D",
                    "-",
                    "-H",
                    "X-Reflect-Header: mail ada@example.com today",
                    "-H",
                    &format!("Authorization: Bearer {key}"),
                    &url,
                ])
                .await;
            assert_eq!(status, 200, "{out}");
            out.split("\r\n\r\n").next().unwrap().to_lowercase()
        }
    };
    let masked = headers_of(h.key("masked-1", &["masked-readers"]).await).await;
    assert!(!masked.contains("ada@example.com"), "{masked}");
    assert!(masked.contains("x-reflected: mail"), "{masked}");
    assert!(
        masked.contains("content-type: application/json"),
        "{masked}"
    );
    let plain = headers_of(h.key("res-1", &["researchers"]).await).await;
    assert!(
        plain.contains("x-reflected: mail ada@example.com today"),
        "{plain}"
    );
}
