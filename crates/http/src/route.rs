//! Route rules: method and path pattern to action name. `*` in a path segment matches any run
//! of characters inside that segment; a final `**` matches the rest of the path (none included).
//! The first rule that matches wins; an unmatched request is `http:<METHOD>`.

use crate::HttpError;
use warden_config::HttpRoute;

/// One compiled rule.
#[derive(Debug, Clone)]
struct Rule {
    method: Option<String>,
    segments: Vec<String>,
    rest: bool,
    action: String,
    outbound: bool,
}

/// The route rules of one connection, in config order.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    rules: Vec<Rule>,
}

/// What the rules say about one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    /// The action name.
    pub action: String,
    /// Whether the request body goes to a model provider and must be masked before it leaves.
    pub outbound: bool,
    /// Whether a rule matched (otherwise the action is `http:<METHOD>`).
    pub matched: bool,
}

impl RouteTable {
    /// Compiles `routes` of `connection`.
    pub fn new(connection: &str, routes: &[HttpRoute]) -> Result<Self, HttpError> {
        let mut rules = Vec::with_capacity(routes.len());
        for route in routes {
            let Some(path) = route.path.strip_prefix('/') else {
                return Err(HttpError::Config {
                    connection: connection.into(),
                    message: format!("route path {:?} must start with '/'", route.path),
                });
            };
            let mut segments: Vec<String> = path.split('/').map(str::to_owned).collect();
            let rest = segments.last().is_some_and(|s| s == "**");
            if rest {
                segments.pop();
            }
            if segments.iter().any(|s| s.contains("**")) {
                return Err(HttpError::Config {
                    connection: connection.into(),
                    message: format!("route path {:?}: `**` may only end a path", route.path),
                });
            }
            rules.push(Rule {
                method: (route.method != "*").then(|| route.method.to_ascii_uppercase()),
                segments,
                rest,
                action: route.action.clone(),
                outbound: route.outbound,
            });
        }
        Ok(RouteTable { rules })
    }

    /// The action of a request with `method` on `path` (below the connection, no query).
    pub fn classify(&self, method: &str, path: &str) -> RouteMatch {
        let path = path.strip_prefix('/').unwrap_or(path);
        for rule in &self.rules {
            if rule.method.as_deref().is_some_and(|m| m != method) {
                continue;
            }
            if rule.matches(path) {
                return RouteMatch {
                    action: rule.action.clone(),
                    outbound: rule.outbound,
                    matched: true,
                };
            }
        }
        RouteMatch {
            action: format!("http:{method}"),
            outbound: false,
            matched: false,
        }
    }
}

impl Rule {
    /// Whether `path` matches, with or without one trailing `/`: many servers route
    /// `/v1/files/x/` as `/v1/files/x`, so a rule must not be sidestepped by adding one.
    fn matches(&self, path: &str) -> bool {
        self.matches_exactly(path)
            || path
                .strip_suffix('/')
                .is_some_and(|trimmed| self.matches_exactly(trimmed))
    }

    fn matches_exactly(&self, path: &str) -> bool {
        let mut parts = path.split('/');
        for pattern in &self.segments {
            match parts.next() {
                Some(part) if glob(pattern.as_bytes(), part.as_bytes()) => {}
                _ => return false,
            }
        }
        self.rest || parts.next().is_none()
    }
}

/// `*` matches any run of bytes; everything else matches itself.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&b| b == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(method: &str, path: &str, action: &str) -> HttpRoute {
        HttpRoute {
            method: method.into(),
            path: path.into(),
            action: action.into(),
            outbound: action == "autogen:prompt",
        }
    }

    #[test]
    fn first_matching_rule_names_the_action() {
        let table = RouteTable::new(
            "llm",
            &[
                route("POST", "/v1/chat/completions", "autogen:prompt"),
                route("GET", "/v1/models/**", "autogen:model:read"),
                route("DELETE", "/v1/files/*", "autogen:artifact:delete"),
                route("*", "/v1/files/file-*/content", "autogen:artifact:read"),
            ],
        )
        .unwrap();
        let action = |m: &str, p: &str| table.classify(m, p).action;
        assert_eq!(action("POST", "/v1/chat/completions"), "autogen:prompt");
        assert!(table.classify("POST", "/v1/chat/completions").outbound);
        assert_eq!(action("GET", "/v1/chat/completions"), "http:GET");
        assert_eq!(action("GET", "/v1/models"), "autogen:model:read");
        assert_eq!(action("GET", "/v1/models/gpt-4o"), "autogen:model:read");
        assert_eq!(action("GET", "/v1/modelsx"), "http:GET");
        assert_eq!(action("DELETE", "/v1/files/abc"), "autogen:artifact:delete");
        assert_eq!(action("DELETE", "/v1/files/abc/def"), "http:DELETE");
        assert_eq!(action("DELETE", "/v1/files/"), "autogen:artifact:delete");
        assert_eq!(
            action("PUT", "/v1/files/file-9/content"),
            "autogen:artifact:read"
        );
        assert_eq!(action("PUT", "/v1/files/x-9/content"), "http:PUT");
        // A trailing slash does not sidestep a rule.
        assert_eq!(action("POST", "/v1/chat/completions/"), "autogen:prompt");
        assert_eq!(
            action("DELETE", "/v1/files/abc/"),
            "autogen:artifact:delete"
        );
        assert_eq!(action("DELETE", "/v1/files/abc/def/"), "http:DELETE");
    }

    #[test]
    fn double_star_only_at_the_end() {
        assert!(RouteTable::new("c", &[route("GET", "/a/**/b", "x:y")]).is_err());
        assert!(RouteTable::new("c", &[route("GET", "a", "x:y")]).is_err());
    }
}
