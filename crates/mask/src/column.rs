//! Column rules: which result columns are masked whole, whatever their values look like.

use warden_config::{ColumnRule, MaskStrategy};

use crate::MaskError;

/// A result column as the protocol knows it: the pipeline's own type.
pub use warden_core::mask::ColumnRef;

/// One part of a pattern: a glob over an identifier, compared ignoring ASCII case.
#[derive(Debug, Clone)]
enum Glob {
    Any,
    Exact(Vec<u8>),
    Prefix(Vec<u8>),
    Suffix(Vec<u8>),
    Contains(Vec<u8>),
    Wild(Vec<u8>),
}

impl Glob {
    fn new(segment: &str) -> Glob {
        let p = segment.to_ascii_lowercase().into_bytes();
        let stars = p.iter().filter(|&&c| c == b'*').count();
        let plain = |s: &[u8]| !s.iter().any(|&c| c == b'*' || c == b'?');
        let n = p.len();
        if p.iter().all(|&c| c == b'*') {
            Glob::Any
        } else if plain(&p) {
            Glob::Exact(p)
        } else if stars == 1 && p[n - 1] == b'*' && plain(&p[..n - 1]) {
            Glob::Prefix(p[..n - 1].to_vec())
        } else if stars == 1 && p[0] == b'*' && plain(&p[1..]) {
            Glob::Suffix(p[1..].to_vec())
        } else if stars == 2 && n > 2 && p[0] == b'*' && p[n - 1] == b'*' && plain(&p[1..n - 1]) {
            Glob::Contains(p[1..n - 1].to_vec())
        } else {
            Glob::Wild(p)
        }
    }

    fn matches(&self, name: &str) -> bool {
        let s = name.as_bytes();
        match self {
            Glob::Any => true,
            Glob::Exact(p) => s.eq_ignore_ascii_case(p),
            Glob::Prefix(p) => s.len() >= p.len() && s[..p.len()].eq_ignore_ascii_case(p),
            Glob::Suffix(p) => s.len() >= p.len() && s[s.len() - p.len()..].eq_ignore_ascii_case(p),
            Glob::Contains(p) => s.windows(p.len()).any(|w| w.eq_ignore_ascii_case(p)),
            Glob::Wild(p) => wild(p, s),
        }
    }
}

/// Glob matching with `*` (any run) and `?` (one byte), backtracking only to the last `*`.
fn wild(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(&c) if c == b'?' || c == s[si].to_ascii_lowercase() => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[derive(Debug, Clone)]
struct Rule {
    schema: Option<Glob>,
    table: Option<Glob>,
    column: Glob,
    strategy: MaskStrategy,
}

/// Column rules compiled once; the first rule that matches a column decides its strategy.
///
/// A pattern is `column`, `table.column` or `schema.table.column`, each part a glob (`*`, `?`)
/// compared ignoring ASCII case: `*.password`, `*ssn*`, `public.users.email`. A qualifier the
/// protocol does not know (a computed column has no table) counts as matching, so a rule errs
/// towards masking.
#[derive(Debug, Clone, Default)]
pub struct ColumnMatcher {
    rules: Vec<Rule>,
}

impl ColumnMatcher {
    /// Compiles `rules`, in order.
    pub fn new(rules: &[ColumnRule]) -> Result<Self, MaskError> {
        let compiled = rules
            .iter()
            .map(|rule| {
                let err = |reason| MaskError::ColumnPattern {
                    pattern: rule.pattern.clone(),
                    reason,
                };
                let parts: Vec<&str> = rule.pattern.trim().split('.').collect();
                if parts.iter().any(|p| p.trim().is_empty()) {
                    return Err(err(
                        "empty part; write `column`, `table.column` or `schema.table.column`",
                    ));
                }
                let globs: Vec<Glob> = parts.iter().map(|p| Glob::new(p.trim())).collect();
                let mut globs = globs.into_iter().rev();
                let column = globs.next().ok_or_else(|| err("empty pattern"))?;
                let table = globs.next();
                let schema = globs.next();
                if globs.next().is_some() {
                    return Err(err(
                        "too many parts; write `column`, `table.column` or `schema.table.column`",
                    ));
                }
                Ok(Rule {
                    schema,
                    table,
                    column,
                    strategy: rule.strategy.clone(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(ColumnMatcher { rules: compiled })
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The index of the first rule matching `column`.
    pub fn position(&self, column: ColumnRef<'_>) -> Option<usize> {
        let part = |glob: &Option<Glob>, name: Option<&str>| match (glob, name) {
            (Some(g), Some(n)) => g.matches(n),
            _ => true,
        };
        self.rules.iter().position(|r| {
            r.column.matches(column.column)
                && part(&r.table, column.table)
                && part(&r.schema, column.schema)
        })
    }

    /// The strategy of the first rule matching `column`.
    pub fn strategy_for(&self, column: ColumnRef<'_>) -> Option<&MaskStrategy> {
        self.position(column).map(|i| &self.rules[i].strategy)
    }

    /// The strategy of rule `index`.
    pub(crate) fn strategy(&self, index: usize) -> Option<&MaskStrategy> {
        self.rules.get(index).map(|r| &r.strategy)
    }
}
