//! The policy engine: roles and Cedar rules over one configuration.

use crate::PolicyError;
use crate::cedar::CedarRules;
use crate::explain::Explanation;
use crate::hit::{Hit, UNKNOWN_CONNECTION, combine};
use crate::roles::Roles;
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use warden_config::Config;
use warden_core::pipeline::{Decide, DecisionRequest};
use warden_core::{Decision, GatewayError, Verdict};

/// Decides requests from the config's roles and Cedar policy files. Immutable: a config reload
/// builds a new engine.
#[derive(Debug)]
pub struct PolicyEngine {
    roles: Roles,
    cedar: Option<CedarRules>,
    connections: HashSet<String>,
}

impl PolicyEngine {
    /// Compiles the roles and loads, checks and validates the Cedar files of `config`.
    pub fn from_config(config: &Config) -> Result<Self, PolicyError> {
        Ok(PolicyEngine {
            roles: Roles::compile(config)?,
            cedar: CedarRules::load(config)?,
            connections: config.connections.keys().cloned().collect(),
        })
    }

    /// The decision for `req` now. Never fails: a policy that cannot be evaluated denies.
    pub fn decide(&self, req: &DecisionRequest<'_>) -> Decision {
        self.decide_at(req, Utc::now())
    }

    /// The decision for `req` as if it were made at `now` (the time Cedar rules see).
    pub fn decide_at(&self, req: &DecisionRequest<'_>, now: DateTime<Utc>) -> Decision {
        if !self.connections.contains(req.connection) {
            return unknown_connection(req);
        }
        let mut hits = Vec::new();
        for role in self
            .roles
            .applicable(req.identity, req.connection, req.granted_roles)
        {
            hits.extend(role.matching(req.action).map(Hit::Role));
        }
        if hits.is_empty()
            && let Some(refusal) = self.model_refusal(req)
        {
            return refusal;
        }
        // Nothing can lift a role's deny, so Cedar is skipped then.
        let denied = hits.iter().any(|h| h.verdict() == Verdict::Deny);
        if let (false, Some(cedar)) = (denied, &self.cedar) {
            cedar.evaluate(req, now, true, &mut hits);
        }
        combine(&hits, req)
    }

    /// The decision for `req` now with every rule and policy that matched.
    pub fn explain(&self, req: &DecisionRequest<'_>) -> Explanation {
        self.explain_at(req, Utc::now())
    }

    /// [`PolicyEngine::explain`] as if it were asked at `now`.
    pub fn explain_at(&self, req: &DecisionRequest<'_>, now: DateTime<Utc>) -> Explanation {
        if !self.connections.contains(req.connection) {
            return Explanation {
                decision: unknown_connection(req),
                roles: Vec::new(),
                matches: Vec::new(),
            };
        }
        let mut roles = Vec::new();
        let mut hits = Vec::new();
        for role in self
            .roles
            .applicable(req.identity, req.connection, req.granted_roles)
        {
            roles.push(role.name.clone());
            hits.extend(role.matching(req.action).map(Hit::Role));
        }
        if let Some(cedar) = &self.cedar {
            cedar.evaluate(req, now, false, &mut hits);
        }
        Explanation {
            decision: combine(&hits, req),
            roles,
            matches: hits.iter().map(|h| h.to_match(req)).collect(),
        }
    }
}

impl PolicyEngine {
    /// When nothing matched only because a role's model allow-list left the model out, the
    /// refusal says so, naming the role and its list.
    fn model_refusal(&self, req: &DecisionRequest<'_>) -> Option<Decision> {
        let model = req.action.model.as_deref()?;
        let role = self
            .roles
            .applicable(req.identity, req.connection, req.granted_roles)
            .find(|role| !role.allows_model(req.action) && role.would_grant(req.action))?;
        Some(Decision::deny(
            format!("role:{}/models", role.name),
            format!(
                "model {model:?} is not in role {}'s model allow-list ({}) on {}",
                role.name,
                role.models().join(", "),
                req.connection
            ),
        ))
    }
}

impl Decide for PolicyEngine {
    fn decide(&self, request: &DecisionRequest<'_>) -> Result<Decision, GatewayError> {
        Ok(PolicyEngine::decide(self, request))
    }

    /// Roles decide from the request alone; Cedar rules may look at the time.
    fn clock_free(&self) -> bool {
        self.cedar.is_none()
    }
}

fn unknown_connection(req: &DecisionRequest<'_>) -> Decision {
    Decision::deny(
        UNKNOWN_CONNECTION,
        format!(
            "no connection named {:?} is defined; check the connection name",
            req.connection
        ),
    )
}
