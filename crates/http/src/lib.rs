//! The HTTP gateway: a reverse proxy that turns each request into a pipeline action (from route
//! rules), injects the connection's upstream credentials, masks responses (JSON-aware, plain
//! text, and server-sent events event by event), masks prompts bound for model providers, knows
//! OpenAI-compatible APIs (model allow-lists, token usage), records every exchange and audits it.
//!
//! The crate only translates HTTP into the shared pipeline; every verdict comes from policy.

mod body;
mod chunked;
mod client;
mod completion;
mod content;
mod date;
mod deadline;
mod deltas;
mod error;
mod exchange;
mod form;
mod forward;
mod framing;
mod h1;
mod headers;
mod json_mask;
mod json_text;
mod listener;
mod llm;
mod outbound;
mod overrides;
mod path;
mod pool;
mod prefixed;
mod reply;
mod respond;
mod route;
mod server;
mod server_body;
mod session;
mod sse;
mod stream;
mod target;
#[cfg(test)]
mod test_masker;
mod upstream;

pub use error::HttpError;
pub use json_mask::mask_json;
pub use json_text::{JsonMasked, mask_json_document, mask_json_text};
pub use listener::{HttpGateway, HttpListenerConfig};
pub use llm::Usage;
pub use route::{RouteMatch, RouteTable};
pub use sse::SseMasker;
pub use target::{HttpTarget, Injected};
