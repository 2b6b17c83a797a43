//! Cedar attribute rules: the built-in schema, the loaded policies, and their evaluation.

mod load;
mod request;

use crate::PolicyError;
use crate::hit::Hit;
use cedar_policy::{AuthorizationError, Authorizer, Effect, PolicySet, Schema};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use warden_config::Config;
use warden_core::pipeline::DecisionRequest;

pub(crate) use load::PolicyMeta;
use request::RequestBuilder;

/// The Cedar schema Warden validates policies against (Cedar schema syntax).
pub const CEDAR_SCHEMA: &str = include_str!("cedar/warden.cedarschema");

/// Validated policies from the configured files, ready to evaluate.
pub(crate) struct CedarRules {
    forbids: PolicySet,
    permits: PolicySet,
    meta: HashMap<String, PolicyMeta>,
    builder: RequestBuilder,
    authorizer: Authorizer,
}

impl std::fmt::Debug for CedarRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CedarRules")
            .field("policies", &self.meta.len())
            .finish_non_exhaustive()
    }
}

/// The built-in schema, parsed.
pub(crate) fn schema() -> Result<Schema, PolicyError> {
    Schema::from_cedarschema_str(CEDAR_SCHEMA)
        .map(|(schema, _warnings)| schema)
        .map_err(|e| PolicyError::Schema(e.to_string()))
}

impl CedarRules {
    /// Loads and validates the files under `[policy] cedar`; `None` when there are none.
    pub(crate) fn load(config: &Config) -> Result<Option<Self>, PolicyError> {
        if config.policy.cedar.is_empty() {
            return Ok(None);
        }
        let schema = schema()?;
        let loaded = load::load_files(config, &schema)?;
        let mut forbids = PolicySet::new();
        let mut permits = PolicySet::new();
        let mut meta = HashMap::with_capacity(loaded.len());
        for item in loaded {
            let id = item.policy.id().to_string();
            let set = match item.policy.effect() {
                Effect::Forbid => &mut forbids,
                Effect::Permit => &mut permits,
            };
            set.add(item.policy)
                .map_err(|e| PolicyError::InvalidCedar {
                    file: item.meta.file.clone(),
                    problems: vec![crate::error::CedarProblem {
                        policy: Some(id.clone()),
                        line: None,
                        message: e.to_string(),
                    }],
                })?;
            meta.insert(id, item.meta);
        }
        Ok(Some(CedarRules {
            forbids,
            permits,
            meta,
            builder: RequestBuilder::new(config)?,
            authorizer: Authorizer::new(),
        }))
    }

    /// Adds a hit for every satisfied policy and every evaluation failure, in file order. When
    /// `stop_at_deny` is set, permits are not evaluated once a forbid or failure denies.
    pub(crate) fn evaluate<'e>(
        &'e self,
        req: &DecisionRequest<'_>,
        now: DateTime<Utc>,
        stop_at_deny: bool,
        hits: &mut Vec<Hit<'e>>,
    ) {
        let cedar = match self.builder.build(req, now, None) {
            Ok(cedar) => cedar,
            Err(message) => {
                hits.push(Hit::CedarFailure {
                    rule: "cedar:request".into(),
                    message: format!("the cedar request could not be built: {message}"),
                });
                return;
            }
        };
        let start = hits.len();
        for set in [&self.forbids, &self.permits] {
            if set.is_empty() {
                continue;
            }
            let response = self
                .authorizer
                .is_authorized(&cedar.request, set, &cedar.entities);
            let diagnostics = response.diagnostics();
            for id in diagnostics.reason() {
                match self.meta.get(AsRef::<str>::as_ref(id)) {
                    Some(meta) => hits.push(Hit::Cedar(meta)),
                    None => hits.push(Hit::CedarFailure {
                        rule: format!("cedar:{id}"),
                        message: "matched but is not among the loaded policies".into(),
                    }),
                }
            }
            for error in diagnostics.errors() {
                hits.push(self.failure(error));
            }
            if stop_at_deny
                && hits[start..]
                    .iter()
                    .any(|h| h.verdict() == warden_core::Verdict::Deny)
            {
                break;
            }
        }
        hits[start..].sort_by(|a, b| self.order(a).cmp(&self.order(b)));
    }

    fn failure(&self, error: &AuthorizationError) -> Hit<'static> {
        let AuthorizationError::PolicyEvaluationError(error) = error;
        let id = error.policy_id().to_string();
        let rule = self
            .meta
            .get(&id)
            .map_or_else(|| format!("cedar:{id}"), |m| m.rule.clone());
        Hit::CedarFailure {
            rule,
            message: format!("cedar policy {id} failed to evaluate: {}", error.inner()),
        }
    }

    fn order<'h>(&self, hit: &'h Hit<'_>) -> (usize, &'h str) {
        match hit {
            Hit::Cedar(meta) => (meta.order, ""),
            Hit::CedarFailure { rule, .. } => {
                let order = rule
                    .strip_prefix("cedar:")
                    .and_then(|id| self.meta.get(id))
                    .map_or(usize::MAX, |m| m.order);
                (order, rule.as_str())
            }
            Hit::Role(_) => (0, ""),
        }
    }
}

#[cfg(test)]
#[path = "cedar_tests.rs"]
mod tests;
