//! Roles from the config, compiled: who they bind, which connections, which verdict per action.

use crate::PolicyError;
use crate::pattern::{ActionPattern, ConnectionPattern};
use warden_config::{Config, Role};
use warden_core::{Action, Identity, Verdict};

/// All roles, in name order.
#[derive(Debug, Default)]
pub(crate) struct Roles {
    roles: Vec<CompiledRole>,
}

/// One role, ready to evaluate.
#[derive(Debug)]
pub(crate) struct CompiledRole {
    /// The role's name.
    pub(crate) name: String,
    groups: Vec<String>,
    subjects: Vec<String>,
    scopes: Vec<String>,
    connections: Vec<ConnectionPattern>,
    /// Model globs the role's allow and review rules are limited to (empty: any model).
    models: Vec<String>,
    /// Deny rules first, then review, then allow, each list in config order.
    pub(crate) rules: Vec<RoleRule>,
}

/// One entry of a role's `allow`, `review` or `deny` list.
#[derive(Debug)]
pub(crate) struct RoleRule {
    /// `role:<name>/<list>[<index>]`.
    pub(crate) id: String,
    /// The role's name.
    pub(crate) role: String,
    /// The list it is in.
    pub(crate) verdict: Verdict,
    /// The action pattern.
    pub(crate) pattern: ActionPattern,
    /// The role's review policy.
    pub(crate) review_policy: Option<String>,
    /// The role's masking profile.
    pub(crate) mask: Option<String>,
    /// The role's LLM token budget.
    pub(crate) token_budget: Option<warden_core::TokenBudget>,
}

impl Roles {
    /// Compiles and checks every role of `config`.
    pub(crate) fn compile(config: &Config) -> Result<Self, PolicyError> {
        let roles = config
            .roles
            .iter()
            .map(|(name, role)| compile_role(config, name, role))
            .collect::<Result<_, _>>()?;
        Ok(Roles { roles })
    }

    /// Roles that bind `identity` (or were granted to it) and list `connection`, in name order.
    pub(crate) fn applicable<'r>(
        &'r self,
        identity: &'r Identity,
        connection: &'r str,
        granted: &'r [String],
    ) -> impl Iterator<Item = &'r CompiledRole> + 'r {
        self.roles.iter().filter(move |role| {
            (role.binds(identity) || granted.contains(&role.name)) && role.lists(connection)
        })
    }
}

impl CompiledRole {
    /// Every non-empty selector must match: a group in common, the subject listed, a scope held.
    fn binds(&self, identity: &Identity) -> bool {
        let groups = self.groups.is_empty() || self.groups.iter().any(|g| identity.in_group(g));
        let subjects = self.subjects.is_empty() || self.subjects.contains(&identity.subject);
        let scopes = self.scopes.is_empty() || self.scopes.iter().any(|s| identity.has_scope(s));
        let selects_someone =
            !(self.groups.is_empty() && self.subjects.is_empty() && self.scopes.is_empty());
        selects_someone && groups && subjects && scopes
    }

    fn lists(&self, connection: &str) -> bool {
        self.connections.iter().any(|c| c.matches(connection))
    }

    /// Rules of this role whose pattern matches `action`; allow and review rules only when the
    /// action's model, if it names one, is in the role's model allow-list.
    pub(crate) fn matching<'r>(&'r self, action: &'r Action) -> impl Iterator<Item = &'r RoleRule> {
        let model_allowed = self.allows_model(action);
        self.rules.iter().filter(move |rule| {
            (model_allowed || rule.verdict == Verdict::Deny) && rule.pattern.matches(&action.name)
        })
    }

    /// Whether the action names no model, the role lists none, or the model is in its list.
    pub(crate) fn allows_model(&self, action: &Action) -> bool {
        match &action.model {
            Some(model) if !self.models.is_empty() => self
                .models
                .iter()
                .any(|pattern| crate::pattern::glob(pattern.as_bytes(), model.as_bytes())),
            _ => true,
        }
    }

    /// The role's model allow-list as written, for refusals that name it.
    pub(crate) fn models(&self) -> &[String] {
        &self.models
    }

    /// Whether an allow or review rule of this role would match `action` if its model were
    /// allowed.
    pub(crate) fn would_grant(&self, action: &Action) -> bool {
        self.rules
            .iter()
            .any(|rule| rule.verdict != Verdict::Deny && rule.pattern.matches(&action.name))
    }
}

fn compile_role(config: &Config, name: &str, role: &Role) -> Result<CompiledRole, PolicyError> {
    if role.groups.is_empty() && role.subjects.is_empty() && role.scopes.is_empty() {
        return Err(PolicyError::RoleBindsNobody { role: name.into() });
    }
    if role.connections.is_empty() {
        return Err(PolicyError::RoleWithoutConnections { role: name.into() });
    }
    let mut connections = Vec::with_capacity(role.connections.len());
    for (i, text) in role.connections.iter().enumerate() {
        let location = format!("roles.{name}.connections[{i}]");
        let pattern =
            ConnectionPattern::parse(text).map_err(|message| PolicyError::InvalidPattern {
                location: location.clone(),
                message,
            })?;
        if !pattern.is_glob() && !config.connections.contains_key(text) {
            return Err(PolicyError::UnknownConnection {
                location,
                connection: text.clone(),
            });
        }
        connections.push(pattern);
    }
    let mut rules = Vec::new();
    for (list, verdict, patterns) in [
        ("deny", Verdict::Deny, &role.deny),
        ("review", Verdict::Review, &role.review),
        ("allow", Verdict::Allow, &role.allow),
    ] {
        for (i, text) in patterns.iter().enumerate() {
            let pattern =
                ActionPattern::parse(text).map_err(|message| PolicyError::InvalidPattern {
                    location: format!("roles.{name}.{list}[{i}]"),
                    message,
                })?;
            rules.push(RoleRule {
                id: format!("role:{name}/{list}[{i}]"),
                role: name.into(),
                verdict,
                pattern,
                review_policy: role.review_policy.clone(),
                mask: role.mask.clone(),
                token_budget: role
                    .token_budget
                    .as_ref()
                    .map(|b| warden_core::TokenBudget {
                        tokens: b.tokens,
                        window_secs: b.window.0.as_secs().max(1),
                    }),
            });
        }
    }
    Ok(CompiledRole {
        name: name.into(),
        groups: role.groups.clone(),
        subjects: role.subjects.clone(),
        scopes: role.scopes.clone(),
        connections,
        models: role.models.clone(),
        rules,
    })
}
