//! placeholder: issuer
