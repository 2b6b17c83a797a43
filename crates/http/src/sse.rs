//! Server-sent event streams masked event by event: bytes come in chunks split anywhere (inside
//! a line, inside a UTF-8 character); each complete event is masked (its `data` as JSON when it
//! parses, as text otherwise) and sent on whole, so the client still sees a valid stream.

use crate::HttpError;
use crate::deltas::DeltaStreams;
use crate::llm::StreamUsage;
use serde_json::Value;
use std::sync::Arc;
use warden_core::mask::ValueMasker;

/// Masks one event stream.
pub struct SseMasker {
    masker: Option<Arc<dyn ValueMasker>>,
    deltas: Option<DeltaStreams>,
    usage: Option<StreamUsage>,
    buf: Vec<u8>,
    /// Lines of the event being read (without their line ends).
    lines: Vec<Vec<u8>>,
    event_bytes: usize,
    max_event: usize,
}

impl SseMasker {
    /// A stream masked with `masker` (if any), watching for LLM token usage (if `usage`), with
    /// events bounded to `max_event` bytes.
    pub fn new(
        masker: Option<Arc<dyn ValueMasker>>,
        usage: Option<StreamUsage>,
        max_event: usize,
    ) -> Self {
        SseMasker {
            masker,
            deltas: None,
            usage,
            buf: Vec::new(),
            lines: Vec::new(),
            event_bytes: 0,
            max_event,
        }
    }

    /// Masks chat completion deltas across events (an LLM stream), not each event alone.
    pub fn with_deltas(mut self) -> Self {
        self.deltas = self.masker.clone().map(DeltaStreams::new);
        self
    }

    /// Takes the next chunk, appending every event it completes to `out`.
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), HttpError> {
        self.buf.extend_from_slice(input);
        self.drain(false, out)
    }

    /// Ends the stream: an event left without its blank line is sent as it is, masked.
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), HttpError> {
        self.drain(true, out)?;
        if !self.lines.is_empty() {
            self.dispatch(out);
        }
        self.release_held(out);
        Ok(())
    }

    /// Token usage and model seen in the stream, for the audit event.
    pub fn usage(&self) -> Option<&StreamUsage> {
        self.usage.as_ref()
    }

    fn drain(&mut self, last: bool, out: &mut Vec<u8>) -> Result<(), HttpError> {
        let mut start = 0;
        loop {
            let rest = &self.buf[start..];
            let Some(end) = rest.iter().position(|&b| b == b'\n' || b == b'\r') else {
                break;
            };
            // A CR at the very end may be the first half of CRLF: wait for the next byte.
            let crlf = rest[end] == b'\r' && rest.get(end + 1) == Some(&b'\n');
            if rest[end] == b'\r' && end + 1 == rest.len() && !last {
                break;
            }
            let line = rest[..end].to_vec();
            start += end + if crlf { 2 } else { 1 };
            if line.is_empty() {
                self.dispatch(out);
            } else {
                self.event_bytes += line.len();
                if self.event_bytes > self.max_event {
                    return Err(HttpError::EventTooLarge {
                        limit: self.max_event,
                    });
                }
                self.lines.push(line);
            }
        }
        self.buf.drain(..start);
        if self.buf.len() + self.event_bytes > self.max_event {
            return Err(HttpError::EventTooLarge {
                limit: self.max_event,
            });
        }
        Ok(())
    }

    /// Masks the event read so far and appends it, with its blank line, to `out`.
    fn dispatch(&mut self, out: &mut Vec<u8>) {
        let lines = std::mem::take(&mut self.lines);
        self.event_bytes = 0;
        let mut data: Vec<u8> = Vec::new();
        let mut has_data = false;
        let mut others: Vec<Vec<u8>> = Vec::new();
        for line in lines {
            if let Some(value) = field(&line, b"data") {
                if has_data {
                    data.push(b'\n');
                }
                data.extend_from_slice(value);
                has_data = true;
            } else {
                others.push(line);
            }
        }
        let mut keep = true;
        let mut data_out = data.clone();
        if has_data {
            match serde_json::from_slice::<Value>(&data) {
                Ok(mut json) if json.is_object() || json.is_array() => {
                    if let Some(usage) = &mut self.usage {
                        keep = usage.observe(&json);
                    }
                    let mut changed = false;
                    if let Some(deltas) = &mut self.deltas {
                        deltas.mask_chunk(&mut json);
                        changed = true;
                    }
                    if let Some(masker) = &self.masker {
                        changed |= crate::mask_json(&mut json, masker.as_ref());
                    }
                    if changed && let Ok(bytes) = serde_json::to_vec(&json) {
                        data_out = bytes;
                    }
                }
                _ => {
                    // `[DONE]` ends the stream: whatever deltas still hold goes out first.
                    self.release_held(out);
                    if let Some(masker) = &self.masker {
                        let text = String::from_utf8_lossy(&data);
                        data_out = masker.mask_text(&text).into_owned().into_bytes();
                    }
                }
            }
        }
        if !keep {
            return;
        }
        for line in others {
            match &self.masker {
                Some(masker) if !line.starts_with(b"id:") && !line.starts_with(b"retry:") => {
                    let text = String::from_utf8_lossy(&line);
                    out.extend_from_slice(masker.mask_text(&text).as_bytes());
                }
                _ => out.extend_from_slice(&line),
            }
            out.push(b'\n');
        }
        if has_data {
            for line in data_out.split(|&b| b == b'\n') {
                out.extend_from_slice(b"data: ");
                out.extend_from_slice(line);
                out.push(b'\n');
            }
        }
        out.push(b'\n');
    }
}

impl SseMasker {
    /// Sends what the delta streams still hold as one last chunk event.
    fn release_held(&mut self, out: &mut Vec<u8>) {
        let Some(chunk) = self.deltas.as_mut().and_then(DeltaStreams::drain) else {
            return;
        };
        if let Ok(bytes) = serde_json::to_vec(&chunk) {
            out.extend_from_slice(b"data: ");
            out.extend_from_slice(&bytes);
            out.extend_from_slice(b"\n\n");
        }
    }
}

/// The value of `line` if it is field `name` (`name:value`, one leading space dropped).
fn field<'l>(line: &'l [u8], name: &[u8]) -> Option<&'l [u8]> {
    let rest = line.strip_prefix(name)?;
    if rest.is_empty() {
        return Some(rest);
    }
    let value = rest.strip_prefix(b":")?;
    Some(value.strip_prefix(b" ").unwrap_or(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_masker::Emails;
    use proptest::prelude::*;

    fn stream() -> Vec<u8> {
        let mut s = Vec::new();
        s.extend_from_slice(b": keep-alive comment\n\n");
        s.extend_from_slice(
            "data: {\"choices\":[{\"delta\":{\"content\":\"mail jane@example.com · ok\"}}]}\r\n\r\n"
                .as_bytes(),
        );
        s.extend_from_slice(b"event: note\ndata: plain jane@example.com\ndata: second line\n\n");
        s.extend_from_slice(b"data: [DONE]\n\n");
        s
    }

    fn run(chunks: &[&[u8]]) -> Vec<u8> {
        let mut masker = SseMasker::new(Some(Arc::new(Emails)), None, 1 << 16);
        let mut out = Vec::new();
        for chunk in chunks {
            masker.push(chunk, &mut out).unwrap();
        }
        masker.finish(&mut out).unwrap();
        out
    }

    #[test]
    fn events_are_masked_and_stay_valid() {
        let input = stream();
        let out = String::from_utf8(run(&[&input])).unwrap();
        assert!(!out.contains("jane@example.com"), "{out}");
        assert!(out.contains("\"content\":\"mail [email] · ok\""), "{out}");
        assert!(
            out.contains("event: note\ndata: plain [email]\ndata: second line\n\n"),
            "{out}"
        );
        assert!(out.ends_with("data: [DONE]\n\n"), "{out}");
    }

    #[test]
    fn an_event_over_the_bound_is_an_error() {
        let mut masker = SseMasker::new(None, None, 64);
        let mut out = Vec::new();
        let big = vec![b'x'; 100];
        assert!(masker.push(b"data: ", &mut out).is_ok());
        assert!(matches!(
            masker.push(&big, &mut out),
            Err(HttpError::EventTooLarge { limit: 64 })
        ));
    }

    fn chunk(content: &str, finish: Option<&str>) -> String {
        let event = serde_json::json!({
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}],
        });
        format!("data: {event}\n\n")
    }

    #[test]
    fn llm_deltas_are_masked_across_events() {
        let mut input = String::new();
        for piece in ["mail ", "jane@exa", "mple.com", " ok"] {
            input.push_str(&chunk(piece, None));
        }
        input.push_str(&chunk("", Some("stop")));
        input.push_str("data: [DONE]\n\n");
        let mut masker = SseMasker::new(Some(Arc::new(Emails)), None, 1 << 16).with_deltas();
        let mut out = Vec::new();
        masker.push(input.as_bytes(), &mut out).unwrap();
        masker.finish(&mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        let mut text = String::new();
        let mut events = 0;
        for line in out.lines() {
            let Some(data) = line.strip_prefix("data: ") else {
                continue;
            };
            if data == "[DONE]" {
                continue;
            }
            events += 1;
            let json: Value = serde_json::from_str(data).unwrap();
            text.push_str(
                json["choices"][0]["delta"]["content"]
                    .as_str()
                    .unwrap_or(""),
            );
        }
        assert_eq!(events, 5, "{out}");
        assert_eq!(text, "mail [email] ok");
        assert!(!out.contains("jane@exa"), "{out}");
    }

    proptest! {
        #[test]
        fn any_chunking_gives_the_same_output(cuts in proptest::collection::vec(0usize..400, 0..12)) {
            let input = stream();
            let whole = run(&[&input]);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (input.len() + 1)).collect();
            cuts.sort_unstable();
            let mut chunks: Vec<&[u8]> = Vec::new();
            let mut at = 0;
            for cut in cuts {
                chunks.push(&input[at..cut]);
                at = cut;
            }
            chunks.push(&input[at..]);
            prop_assert_eq!(run(&chunks), whole);
        }
    }
}
