//! Accepts HTTP clients (HTTP/1.1 and HTTP/2, TLS unless plaintext is allowed on loopback),
//! picks the connection from the path (`/c/<name>/…`) or the Host (`<name>.<domain>`), and
//! hands every request to the exchange handler.

use crate::HttpError;
use crate::body::Body;
use crate::pool::UpstreamPool;
use crate::prefixed::Prefixed;
use crate::server::Served;
use crate::session::ClientConn;
use crate::target::HttpTarget;
use crate::upstream;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use warden_config::HttpSettings;
use warden_core::workers::{Placement, Workers};
use warden_core::{ConnectionKind, Pipeline};
use warden_record::RecordingStore;

/// Time a client has to send its first byte and complete TLS.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);
/// Time a client has to send a request head.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// Settings of one HTTP listener.
#[derive(Debug, Clone)]
pub struct HttpListenerConfig {
    /// Accept clients without TLS when they connect from a loopback address.
    pub allow_plaintext_loopback: bool,
}

/// One HTTP connection with its kept-open upstream connections, one pool per worker thread
/// (so a request and its upstream connection stay on one thread).
pub struct Upstream {
    /// The compiled connection.
    pub target: HttpTarget,
    /// Its pools: index 0 for the shared runtime, `1 + i` for worker `i`.
    pools: Vec<Arc<UpstreamPool>>,
}

impl Upstream {
    /// The pool of the calling thread.
    pub fn pool(&self) -> &Arc<UpstreamPool> {
        let index = Workers::index();
        self.pools.get(index).unwrap_or(&self.pools[0])
    }
}

/// Everything an HTTP listener needs, shared by its connections.
pub struct HttpGateway {
    /// The shared pipeline.
    pub pipeline: Pipeline,
    /// HTTP connections by name.
    pub upstreams: BTreeMap<String, Arc<Upstream>>,
    /// Kinds of every configured connection, to tell "unknown" from "not HTTP".
    pub kinds: BTreeMap<String, ConnectionKind>,
    /// Limits and Host routing.
    pub settings: HttpSettings,
    /// Server TLS (ALPN h2 and http/1.1 are set here); `None` accepts only plaintext.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Where sessions are recorded; `None` records nothing.
    pub recordings: Option<Arc<dyn RecordingStore>>,
}

/// Where a request goes.
pub enum Resolved {
    /// To this connection, with this path below it.
    Upstream(Arc<Upstream>, String),
    /// Nowhere: the message says why.
    Nowhere(String),
}

impl HttpGateway {
    /// A gateway without connections yet.
    pub fn new(
        pipeline: Pipeline,
        settings: HttpSettings,
        tls: Option<Arc<rustls::ServerConfig>>,
        recordings: Option<Arc<dyn RecordingStore>>,
    ) -> Self {
        let tls = tls.map(|config| {
            let mut config = (*config).clone();
            config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
            Arc::new(config)
        });
        HttpGateway {
            pipeline,
            upstreams: BTreeMap::new(),
            kinds: BTreeMap::new(),
            settings,
            tls,
            recordings,
        }
    }

    /// Adds an HTTP connection; `tls` verifies its upstream (`None`: plain `http://` only).
    pub fn add(
        &mut self,
        target: HttpTarget,
        tls: Option<Arc<rustls::ClientConfig>>,
    ) -> Result<(), HttpError> {
        let max_head = self.settings.max_header_bytes.max(16 * 1024);
        let dialer = upstream::dialer(&target, tls, self.settings.upstream_timeout.0, max_head)
            .map_err(|message| HttpError::Config {
                connection: target.name.clone(),
                message: format!("upstream: {message}"),
            })?;
        let pools = (0..=Workers::count())
            .map(|_| Arc::new(UpstreamPool::new(dialer.clone())))
            .collect();
        self.kinds.insert(target.name.clone(), ConnectionKind::Http);
        self.upstreams
            .insert(target.name.clone(), Arc::new(Upstream { target, pools }));
        Ok(())
    }

    /// Records the kinds of the other connections, for precise "not an HTTP connection" errors.
    pub fn know(&mut self, name: &str, kind: ConnectionKind) {
        self.kinds.entry(name.to_owned()).or_insert(kind);
    }

    /// Accepts connections forever. Each is handed to one of the data-path workers (see
    /// [`Workers`]) and served there start to end, upstream connection included: no request
    /// crosses threads on its way through.
    pub async fn serve(self: Arc<Self>, listener: TcpListener, config: HttpListenerConfig) {
        Workers::shared()
            .accept(listener, Placement::Spread, move |tcp, peer| {
                let (gateway, config) = (self.clone(), config.clone());
                async move {
                    if let Err(error) = gateway.handle(tcp, peer, &config).await {
                        tracing::debug!(%peer, %error, "http connection ended with an error");
                    }
                }
            })
            .await;
    }

    pub(crate) async fn handle(
        self: Arc<Self>,
        tcp: TcpStream,
        peer: SocketAddr,
        config: &HttpListenerConfig,
    ) -> Result<(), HttpError> {
        tcp.set_nodelay(true)?;
        let mut first = [0u8; 1];
        let peeked = tokio::time::timeout(HANDSHAKE_TIMEOUT, tcp.peek(&mut first)).await;
        let Ok(Ok(1)) = peeked else {
            return Ok(());
        };
        let conn = Arc::new(ClientConn::new(peer));
        // A TLS ClientHello starts with the handshake record type 22.
        let result = if first[0] == 0x16 {
            let Some(tls) = &self.tls else {
                return Err(HttpError::Io(std::io::Error::other(
                    "TLS is not configured on this listener",
                )));
            };
            let acceptor = tokio_rustls::TlsAcceptor::from(tls.clone());
            let stream = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp))
                .await
                .map_err(|_| std::io::Error::other("TLS handshake timed out"))??;
            if stream.get_ref().1.alpn_protocol() == Some(b"h2") {
                self.clone().serve_http2(stream, conn.clone()).await
            } else {
                self.clone().serve_http1(stream, conn.clone()).await
            }
        } else if config.allow_plaintext_loopback && peer.ip().is_loopback() {
            self.clone().serve_http1(tcp, conn.clone()).await
        } else {
            crate::server::refuse(
                tcp,
                http::StatusCode::BAD_REQUEST,
                "this listener requires TLS (use https)",
                HANDSHAKE_TIMEOUT,
            )
            .await;
            Ok(())
        };
        conn.close_all(&self).await;
        result
    }

    /// HTTP/1.1 by Warden's own server; a client that opens with the HTTP/2 preface (prior
    /// knowledge) goes on to the HTTP/2 server with what was read.
    async fn serve_http1<S>(
        self: Arc<Self>,
        stream: S,
        conn: Arc<ClientConn>,
    ) -> Result<(), HttpError>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        match crate::server::serve(self.clone(), stream, conn.clone(), HEADER_TIMEOUT).await? {
            Served::Closed => Ok(()),
            Served::Http2(stream, read) => {
                self.serve_http2(Prefixed::new(read, stream), conn).await
            }
        }
    }

    /// HTTP/2 by hyper (negotiated by ALPN, or with prior knowledge).
    async fn serve_http2<S>(
        self: Arc<Self>,
        stream: S,
        conn: Arc<ClientConn>,
    ) -> Result<(), HttpError>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
        builder.timer(TokioTimer::new()).max_header_list_size(
            u32::try_from(self.settings.max_header_bytes).unwrap_or(u32::MAX),
        );
        let gateway = self.clone();
        let service = service_fn(move |request: hyper::Request<Incoming>| {
            let gateway = gateway.clone();
            let conn = conn.clone();
            async move {
                Ok::<hyper::Response<Body>, Infallible>(
                    crate::exchange::handle(gateway, conn, request).await,
                )
            }
        });
        builder
            .serve_connection(TokioIo::new(stream), service)
            .await
            .map_err(|e| HttpError::Io(std::io::Error::other(e.to_string())))
    }

    /// The connection a request goes to, from its Host or its `/c/<name>` path prefix.
    pub fn resolve(&self, host: Option<&str>, path: &str) -> Resolved {
        if let (Some(domain), Some(host)) = (&self.settings.domain, host) {
            // Host names are case-insensitive and may end with the root's dot.
            let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
            let host = host.strip_suffix('.').unwrap_or(host);
            let domain = domain.strip_suffix('.').unwrap_or(domain);
            let split = host.len().saturating_sub(domain.len());
            if let (Some(name), Some(suffix)) = (host.get(..split), host.get(split..))
                && suffix.eq_ignore_ascii_case(domain)
                && let Some(name) = name.strip_suffix('.')
                && let Some(upstream) = self.upstreams.get(name).or_else(|| {
                    self.upstreams
                        .iter()
                        .find(|(known, _)| known.eq_ignore_ascii_case(name))
                        .map(|(_, upstream)| upstream)
                })
            {
                return Resolved::Upstream(upstream.clone(), path.to_owned());
            }
        }
        let Some(rest) = path.strip_prefix("/c/") else {
            return Resolved::Nowhere(
                "name the connection in the path (/c/<connection>/…) or the Host (<connection>.<gateway domain>)".into(),
            );
        };
        let (name, below) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        match (self.upstreams.get(name), self.kinds.get(name)) {
            (Some(upstream), _) => Resolved::Upstream(upstream.clone(), below.to_owned()),
            (None, Some(kind)) => Resolved::Nowhere(format!(
                "connection {name:?} is a {kind} connection, not an HTTP one"
            )),
            (None, None) => Resolved::Nowhere(format!("no connection named {name:?} is defined")),
        }
    }
}
