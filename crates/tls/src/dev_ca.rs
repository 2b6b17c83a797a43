//! The development CA kept in `<data_dir>/tls/`.

use crate::TlsError;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use std::path::{Path, PathBuf};

/// The CA's files and a server certificate it signed.
#[derive(Debug, Clone)]
pub struct DevCa {
    /// CA certificate; clients trust this file (`sslrootcert=…`, `curl --cacert …`).
    pub ca_cert: PathBuf,
    /// Server certificate chain (leaf, then CA).
    pub server_cert: PathBuf,
    /// Server private key.
    pub server_key: PathBuf,
}

/// Creates the CA on first use and signs a fresh server certificate for `hostnames`.
pub fn ensure_dev_ca(data_dir: &Path, hostnames: &[String]) -> Result<DevCa, TlsError> {
    let dir = data_dir.join("tls");
    std::fs::create_dir_all(&dir).map_err(|source| TlsError::Write {
        path: dir.clone(),
        source,
    })?;
    let ca_cert = dir.join("ca.pem");
    let ca_key = dir.join("ca.key");
    if !ca_cert.is_file() || !ca_key.is_file() {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.distinguished_name = name("Warden development CA");
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.not_before = rcgen::date_time_ymd(2024, 1, 1);
        params.not_after = rcgen::date_time_ymd(2036, 1, 1);
        let cert = params.self_signed(&key)?;
        write_private(&ca_key, &key.serialize_pem())?;
        write(&ca_cert, &cert.pem())?;
        tracing::info!(path = %ca_cert.display(), "generated a development CA");
    }
    let ca_pem = read(&ca_cert)?;
    let ca_key_pair = KeyPair::from_pem(&read(&ca_key)?)?;
    let issuer = Issuer::from_ca_cert_pem(&ca_pem, ca_key_pair)?;

    let mut names: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
    names.extend(hostnames.iter().cloned());
    names.dedup();
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(names)?;
    params.distinguished_name = name("Warden gateway");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let now = chrono::Utc::now().date_naive();
    params.not_before = rcgen::date_time_ymd(now.year_ce().1 as i32 - 1, 1, 1);
    params.not_after = rcgen::date_time_ymd(now.year_ce().1 as i32 + 2, 1, 1);
    let cert = params.signed_by(&key, &issuer)?;
    let server_cert = dir.join("server.pem");
    let server_key = dir.join("server.key");
    write(&server_cert, &format!("{}{}", cert.pem(), ca_pem))?;
    write_private(&server_key, &key.serialize_pem())?;
    Ok(DevCa {
        ca_cert,
        server_cert,
        server_key,
    })
}

use chrono::Datelike;

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn.push(DnType::OrganizationName, "Warden");
    dn
}

fn read(path: &Path) -> Result<String, TlsError> {
    std::fs::read_to_string(path).map_err(|source| TlsError::Read {
        path: path.to_owned(),
        source,
    })
}

fn write(path: &Path, contents: &str) -> Result<(), TlsError> {
    std::fs::write(path, contents).map_err(|source| TlsError::Write {
        path: path.to_owned(),
        source,
    })
}

fn write_private(path: &Path, contents: &str) -> Result<(), TlsError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let result = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(contents.as_bytes()));
    result.map_err(|source| TlsError::Write {
        path: path.to_owned(),
        source,
    })
}
