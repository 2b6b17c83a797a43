//! Reading Cedar policy files: parse, take ids from `@id`, check annotations, validate strictly.

use crate::error::{CedarProblem, PolicyError};
use cedar_policy::{Effect, Policy, PolicyId, PolicySet, Schema, ValidationMode, Validator};
use miette::Diagnostic;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use warden_config::Config;
use warden_core::Verdict;

/// What Warden knows about one Cedar policy besides its text.
#[derive(Debug, Clone)]
pub(crate) struct PolicyMeta {
    /// `cedar:<id>`.
    pub(crate) rule: String,
    /// The file it came from, as listed in the config.
    pub(crate) file: PathBuf,
    /// The verdict it asks for when satisfied.
    pub(crate) verdict: Verdict,
    /// `@review_policy`, for review permits.
    pub(crate) review_policy: Option<String>,
    /// `@mask`, for permits.
    pub(crate) mask: Option<String>,
    /// Position across all files, for a stable order.
    pub(crate) order: usize,
}

/// A policy ready to go into a policy set, with its metadata.
pub(crate) struct LoadedPolicy {
    pub(crate) policy: Policy,
    pub(crate) meta: PolicyMeta,
}

/// Loads every file listed under `[policy] cedar`, in order.
pub(crate) fn load_files(
    config: &Config,
    schema: &Schema,
) -> Result<Vec<LoadedPolicy>, PolicyError> {
    let validator = Validator::new(schema.clone());
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    let mut loaded = Vec::new();
    for file in &config.policy.cedar {
        let path = config.base_dir.join(file);
        let text =
            std::fs::read_to_string(&path).map_err(|source| PolicyError::ReadPolicyFile {
                path: path.clone(),
                source,
            })?;
        let policies = load_file(config, &validator, file, &text, &mut seen, loaded.len())
            .map_err(|problems| PolicyError::InvalidCedar {
                file: file.clone(),
                problems,
            })?;
        loaded.extend(policies);
    }
    Ok(loaded)
}

fn load_file(
    config: &Config,
    validator: &Validator,
    file: &Path,
    text: &str,
    seen: &mut HashMap<String, PathBuf>,
    first_order: usize,
) -> Result<Vec<LoadedPolicy>, Vec<CedarProblem>> {
    let parsed = PolicySet::from_str(text).map_err(|errors| {
        errors
            .iter()
            .map(|error| CedarProblem {
                policy: None,
                line: diagnostic_line(error, text),
                message: diagnostic_message(error),
            })
            .collect::<Vec<_>>()
    })?;
    let mut problems: Vec<CedarProblem> = parsed
        .templates()
        .map(|template| CedarProblem {
            policy: template.annotation("id").map(str::to_owned),
            line: line_of_text(text, &template.to_string()),
            message: "templates (policies with ?principal or ?resource) are not supported; write a static policy".into(),
        })
        .collect();

    // `PolicySet::from_str` names policies `policy0`, `policy1`, ... in file order.
    let mut policies: Vec<&Policy> = parsed.policies().collect();
    policies.sort_by_key(|p| {
        AsRef::<str>::as_ref(p.id())
            .strip_prefix("policy")
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(usize::MAX)
    });

    let mut loaded = Vec::new();
    for policy in policies {
        let line = line_of_text(text, &policy.to_string());
        let id = match policy.annotation("id") {
            Some(id) if !id.trim().is_empty() => id.to_owned(),
            _ => {
                problems.push(CedarProblem {
                    policy: None,
                    line,
                    message: "policy has no @id(\"...\") annotation; give every policy a unique id, e.g. @id(\"forbid-prod-writes\")".into(),
                });
                continue;
            }
        };
        if let Some(first) = seen.get(&id) {
            problems.push(CedarProblem {
                policy: Some(id.clone()),
                line,
                message: format!(
                    "the id is already used by a policy in {}; policy ids must be unique",
                    first.display()
                ),
            });
            continue;
        }
        seen.insert(id.clone(), file.to_path_buf());
        match annotations(config, policy) {
            Ok((verdict, review_policy, mask)) => loaded.push(LoadedPolicy {
                policy: policy.new_id(PolicyId::new(&id)),
                meta: PolicyMeta {
                    rule: format!("cedar:{id}"),
                    file: file.to_path_buf(),
                    verdict,
                    review_policy,
                    mask,
                    order: first_order + loaded.len(),
                },
            }),
            Err(message) => problems.push(CedarProblem {
                policy: Some(id),
                line,
                message,
            }),
        }
    }

    let mut set = PolicySet::new();
    for policy in &loaded {
        if let Err(error) = set.add(policy.policy.clone()) {
            problems.push(CedarProblem {
                policy: Some(policy.policy.id().to_string()),
                line: None,
                message: error.to_string(),
            });
        }
    }
    let result = validator.validate(&set, ValidationMode::Strict);
    problems.extend(result.validation_errors().map(|error| {
        let id = error.policy_id().to_string();
        // Cedar repeats the id inside its message; the problem names it already.
        let message = diagnostic_message(error).replace(&format!("for policy `{id}`, "), "");
        CedarProblem {
            policy: Some(id),
            line: diagnostic_line(error, text),
            message,
        }
    }));

    if problems.is_empty() {
        Ok(loaded)
    } else {
        problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
        Err(problems)
    }
}

/// Reads `@verdict`, `@review_policy` and `@mask`.
fn annotations(
    config: &Config,
    policy: &Policy,
) -> Result<(Verdict, Option<String>, Option<String>), String> {
    let effect = policy.effect();
    let verdict = match (effect, policy.annotation("verdict")) {
        (Effect::Forbid, None | Some("deny")) => Verdict::Deny,
        (Effect::Permit, None | Some("allow")) => Verdict::Allow,
        (Effect::Permit, Some("review")) => Verdict::Review,
        (Effect::Forbid, Some(other)) => {
            return Err(format!(
                "@verdict({other:?}) does not apply to a forbid policy; a forbid always denies"
            ));
        }
        (Effect::Permit, Some(other)) => {
            return Err(format!(
                "@verdict({other:?}) is not a verdict for a permit; use @verdict(\"review\") or leave it out"
            ));
        }
    };
    let review_policy = match policy.annotation("review_policy") {
        None => None,
        Some(_) if verdict != Verdict::Review => {
            return Err(
                "@review_policy only applies to a permit marked @verdict(\"review\")".into(),
            );
        }
        Some(name) if !config.review_policies.contains_key(name) => {
            return Err(format!(
                "@review_policy({name:?}) names no review policy defined under [review_policies]"
            ));
        }
        Some(name) => Some(name.to_owned()),
    };
    let mask = match policy.annotation("mask") {
        None => None,
        Some(_) if effect == Effect::Forbid => {
            return Err("@mask only applies to permit policies".into());
        }
        Some(name) if !config.masking.profiles.contains_key(name) => {
            return Err(format!(
                "@mask({name:?}) names no masking profile defined under [masking.profiles]"
            ));
        }
        Some(name) => Some(name.to_owned()),
    };
    Ok((verdict, review_policy, mask))
}

/// Cedar's message plus its help, on one line.
fn diagnostic_message(error: &(impl Diagnostic + ?Sized)) -> String {
    match error.help() {
        Some(help) => format!("{error}; {help}"),
        None => error.to_string(),
    }
}

/// The 1-based line of the first labelled span, when Cedar gives one.
fn diagnostic_line(error: &(impl Diagnostic + ?Sized), text: &str) -> Option<usize> {
    let offset = error.labels()?.next()?.offset();
    Some(line_at(text, offset))
}

fn line_of_text(text: &str, needle: &str) -> Option<usize> {
    let offset = text.find(needle.trim())?;
    Some(line_at(text, offset))
}

fn line_at(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()
        .iter()
        .take(end)
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}
