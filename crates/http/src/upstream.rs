//! The upstream leg: the connector of a connection (its own TLS settings), and the request
//! Warden sends: the client's, minus its credential and hop-by-hop headers, plus the
//! connection's injected credentials.

use crate::body::Body;
use crate::target::HttpTarget;
use http::header::{self, HeaderMap, HeaderName};
use http::request::Parts;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use std::sync::Arc;
use std::time::Duration;

/// Opens upstream connections: TCP, then TLS for `https://`.
pub type Connector = HttpsConnector<HttpConnector>;

/// The connector of one connection: HTTPS with `tls`, or plain HTTP for `http://` upstreams (an
/// `https://` upstream without TLS settings then fails to verify, never connects unverified).
pub fn connector(
    tls: Option<Arc<rustls::ClientConfig>>,
    connect_timeout: Duration,
) -> Result<Connector, rustls::Error> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(connect_timeout));
    let tls = match tls {
        Some(config) => (*config).clone(),
        None => rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth(),
    };
    Ok(hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http))
}

/// Headers that describe one hop, never forwarded.
const HOP_BY_HOP: [HeaderName; 8] = [
    header::CONNECTION,
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
    HeaderName::from_static("keep-alive"),
];

/// Removes hop-by-hop headers, and the ones the `Connection` header names.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // Most requests carry none: one pass over the names, and nothing to remove or allocate.
    if !headers.keys().any(|name| HOP_BY_HOP.contains(name)) {
        return;
    }
    // Names `Connection` lists beyond the usual `keep-alive`/`close` (rare): no allocation
    // unless there is one.
    let mut named: Vec<HeaderName> = Vec::new();
    for value in headers.get_all(header::CONNECTION) {
        let Ok(value) = value.to_str() else { continue };
        for token in value.split(',').map(str::trim) {
            if token.eq_ignore_ascii_case("keep-alive") || token.eq_ignore_ascii_case("close") {
                continue;
            }
            if let Ok(name) = HeaderName::from_bytes(token.as_bytes()) {
                named.push(name);
            }
        }
    }
    for name in named.iter().chain(HOP_BY_HOP.iter()) {
        headers.remove(name);
    }
}

/// The request sent upstream for the client request `parts` with `body`.
pub fn request(
    target: &HttpTarget,
    parts: &Parts,
    path: &str,
    body: Body,
    body_len: usize,
) -> Result<http::Request<Body>, http::Error> {
    let uri = target.uri(path, parts.uri.query())?;
    let mut request = http::Request::builder()
        .method(parts.method.clone())
        .uri(uri)
        .body(body)?;
    let headers = request.headers_mut();
    *headers = parts.headers.clone();
    strip_hop_by_hop(headers);
    // The caller's credential is Warden's, never the upstream's; the body may have been
    // rewritten; responses must arrive uncompressed so they can be masked.
    for name in [
        header::AUTHORIZATION,
        header::HOST,
        header::CONTENT_LENGTH,
        header::ACCEPT_ENCODING,
    ] {
        headers.remove(name);
    }
    if body_len > 0 || !matches!(parts.method, http::Method::GET | http::Method::HEAD) {
        headers.insert(header::CONTENT_LENGTH, body_len.into());
    }
    if let Ok(host) = http::HeaderValue::from_str(target.authority.as_str()) {
        headers.insert(header::HOST, host);
    }
    for (name, value) in &target.headers {
        headers.insert(name.clone(), value.clone());
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn hop_by_hop_headers_and_the_ones_connection_names_are_removed() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("x-trace, close"),
        );
        headers.insert("x-trace", HeaderValue::from_static("1"));
        headers.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        headers.insert(header::TE, HeaderValue::from_static("trailers"));
        headers.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        strip_hop_by_hop(&mut headers);
        let left: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
        assert_eq!(left, ["accept"]);
    }

    #[test]
    fn a_request_without_hop_by_hop_headers_keeps_every_header() {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        headers.insert("x-trace", HeaderValue::from_static("1"));
        let before = headers.clone();
        strip_hop_by_hop(&mut headers);
        assert_eq!(headers, before);
    }
}
