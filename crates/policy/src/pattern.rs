//! Action and connection patterns: `sql:*`, `http:POST /v1/*`, `pg-*`, `*`.
//!
//! A `*` matches any run of characters inside one `:`-separated segment. A pattern that ends in
//! `*` also matches any further segments, so `sql:*` matches `sql:read` and `autogen:*` matches
//! `autogen:model:delete`. Everything else matches exactly.

use std::fmt;

/// A validated pattern over action names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionPattern {
    text: String,
    /// No `*` in it: it matches exactly the name it spells.
    exact: bool,
}

impl ActionPattern {
    /// Checks `text` and keeps it; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, String> {
        check_common(text, "action pattern")?;
        if text != "*" {
            let Some((protocol, rest)) = text.split_once(':') else {
                return Err(format!(
                    "action pattern {text:?} should look like `protocol:action`, e.g. `sql:read`, `sql:*`, `http:POST /v1/*`, or be `*`"
                ));
            };
            if protocol.is_empty()
                || !protocol
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '*')
            {
                return Err(format!(
                    "action pattern {text:?} must start with a lowercase protocol such as `sql`, `ssh`, `http`, `k8s` or `mcp`"
                ));
            }
            if rest.split(':').any(str::is_empty) {
                return Err(format!(
                    "action pattern {text:?} has an empty segment between colons"
                ));
            }
        }
        Ok(ActionPattern {
            text: text.to_owned(),
            exact: !text.contains('*'),
        })
    }

    /// Whether the action named `name` matches.
    pub fn matches(&self, name: &str) -> bool {
        if self.exact {
            return self.text == name;
        }
        segment_match(self.text.as_bytes(), name.as_bytes())
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for ActionPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A validated pattern over connection names (`pg-prod`, `pg-*`, `*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionPattern {
    text: String,
}

impl ConnectionPattern {
    /// Checks `text` and keeps it; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, String> {
        check_common(text, "connection pattern")?;
        if let Some(c) = text
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '*')))
        {
            return Err(format!(
                "connection pattern {text:?} contains {c:?}; use letters, digits, '-', '_', '.' and '*'"
            ));
        }
        Ok(ConnectionPattern {
            text: text.to_owned(),
        })
    }

    /// Whether the connection named `name` matches.
    pub fn matches(&self, name: &str) -> bool {
        glob(self.text.as_bytes(), name.as_bytes())
    }

    /// Whether the pattern has a wildcard (otherwise it names one connection).
    pub fn is_glob(&self) -> bool {
        self.text.contains('*')
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for ConnectionPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Checks shared by both kinds of pattern.
fn check_common(text: &str, what: &str) -> Result<(), String> {
    if text.is_empty() {
        return Err(format!("{what} is empty"));
    }
    if text.trim() != text {
        return Err(format!("{what} {text:?} has surrounding spaces"));
    }
    if let Some(c) = text
        .chars()
        .find(|c| c.is_control() || (c.is_whitespace() && *c != ' '))
    {
        return Err(format!(
            "{what} {text:?} contains the control character {c:?}"
        ));
    }
    if let Some(c) = text
        .chars()
        .find(|c| matches!(c, '?' | '[' | ']' | '{' | '}'))
    {
        return Err(format!(
            "{what} {text:?} contains {c:?}; the only wildcard is `*`"
        ));
    }
    if text.contains("**") {
        return Err(format!(
            "{what} {text:?} contains `**`; a single `*` is enough"
        ));
    }
    Ok(())
}

/// Segment-wise match: colons must line up, except that a pattern ending in `*` lets its last
/// segment run over the rest of the name.
fn segment_match(pattern: &[u8], name: &[u8]) -> bool {
    // Split on bytes: `:` is ASCII, and a byte search costs less than a `char` one on such
    // short texts.
    let mut segments = pattern.split(|&b| b == b':').peekable();
    let mut rest = name;
    while let Some(segment) = segments.next() {
        if segments.peek().is_none() {
            return (segment.ends_with(b"*") || !rest.contains(&b':')) && glob(segment, rest);
        }
        let Some(colon) = rest.iter().position(|&b| b == b':') else {
            return false;
        };
        if !glob(segment, &rest[..colon]) {
            return false;
        }
        rest = &rest[colon + 1..];
    }
    false
}

/// Classic wildcard match where `*` matches any run of bytes, with one backtrack point.
pub(crate) fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if text.get(t) == Some(&c) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern.iter().skip(p).all(|&c| c == b'*')
}

#[cfg(test)]
#[path = "pattern_tests.rs"]
mod tests;
