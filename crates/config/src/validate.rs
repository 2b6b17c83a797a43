//! Checks that need more than the shape: references between sections, address rules, names.

use crate::locate::KeyPath;
use crate::model::{Config, Connection, ListenerProtocol, SecretRef, WebhookFormat};
use std::collections::BTreeSet;
use warden_core::ConnectionKind;

/// One semantic problem, anchored at a key path.
pub(crate) struct Problem {
    pub(crate) path: KeyPath,
    pub(crate) message: String,
}

/// Detectors the masking engine knows.
pub const DETECTORS: [&str; 10] = [
    "email",
    "card",
    "ssn",
    "phone",
    "iban",
    "ip",
    "aws_key",
    "jwt",
    "private_key",
    "api_token",
];

/// Signature algorithms a provider may allow.
pub const ALGORITHMS: [&str; 12] = [
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA", "HS256",
    "HS384", "HS512",
];

/// All problems in `config`, in file order of sections.
pub(crate) fn validate(config: &Config) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut report = |path: KeyPath, message: String| problems.push(Problem { path, message });
    gateway(config, &mut report);
    identity(config, &mut report);
    connections(config, &mut report);
    roles(config, &mut report);
    reviews_and_masking(config, &mut report);
    webhooks(config, &mut report);
    policy_files(config, &mut report);
    problems
}

type Report<'a> = dyn FnMut(KeyPath, String) + 'a;

fn gateway(config: &Config, report: &mut Report<'_>) {
    let gw = &config.gateway;
    if gw.data_dir.as_os_str().is_empty() {
        report(
            KeyPath::keys(["gateway", "data_dir"]),
            "must not be empty".into(),
        );
    }
    if let Some(node) = &gw.node
        && !is_name(node)
    {
        report(KeyPath::keys(["gateway", "node"]), name_rule(node));
    }
    if gw.audit.checkpoint_every == 0 {
        report(
            KeyPath::keys(["gateway", "audit", "checkpoint_every"]),
            "must be at least 1".into(),
        );
    }
    if let crate::model::StoreConfig::Postgres { url } = &gw.store {
        secret(
            url,
            config,
            KeyPath::keys(["gateway", "store", "url"]),
            report,
        );
    }
    let mut seen = BTreeSet::new();
    for (i, listener) in gw.listeners.iter().enumerate() {
        let path = KeyPath::keys(["gateway", "listeners"]).index(i);
        if !seen.insert(listener.address) {
            report(
                path.key("address"),
                format!("address {} is used by another listener", listener.address),
            );
        }
        if listener.allow_plaintext_loopback && !listener.address.ip().is_loopback() {
            report(
                path.key("allow_plaintext_loopback"),
                format!(
                    "plaintext is only allowed on loopback addresses, and {} is not one",
                    listener.address.ip()
                ),
            );
        }
        if listener.allow_plaintext_loopback && listener.protocol == ListenerProtocol::Ssh {
            report(
                path.key("allow_plaintext_loopback"),
                "ssh is always encrypted; remove this key".into(),
            );
        }
    }
}

fn identity(config: &Config, report: &mut Report<'_>) {
    for (name, provider) in &config.identity.oidc {
        let path = KeyPath::keys(["identity", "oidc", name]);
        if !is_url(&provider.issuer) {
            report(
                path.key("issuer"),
                format!("{:?} is not an http(s) URL", provider.issuer),
            );
        }
        if let Some(url) = &provider.jwks_url
            && !is_url(url)
        {
            report(
                path.key("jwks_url"),
                format!("{url:?} is not an http(s) URL"),
            );
        }
        if provider.audience.is_empty() {
            report(
                path.key("audience"),
                "list at least one accepted audience".into(),
            );
        }
        let mut hmac = false;
        for (i, alg) in provider.algorithms.iter().enumerate() {
            if alg.eq_ignore_ascii_case("none") {
                report(
                    path.key("algorithms").index(i),
                    "unsigned tokens (alg none) are never accepted".into(),
                );
            } else if !ALGORITHMS.contains(&alg.as_str()) {
                report(
                    path.key("algorithms").index(i),
                    format!(
                        "unknown algorithm {alg:?}; expected one of {}",
                        ALGORITHMS.join(", ")
                    ),
                );
            }
            hmac |= alg.starts_with("HS");
        }
        match (&provider.hmac_secret, hmac) {
            (None, true) => report(
                path.key("algorithms"),
                "HS* algorithms need `hmac_secret`; HMAC is never verified with a public key"
                    .into(),
            ),
            (Some(_), false) => report(
                path.key("hmac_secret"),
                "an HMAC secret is set but no HS* algorithm is allowed".into(),
            ),
            (Some(s), true) => secret(s, config, path.key("hmac_secret"), report),
            (None, false) => {}
        }
        if provider.algorithms.is_empty() {
            report(
                path.key("algorithms"),
                "allow at least one algorithm".into(),
            );
        }
    }
}

fn connections(config: &Config, report: &mut Report<'_>) {
    for (name, connection) in &config.connections {
        let path = KeyPath::keys(["connections", name]);
        if !is_name(name) {
            report(path.clone(), name_rule(name));
        }
        let upstream = &connection.upstream;
        let ok = match connection.kind {
            ConnectionKind::Http | ConnectionKind::Kubernetes | ConnectionKind::Mcp => {
                is_url(upstream)
            }
            _ => is_host_port(upstream),
        };
        if !ok {
            let expected = match connection.kind {
                ConnectionKind::Http | ConnectionKind::Kubernetes | ConnectionKind::Mcp => {
                    "an http(s) URL"
                }
                _ => "host:port",
            };
            report(
                path.key("upstream"),
                format!(
                    "{upstream:?} is not {expected} (connection kind {})",
                    connection.kind
                ),
            );
        }
        if let Some(credentials) = &connection.credentials {
            let cpath = path.key("credentials");
            if let Some(s) = &credentials.password {
                secret(s, config, cpath.key("password"), report);
            }
            if let Some(s) = &credentials.private_key {
                secret(s, config, cpath.key("private_key"), report);
            }
            for (header, s) in &credentials.headers {
                secret(s, config, cpath.key("headers").key(header), report);
            }
            for (param, s) in &credentials.query {
                secret(s, config, cpath.key("query").key(param), report);
            }
        }
        http_routes(connection, &path, report);
        if let Some(ca) = &connection.tls.ca
            && !config.base_dir.join(ca).is_file()
        {
            report(
                path.key("tls").key("ca"),
                format!("CA file {} does not exist", ca.display()),
            );
        }
    }
}

/// Route rules and API flavour belong to HTTP connections; each rule must be well formed.
fn http_routes(connection: &Connection, path: &KeyPath, report: &mut Report<'_>) {
    if connection.kind != ConnectionKind::Http {
        if connection.api.is_some() {
            report(
                path.key("api"),
                "only HTTP connections have an `api`".into(),
            );
        }
        if !connection.routes.is_empty() {
            report(
                path.key("routes"),
                "only HTTP connections have route rules".into(),
            );
        }
        return;
    }
    for (i, route) in connection.routes.iter().enumerate() {
        let rpath = path.key("routes").index(i);
        let method = route.method.as_str();
        if method != "*" && (method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase())) {
            report(
                rpath.key("method"),
                format!(
                    "{method:?} is not an HTTP method; write it in capitals (`GET`, `POST`) or `*`"
                ),
            );
        }
        if !route.path.starts_with('/') {
            report(
                rpath.key("path"),
                format!("{:?} must start with '/'", route.path),
            );
        } else if let Some(pos) = route.path.find("**")
            && pos + 2 != route.path.len()
        {
            report(
                rpath.key("path"),
                format!("{:?}: `**` may only end a path pattern", route.path),
            );
        }
        if route.action.contains('*') {
            report(
                rpath.key("action"),
                format!(
                    "{:?} is an action name, not a pattern: remove the `*`",
                    route.action
                ),
            );
        } else if let Err(why) = action_pattern(&route.action) {
            report(rpath.key("action"), why);
        }
    }
}

fn roles(config: &Config, report: &mut Report<'_>) {
    for (name, role) in &config.roles {
        let path = KeyPath::keys(["roles", name]);
        if role.groups.is_empty() && role.subjects.is_empty() && role.scopes.is_empty() {
            report(
                path.clone(),
                "binds nobody: list groups, subjects or scopes".into(),
            );
        }
        if role.connections.is_empty() {
            report(
                path.key("connections"),
                "list at least one connection name or glob".into(),
            );
        }
        for (i, connection) in role.connections.iter().enumerate() {
            if !connection.contains('*') && !config.connections.contains_key(connection) {
                report(
                    path.key("connections").index(i),
                    format!("no connection named {connection:?} is defined under [connections]"),
                );
            }
        }
        for (list, patterns) in [
            ("allow", &role.allow),
            ("review", &role.review),
            ("deny", &role.deny),
        ] {
            for (i, pattern) in patterns.iter().enumerate() {
                if let Err(why) = action_pattern(pattern) {
                    report(path.key(list).index(i), why);
                }
            }
        }
        match &role.review_policy {
            Some(policy) if !config.review_policies.contains_key(policy) => report(
                path.key("review_policy"),
                format!("no review policy named {policy:?} is defined under [review_policies]"),
            ),
            None if !role.review.is_empty() => report(
                path.key("review"),
                "review verdicts need a `review_policy` naming who approves".into(),
            ),
            _ => {}
        }
        if let Some(budget) = &role.token_budget {
            if budget.tokens == 0 {
                report(
                    path.key("token_budget").key("tokens"),
                    "must be at least 1; to forbid LLM use, deny the action instead".into(),
                );
            }
            if budget.window.0.as_secs() == 0 {
                report(
                    path.key("token_budget").key("window"),
                    "must be at least one second, e.g. \"1h\" or \"1d\"".into(),
                );
            }
        }
        for (i, model) in role.models.iter().enumerate() {
            if model.trim().is_empty() {
                report(
                    path.key("models").index(i),
                    "empty model name; list model names or globs such as `gpt-4o*`".into(),
                );
            }
        }
        if let Some(profile) = &role.mask
            && !config.masking.profiles.contains_key(profile)
        {
            report(
                path.key("mask"),
                format!("no masking profile named {profile:?} is defined under [masking.profiles]"),
            );
        }
    }
}

fn reviews_and_masking(config: &Config, report: &mut Report<'_>) {
    for (name, policy) in &config.review_policies {
        let path = KeyPath::keys(["review_policies", name]);
        if policy.approvers.is_empty() {
            report(
                path.key("approvers"),
                "list at least one approver group".into(),
            );
        }
        if policy.quorum == 0 {
            report(path.key("quorum"), "must be at least 1".into());
        }
        if policy.timeout.0.is_zero() {
            report(path.key("timeout"), "must be longer than zero".into());
        }
    }
    for (name, profile) in &config.masking.profiles {
        let path = KeyPath::keys(["masking", "profiles", name]);
        for (i, detector) in profile.detectors.iter().enumerate() {
            if !DETECTORS.contains(&detector.as_str()) {
                report(
                    path.key("detectors").index(i),
                    format!(
                        "unknown detector {detector:?}; expected one of {}",
                        DETECTORS.join(", ")
                    ),
                );
            }
        }
        for (i, rule) in profile.columns.iter().enumerate() {
            if rule.pattern.trim().is_empty() {
                report(
                    path.key("columns").index(i).key("match"),
                    "must not be empty".into(),
                );
            }
        }
    }
}

fn webhooks(config: &Config, report: &mut Report<'_>) {
    for (i, hook) in config.webhooks.iter().enumerate() {
        let path = KeyPath::keys(["webhooks"]).index(i);
        if !is_url(&hook.url) {
            report(
                path.key("url"),
                format!("{:?} is not an http(s) URL", hook.url),
            );
        }
        match (hook.format, &hook.secret) {
            (WebhookFormat::Json, None) => report(
                path.key("secret"),
                "json webhooks are signed: set `secret = { env = \"VAR\" }` or `{ file = \"path\" }` (or use format = \"slack\")"
                    .into(),
            ),
            (WebhookFormat::Json, Some(s)) => secret(s, config, path.key("secret"), report),
            (WebhookFormat::Slack, Some(_)) => report(
                path.key("secret"),
                "slack webhooks are not signed (the URL is the credential); remove `secret`"
                    .into(),
            ),
            (WebhookFormat::Slack, None) => {}
        }
        if hook.events.as_ref().is_some_and(Vec::is_empty) {
            report(
                path.key("events"),
                "list at least one event, or remove `events` to send them all".into(),
            );
        }
        if hook.timeout.0.is_zero() {
            report(path.key("timeout"), "must be longer than zero".into());
        }
    }
}

fn policy_files(config: &Config, report: &mut Report<'_>) {
    for (i, file) in config.policy.cedar.iter().enumerate() {
        if !config.base_dir.join(file).is_file() {
            report(
                KeyPath::keys(["policy", "cedar"]).index(i),
                format!("Cedar policy file {} does not exist", file.display()),
            );
        }
    }
}

fn secret(reference: &SecretRef, config: &Config, path: KeyPath, report: &mut Report<'_>) {
    match reference {
        SecretRef::Env { env } => {
            if std::env::var_os(env).is_none() {
                report(
                    path.key("env"),
                    format!("environment variable {env} is not set"),
                );
            }
        }
        SecretRef::File { file } => {
            if !config.base_dir.join(file).is_file() {
                report(
                    path.key("file"),
                    format!("secret file {} does not exist", file.display()),
                );
            }
        }
    }
}

/// Checks the shape of an action pattern; policy checks the meaning.
fn action_pattern(pattern: &str) -> Result<(), String> {
    if pattern == "*" {
        return Ok(());
    }
    if pattern.trim() != pattern || pattern.is_empty() {
        return Err(format!(
            "action pattern {pattern:?} is empty or has surrounding spaces"
        ));
    }
    match pattern.split_once(':') {
        Some((protocol, rest))
            if !protocol.is_empty()
                && !rest.is_empty()
                && protocol
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '*') =>
        {
            Ok(())
        }
        _ => Err(format!(
            "action pattern {pattern:?} should look like `protocol:action`, e.g. `sql:read`, `sql:*`, `http:POST /v1/*`"
        )),
    }
}

fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn name_rule(name: &str) -> String {
    format!("{name:?} is not a valid name: use letters, digits, '-', '_' and '.'")
}

fn is_url(text: &str) -> bool {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'))
}

fn is_host_port(text: &str) -> bool {
    match text.rsplit_once(':') {
        Some((host, port)) => !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0),
        None => false,
    }
}
