//! The admin API client behind `warden review|access|grants`: base URL, token and CA from the
//! flags, then the environment (`WARDEN_SERVER`, `WARDEN_TOKEN`, `WARDEN_CA`), then the file
//! `warden login` wrote.

use crate::cli::ServerArgs;
use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;
use warden_core::Secret;

/// What `warden login` saves (mode 0600).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct LoginFile {
    /// Admin API base URL.
    pub server: Option<String>,
    /// CA certificate to trust.
    pub ca: Option<PathBuf>,
    /// The token (JWT or API key).
    pub token: Option<String>,
}

impl LoginFile {
    /// `$WARDEN_LOGIN_FILE`, else `$XDG_CONFIG_HOME/warden/login.json`, else
    /// `~/.config/warden/login.json`.
    pub fn path() -> anyhow::Result<PathBuf> {
        if let Some(path) = std::env::var_os("WARDEN_LOGIN_FILE") {
            return Ok(PathBuf::from(path));
        }
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
            .context("neither XDG_CONFIG_HOME nor HOME is set; set WARDEN_LOGIN_FILE")?;
        Ok(base.join("warden").join("login.json"))
    }

    /// The saved login, or an empty one when there is none.
    pub fn load() -> anyhow::Result<LoginFile> {
        let path = Self::path()?;
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not a warden login file", path.display())),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(LoginFile::default()),
            Err(error) => Err(error).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Writes it, readable by the owner only.
    pub fn save(&self) -> anyhow::Result<PathBuf> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let path = Self::path()?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("writing {}", path.display()))?;
        file.write_all(&serde_json::to_vec_pretty(self)?)?;
        Ok(path)
    }
}

/// A client of one gateway's admin API.
pub struct AdminClient {
    base: String,
    token: Secret<String>,
    http: reqwest::Client,
}

impl AdminClient {
    /// From the flags, the environment and the login file, in that order.
    pub fn from_args(args: &ServerArgs) -> anyhow::Result<AdminClient> {
        let saved = LoginFile::load()?;
        let base = args.server.clone().or(saved.server).context(
            "no admin API address: pass --server, set WARDEN_SERVER, or run `warden login`",
        )?;
        let token = std::env::var("WARDEN_TOKEN")
            .ok()
            .filter(|t| !t.trim().is_empty())
            .or(saved.token)
            .context("no token: set WARDEN_TOKEN or run `warden login`")?;
        let ca = args.ca.clone().or(saved.ca);
        AdminClient::new(&base, Secret::new(token), ca)
    }

    /// A client of `base` presenting `token`, trusting `ca` in addition to the system roots.
    pub fn new(base: &str, token: Secret<String>, ca: Option<PathBuf>) -> anyhow::Result<Self> {
        let mut builder = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10));
        if let Some(ca) = ca {
            let pem = std::fs::read(&ca).with_context(|| format!("reading CA {}", ca.display()))?;
            let cert = reqwest::Certificate::from_pem(&pem)
                .with_context(|| format!("{} is not a PEM certificate", ca.display()))?;
            builder = builder.add_root_certificate(cert);
        }
        Ok(AdminClient {
            base: base.trim_end_matches('/').to_owned(),
            token,
            http: builder.build().context("building the HTTP client")?,
        })
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.send(self.http.get(self.url(path))).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        self.send(self.http.post(self.url(path)).json(body)).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> anyhow::Result<Value> {
        let response = request
            .bearer_auth(self.token.expose())
            .send()
            .await
            .with_context(|| format!("cannot reach the admin API at {}", self.base))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            let message = body["message"].as_str().unwrap_or("no details");
            bail!("{status}: {message}");
        }
        Ok(body)
    }
}
