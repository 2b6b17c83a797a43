//! A client that trusts only the generated development CA completes a TLS handshake with the
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! server certificate it signed; a second start reuses the same CA.

use rustls::pki_types::ServerName;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[tokio::test]
async fn client_trusting_dev_ca_connects() {
    warden_tls::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let first = warden_tls::server_config(None, dir.path(), &["gw.example".into()]).unwrap();
    let ca_path = first.dev_ca.clone().unwrap();
    let ca_before = std::fs::read(&ca_path).unwrap();
    let second = warden_tls::server_config(None, dir.path(), &["gw.example".into()]).unwrap();
    assert_eq!(
        ca_before,
        std::fs::read(&ca_path).unwrap(),
        "CA must persist"
    );

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(second.config.clone());
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut tls = acceptor.accept(tcp).await.unwrap();
        tls.write_all(b"hello").await.unwrap();
        tls.shutdown().await.unwrap();
    });

    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(&ca_path).unwrap())
        .unwrap();
    let client = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let mut got = Vec::new();
    tls.read_to_end(&mut got).await.unwrap();
    assert_eq!(got, b"hello");
    server.await.unwrap();

    // The certificate names the configured host too; a name it lacks is refused.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(second.config);
    tokio::spawn(async move {
        for _ in 0..2 {
            let (tcp, _) = listener.accept().await.unwrap();
            let _ = acceptor.accept(tcp).await;
        }
    });
    let ok = connector
        .connect(
            ServerName::try_from("gw.example").unwrap(),
            TcpStream::connect(addr).await.unwrap(),
        )
        .await;
    assert!(ok.is_ok(), "gw.example is in the certificate");
    let bad = connector
        .connect(
            ServerName::try_from("other.example").unwrap(),
            TcpStream::connect(addr).await.unwrap(),
        )
        .await;
    assert!(bad.is_err(), "a name outside the certificate must fail");
}
