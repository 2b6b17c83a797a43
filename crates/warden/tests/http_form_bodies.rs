//! Form bodies, sent by curl (`-d` urlencoded, `-F` multipart) to the real test server:
//! a prompt sent as form fields is masked field by field after decoding, the multipart form
//! around it left intact; a file that cannot be masked is refused, not sent; an OpenAI form
//! (an audio transcription) meets the model allow-list through its `model` field; and a
//! `_method` query parameter or form field, which frameworks obey over the method, is refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod http_common;

use http_common::{HttpHarness, error_message};

const CLEAR: [&str; 4] = [
    "bob@corp.example",
    "bob%40corp.example",
    "5500 0000 0000 0004",
    "hunter2",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompts_sent_as_forms_are_masked_and_files_refused() {
    let h = HttpHarness::start(&[], "").await;
    // Masked by the `pii` profile: emails, cards, `*.password`.
    let agent = h.key("agent-forms", &["agents"]).await;
    let auth = format!("Authorization: Bearer {agent}");
    // `POST /echo/upload/**` is an outbound route, like a prompt.
    let url = format!("{}/echo/upload/form", h.base("llm"));

    // A urlencoded prompt: the address is percent-encoded, and still found.
    let form = "prompt=mail+bob%40corp.example+now&password=hunter2&note=%7Ekept+as+sent";
    let (status, body) = h.curl(&["-H", &auth, "-d", form, &url]).await;
    assert_eq!(status, 200, "{body}");
    let sent = h.upstream_request(1).await;
    let sent = sent["body"].as_str().unwrap();
    for clear in CLEAR {
        assert!(!sent.contains(clear), "{clear} left in {sent}");
    }
    assert!(sent.starts_with("prompt=mail+"), "{sent}");
    assert!(sent.ends_with("&note=%7Ekept+as+sent"), "{sent}");

    // A multipart form: a text part and a JSON part masked in place, the form still whole.
    let (status, body) = h
        .curl(&[
            "-H",
            &auth,
            "-F",
            "prompt=write to bob@corp.example",
            "-F",
            r#"meta={"card": "5500 0000 0000 0004", "keep": "yes"};type=application/json"#,
            &url,
        ])
        .await;
    assert_eq!(status, 200, "{body}");
    let sent = h.upstream_request(2).await;
    let content_type = sent["headers"]["content-type"].as_str().unwrap().to_owned();
    let boundary = content_type.split("boundary=").nth(1).unwrap();
    let sent = sent["body"].as_str().unwrap();
    for clear in CLEAR {
        assert!(!sent.contains(clear), "{clear} left in {sent}");
    }
    assert!(sent.contains("write to "), "{sent}");
    assert!(sent.contains(r#""keep": "yes""#), "{sent}");
    assert!(
        sent.contains("Content-Type: application/json"),
        "the part's headers were lost: {sent}"
    );
    assert!(sent.ends_with(&format!("--{boundary}--\r\n")), "{sent}");

    // A file that cannot be masked is refused, and audited as the refused request it was.
    let picture = h.dir.path().join("picture.png");
    std::fs::write(&picture, b"\x89PNG\r\n\x1a\n\x00\x01bob@corp.example").unwrap();
    let (status, body) = h
        .curl(&[
            "-H",
            &auth,
            "-F",
            "prompt=describe this",
            "-F",
            &format!("file=@{};type=image/png", picture.display()),
            &url,
        ])
        .await;
    assert_eq!(status, 415, "{body}");
    let message = error_message(&body);
    assert!(message.contains("\"file\" of type image/png"), "{message}");
    assert_eq!(h.upstream_requests().len(), 2, "the picture was forwarded");
    let events = h.requests("autogen:upload").await;
    assert!(
        events.iter().any(|e| e["detail"]["status"] == 415),
        "{events:#?}"
    );

    // A role without a masking profile sends the same file as it is.
    let researcher = h.key("res-forms", &["researchers"]).await;
    let (status, body) = h
        .curl(&[
            "-H",
            &format!("Authorization: Bearer {researcher}"),
            "-F",
            &format!("file=@{};type=image/png", picture.display()),
            &url,
        ])
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_names_its_model_to_the_allow_list() {
    let h = HttpHarness::start(&[], "").await;
    // Allowed models `scripted-*` only.
    let agent = h.key("agent-audio", &["agents"]).await;
    let auth = format!("Authorization: Bearer {agent}");
    let url = format!("{}/echo/upload/audio/transcriptions", h.base("llm"));

    let refused: [(&[&str], u16, &str); 3] = [
        (
            &["-F", "model=whisper-1", "-F", "language=en"],
            403,
            "whisper-1",
        ),
        (&["-d", "model=whisper-1"], 403, "whisper-1"),
        (
            &["-F", "model=scripted-a", "-F", "model=whisper-1"],
            400,
            "more than once",
        ),
    ];
    for (form, expected, why) in refused {
        let mut args = vec!["-H", &auth];
        args.extend_from_slice(form);
        args.push(&url);
        let (status, body) = h.curl(&args).await;
        assert_eq!(status, expected, "{form:?}: {body}");
        assert!(error_message(&body).contains(why), "{form:?}: {body}");
    }
    h.assert_nothing_forwarded();

    let (status, body) = h
        .curl(&["-H", &auth, "-F", "model=scripted-whisper", &url])
        .await;
    assert_eq!(status, 200, "{body}");
    let events = h.requests("autogen:upload").await;
    assert!(
        events
            .iter()
            .any(|e| e["detail"]["model"] == "scripted-whisper"),
        "{events:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_method_field_is_refused() {
    let h = HttpHarness::start(&[], "").await;
    // Denied `DELETE /v1/files/*`; a framework behind the upstream would read each of these
    // POSTs as that DELETE.
    let wide = h.key("wide-method", &["wide"]).await;
    let auth = format!("Authorization: Bearer {wide}");
    let url = format!("{}/v1/files/file-1", h.base("llm"));
    let query = format!("{url}?_method=DELETE");
    let attempts: [&[&str]; 4] = [
        &["-X", "POST", &query],
        &["-d", "_method=DELETE", &url],
        &["-d", "x=1&_Method=delete", &url],
        &["-F", "_method=DELETE", &url],
    ];
    for attempt in attempts {
        let mut args = vec!["-H", &auth];
        args.extend_from_slice(attempt);
        let (status, body) = h.curl(&args).await;
        assert_eq!(status, 400, "{attempt:?}: {body}");
        assert!(error_message(&body).contains("_method"), "{body}");
    }
    h.assert_nothing_forwarded();
    assert_eq!(h.protocol_errors().await.len(), attempts.len());

    // A value that merely says `_method` is no override.
    let (status, body) = h.curl(&["-H", &auth, "-d", "note=_method", &url]).await;
    assert_ne!(status, 400, "{body}");
}
