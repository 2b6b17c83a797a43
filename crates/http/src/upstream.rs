//! The upstream leg: how a connection's upstream is dialled (its own TLS settings), and the
//! request Warden sends: the client's, minus its credential and hop-by-hop headers, plus the
//! connection's injected credentials.

use crate::client::UpstreamRequest;
use crate::h1::{HOP_BY_HOP, RequestHead, connection_named};
use crate::pool::Dialer;
use crate::target::HttpTarget;
use bytes::Bytes;
use http::header::HeaderMap;
use http::request::Parts;
use http::uri::Scheme;
use rustls::pki_types::ServerName;
use std::sync::Arc;
use std::time::Duration;

/// How to reach `target`: TCP, then TLS with `tls` for `https://` (an `https://` upstream
/// without TLS settings has no trusted roots, so it fails to verify and never connects
/// unverified).
pub fn dialer(
    target: &HttpTarget,
    tls: Option<Arc<rustls::ClientConfig>>,
    connect_timeout: Duration,
    max_head: usize,
) -> Result<Dialer, String> {
    let authority = &target.authority;
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let https = target.scheme == Scheme::HTTPS;
    let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
    let tls = if https {
        let mut config = match tls {
            Some(config) => (*config).clone(),
            None => rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::aws_lc_rs::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth(),
        };
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let name = ServerName::try_from(host.clone())
            .map_err(|e| format!("{host:?} is not a server name TLS can verify: {e}"))?;
        Some((tokio_rustls::TlsConnector::from(Arc::new(config)), name))
    } else {
        None
    };
    Ok(Dialer {
        host,
        port,
        tls,
        connect_timeout,
        max_head,
    })
}

/// Removes hop-by-hop headers, and the ones the `Connection` header names.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // Most messages carry none: one pass over the names, and nothing to remove or allocate.
    if !headers.keys().any(|name| HOP_BY_HOP.contains(name)) {
        return;
    }
    for name in connection_named(headers).iter().chain(HOP_BY_HOP.iter()) {
        headers.remove(name);
    }
}

/// The request sent upstream for the client request `parts` with `body`.
pub fn request(
    target: &HttpTarget,
    parts: &Parts,
    path: &str,
    body: Bytes,
) -> Result<UpstreamRequest, String> {
    let request_target = target.request_target(path, parts.uri.query());
    let mut head = Vec::with_capacity(256 + request_target.len());
    RequestHead {
        method: &parts.method,
        target: &request_target,
        authority: target.authority.as_str(),
        client: &parts.headers,
        injected: &target.headers,
        body_len: body.len(),
    }
    .write(&mut head)?;
    Ok(UpstreamRequest {
        head,
        body,
        to_head: parts.method == http::Method::HEAD,
        idempotent: parts.method.is_idempotent(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::{self, HeaderName, HeaderValue};

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
