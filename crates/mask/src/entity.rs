//! Kinds of sensitive values and where they were found.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use crate::MaskError;

/// A kind of sensitive value; the names are the detector names used in the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Entity {
    /// An email address.
    Email,
    /// A payment card number (Luhn-checked, known issuer prefix).
    Card,
    /// A US social security number.
    Ssn,
    /// A phone number (E.164 or a common national format).
    Phone,
    /// An international bank account number (mod-97 checked).
    Iban,
    /// An IPv4 or IPv6 address.
    Ip,
    /// An AWS access key id or a labelled AWS secret access key.
    AwsKey,
    /// A JSON Web Token.
    Jwt,
    /// A PEM private key block.
    PrivateKey,
    /// An API token with a well-known prefix (OpenAI, GitHub, Slack, GitLab, Google, Stripe).
    ApiToken,
}

impl Entity {
    /// Every entity, in config-name order.
    pub const ALL: [Entity; 10] = [
        Entity::Email,
        Entity::Card,
        Entity::Ssn,
        Entity::Phone,
        Entity::Iban,
        Entity::Ip,
        Entity::AwsKey,
        Entity::Jwt,
        Entity::PrivateKey,
        Entity::ApiToken,
    ];

    /// The detector names, as written in a profile's `detectors` list (the config's own list,
    /// in the order of [`Self::ALL`]).
    pub const NAMES: [&'static str; 10] = warden_config::DETECTORS;

    /// The detector name of this entity (`email`, `card`, ...).
    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    pub(crate) fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Entity {
    type Err = MaskError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::NAMES
            .iter()
            .position(|n| *n == name)
            .map(|i| Self::ALL[i])
            .ok_or_else(|| MaskError::UnknownDetector(name.to_owned()))
    }
}

/// A sensitive value found in a text: what it is and its byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What was found.
    pub entity: Entity,
    /// Byte offsets into the text that was scanned.
    pub span: Range<usize>,
}
