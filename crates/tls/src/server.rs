//! rustls server configuration for the listeners.

use crate::{TlsError, ensure_dev_ca};
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The server TLS config and where its certificate came from.
#[derive(Debug, Clone)]
pub struct ServerTls {
    /// Ready-to-use rustls config.
    pub config: Arc<ServerConfig>,
    /// The CA clients should trust, when Warden generated it.
    pub dev_ca: Option<PathBuf>,
}

/// Loads `cert`/`key` when given, otherwise uses (and if needed creates) the development CA.
pub fn server_config(
    files: Option<(&Path, &Path)>,
    data_dir: &Path,
    hostnames: &[String],
) -> Result<ServerTls, TlsError> {
    let (cert, key, dev_ca) = match files {
        Some((cert, key)) => (cert.to_owned(), key.to_owned(), None),
        None => {
            let ca = ensure_dev_ca(data_dir, hostnames)?;
            (ca.server_cert, ca.server_key, Some(ca.ca_cert))
        }
    };
    let chain = CertificateDer::pem_file_iter(&cert)
        .map_err(|_| TlsError::Pem {
            path: cert.clone(),
            what: "certificate",
        })?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| TlsError::Pem {
            path: cert.clone(),
            what: "certificate",
        })?;
    if chain.is_empty() {
        return Err(TlsError::Pem {
            path: cert,
            what: "certificate",
        });
    }
    let key_der = PrivateKeyDer::from_pem_file(&key).map_err(|_| TlsError::Pem {
        path: key.clone(),
        what: "private key",
    })?;
    let config = ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(chain, key_der)?;
    Ok(ServerTls {
        config: Arc::new(config),
        dev_ca,
    })
}
