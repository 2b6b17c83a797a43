//! One HTTP connection as the gateway forwards to it: the upstream base URL, the credentials
//! it injects, its API flavour and its route rules.

use crate::{HttpError, RouteTable};
use http::uri::{Authority, Scheme};
use http::{HeaderName, HeaderValue};
use warden_config::{Connection, HttpApi};

/// Credentials a connection adds to every request, values already resolved from their secrets.
#[derive(Default)]
pub struct Injected {
    /// Headers, e.g. `Authorization: Bearer sk-…`.
    pub headers: Vec<(String, String)>,
    /// Query parameters, e.g. `api_key=…`.
    pub query: Vec<(String, String)>,
}

impl std::fmt::Debug for Injected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Names only: the values are secrets.
        f.debug_struct("Injected")
            .field(
                "headers",
                &self.headers.iter().map(|h| &h.0).collect::<Vec<_>>(),
            )
            .field(
                "query",
                &self.query.iter().map(|q| &q.0).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// A compiled HTTP connection.
#[derive(Debug)]
pub struct HttpTarget {
    /// Connection name.
    pub name: String,
    /// `http` or `https`.
    pub scheme: Scheme,
    /// Upstream host and port.
    pub authority: Authority,
    /// Path prefix of the upstream base URL, without a trailing slash (may be empty).
    pub base_path: String,
    /// Headers injected (names lowercase), values marked sensitive.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Query string fragment injected (`k=v&k2=v2`, percent-encoded), possibly empty.
    pub query: String,
    /// API flavour.
    pub api: Option<HttpApi>,
    /// Route rules.
    pub routes: RouteTable,
}

impl HttpTarget {
    /// Compiles connection `name` with its resolved credentials.
    pub fn new(name: &str, connection: &Connection, injected: Injected) -> Result<Self, HttpError> {
        let bad = |message: String| HttpError::Config {
            connection: name.into(),
            message,
        };
        let uri: http::Uri = connection
            .upstream
            .parse()
            .map_err(|e| bad(format!("upstream {:?}: {e}", connection.upstream)))?;
        let scheme = uri
            .scheme()
            .cloned()
            .ok_or_else(|| bad("upstream needs http:// or https://".into()))?;
        let authority = uri
            .authority()
            .cloned()
            .ok_or_else(|| bad("upstream needs a host".into()))?;
        let base_path = uri.path().trim_end_matches('/').to_owned();
        let mut headers = Vec::with_capacity(injected.headers.len());
        for (key, value) in injected.headers {
            let header = HeaderName::from_bytes(key.as_bytes())
                .map_err(|_| bad(format!("credentials.headers: {key:?} is not a header name")))?;
            let mut value = HeaderValue::from_str(&value).map_err(|_| {
                bad(format!(
                    "credentials.headers.{key}: the secret is not a valid header value"
                ))
            })?;
            value.set_sensitive(true);
            headers.push((header, value));
        }
        let query = injected
            .query
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        Ok(HttpTarget {
            name: name.into(),
            scheme,
            authority,
            base_path,
            headers,
            query,
            api: connection.api,
            routes: RouteTable::new(name, &connection.routes)?,
        })
    }

    /// The origin-form request target (path and query, injected query credentials included)
    /// for `path` and the client's `query` below the connection.
    pub fn request_target(&self, path: &str, query: Option<&str>) -> String {
        let mut pq = String::with_capacity(self.base_path.len() + path.len() + 64);
        pq.push_str(&self.base_path);
        pq.push_str(path);
        match (query.filter(|q| !q.is_empty()), self.query.is_empty()) {
            (Some(q), true) => {
                pq.push('?');
                pq.push_str(q);
            }
            (Some(q), false) => {
                pq.push('?');
                pq.push_str(q);
                pq.push('&');
                pq.push_str(&self.query);
            }
            (None, false) => {
                pq.push('?');
                pq.push_str(&self.query);
            }
            (None, true) => {}
        }
        if !pq.starts_with('/') {
            pq.insert(0, '/');
        }
        pq
    }
}

/// Percent-encodes everything but unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
