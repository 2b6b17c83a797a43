//! API tokens recognised by their vendor prefix.

use super::Span;
use super::aws::classes;
use crate::text::Text;

/// What may follow a prefix.
#[derive(Clone, Copy)]
enum Body {
    /// Letters and digits.
    Alnum,
    /// Letters, digits and `_`.
    Word,
    /// Letters, digits and `-`.
    Dash,
    /// Letters, digits, `-` and `_`.
    Url,
}

impl Body {
    fn allows(self, c: u8) -> bool {
        c.is_ascii_alphanumeric()
            || match self {
                Body::Alnum => false,
                Body::Word => c == b'_',
                Body::Dash => c == b'-',
                Body::Url => c == b'-' || c == b'_',
            }
    }
}

/// A token prefix: the body alphabet, its length bounds, and whether the body must look random.
pub(crate) struct Spec {
    pub(crate) prefix: &'static str,
    body: Body,
    min: usize,
    max: usize,
    mixed: bool,
}

const fn spec(prefix: &'static str, body: Body, min: usize, max: usize, mixed: bool) -> Spec {
    Spec {
        prefix,
        body,
        min,
        max,
        mixed,
    }
}

/// Every known prefix; the minimum lengths keep prose (`sk-learn`) out.
pub(crate) const SPECS: [Spec; 17] = [
    spec("sk-", Body::Url, 20, 250, true),
    spec("ghp_", Body::Alnum, 30, 250, true),
    spec("gho_", Body::Alnum, 30, 250, true),
    spec("ghu_", Body::Alnum, 30, 250, true),
    spec("ghs_", Body::Alnum, 30, 250, true),
    spec("ghr_", Body::Alnum, 30, 250, true),
    spec("github_pat_", Body::Word, 40, 250, true),
    spec("xoxb-", Body::Dash, 20, 250, true),
    spec("xoxp-", Body::Dash, 20, 250, true),
    spec("xoxa-", Body::Dash, 20, 250, true),
    spec("xapp-", Body::Dash, 20, 250, true),
    spec("glpat-", Body::Url, 20, 250, true),
    spec("AIza", Body::Url, 35, 35, false),
    spec("sk_live_", Body::Alnum, 24, 250, true),
    spec("rk_live_", Body::Alnum, 24, 250, true),
    spec("sk_test_", Body::Alnum, 24, 250, true),
    spec("rk_test_", Body::Alnum, 24, 250, true),
];

/// The token at the prefix at `s`: not glued to a letter, digit, `_` or `-` on the left; the
/// body is the maximal run of its alphabet, within the spec's length bounds, not followed by a
/// letter, digit, `_` or `-`, and (for most prefixes) mixing at least two of uppercase,
/// lowercase and digits.
pub(crate) fn at(text: &Text<'_>, s: usize, spec: &Spec) -> Option<Span> {
    if text.before(s).is_some_and(crate::text::is_b64url) {
        return None;
    }
    let body = s + spec.prefix.len();
    let end = text.run_end(body, |c| spec.body.allows(c));
    let len = end - body;
    let ok = (spec.min..=spec.max).contains(&len)
        && !text.at(end).is_some_and(crate::text::is_b64url)
        && (!spec.mixed || classes(&text.b[body..end]));
    ok.then_some(s..end)
}
