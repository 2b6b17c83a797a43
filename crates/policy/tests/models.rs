//! LLM model allow-lists: a role's allow and review rules apply only to the models it lists.

// Helpers outside #[test] functions unwrap too; clippy.toml only exempts the functions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Ask, engine, machine};
use warden_core::Verdict::{Allow, Deny};

const ROLES: &str = r#"
[roles.agents]
groups = ["agents"]
connections = ["openai"]
allow = ["autogen:*"]
deny = ["autogen:artifact:delete"]
models = ["scripted-*", "gpt-4o-mini"]

[roles.research]
groups = ["research"]
connections = ["openai"]
allow = ["autogen:prompt"]
"#;

fn ask<'a>(identity: &'a warden_core::Identity, action: &str, model: Option<&str>) -> Ask<'a> {
    let mut ask = Ask::new(identity, "openai", action);
    ask.action.model = model.map(str::to_owned);
    ask
}

#[test]
fn listed_models_pass_and_others_are_refused_naming_the_list() {
    let engine = engine(ROLES);
    let agent = machine("agent-1", &["agents"], &[]);
    for model in ["scripted-model", "gpt-4o-mini"] {
        let decision = ask(&agent, "autogen:prompt", Some(model)).decide(&engine);
        assert_eq!(decision.verdict, Allow, "{model}: {decision:?}");
    }
    let refused = ask(&agent, "autogen:prompt", Some("gpt-4o")).decide(&engine);
    assert_eq!(refused.verdict, Deny);
    assert_eq!(refused.rule, "role:agents/models");
    assert!(
        refused.reason.contains("\"gpt-4o\"") && refused.reason.contains("scripted-*"),
        "{}",
        refused.reason
    );
    // Requests that name no model are not limited by the list.
    let models = ask(&agent, "autogen:model:read", None).decide(&engine);
    assert_eq!(models.verdict, Allow);
    // Deny rules hold whatever the model.
    let delete = ask(&agent, "autogen:artifact:delete", Some("gpt-4o")).decide(&engine);
    assert_eq!(delete.rule, "role:agents/deny[0]");
}

#[test]
fn another_role_without_a_list_still_allows_the_model() {
    let engine = engine(ROLES);
    let both = machine("agent-2", &["agents", "research"], &[]);
    let decision = ask(&both, "autogen:prompt", Some("gpt-4o")).decide(&engine);
    assert_eq!(decision.verdict, Allow);
    assert_eq!(decision.rule, "role:research/allow[0]");
    // An action only the limited role would grant is refused naming the model list.
    let upload = ask(&both, "autogen:file:upload", Some("gpt-4o")).decide(&engine);
    assert_eq!(upload.rule, "role:agents/models");
    // An action no role grants whatever the model is the ordinary default deny.
    let other = ask(&both, "http:GET", Some("gpt-4o")).decide(&engine);
    assert_eq!(other.rule, "default-deny");
}
