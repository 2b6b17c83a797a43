//! The `slack` webhook body: an incoming-webhook message (`text` plus Block Kit `blocks`) an
//! approver can read at a glance.

use crate::{ReviewEvent, Transition};
use serde_json::{Value, json};
use warden_core::review::{Review, ReviewKind, ReviewState};

/// Longest payload shown; a section's text may hold 3000 characters.
const MAX_PAYLOAD_CHARS: usize = 2800;
/// Longest justification shown; a field may hold 2000 characters.
const MAX_FIELD_CHARS: usize = 1800;

/// The serialized message for `event`.
pub(crate) fn body(event: &ReviewEvent) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec(&message(event))
}

fn message(event: &ReviewEvent) -> Value {
    let review = &event.review;
    let headline = headline(event);
    let mut blocks = vec![json!({
        "type": "section",
        "text": { "type": "mrkdwn", "text": format!("*{headline}*") },
    })];
    if !review.payload.is_empty() {
        blocks.push(json!({
            "type": "section",
            "text": { "type": "mrkdwn", "text": code_block(&review.payload) },
        }));
    }
    let mut fields = vec![
        field("State", review.state.as_str()),
        field(
            "Approvals",
            &format!("{} of {}", review.approvals(), review.rules.quorum),
        ),
        field("Policy", &escape(&review.rules.policy)),
        field(
            "Deadline",
            &format!(
                "<!date^{}^{{date_short_pretty}} {{time}}|{}>",
                review.rules.deadline.timestamp(),
                review.rules.deadline.to_rfc3339()
            ),
        ),
        field("Review", &format!("`{}`", review.id)),
    ];
    if let Some(reason) = &review.justification {
        fields.push(field(
            "Justification",
            &escape(&truncate(reason, MAX_FIELD_CHARS)),
        ));
    }
    blocks.push(json!({ "type": "section", "fields": fields }));
    if review.state == ReviewState::Pending {
        blocks.push(json!({
            "type": "context",
            "elements": [{
                "type": "mrkdwn",
                "text": format!("To approve: `warden review approve {}`", review.id),
            }],
        }));
    }
    json!({
        "text": format!("[warden] {headline} (review {})", review.id),
        "blocks": blocks,
    })
}

/// One sentence saying what happened, user-supplied parts escaped.
fn headline(event: &ReviewEvent) -> String {
    let review = &event.review;
    let requester = escape(&review.requester);
    let actor = escape(event.actor.as_deref().unwrap_or("someone"));
    let what = request(review);
    let tally = format!("{} of {}", review.approvals(), review.rules.quorum);
    match event.transition {
        Transition::Created => format!("{requester} asks to {what}"),
        Transition::Voted => format!("{actor} approved ({tally}) {requester}'s request to {what}"),
        Transition::Approved => format!("Approved ({tally}): {requester}'s request to {what}"),
        Transition::Denied => format!("{actor} denied {requester}'s request to {what}"),
        Transition::Expired => {
            format!("Expired without quorum ({tally}): {requester}'s request to {what}")
        }
        Transition::Executed => format!("Ran {requester}'s approved request to {what}"),
    }
}

/// What was asked for: "run `sql:write` on `pg-prod`" or "get role `dba` on `pg-prod` for 1h".
fn request(review: &Review) -> String {
    let connection = escape(&review.connection);
    match (&review.kind, &review.grant) {
        (ReviewKind::Access, Some(grant)) => format!(
            "get role `{}` on `{connection}` for {}",
            escape(&grant.role),
            duration(grant.duration_secs)
        ),
        _ => format!("run `{}` on `{connection}`", escape(&review.action)),
    }
}

fn field(name: &str, value: &str) -> Value {
    json!({ "type": "mrkdwn", "text": format!("*{name}*\n{value}") })
}

/// A fenced code block that the payload cannot close early.
fn code_block(payload: &str) -> String {
    let shown = escape(&truncate(payload, MAX_PAYLOAD_CHARS)).replace("```", "`\u{200b}``");
    format!("```\n{shown}\n```")
}

/// Slack's three control characters, escaped so user text cannot mention `<!channel>` or
/// forge links.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", text.get(..cut).unwrap_or(text)),
        None => text.to_owned(),
    }
}

fn duration(secs: u64) -> String {
    match secs {
        s if s > 0 && s % 3600 == 0 => format!("{}h", s / 3600),
        s if s > 0 && s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
#[path = "slack_tests.rs"]
mod tests;
