//! An OpenID Connect token issuer on loopback: discovery document, JWKS, and token signing with
//! keys generated in process (RS256, ES256, EdDSA), plus helpers to forge bad tokens.

mod forge;
mod keys;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Once, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::Header;
use jsonwebtoken::jwk::JwkSet;
use tokio::task::JoinHandle;

pub use forge::{hs256_with_secret, sign_raw};
use keys::IssuerKey;
pub use keys::KeyAlg;

/// Installs jsonwebtoken's aws-lc provider once, so signing never hits its "could not determine
/// the CryptoProvider" panic even if feature unification enables a second backend. Harmless if
/// another part of the process installed one first.
pub fn ensure_crypto_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    });
}

/// State shared between the issuer handle and its HTTP handlers.
struct Shared {
    issuer: String,
    keys: Mutex<Vec<IssuerKey>>,
    jwks_fetches: AtomicUsize,
    jwks_available: AtomicBool,
    next_key: AtomicUsize,
}

impl Shared {
    fn keys(&self) -> MutexGuard<'_, Vec<IssuerKey>> {
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn published_jwks(&self) -> JwkSet {
        JwkSet {
            keys: self
                .keys()
                .iter()
                .filter(|k| k.published)
                .map(|k| k.jwk.clone())
                .collect(),
        }
    }
}

/// A token issuer serving `/.well-known/openid-configuration` and `/jwks.json` on
/// `127.0.0.1:<free port>`; the server task is aborted on drop.
pub struct TokenIssuer {
    shared: Arc<Shared>,
    default_kid: String,
    server: JoinHandle<()>,
}

impl TokenIssuer {
    /// Starts serving with one published RS256 key (the default key).
    pub async fn start() -> anyhow::Result<Self> {
        ensure_crypto_provider();
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .context("could not bind the token issuer to 127.0.0.1")?;
        let port = listener
            .local_addr()
            .context("could not read the token issuer's address")?
            .port();
        let shared = Arc::new(Shared {
            issuer: format!("http://127.0.0.1:{port}"),
            keys: Mutex::new(Vec::new()),
            jwks_fetches: AtomicUsize::new(0),
            jwks_available: AtomicBool::new(true),
            next_key: AtomicUsize::new(1),
        });
        let default_kid = add_key(&shared, KeyAlg::Rs256, true)?;
        let router = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks.json", get(jwks))
            .with_state(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                tracing::warn!(%error, "token issuer server stopped");
            }
        });
        Ok(Self {
            shared,
            default_kid,
            server,
        })
    }

    /// The issuer identifier, `"http://127.0.0.1:<port>"` (no trailing slash).
    pub fn issuer(&self) -> String {
        self.shared.issuer.clone()
    }

    /// The JWKS URL, issuer + `"/jwks.json"`.
    pub fn jwks_url(&self) -> String {
        format!("{}/jwks.json", self.shared.issuer)
    }

    /// The discovery URL, issuer + `"/.well-known/openid-configuration"`.
    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.shared.issuer)
    }

    /// Generates a new key and returns its kid; unpublished keys sign but are not in the JWKS.
    #[allow(
        clippy::expect_used,
        reason = "key generation only fails if the crypto library is broken; tests want a kid"
    )]
    pub fn add_key(&self, alg: KeyAlg, publish: bool) -> String {
        add_key(&self.shared, alg, publish).expect("generating an issuer key")
    }

    /// Makes an existing key visible in the JWKS (key rotation).
    pub fn publish(&self, kid: &str) {
        self.set_published(kid, true);
    }

    /// Removes a key from the JWKS (it can still sign, as a retired key would).
    pub fn unpublish(&self, kid: &str) {
        self.set_published(kid, false);
    }

    /// Makes `/jwks.json` answer 503 (`false`) or serve keys again (`true`), to test how a
    /// verifier copes with an identity provider outage.
    pub fn set_jwks_available(&self, available: bool) {
        self.shared
            .jwks_available
            .store(available, Ordering::SeqCst);
    }

    /// Signs `claims` with key `kid`; the header carries `alg`, `kid` and `typ: JWT`.
    ///
    /// Panics if `kid` was not returned by this issuer (a bug in the calling test).
    #[allow(
        clippy::expect_used,
        clippy::panic,
        reason = "test helper: an unknown kid is a bug in the test itself"
    )]
    pub fn sign(&self, kid: &str, claims: &serde_json::Value) -> String {
        let keys = self.shared.keys();
        let Some(key) = keys.iter().find(|k| k.kid == kid) else {
            panic!("the token issuer has no key with kid {kid}");
        };
        let mut header = Header::new(key.alg.algorithm());
        header.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&header, claims, &key.encoding)
            .expect("signing with a generated key succeeds")
    }

    /// The kid of the RS256 key published at start.
    pub fn default_kid(&self) -> String {
        self.default_kid.clone()
    }

    /// The public key of `kid` as an SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
    ///
    /// Panics if `kid` was not returned by this issuer.
    #[allow(
        clippy::panic,
        reason = "test helper: an unknown kid is a bug in the test itself"
    )]
    pub fn public_key_pem(&self, kid: &str) -> String {
        match self.shared.keys().iter().find(|k| k.kid == kid) {
            Some(key) => key.public_pem.clone(),
            None => panic!("the token issuer has no key with kid {kid}"),
        }
    }

    /// The JWKS as currently published (what `/jwks.json` would serve).
    pub fn jwks(&self) -> JwkSet {
        self.shared.published_jwks()
    }

    /// How many requests `/jwks.json` has received (including ones answered 503).
    pub fn jwks_fetches(&self) -> usize {
        self.shared.jwks_fetches.load(Ordering::SeqCst)
    }

    /// Standard claims: `iss` (this issuer), `sub`, `aud`, `iat` and `nbf` (now) and `exp`
    /// (now + `ttl_secs`; negative gives an expired token). Add or overwrite fields as needed.
    pub fn claims(&self, subject: &str, audience: &str, ttl_secs: i64) -> serde_json::Value {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        serde_json::json!({
            "iss": self.shared.issuer,
            "sub": subject,
            "aud": audience,
            "iat": now,
            "nbf": now,
            "exp": now.saturating_add(ttl_secs),
        })
    }

    fn set_published(&self, kid: &str, published: bool) {
        if let Some(key) = self.shared.keys().iter_mut().find(|k| k.kid == kid) {
            key.published = published;
        }
    }
}

impl Drop for TokenIssuer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl std::fmt::Debug for TokenIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenIssuer")
            .field("issuer", &self.shared.issuer)
            .field("default_kid", &self.default_kid)
            .finish_non_exhaustive()
    }
}

fn add_key(shared: &Shared, alg: KeyAlg, publish: bool) -> anyhow::Result<String> {
    let n = shared.next_key.fetch_add(1, Ordering::SeqCst);
    let kid = format!("key-{n}-{}", alg.name().to_ascii_lowercase());
    let key = IssuerKey::generate(kid.clone(), alg, publish)?;
    shared.keys().push(key);
    Ok(kid)
}

async fn discovery(State(shared): State<Arc<Shared>>) -> Json<serde_json::Value> {
    let issuer = &shared.issuer;
    Json(serde_json::json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/jwks.json"),
        // Listed because OIDC clients require them; this issuer does not serve them.
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256", "EdDSA"],
    }))
}

async fn jwks(State(shared): State<Arc<Shared>>) -> Response {
    shared.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    if !shared.jwks_available.load(Ordering::SeqCst) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "jwks temporarily unavailable",
        )
            .into_response();
    }
    Json(shared.published_jwks()).into_response()
}
