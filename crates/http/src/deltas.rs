//! Streamed LLM output is masked across events: a model sends a card number or an email over
//! several deltas, so each choice's `delta.content` (and each tool call's streamed
//! `function.arguments`) goes through one text stream masker, and every event carries what the
//! masker has released so far. The text the client assembles is the masked whole text; what is
//! held back (at most a few hundred bytes) is released when the choice finishes.

use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use warden_core::mask::{TextStream, ValueMasker};

/// Which streamed text: a choice's content, or one of its tool calls' arguments.
type Key = (u64, Option<u64>);

/// Per-choice text streams of one event stream.
pub struct DeltaStreams {
    masker: Arc<dyn ValueMasker>,
    streams: BTreeMap<Key, Utf8Stream>,
}

impl DeltaStreams {
    /// Streams masked with `masker`.
    pub fn new(masker: Arc<dyn ValueMasker>) -> Self {
        DeltaStreams {
            masker,
            streams: BTreeMap::new(),
        }
    }

    /// Rewrites the deltas of one chat completion chunk in place.
    pub fn mask_chunk(&mut self, chunk: &mut Value) {
        let Some(choices) = chunk.get_mut("choices").and_then(Value::as_array_mut) else {
            return;
        };
        for choice in choices {
            let index = choice.get("index").and_then(Value::as_u64).unwrap_or(0);
            let finished = choice
                .get("finish_reason")
                .is_some_and(|reason| !reason.is_null());
            let Some(delta) = choice.get_mut("delta") else {
                continue;
            };
            if let Some(content) = delta.get_mut("content") {
                self.pass(content, (index, None), finished);
            } else if finished {
                let mut released = Value::String(String::new());
                self.pass(&mut released, (index, None), true);
                if released.as_str().is_some_and(|s| !s.is_empty())
                    && let Some(object) = delta.as_object_mut()
                {
                    object.insert("content".into(), released);
                }
            }
            if let Some(calls) = delta.get_mut("tool_calls").and_then(Value::as_array_mut) {
                for call in calls {
                    let tool = call.get("index").and_then(Value::as_u64).unwrap_or(0);
                    if let Some(arguments) = call
                        .get_mut("function")
                        .and_then(|f| f.get_mut("arguments"))
                    {
                        self.pass(arguments, (index, Some(tool)), finished);
                    }
                }
            }
            if finished {
                // Tool calls of this choice still holding text release it in this event.
                let pending: Vec<Key> = self
                    .streams
                    .keys()
                    .filter(|(choice, tool)| *choice == index && tool.is_some())
                    .copied()
                    .collect();
                for key in pending {
                    let Some(mut stream) = self.streams.remove(&key) else {
                        continue;
                    };
                    let text = stream.finish();
                    if text.is_empty() {
                        continue;
                    }
                    let entry = serde_json::json!({
                        "index": key.1.unwrap_or(0),
                        "function": { "arguments": text },
                    });
                    if let Some(object) = delta.as_object_mut() {
                        match object
                            .entry("tool_calls")
                            .or_insert_with(|| Value::Array(Vec::new()))
                            .as_array_mut()
                        {
                            Some(calls) => calls.push(entry),
                            None => {
                                object.insert("tool_calls".into(), Value::Array(vec![entry]));
                            }
                        }
                    }
                }
            }
        }
    }

    /// What is still held when the stream ends without finish reasons, as one last chunk.
    pub fn drain(&mut self) -> Option<Value> {
        let mut choices = Vec::new();
        for ((index, tool), mut stream) in std::mem::take(&mut self.streams) {
            let text = stream.finish();
            if text.is_empty() {
                continue;
            }
            let delta = match tool {
                None => serde_json::json!({ "content": text }),
                Some(tool) => serde_json::json!({
                    "tool_calls": [{ "index": tool, "function": { "arguments": text } }]
                }),
            };
            choices
                .push(serde_json::json!({ "index": index, "delta": delta, "finish_reason": null }));
        }
        (!choices.is_empty())
            .then(|| serde_json::json!({ "object": "chat.completion.chunk", "choices": choices }))
    }

    fn pass(&mut self, text: &mut Value, key: Key, finished: bool) {
        let Some(input) = text.as_str() else {
            return;
        };
        let masker = &self.masker;
        let stream = self.streams.entry(key).or_insert_with(|| Utf8Stream {
            stream: masker.clone().text_stream(),
            carry: Vec::new(),
        });
        let mut released = stream.push(input.as_bytes());
        if finished {
            released.push_str(&stream.finish());
            self.streams.remove(&key);
        }
        *text = Value::String(released);
    }
}

/// A text stream whose releases always end on a character boundary (JSON strings must be
/// whole characters; the byte-level masker may stop inside one).
struct Utf8Stream {
    stream: Box<dyn TextStream>,
    carry: Vec<u8>,
}

impl Utf8Stream {
    fn push(&mut self, input: &[u8]) -> String {
        self.stream.push_into(input, &mut self.carry);
        let valid = match std::str::from_utf8(&self.carry) {
            Ok(_) => self.carry.len(),
            Err(error) if error.error_len().is_none() => error.valid_up_to(),
            Err(_) => self.carry.len(),
        };
        let rest = self.carry.split_off(valid);
        let text = String::from_utf8_lossy(&self.carry).into_owned();
        self.carry = rest;
        text
    }

    fn finish(&mut self) -> String {
        self.stream.finish_into(&mut self.carry);
        let text = String::from_utf8_lossy(&self.carry).into_owned();
        self.carry.clear();
        text
    }
}
