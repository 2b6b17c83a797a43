//! One scan of a text with a profile's detectors: cheap prefilters, then the detectors.

use aho_corasick::{AhoCorasick, MatchKind};

use crate::detect::jwt::{self, Jwt};
use crate::detect::pem::{self, Pem};
use crate::detect::{Span, aws, card, email, iban, ip, phone, ssn, token};
use crate::text::{Text, find_digit};
use crate::{Entity, MaskError};
use warden_core::bytes::find_either;
use warden_core::mask::Anchors;

/// A detector hit, or after [`resolve`] a region to mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) entity: Entity,
}

/// What a literal prefix found by the automaton starts.
#[derive(Clone, Copy)]
enum Literal {
    AwsId,
    AwsSecret,
    Token(usize),
    Jwt,
    Pem,
}

/// A profile's detectors, compiled.
pub(crate) struct Scanner {
    enabled: u16,
    literals: Option<AhoCorasick>,
    kinds: Vec<Literal>,
    anchors: Anchors,
}

const NUMERIC: [Entity; 5] = [
    Entity::Card,
    Entity::Ssn,
    Entity::Phone,
    Entity::Iban,
    Entity::Ip,
];

impl Scanner {
    /// Compiles the given detectors.
    pub(crate) fn new(entities: &[Entity]) -> Result<Self, MaskError> {
        let enabled = entities.iter().fold(0u16, |acc, e| acc | e.bit());
        let on = |e: Entity| enabled & e.bit() != 0;
        let mut patterns: Vec<&'static str> = Vec::new();
        let mut kinds = Vec::new();
        let mut add = |p: &'static str, k: Literal| {
            patterns.push(p);
            kinds.push(k);
        };
        if on(Entity::AwsKey) {
            aws::ID_PREFIXES.iter().for_each(|p| add(p, Literal::AwsId));
            aws::SECRET_LABELS
                .iter()
                .for_each(|p| add(p, Literal::AwsSecret));
        }
        if on(Entity::ApiToken) {
            for (i, spec) in token::SPECS.iter().enumerate() {
                add(spec.prefix, Literal::Token(i));
            }
        }
        if on(Entity::Jwt) {
            add("eyJ", Literal::Jwt);
        }
        if on(Entity::PrivateKey) {
            add("-----BEGIN", Literal::Pem);
        }
        // What each kind of scan starts from: a text without any of these finds nothing.
        let mut anchors = Anchors::NONE;
        if on(Entity::Email) {
            anchors.insert(b'@');
        }
        if on(Entity::Ip) {
            anchors.insert(b':');
        }
        if NUMERIC.iter().any(|&e| on(e)) {
            (b'0'..=b'9').for_each(|d| anchors.insert(d));
        }
        for pattern in &patterns {
            if let Some(&first) = pattern.as_bytes().first() {
                anchors.insert(first);
            }
        }
        let literals = if patterns.is_empty() {
            None
        } else {
            let automaton = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .build(&patterns)
                .map_err(|e| MaskError::Automaton(e.to_string()))?;
            Some(automaton)
        };
        Ok(Scanner {
            enabled,
            literals,
            kinds,
            anchors,
        })
    }

    /// Bytes one of which a text must hold for [`Self::scan`] to find anything in it.
    pub(crate) fn anchors(&self) -> Anchors {
        self.anchors
    }

    fn on(&self, entity: Entity) -> bool {
        self.enabled & entity.bit() != 0
    }

    /// Appends every detector hit in `text` to `out` (unsorted, possibly overlapping) and
    /// returns the earliest start of an entity that needs bytes after an open end.
    pub(crate) fn scan(&self, text: &Text<'_>, out: &mut Vec<Candidate>) -> Option<usize> {
        let mut undecided = None;
        self.scan_punctuation(text, out);
        if NUMERIC.iter().any(|&e| self.on(e)) {
            self.scan_numbers(text, out);
        }
        // A text shorter than every literal prefix holds none: short values (numbers, flags,
        // codes) skip the automaton's set-up.
        if let Some(automaton) = self
            .literals
            .as_ref()
            .filter(|automaton| text.b.len() >= automaton.min_pattern_len())
        {
            let mut pem_ends = pem::EndCache::default();
            for m in automaton.find_iter(text.b) {
                let s = m.start();
                let hit = match self.kinds[m.pattern().as_usize()] {
                    Literal::AwsId => aws::id(text, s).map(|sp| (sp, Entity::AwsKey)),
                    Literal::AwsSecret => aws::secret(text, m.end()).map(|sp| (sp, Entity::AwsKey)),
                    Literal::Token(i) => {
                        token::at(text, s, &token::SPECS[i]).map(|sp| (sp, Entity::ApiToken))
                    }
                    Literal::Jwt => match jwt::at(text, s) {
                        Jwt::Found(sp) => Some((sp, Entity::Jwt)),
                        Jwt::No => None,
                        Jwt::Undecided => {
                            undecided = undecided.or(Some(s).filter(|&s| text.start_ok(s)));
                            None
                        }
                    },
                    Literal::Pem => match pem::at(text, s, &mut pem_ends) {
                        Pem::Found(sp) => Some((sp, Entity::PrivateKey)),
                        Pem::No => None,
                        Pem::Undecided => {
                            undecided = undecided.or(Some(s).filter(|&s| text.start_ok(s)));
                            None
                        }
                    },
                };
                if let Some((span, entity)) = hit {
                    push(text, out, span, entity);
                }
            }
        }
        undecided
    }

    /// Emails (anchored on `@`) and IPv6 addresses (anchored on `:`).
    fn scan_punctuation(&self, text: &Text<'_>, out: &mut Vec<Candidate>) {
        // The bytes to look for, one twice when only one family is on.
        let (x, y) = match (self.on(Entity::Email), self.on(Entity::Ip)) {
            (true, true) => (b'@', b':'),
            (true, false) => (b'@', b'@'),
            (false, true) => (b':', b':'),
            (false, false) => return,
        };
        let b = text.b;
        let mut pos = 0;
        while pos < b.len() {
            let Some(i) = find_either(b, pos, x, y) else {
                break;
            };
            pos = i + 1;
            if b[i] == b'@' {
                if let Some(span) = email::at(text, i) {
                    push(text, out, span, Entity::Email);
                }
            } else {
                let (span, resume) = ip::v6(text, i);
                if let Some(span) = span {
                    push(text, out, span, Entity::Ip);
                }
                pos = pos.max(resume);
            }
        }
    }

    /// Card, SSN, phone, IBAN and IPv4, dispatched from the start of each digit run.
    fn scan_numbers(&self, text: &Text<'_>, out: &mut Vec<Candidate>) {
        let b = text.b;
        let mut hit = |entity: Entity, span: Option<Span>| {
            if let Some(span) = span {
                push(text, out, span, entity);
            }
        };
        let mut i = 0;
        while let Some(d) = find_digit(b, i) {
            let end = text.digits_end(d);
            i = end;
            let len = end - d;
            let prev = text.before(d);
            if self.on(Entity::Iban) && len >= 2 && prev.is_some_and(|c| c.is_ascii_uppercase()) {
                hit(Entity::Iban, iban::at(text, d));
            }
            // Glued to a word, or to `-`, `.`, `/` after a letter or digit: every numeric
            // detector refuses that (see `numeric::left_ok`), so skip the run outright.
            let glued = prev.is_some_and(crate::text::is_word)
                || (matches!(prev, Some(b'-' | b'.' | b'/'))
                    && text
                        .before(d - 1)
                        .is_some_and(|c| c.is_ascii_alphanumeric()));
            if glued {
                continue;
            }
            // Cheap shape checks on the bytes around the run keep most numbers (timestamps,
            // counters, ids) away from the detectors.
            let next = text.at(end);
            let grouped =
                |seps: &[u8]| next.is_some_and(|c| seps.contains(&c)) && text.digit_at(end + 1);
            if self.on(Entity::Card) && ((13..=19).contains(&len) || (len == 4 && grouped(b" -"))) {
                hit(Entity::Card, card::at(text, d));
            }
            if self.on(Entity::Ssn) && len == 3 && grouped(b"- ") {
                hit(Entity::Ssn, ssn::at(text, d));
            }
            // A lone `0` (`0 802 48 38 15`) and two digits not led by `0` (`22 948 02 54`,
            // `17 4075-2429`) start only forms with a space and a group of 3–5 next.
            let spaced_next = || match next {
                Some(b' ') => text.digits_end(end + 1) - (end + 1),
                _ => 0,
            };
            let phone_shape = matches!(prev, Some(b'+' | b'('))
                || (len == 3 && grouped(b"-. "))
                || (len == 1 && b[d] == b'1' && grouped(b"-. "))
                || (len == 1 && b[d] == b'0' && spaced_next() == 3)
                || (len == 2 && b[d] != b'0' && (3..=5).contains(&spaced_next()))
                || (b[d] == b'0' && (2..=6).contains(&len) && grouped(b"-. "));
            if self.on(Entity::Phone) && phone_shape {
                hit(Entity::Phone, phone::at(text, d));
            }
            if self.on(Entity::Ip) && len <= 3 && grouped(b".") {
                hit(Entity::Ip, ip::v4(text, d));
            }
        }
    }
}

/// Most candidates a thread keeps room for between scans; a scan that needed more gives the
/// extra back.
const KEPT_CANDIDATES: usize = 1024;

thread_local! {
    /// The candidate list of this thread's last scan, reused so a scan allocates nothing.
    static CANDIDATES: std::cell::RefCell<Vec<Candidate>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` with an empty candidate list: this thread's reused one, or a fresh one when `f`
/// runs inside another `with_candidates`.
pub(crate) fn with_candidates<R>(f: impl FnOnce(&mut Vec<Candidate>) -> R) -> R {
    CANDIDATES.with(|cell| match cell.try_borrow_mut() {
        Ok(mut kept) => {
            kept.clear();
            let result = f(&mut kept);
            if kept.capacity() > KEPT_CANDIDATES {
                kept.clear();
                kept.shrink_to(KEPT_CANDIDATES);
            }
            result
        }
        Err(_) => f(&mut Vec::new()),
    })
}

fn push(text: &Text<'_>, out: &mut Vec<Candidate>, span: Span, entity: Entity) {
    if text.start_ok(span.start) {
        out.push(Candidate {
            start: span.start,
            end: span.end,
            entity,
        });
    }
}

/// Sorts hits and merges overlapping ones into regions to mask; a region takes the entity of
/// its earliest, then longest, then first-listed hit, so the result never depends on the
/// order the detectors ran in.
pub(crate) fn resolve(cands: &mut Vec<Candidate>) {
    if cands.len() < 2 {
        return;
    }
    cands.sort_unstable_by(|a, b| {
        (a.start.cmp(&b.start))
            .then(b.end.cmp(&a.end))
            .then(a.entity.cmp(&b.entity))
    });
    let mut kept = 0;
    for i in 1..cands.len() {
        let c = cands[i];
        if c.start < cands[kept].end {
            cands[kept].end = cands[kept].end.max(c.end);
        } else {
            kept += 1;
            cands[kept] = c;
        }
    }
    cands.truncate(kept + 1);
}
