//! Turning a decision request into a Cedar request: principal and groups built per request,
//! connection entities built once, context from pairs (no JSON on the hot path).

use crate::PolicyError;
use cedar_policy::{
    Context, Entities, Entity, EntityId, EntityTypeName, EntityUid, Request, RestrictedExpression,
    Schema,
};
use chrono::{DateTime, Datelike, Timelike, Utc};
use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;
use warden_config::Config;
use warden_core::pipeline::DecisionRequest;
use warden_core::{Identity, IdentityKind};

/// Entity types, the action, and the cached connection entities.
#[derive(Debug)]
pub(crate) struct RequestBuilder {
    identity_type: EntityTypeName,
    group_type: EntityTypeName,
    action: EntityUid,
    connections: HashMap<String, (EntityUid, Entity)>,
}

/// A Cedar request and the entities it refers to.
pub(crate) struct CedarRequest {
    pub(crate) request: Request,
    pub(crate) entities: Entities,
}

impl RequestBuilder {
    /// Names and connection entities for `config`.
    pub(crate) fn new(config: &Config) -> Result<Self, PolicyError> {
        let type_name = |name: &str| {
            EntityTypeName::from_str(name).map_err(|e| PolicyError::Schema(e.to_string()))
        };
        let connection_type = type_name("Warden::Connection")?;
        let action = EntityUid::from_type_name_and_id(
            type_name("Warden::Action")?,
            EntityId::new("request"),
        );
        let mut connections = HashMap::with_capacity(config.connections.len());
        for (name, connection) in &config.connections {
            let uid =
                EntityUid::from_type_name_and_id(connection_type.clone(), EntityId::new(name));
            let entity = Entity::new_with_tags(
                uid.clone(),
                [
                    (
                        "name".to_owned(),
                        RestrictedExpression::new_string(name.clone()),
                    ),
                    (
                        "kind".to_owned(),
                        RestrictedExpression::new_string(connection.kind.as_str().to_owned()),
                    ),
                ],
                [],
                connection
                    .tags
                    .iter()
                    .map(|(k, v)| (k.clone(), RestrictedExpression::new_string(v.clone()))),
            )
            .map_err(|e| PolicyError::ConnectionEntity {
                connection: name.clone(),
                message: e.to_string(),
            })?;
            connections.insert(name.clone(), (uid, entity));
        }
        Ok(RequestBuilder {
            identity_type: type_name("Warden::Identity")?,
            group_type: type_name("Warden::Group")?,
            action,
            connections,
        })
    }

    /// The Cedar request for `req` at time `now`; `schema` checks the result (tests only: the
    /// hot path trusts the shapes built here).
    pub(crate) fn build(
        &self,
        req: &DecisionRequest<'_>,
        now: DateTime<Utc>,
        schema: Option<&Schema>,
    ) -> Result<CedarRequest, String> {
        let (resource, connection) = self
            .connections
            .get(req.connection)
            .ok_or_else(|| format!("connection {:?} is not defined", req.connection))?;
        let (principal, mut entities) = self.principal(req.identity)?;
        entities.push(connection.clone());
        let context = context(req, now)?;
        let request = Request::new(
            principal,
            self.action.clone(),
            resource.clone(),
            context,
            schema,
        )
        .map_err(|e| e.to_string())?;
        let entities = Entities::from_entities(entities, schema).map_err(|e| e.to_string())?;
        Ok(CedarRequest { request, entities })
    }

    /// The identity entity, a member of one entity per distinct group.
    fn principal(&self, identity: &Identity) -> Result<(EntityUid, Vec<Entity>), String> {
        let uid = EntityUid::from_type_name_and_id(
            self.identity_type.clone(),
            EntityId::new(&identity.subject),
        );
        let groups: BTreeSet<&str> = identity.groups.iter().map(String::as_str).collect();
        let group_uids: Vec<EntityUid> = groups
            .into_iter()
            .map(|g| EntityUid::from_type_name_and_id(self.group_type.clone(), EntityId::new(g)))
            .collect();
        let kind = match identity.kind {
            IdentityKind::Human => "human",
            IdentityKind::Machine => "machine",
        };
        let scopes = identity
            .scopes
            .iter()
            .map(|s| RestrictedExpression::new_string(s.clone()));
        let attrs = [
            (
                "subject",
                RestrictedExpression::new_string(identity.subject.clone()),
            ),
            ("kind", RestrictedExpression::new_string(kind.to_owned())),
            (
                "issuer",
                RestrictedExpression::new_string(identity.issuer.clone()),
            ),
            (
                "auth_method",
                RestrictedExpression::new_string(identity.auth_method.as_str().to_owned()),
            ),
            ("scopes", RestrictedExpression::new_set(scopes)),
        ]
        .map(|(k, v)| (k.to_owned(), v));
        let mut entities: Vec<Entity> = group_uids
            .iter()
            .map(|g| Entity::new_no_attrs(g.clone(), Default::default()))
            .collect();
        let principal =
            Entity::new_with_tags(uid.clone(), attrs, group_uids, []).map_err(|e| e.to_string())?;
        entities.push(principal);
        Ok((uid, entities))
    }
}

/// The request context: what, where from, when.
fn context(req: &DecisionRequest<'_>, now: DateTime<Utc>) -> Result<Context, String> {
    let action = req.action;
    let strings = |items: &[String]| {
        RestrictedExpression::new_set(
            items
                .iter()
                .map(|s| RestrictedExpression::new_string(s.clone())),
        )
    };
    let source_ip = req
        .client_addr
        .map(|addr| addr.ip().to_canonical().to_string());
    Context::from_pairs([
        (
            "action".to_owned(),
            RestrictedExpression::new_string(action.name.clone()),
        ),
        (
            "protocol".to_owned(),
            RestrictedExpression::new_string(action.protocol().to_owned()),
        ),
        ("tables".to_owned(), strings(&action.tables)),
        (
            "table_names".to_owned(),
            strings(&bare_names(&action.tables)),
        ),
        ("functions".to_owned(), strings(&action.functions)),
        (
            "function_names".to_owned(),
            strings(&bare_names(&action.functions)),
        ),
        (
            "has_source_ip".to_owned(),
            RestrictedExpression::new_bool(source_ip.is_some()),
        ),
        (
            "source_ip".to_owned(),
            RestrictedExpression::new_ip(source_ip.as_deref().unwrap_or("0.0.0.0")),
        ),
        (
            "hour".to_owned(),
            RestrictedExpression::new_long(i64::from(now.hour())),
        ),
        (
            "weekday".to_owned(),
            RestrictedExpression::new_long(i64::from(now.weekday().number_from_monday())),
        ),
    ])
    .map_err(|e| e.to_string())
}

/// `names` without their schema (`public.salaries` → `salaries`), deduplicated: what a rule
/// matches to catch a table or function however a statement writes it.
fn bare_names(names: &[String]) -> Vec<String> {
    let mut bare: Vec<String> = names
        .iter()
        .map(|name| {
            name.rsplit_once('.')
                .map_or(name.as_str(), |(_, n)| n)
                .to_owned()
        })
        .collect();
    bare.sort_unstable();
    bare.dedup();
    bare
}
