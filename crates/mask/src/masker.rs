//! The compiled masking profile and its whole-value and whole-text entry points.

use std::borrow::Cow;

use warden_config::{MaskProfile, MaskStrategy};

use crate::column::{ColumnMatcher, ColumnRef};
use crate::scan::{Candidate, Scanner, resolve, with_candidates};
use crate::strategy::{self, Hasher};
use crate::text::Text;
use crate::{Entity, Finding, MaskError};

/// What became of one value: the pipeline's own type (`Unchanged`, `Replaced`, `Null`).
pub use warden_core::mask::Masked as MaskedValue;
use warden_core::mask::Rewrite;

/// How values of one column are masked, decided once per column (e.g. per `RowDescription`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnPlan {
    /// Column rule number `n` masks the whole value.
    Rule(usize),
    /// No column rule: run the detectors over the value.
    Detect,
    /// No column rule and no detectors: forward as is.
    Pass,
}

/// A masking profile compiled for use on every value and stream of a session; cheap to share.
pub struct Masker {
    scanner: Scanner,
    detectors: bool,
    strategy: MaskStrategy,
    columns: ColumnMatcher,
    hasher: Hasher,
}

impl std::fmt::Debug for Masker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Masker")
            .field("strategy", &self.strategy)
            .field("columns", &self.columns)
            .finish_non_exhaustive()
    }
}

impl Masker {
    /// Compiles `profile`; `hash_key` keys the `hash` strategy and must be non-empty if the
    /// profile uses it (keep it stable across restarts so pseudonyms still join).
    pub fn new(profile: &MaskProfile, hash_key: &[u8]) -> Result<Masker, MaskError> {
        let mut entities = Vec::new();
        for name in &profile.detectors {
            let entity: Entity = name.parse()?;
            if !entities.contains(&entity) {
                entities.push(entity);
            }
        }
        let columns = ColumnMatcher::new(&profile.columns)?;
        let needs_key = (profile.strategy == MaskStrategy::Hash && !entities.is_empty())
            || profile
                .columns
                .iter()
                .any(|c| c.strategy == MaskStrategy::Hash);
        Ok(Masker {
            scanner: Scanner::new(&entities)?,
            detectors: !entities.is_empty(),
            strategy: profile.strategy.clone(),
            columns,
            hasher: Hasher::new(hash_key, needs_key)?,
        })
    }

    /// A masker running every detector with `strategy` and no column rules.
    pub fn with_all_detectors(
        strategy: MaskStrategy,
        hash_key: &[u8],
    ) -> Result<Masker, MaskError> {
        let profile = MaskProfile {
            detectors: Entity::NAMES.iter().map(|n| (*n).to_owned()).collect(),
            strategy,
            columns: Vec::new(),
        };
        Masker::new(&profile, hash_key)
    }

    /// The compiled column rules.
    pub fn columns(&self) -> &ColumnMatcher {
        &self.columns
    }

    /// Bytes a value must hold for the detectors to find anything in it.
    pub fn anchors(&self) -> warden_core::mask::Anchors {
        self.scanner.anchors()
    }

    /// Whether any detector is enabled.
    pub fn has_detectors(&self) -> bool {
        self.detectors
    }

    /// Masks every detector hit in `text`; borrowed (no allocation) when nothing matched.
    pub fn mask_text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match self.mask_bytes(text.as_bytes()) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            Cow::Owned(bytes) => Cow::Owned(
                // Hits start and end on character boundaries and their rewrites are UTF-8
                // (partial keeps characters whole), so the lossy branch is unreachable.
                String::from_utf8(bytes)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            ),
        }
    }

    /// Masks every detector hit in `bytes`; bytes that are not UTF-8 pass through unchanged.
    pub fn mask_bytes<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        if !self.detectors {
            return Cow::Borrowed(bytes);
        }
        with_candidates(|regions| {
            self.scanner.scan(&Text::whole(bytes), regions);
            if regions.is_empty() {
                return Cow::Borrowed(bytes);
            }
            resolve(regions);
            let mut out = Vec::with_capacity(bytes.len() + 16 * regions.len());
            self.write_masked(bytes, 0, bytes.len(), regions, &mut out);
            Cow::Owned(out)
        })
    }

    /// What the detectors find in `text`, as masked: overlapping hits merged, in order.
    pub fn findings(&self, text: &str) -> Vec<Finding> {
        let mut regions = Vec::new();
        if self.detectors {
            self.scanner
                .scan(&Text::whole(text.as_bytes()), &mut regions);
            resolve(&mut regions);
        }
        regions
            .into_iter()
            .map(|c| Finding {
                entity: c.entity,
                span: c.start..c.end,
            })
            .collect()
    }

    /// How values of `column` are masked; compute once per column and use
    /// [`Masker::mask_planned`] per value.
    pub fn plan(&self, column: ColumnRef<'_>) -> ColumnPlan {
        match self.columns.position(column) {
            Some(i) => ColumnPlan::Rule(i),
            None if self.detectors => ColumnPlan::Detect,
            None => ColumnPlan::Pass,
        }
    }

    /// Masks one whole value of `column`: a matching column rule first, else the detectors.
    pub fn mask_value(&self, column: ColumnRef<'_>, value: &[u8]) -> MaskedValue {
        self.mask_planned(self.plan(column), value)
    }

    /// Masks one whole value by a plan from [`Masker::plan`].
    ///
    /// Detectors only rewrite values that are valid UTF-8 (anything else is taken to be binary
    /// and left alone); a column rule applies to any value. With the `null` strategy a value
    /// with any detector hit becomes [`MaskedValue::Null`].
    pub fn mask_planned(&self, plan: ColumnPlan, value: &[u8]) -> MaskedValue {
        let mut out = Vec::new();
        match self.mask_planned_into(plan, value, &mut out) {
            Rewrite::Unchanged => MaskedValue::Unchanged,
            Rewrite::Written => MaskedValue::Replaced(out),
            Rewrite::Null => MaskedValue::Null,
        }
    }

    /// [`Masker::mask_planned`] with the replacement appended to `out`.
    pub fn mask_planned_into(&self, plan: ColumnPlan, value: &[u8], out: &mut Vec<u8>) -> Rewrite {
        match plan {
            ColumnPlan::Pass => Rewrite::Unchanged,
            ColumnPlan::Rule(i) => match self.columns.strategy(i) {
                Some(s) => match strategy::column(s, &self.hasher, value) {
                    // A rule's replacement is built whole: taken as it is into an empty `out`.
                    Some(bytes) if out.is_empty() => {
                        *out = bytes;
                        Rewrite::Written
                    }
                    Some(bytes) => {
                        out.extend_from_slice(&bytes);
                        Rewrite::Written
                    }
                    None => Rewrite::Null,
                },
                None => Rewrite::Unchanged,
            },
            ColumnPlan::Detect => with_candidates(|regions| {
                self.scanner.scan(&Text::whole(value), regions);
                // `is_ascii` goes a word at a time, UTF-8 validation of a short value byte by byte.
                if regions.is_empty() || !(value.is_ascii() || std::str::from_utf8(value).is_ok()) {
                    return Rewrite::Unchanged;
                }
                if self.strategy == MaskStrategy::Null {
                    return Rewrite::Null;
                }
                resolve(regions);
                out.reserve(value.len() + 16 * regions.len());
                self.write_masked(value, 0, value.len(), regions, out);
                Rewrite::Written
            }),
        }
    }

    /// Appends `b[from..to]` to `out` with `regions` (sorted, disjoint, inside the range)
    /// rewritten.
    pub(crate) fn write_masked(
        &self,
        b: &[u8],
        from: usize,
        to: usize,
        regions: &[Candidate],
        out: &mut Vec<u8>,
    ) {
        let mut at = from;
        for r in regions {
            out.extend_from_slice(&b[at..r.start]);
            strategy::entity(
                &self.strategy,
                &self.hasher,
                r.entity,
                &b[r.start..r.end],
                out,
            );
            at = r.end;
        }
        out.extend_from_slice(&b[at..to]);
    }

    pub(crate) fn scanner(&self) -> &Scanner {
        &self.scanner
    }
}
