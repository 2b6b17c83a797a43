//! Signing keys generated in process, with their public JWKs.

use anyhow::Context as _;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, KeyAlgorithm,
    OctetKeyPairParameters, OctetKeyPairType, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, EncodingKey};
use rcgen::{KeyPair, PKCS_ECDSA_P256_SHA256, PKCS_ED25519, PKCS_RSA_SHA256};

/// A signature algorithm for issuer keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (2048-bit key).
    Rs256,
    /// ECDSA on P-256 with SHA-256.
    Es256,
    /// Ed25519.
    EdDsa,
}

impl KeyAlg {
    /// The matching `jsonwebtoken` algorithm.
    pub fn algorithm(self) -> Algorithm {
        match self {
            Self::Rs256 => Algorithm::RS256,
            Self::Es256 => Algorithm::ES256,
            Self::EdDsa => Algorithm::EdDSA,
        }
    }

    /// The JOSE name (`"RS256"`, `"ES256"`, `"EdDSA"`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
        }
    }
}

/// One key of the issuer; `published` keys appear in the JWKS.
pub(super) struct IssuerKey {
    pub(super) kid: String,
    pub(super) alg: KeyAlg,
    pub(super) encoding: EncodingKey,
    pub(super) jwk: Jwk,
    pub(super) public_pem: String,
    pub(super) published: bool,
}

impl IssuerKey {
    /// Generates a fresh key pair for `alg`.
    pub(super) fn generate(kid: String, alg: KeyAlg, published: bool) -> anyhow::Result<Self> {
        super::ensure_crypto_provider();
        let rcgen_alg = match alg {
            KeyAlg::Rs256 => &PKCS_RSA_SHA256,
            KeyAlg::Es256 => &PKCS_ECDSA_P256_SHA256,
            KeyAlg::EdDsa => &PKCS_ED25519,
        };
        let pair = KeyPair::generate_for(rcgen_alg)
            .with_context(|| format!("could not generate a {} key", alg.name()))?;
        let private_pem = pair.serialize_pem();
        let encoding = match alg {
            KeyAlg::Rs256 => EncodingKey::from_rsa_pem(private_pem.as_bytes()),
            KeyAlg::Es256 => EncodingKey::from_ec_pem(private_pem.as_bytes()),
            KeyAlg::EdDsa => EncodingKey::from_ed_pem(private_pem.as_bytes()),
        }
        .with_context(|| format!("jsonwebtoken rejected a generated {} key", alg.name()))?;
        let mut jwk = match alg {
            // jsonwebtoken only accepts 48-byte PKCS#8 v1 Ed25519 keys here; aws-lc writes v2.
            KeyAlg::EdDsa => Jwk {
                common: CommonParameters::default(),
                algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                    key_type: OctetKeyPairType::OctetKeyPair,
                    curve: EllipticCurve::Ed25519,
                    x: URL_SAFE_NO_PAD.encode(pair.public_key_raw()),
                }),
            },
            KeyAlg::Rs256 | KeyAlg::Es256 => Jwk::from_encoding_key(&encoding, alg.algorithm())
                .with_context(|| format!("could not build a JWK for a {} key", alg.name()))?,
        };
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_algorithm = Some(match alg {
            KeyAlg::Rs256 => KeyAlgorithm::RS256,
            KeyAlg::Es256 => KeyAlgorithm::ES256,
            KeyAlg::EdDsa => KeyAlgorithm::EdDSA,
        });
        Ok(Self {
            kid,
            alg,
            encoding,
            jwk,
            public_pem: pair.public_key_pem(),
            published,
        })
    }
}
