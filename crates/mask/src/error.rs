//! Errors from compiling a masking profile.

/// Why a masking profile could not be compiled into a [`crate::Masker`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MaskError {
    /// A detector name that the engine does not know.
    #[error("unknown detector {0:?}; expected one of {list}", list = crate::Entity::NAMES.join(", "))]
    UnknownDetector(String),
    /// A column rule pattern that cannot be compiled.
    #[error("column rule {pattern:?}: {reason}")]
    ColumnPattern {
        /// The pattern as written in the config.
        pattern: String,
        /// What is wrong with it and how to write it instead.
        reason: &'static str,
    },
    /// The profile uses the `hash` strategy but the caller gave no key.
    #[error(
        "the hash strategy needs a non-empty key (without one, pseudonyms could be reversed by hashing guesses)"
    )]
    MissingHashKey,
    /// The literal-prefix automaton could not be built (a bug; please report it).
    #[error("could not build the detector automaton: {0}")]
    Automaton(String),
}
