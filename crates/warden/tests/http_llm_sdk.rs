//! The OpenAI Python SDK through Warden's LLM route: a streamed chat completion whose SSE bytes
//! the upstream splits into 3-byte pieces (inside `data:` lines and UTF-8 characters) arrives
//! masked across deltas and still parses; usage the client did not ask for is audited but kept
//! from it; embeddings work; the SDK never holds the provider key.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod http_common;

use http_common::{HttpHarness, venv_python};
use serde_json::Value;

const SDK_SCRIPT: &str = r#"
import json, sys
from openai import OpenAI
client = OpenAI(base_url=sys.argv[1], api_key=sys.argv[2], max_retries=0)
stream = client.chat.completions.create(
    model="scripted-model",
    messages=[{"role": "user", "content": "reach me at zed@corp.example"}],
    stream=True,
)
text, chunks, usage_seen = "", 0, False
for chunk in stream:
    chunks += 1
    if chunk.usage is not None:
        usage_seen = True
    for choice in chunk.choices:
        text += choice.delta.content or ""
plain = client.chat.completions.create(
    model="scripted-mini", messages=[{"role": "user", "content": "hello"}]
)
emb = client.embeddings.create(model="scripted-model", input="hello")
print(json.dumps({
    "text": text, "chunks": chunks, "usage_seen": usage_seen,
    "plain": plain.choices[0].message.content, "plain_usage": plain.usage.total_tokens,
    "dims": len(emb.data[0].embedding),
}))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openai_sdk_streams_masked_text_through_warden() {
    let h = HttpHarness::start(&["--sse-chunk-bytes", "3"], "").await;
    let agent = h.key("sdk-agent", &["agents"]).await;
    let script = h.dir.path().join("sdk.py");
    std::fs::write(&script, SDK_SCRIPT).unwrap();
    let out = tokio::process::Command::new(venv_python())
        .arg(&script)
        .arg(format!("{}/v1", h.base("llm")))
        .arg(&agent)
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "sdk failed: {stderr}");
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = result["text"].as_str().unwrap();
    assert!(text.starts_with("Contact "), "{text}");
    assert!(
        text.contains("Zoë’s account"),
        "characters split across pieces were damaged: {text}"
    );
    for clear in [
        "jane.doe@example.com",
        "4111 1111 1111 1111",
        "zed@corp.example",
    ] {
        assert!(
            !text.contains(clear),
            "{clear} reached the masked caller: {text}"
        );
    }
    // The card number comes one word per delta; masked across deltas it is gone whole.
    assert!(!text.contains("4111"), "{text}");
    assert!(result["chunks"].as_u64().unwrap() > 10, "{result}");
    assert_eq!(
        result["usage_seen"], false,
        "usage Warden asked for leaked to the client"
    );
    assert_eq!(result["dims"], 8);
    assert!(
        !result["plain"]
            .as_str()
            .unwrap()
            .contains("jane.doe@example.com")
    );

    // What the upstream got: streamed request with usage asked for, the prompt masked.
    let sent = h.upstream_requests();
    let streamed: Value = serde_json::from_str(sent[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(streamed["stream_options"]["include_usage"], true);
    assert!(
        !sent[0]["body"]
            .as_str()
            .unwrap()
            .contains("zed@corp.example")
    );

    // Usage of the stream is in the audit log.
    let events = h.requests("autogen:prompt").await;
    assert_eq!(events.len(), 2, "{events:#?}");
    let streamed_event = events
        .iter()
        .find(|e| e["detail"]["model"] == "scripted-model")
        .unwrap();
    assert!(
        streamed_event["detail"]["usage"]["completion_tokens"]
            .as_u64()
            .unwrap()
            > 5
    );
    let plain_event = events
        .iter()
        .find(|e| e["detail"]["model"] == "scripted-mini")
        .unwrap();
    assert_eq!(
        plain_event["detail"]["usage"]["total_tokens"],
        result["plain_usage"]
    );
    let embed = h.requests("autogen:embed").await;
    assert_eq!(embed.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_raw_event_stream_stays_valid_for_curl() {
    let h = HttpHarness::start(&["--sse-chunk-bytes", "1"], "").await;
    let agent = h.key("curl-agent", &["agents"]).await;
    let body = serde_json::json!({
        "model": "scripted-model", "stream": true,
        "stream_options": {"include_usage": true},
        "messages": [{"role": "user", "content": "hi"}],
    })
    .to_string();
    let (status, out) = h
        .curl(&[
            "-N",
            "-H",
            &format!("Authorization: Bearer {agent}"),
            "-H",
            "Content-Type: application/json",
            "-d",
            &body,
            &format!("{}/v1/chat/completions", h.base("llm")),
        ])
        .await;
    assert_eq!(status, 200, "{out}");
    let mut events = 0;
    let mut usage = false;
    for block in out.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let data = block
            .strip_prefix("data: ")
            .unwrap_or_else(|| panic!("bad event {block:?}"));
        if data == "[DONE]" {
            continue;
        }
        let json: Value = serde_json::from_str(data).unwrap_or_else(|e| panic!("{e}: {data:?}"));
        usage |= json["usage"].is_object();
        events += 1;
    }
    assert!(events > 10, "{out}");
    assert!(usage, "the client asked for usage and must get it");
    assert!(out.ends_with("data: [DONE]\n\n"), "{out}");
    assert!(!out.contains("jane.doe@example.com"));
}
