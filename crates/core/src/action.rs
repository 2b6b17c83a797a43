//! What a request does, normalised per protocol (`sql:read`, `ssh:exec`, `autogen:prompt`).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A classified request: its action name plus the objects it touches.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Action {
    /// Colon-separated action name, for example `sql:write` or `http:POST /v1/files`.
    pub name: String,
    /// Tables the request touches (SQL), schema-qualified where known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<String>,
    /// Functions the request calls (SQL).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub functions: Vec<String>,
    /// Column names the request references (SQL), for masking values derived from them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    /// The classifier is sure the request changes nothing (`sql:read`); its allowed decisions
    /// may be audited in groups instead of one durable write each.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
    /// The LLM model the request asks for (HTTP connections with an LLM API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

impl Action {
    /// An action with a name and nothing else.
    pub fn named(name: impl Into<String>) -> Self {
        Action {
            name: name.into(),
            ..Action::default()
        }
    }

    /// The same action with the tables it touches.
    pub fn with_tables(mut self, tables: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.tables = tables.into_iter().map(Into::into).collect();
        self
    }

    /// The protocol prefix before the first colon (`sql` for `sql:read`).
    pub fn protocol(&self) -> &str {
        self.name.split(':').next().unwrap_or_default()
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}
