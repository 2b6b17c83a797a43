//! The OpenAPI 3.1 document of the admin API, served at `/openapi.json`, built from the same
//! route table the tests walk, so a route cannot exist undocumented.

use axum::Json;
use serde_json::{Map, Value, json};

/// One documented route.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// HTTP method, lowercase.
    pub method: &'static str,
    /// Path with `{id}` parameters.
    pub path: &'static str,
    /// One line.
    pub summary: &'static str,
    /// Who may call it (`None`: no token needed).
    pub roles: Option<&'static str>,
    /// Request body schema, if any.
    pub body: Option<&'static str>,
    /// Response schema (`text` for plain text).
    pub response: &'static str,
}

const fn route(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    roles: Option<&'static str>,
    body: Option<&'static str>,
    response: &'static str,
) -> Route {
    Route {
        method,
        path,
        summary,
        roles,
        body,
        response,
    }
}

/// Every route of the admin API.
pub const ROUTES: &[Route] = &[
    route("get", "/healthz", "Liveness", None, None, "text"),
    route(
        "get",
        "/readyz",
        "Readiness: the store answers",
        None,
        None,
        "text",
    ),
    route("get", "/metrics", "Prometheus metrics", None, None, "text"),
    route(
        "get",
        "/openapi.json",
        "This document",
        None,
        None,
        "Object",
    ),
    route(
        "get",
        "/v1/whoami",
        "The caller and their built-in roles",
        Some("any"),
        None,
        "Object",
    ),
    route(
        "get",
        "/v1/reviews",
        "Reviews, newest first (approvers and auditors: all; others: their own)",
        Some("any"),
        None,
        "Reviews",
    ),
    route(
        "get",
        "/v1/reviews/{id}",
        "One review with its votes",
        Some("any"),
        None,
        "Review",
    ),
    route(
        "post",
        "/v1/reviews/{id}/approve",
        "Vote yes (approver groups of the review's policy; never the requester)",
        Some("approver"),
        Some("Vote"),
        "Review",
    ),
    route(
        "post",
        "/v1/reviews/{id}/deny",
        "Vote no: the review is denied",
        Some("approver"),
        Some("Vote"),
        "Review",
    ),
    route(
        "post",
        "/v1/access-requests",
        "Ask for a role on a connection for a while",
        Some("any"),
        Some("AccessRequest"),
        "Review",
    ),
    route(
        "get",
        "/v1/grants",
        "Grants (admins and auditors: all; others: their own)",
        Some("any"),
        None,
        "Grants",
    ),
    route(
        "post",
        "/v1/grants/{id}/revoke",
        "Revoke a grant at once",
        Some("admin"),
        None,
        "Grant",
    ),
    route(
        "get",
        "/v1/sessions",
        "Sessions from the audit log",
        Some("auditor"),
        None,
        "Objects",
    ),
    route(
        "get",
        "/v1/audit",
        "Search the audit log",
        Some("auditor"),
        None,
        "Objects",
    ),
    route(
        "get",
        "/v1/keys",
        "API keys, without secrets",
        Some("admin"),
        None,
        "Objects",
    ),
    route(
        "get",
        "/v1/connections",
        "Connections, without credentials",
        Some("any"),
        None,
        "Objects",
    ),
];

/// `GET /openapi.json`.
pub async fn serve() -> Json<Value> {
    Json(document())
}

/// The OpenAPI document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for route in ROUTES {
        let entry = paths
            .entry(route.path)
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(methods) = entry {
            methods.insert(route.method.to_owned(), operation(route));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Warden admin API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Reviews, access requests and grants, sessions, audit, API keys and connections of a Warden gateway. Authenticate with `Authorization: Bearer <JWT or API key>`; built-in roles come from `[admin]` (admins, auditors) and review policies (approvers).",
        },
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": schemas(),
        },
    })
}

fn operation(route: &Route) -> Value {
    let id = format!(
        "{}{}",
        route.method,
        route
            .path
            .split(['/', '.', '{', '}', '-'])
            .filter(|p| !p.is_empty())
            .map(|p| {
                let mut chars = p.chars();
                chars.next().map_or(String::new(), |c| {
                    c.to_ascii_uppercase().to_string() + chars.as_str()
                })
            })
            .collect::<String>()
    );
    let content = if route.response == "text" {
        json!({ "text/plain": { "schema": { "type": "string" } } })
    } else if route.response == "ndjson" {
        json!({ "application/x-ndjson": { "schema": { "type": "string" } } })
    } else {
        json!({ "application/json": { "schema": { "$ref": format!("#/components/schemas/{}", route.response) } } })
    };
    let mut responses = json!({ "200": { "description": "OK", "content": content } });
    if route.roles.is_some() {
        let error =
            json!({ "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } });
        for (code, text) in [
            ("400", "Malformed request"),
            ("401", "Missing or refused token"),
            ("403", "The caller lacks the role"),
            ("404", "Not found"),
            (
                "409",
                "Refused by the review rules (self-approval, second vote, not pending)",
            ),
            ("503", "Store or audit log unavailable"),
        ] {
            responses[code] = json!({ "description": text, "content": error });
        }
    }
    let mut op = json!({
        "operationId": id,
        "summary": route.summary,
        "responses": responses,
    });
    if let Some(roles) = route.roles {
        op["security"] = json!([{ "bearer": [] }]);
        op["description"] = json!(format!("Roles: {roles}."));
    } else {
        op["security"] = json!([]);
    }
    if route.path.contains("{id}") {
        // Review and grant ids are UUIDs; API keys are named by id or name; session ids are
        // UUIDs too, but any recording name is answered (404 when unknown).
        let schema = if route.path.starts_with("/v1/keys") || route.path.starts_with("/v1/sessions")
        {
            json!({ "type": "string" })
        } else {
            json!({ "type": "string", "format": "uuid" })
        };
        op["parameters"] =
            json!([{ "name": "id", "in": "path", "required": true, "schema": schema }]);
    }
    if let Some(body) = route.body {
        op["requestBody"] = json!({
            "required": body != "Vote",
            "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{body}") } } },
        });
    }
    op
}

fn schemas() -> Value {
    json!({
        "Object": { "type": "object" },
        "Objects": { "type": "array", "items": { "type": "object" } },
        "Error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": { "code": { "type": "string" }, "message": { "type": "string" } },
        },
        "Vote": { "type": "object", "properties": { "comment": { "type": "string" } } },
        "NewKey": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": { "type": "string" },
                "groups": { "type": "array", "items": { "type": "string" } },
                "scopes": { "type": "array", "items": { "type": "string" } },
                "expires": { "type": "string", "description": "Lifetime, e.g. 30d" },
            },
        },
        "AccessRequest": {
            "type": "object",
            "required": ["connection", "role", "for"],
            "properties": {
                "connection": { "type": "string" },
                "role": { "type": "string" },
                "for": { "type": "string", "description": "Duration, e.g. 1h or 30m" },
                "reason": { "type": "string" },
            },
        },
        "Review": {
            "type": "object",
            "required": ["id", "kind", "requester", "connection", "action", "payload_hash", "state", "rules", "votes"],
            "properties": {
                "id": { "type": "string", "format": "uuid" },
                "kind": { "enum": ["command", "access"] },
                "requester": { "type": "string" },
                "connection": { "type": "string" },
                "action": { "type": "string" },
                "payload": { "type": "string" },
                "payload_hash": { "type": "string" },
                "justification": { "type": ["string", "null"] },
                "state": { "enum": ["pending", "approved", "denied", "expired", "executed"] },
                "rules": { "type": "object" },
                "votes": { "type": "array", "items": { "type": "object" } },
                "created_at": { "type": "string", "format": "date-time" },
            },
        },
        "Reviews": { "type": "array", "items": { "$ref": "#/components/schemas/Review" } },
        "Grant": {
            "type": "object",
            "required": ["id", "identity", "connection", "role", "expires_at"],
            "properties": {
                "id": { "type": "string", "format": "uuid" },
                "review_id": { "type": ["string", "null"] },
                "identity": { "type": "string" },
                "connection": { "type": "string" },
                "role": { "type": "string" },
                "expires_at": { "type": "string", "format": "date-time" },
                "revoked_at": { "type": ["string", "null"] },
            },
        },
        "Grants": { "type": "array", "items": { "$ref": "#/components/schemas/Grant" } },
    })
}
