//! The masking engine: finds sensitive values in text and rewrites them before they leave the
//! gateway.
//!
//! A [`Masker`] is compiled once from a [`warden_config::MaskProfile`] and shared by every
//! session. Protocols call it in three ways: [`Masker::mask_value`] for whole values with a known
//! column (a PostgreSQL `DataRow` field), [`Masker::mask_text`] for a complete text (an HTTP body
//! that is already buffered), and [`StreamMasker`] for bytes that arrive in chunks (terminal
//! output, streamed responses), which gives byte-identical output to `mask_text` however the
//! input is split. Detectors are hand-written single-pass scanners with cheap prefilters
//! (`memchr`, a SWAR digit search, one Aho-Corasick automaton for literal prefixes); nothing
//! allocates when nothing matches. The exact rules are in `docs/masking.md`.

mod column;
mod detect;
mod entity;
mod error;
mod masker;
mod profiles;
mod scan;
mod strategy;
mod stream;
mod text;

pub use column::{ColumnMatcher, ColumnRef};
pub use entity::{Entity, Finding};
pub use error::MaskError;
pub use masker::{ColumnPlan, MaskedValue, Masker};
pub use profiles::MaskProfiles;
pub use stream::StreamMasker;
pub use warden_config::{ColumnRule, MaskProfile, MaskStrategy};
