//! A per-test certificate authority (rcgen), so no PEM files are checked in.

use anyhow::Context as _;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// A certificate authority generated in process (ECDSA P-256), valid until far in the future.
pub struct TestCa {
    cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

/// A certificate and its private key, both PEM (the key is PKCS#8).
#[derive(Debug, Clone)]
pub struct IssuedCert {
    /// The leaf certificate.
    pub cert_pem: String,
    /// The leaf's private key.
    pub key_pem: String,
}

impl TestCa {
    /// Generates a new CA whose subject common name is `common_name`.
    pub fn new(common_name: &str) -> anyhow::Result<Self> {
        let key = KeyPair::generate().context("could not generate the test CA key")?;
        let mut params =
            CertificateParams::new(Vec::<String>::new()).context("invalid test CA parameters")?;
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params
            .self_signed(&key)
            .context("could not self-sign the test CA")?;
        Ok(Self {
            cert_pem: cert.pem(),
            issuer: Issuer::new(params, key),
        })
    }

    /// The CA certificate, to put in a client's trust store.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// Issues a server certificate for `names` (DNS names or IP addresses, e.g. `"127.0.0.1"`).
    pub fn issue_server(&self, names: &[&str]) -> anyhow::Result<IssuedCert> {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let common_name = names
            .first()
            .cloned()
            .unwrap_or_else(|| "server".to_owned());
        self.issue(names, &common_name, ExtendedKeyUsagePurpose::ServerAuth)
    }

    /// Issues a client certificate whose subject common name is `common_name`.
    pub fn issue_client(&self, common_name: &str) -> anyhow::Result<IssuedCert> {
        self.issue(Vec::new(), common_name, ExtendedKeyUsagePurpose::ClientAuth)
    }

    fn issue(
        &self,
        names: Vec<String>,
        common_name: &str,
        usage: ExtendedKeyUsagePurpose,
    ) -> anyhow::Result<IssuedCert> {
        let key = KeyPair::generate().context("could not generate a leaf key")?;
        let mut params =
            CertificateParams::new(names).context("invalid certificate subject names")?;
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![usage];
        params.use_authority_key_identifier_extension = true;
        let cert = params
            .signed_by(&key, &self.issuer)
            .context("could not sign a leaf certificate with the test CA")?;
        Ok(IssuedCert {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}
