//! Errors found while building the policy engine from a configuration.

use std::fmt;
use std::path::PathBuf;
use thiserror::Error;

/// Why the configuration's policy could not be loaded. Decisions never fail: see
/// [`crate::PolicyEngine::decide`].
#[derive(Debug, Error)]
pub enum PolicyError {
    /// A role's action or connection pattern is malformed.
    #[error("{location}: {message}")]
    InvalidPattern {
        /// Where it is, e.g. `roles.analyst.allow[2]`.
        location: String,
        /// What is wrong and how it should look.
        message: String,
    },
    /// A role with no groups, subjects or scopes would bind nobody.
    #[error("roles.{role}: binds nobody: list groups, subjects or scopes")]
    RoleBindsNobody {
        /// The role's name.
        role: String,
    },
    /// A role lists no connections.
    #[error("roles.{role}.connections: list at least one connection name or glob")]
    RoleWithoutConnections {
        /// The role's name.
        role: String,
    },
    /// A role names a connection that is not defined.
    #[error("{location}: no connection named {connection:?} is defined under [connections]")]
    UnknownConnection {
        /// Where it is, e.g. `roles.analyst.connections[0]`.
        location: String,
        /// The name.
        connection: String,
    },
    /// A Cedar policy file could not be read.
    #[error("cannot read cedar policy file {}: {source}", path.display())]
    ReadPolicyFile {
        /// The file, resolved against the config directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A Cedar policy file has parse, id, annotation or schema validation problems.
    #[error("{}", render(file, problems))]
    InvalidCedar {
        /// The file, as listed in the config.
        file: PathBuf,
        /// Every problem found in it.
        problems: Vec<CedarProblem>,
    },
    /// A connection could not be described to Cedar (for example a tag Cedar refuses).
    #[error("connections.{connection}: cannot describe it to cedar: {message}")]
    ConnectionEntity {
        /// The connection's name.
        connection: String,
        /// Cedar's message.
        message: String,
    },
    /// Warden's own Cedar schema did not load; this is a bug in Warden.
    #[error("warden's built-in cedar schema does not load (a bug in warden): {0}")]
    Schema(String),
}

/// One problem in a Cedar policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CedarProblem {
    /// The policy's `@id`, when it is known.
    pub policy: Option<String>,
    /// Line in the file (1-based), when Cedar gives a location.
    pub line: Option<usize>,
    /// Cedar's message, or Warden's.
    pub message: String,
}

impl fmt::Display for CedarProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        if let Some(policy) = &self.policy {
            write!(f, "policy {policy:?}: ")?;
        }
        f.write_str(&self.message)
    }
}

fn render(file: &std::path::Path, problems: &[CedarProblem]) -> String {
    let mut text = format!("cedar policy file {} is invalid:", file.display());
    for problem in problems {
        text.push_str(&format!("\n  {}", file.display()));
        if let Some(line) = problem.line {
            text.push_str(&format!(":{line}"));
        }
        text.push_str(": ");
        if let Some(policy) = &problem.policy {
            text.push_str(&format!("policy {policy:?}: "));
        }
        text.push_str(&problem.message);
    }
    text
}
