//! Hand-written detectors: each checks one candidate position and returns its span.
//!
//! Every detector decides from a bounded neighbourhood of the candidate (at most
//! [`MAX_LOOK_BEHIND`] bytes before it, and its own bounded length after it) and anchors on
//! maximal runs of its own characters, so scanning a window of a stream finds exactly what
//! scanning the whole stream finds there. [`crate::StreamMasker`] relies on that.

pub(crate) mod aws;
pub(crate) mod card;
pub(crate) mod email;
pub(crate) mod iban;
pub(crate) mod ip;
pub(crate) mod jwt;
pub(crate) mod numeric;
pub(crate) mod pem;
pub(crate) mod phone;
pub(crate) mod phone_national;
pub(crate) mod ssn;
pub(crate) mod token;

use std::ops::Range;

/// The longest span, plus the byte after it, of any entity except JWTs and PEM blocks (an email
/// is at most 64 + 1 + 253 bytes; tokens at most 11 + 255). Those two report undecided instead.
pub(crate) const MAX_SHORT: usize = 400;
/// How far before a candidate any detector looks (AWS secret labels are the furthest).
pub(crate) const MAX_LOOK_BEHIND: usize = 128;

/// A candidate's byte range.
pub(crate) type Span = Range<usize>;
