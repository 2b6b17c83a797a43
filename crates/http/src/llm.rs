//! OpenAI-compatible API awareness: the model a request asks for, and the token usage its
//! response reports (in the body, or in the last event of a stream, which Warden asks for when
//! the client did not and then keeps from the client).

use serde::Serialize;
use serde_json::Value;

/// Token usage of one LLM call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Tokens in the prompt.
    pub prompt_tokens: u64,
    /// Tokens generated.
    pub completion_tokens: u64,
    /// Both.
    pub total_tokens: u64,
}

impl Usage {
    /// The `usage` object of a response or stream chunk, if it has one.
    pub fn from_json(value: &Value) -> Option<Usage> {
        Usage::from_object(value.get("usage")?)
    }

    /// A `usage` object itself.
    pub fn from_object(usage: &Value) -> Option<Usage> {
        let usage = usage.as_object()?;
        let field = |name: &str| usage.get(name).and_then(Value::as_u64).unwrap_or(0);
        let (prompt, completion) = (field("prompt_tokens"), field("completion_tokens"));
        let total = usage
            .get("total_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(prompt + completion);
        Some(Usage {
            prompt_tokens: prompt,
            completion_tokens: completion,
            total_tokens: total,
        })
    }
}

/// What a request body says to an OpenAI-compatible API.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LlmRequest {
    /// The `model` field.
    pub model: Option<String>,
    /// Whether the response streams.
    pub stream: bool,
    /// Whether Warden added `stream_options.include_usage` (the client did not ask for it).
    pub added_usage: bool,
}

impl LlmRequest {
    /// Reads `body` and, for a stream whose client did not ask for usage, asks for it.
    pub fn prepare(body: &mut Value) -> LlmRequest {
        let model = body.get("model").and_then(Value::as_str).map(str::to_owned);
        let stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
        let mut added_usage = false;
        if stream && let Some(object) = body.as_object_mut() {
            let asked = object
                .get("stream_options")
                .and_then(|o| o.get("include_usage"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if !asked {
                let options = object
                    .entry("stream_options")
                    .or_insert_with(|| Value::Object(Default::default()));
                if let Some(options) = options.as_object_mut() {
                    options.insert("include_usage".into(), Value::Bool(true));
                    added_usage = true;
                }
            }
        }
        LlmRequest {
            model,
            stream,
            added_usage,
        }
    }
}

/// Usage and model gathered from a stream's events.
#[derive(Debug, Clone, Default)]
pub struct StreamUsage {
    /// Drop the usage-only event (Warden asked for it, the client did not).
    pub strip_usage_event: bool,
    /// Usage, once seen.
    pub usage: Option<Usage>,
    /// Model the API answered with.
    pub model: Option<String>,
}

impl StreamUsage {
    /// Looks at one event; `false` means the event is Warden's own and is not sent on.
    pub fn observe(&mut self, event: &Value) -> bool {
        if self.model.is_none()
            && let Some(model) = event.get("model").and_then(Value::as_str)
        {
            self.model = Some(model.to_owned());
        }
        let Some(usage) = Usage::from_json(event) else {
            return true;
        };
        self.usage = Some(usage);
        let no_choices = event
            .get("choices")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty);
        !(self.strip_usage_event && no_choices)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn streams_get_usage_asked_for_once() {
        let mut body = json!({"model": "m", "stream": true, "messages": []});
        let request = LlmRequest::prepare(&mut body);
        assert_eq!(request.model.as_deref(), Some("m"));
        assert!(request.stream && request.added_usage);
        assert_eq!(body["stream_options"]["include_usage"], json!(true));
        let mut asked =
            json!({"model": "m", "stream": true, "stream_options": {"include_usage": true}});
        assert!(!LlmRequest::prepare(&mut asked).added_usage);
        let mut plain = json!({"model": "m"});
        let request = LlmRequest::prepare(&mut plain);
        assert!(!request.stream && !request.added_usage);
        assert!(plain.get("stream_options").is_none());
    }

    #[test]
    fn the_usage_event_is_kept_from_clients_that_did_not_ask() {
        let mut seen = StreamUsage {
            strip_usage_event: true,
            ..StreamUsage::default()
        };
        assert!(seen.observe(&json!({"model": "m-1", "choices": [{"delta": {"content": "hi"}}]})));
        let last = json!({"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}});
        assert!(!seen.observe(&last));
        assert_eq!(seen.usage.map(|u| u.total_tokens), Some(7));
        assert_eq!(seen.model.as_deref(), Some("m-1"));
        let mut asked = StreamUsage::default();
        assert!(asked.observe(&last));
    }
}
