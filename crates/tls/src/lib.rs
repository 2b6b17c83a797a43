//! TLS for Warden's listeners: certificates from configured files, or a development CA that is
//! generated into the data dir on first start and signs a fresh server certificate each start;
//! and the socket type the protocol crates share, plain or TLS on either leg.

mod dev_ca;
mod error;
mod rebind;
mod server;
mod stream;

pub use dev_ca::{DevCa, ensure_dev_ca};
pub use error::TlsError;
pub use rebind::Unbound;
pub use server::{ServerTls, server_config};
pub use stream::{MaybeTls, ReadHalf, WriteHalf};

/// Installs the process-wide rustls crypto provider (aws-lc-rs); call once at start-up.
pub fn install_crypto_provider() {
    // Err means a provider is already installed, which is what we want either way.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}
