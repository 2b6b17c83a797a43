//! `warden replay` for HTTP sessions: every exchange as a readable timeline entry.

use tokio::io::{AsyncBufReadExt, BufReader};
use warden_record::{HttpHeader, RecordedExchange, RecordingReader};

/// Bodies longer than this are shown cut, with their recorded size.
const SHOWN_BODY: usize = 2000;

/// Prints an HTTP recording exchange by exchange (a followed one as exchanges arrive).
pub async fn print_exchanges(reader: RecordingReader) -> anyhow::Result<()> {
    let mut lines = BufReader::new(reader).lines();
    while let Some(line) = lines.next_line().await? {
        if line.trim().is_empty() {
            continue;
        }
        // Read for its type first; each line is then read again as what it is, so a body held
        // as JSON comes back byte for byte.
        let kind: LineType = serde_json::from_str(&line)?;
        match kind.kind.as_deref() {
            Some("header") => {
                let header: HttpHeader = serde_json::from_str(&line)?;
                println!(
                    "session {} by {} on {}, started {}",
                    header.session, header.identity, header.connection, header.started
                );
            }
            Some("exchange") => print_exchange(&serde_json::from_str(&line)?),
            Some("truncated") => println!("\n-- recording truncated: later exchanges dropped"),
            _ => {}
        }
    }
    Ok(())
}

/// The `type` of a recording line.
#[derive(serde::Deserialize)]
struct LineType {
    #[serde(rename = "type")]
    kind: Option<String>,
}

fn print_exchange(recorded: &RecordedExchange) {
    let e = &recorded.exchange;
    println!(
        "\n[{:>9.3}s] {} {} -> {} ({}; {:.1} ms)",
        recorded.t, e.method, e.path, e.status, e.action, e.duration_ms
    );
    if let Some(model) = &e.model {
        let usage = e
            .usage
            .as_ref()
            .map(|u| format!(", usage {u}"))
            .unwrap_or_default();
        println!("  model {model}{usage}");
    }
    if let Some(error) = &e.error {
        println!("  error: {error}");
    }
    show_body(">", &e.request_body, e.request_bytes);
    show_body("<", &e.response_body, e.response_bytes);
}

fn show_body(arrow: &str, body: &str, total: u64) {
    if body.is_empty() {
        return;
    }
    let mut end = body.len().min(SHOWN_BODY);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    let more = if (end as u64) < total {
        format!(" … ({total} bytes)")
    } else {
        String::new()
    };
    println!("  {arrow} {}{more}", body[..end].trim_end());
}
