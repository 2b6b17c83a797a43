//! `SET`, `RESET`, transaction modes and `set_config`: which settings are dangerous.
//!
//! Most settings only shape the session (`search_path`, `statement_timeout`, `DateStyle`) and
//! are `read`. A few change who the session is, whether it may write, or how the server reads
//! later statement text (which would let a later statement mean something other than what the
//! classifier saw); those are `admin`.

use pg_query::NodeEnum;
use pg_query::protobuf::{
    Node, TransactionStmt, TransactionStmtKind, VariableSetKind, VariableSetStmt, a_const,
};

use crate::SqlClass;
use crate::findings::Findings;

/// The value a setting is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SettingValue {
    /// A constant known now.
    Const(String),
    /// `DEFAULT` or `RESET`: back to the session's default, which this classifier cannot see.
    Default,
    /// Known only at run time (an expression, a parameter, several values).
    Dynamic,
}

/// Why changing a setting is `admin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SettingRisk {
    /// What the change does.
    pub(crate) effect: &'static str,
    /// Whether the change could turn off read-only mode.
    pub(crate) bypass: bool,
}

/// The risk of giving the setting `name` (any case) the value `value`, or `None` if harmless.
pub(crate) fn setting_risk(name: &str, value: &SettingValue) -> Option<SettingRisk> {
    let constant = match value {
        SettingValue::Const(v) => Some(v.as_str()),
        SettingValue::Default | SettingValue::Dynamic => None,
    };
    match name.to_lowercase().as_str() {
        "role" => Some(SettingRisk {
            effect: "changes the current role",
            bypass: false,
        }),
        "session_authorization" => Some(SettingRisk {
            effect: "changes the session user",
            bypass: false,
        }),
        "session_replication_role" => Some(SettingRisk {
            effect: "can disable triggers and foreign-key checks",
            bypass: false,
        }),
        "default_transaction_read_only" | "transaction_read_only" => match constant {
            Some(v) if is_true(v) => None,
            _ => Some(SettingRisk {
                effect: "may turn off read-only mode",
                bypass: true,
            }),
        },
        "standard_conforming_strings" => match constant {
            Some(v) if is_true(v) => None,
            _ => Some(SettingRisk {
                effect: "changes how the server parses later statements",
                bypass: false,
            }),
        },
        "client_encoding" => match constant {
            Some(v) if is_utf8(v) => None,
            _ => Some(SettingRisk {
                effect: "changes how the server decodes later statements",
                bypass: false,
            }),
        },
        _ => None,
    }
}

/// Classifies `SET`, `SET LOCAL`, `RESET`, `SET TRANSACTION` and `SET SESSION CHARACTERISTICS`.
pub(crate) fn variable_set(stmt: &VariableSetStmt, found: &mut Findings) {
    let kind = VariableSetKind::try_from(stmt.kind).unwrap_or(VariableSetKind::Undefined);
    let value = match kind {
        VariableSetKind::VarSetValue => match stmt.args.as_slice() {
            [only] => constant(only).map_or(SettingValue::Dynamic, SettingValue::Const),
            _ => SettingValue::Dynamic,
        },
        VariableSetKind::VarSetDefault | VariableSetKind::VarReset => SettingValue::Default,
        VariableSetKind::VarSetCurrent => SettingValue::Dynamic,
        VariableSetKind::VarSetMulti => return transaction_modes(stmt, found),
        VariableSetKind::VarResetAll => {
            found.raise_because(SqlClass::Admin, "RESET ALL may turn off read-only mode");
            found.bypass_read_only();
            return;
        }
        VariableSetKind::Undefined => {
            found.raise_because(SqlClass::Unknown, "unrecognised SET statement");
            return;
        }
    };
    if let Some(risk) = setting_risk(&stmt.name, &value) {
        let verb = match value {
            SettingValue::Default => "RESET",
            SettingValue::Const(_) | SettingValue::Dynamic => "SET",
        };
        found.raise_because(
            SqlClass::Admin,
            format!("{verb} {} {}", stmt.name.to_lowercase(), risk.effect),
        );
        if risk.bypass {
            found.bypass_read_only();
        }
    }
}

/// `SET TRANSACTION ...`, `SET SESSION CHARACTERISTICS AS TRANSACTION ...`, `SET TRANSACTION SNAPSHOT`.
fn transaction_modes(stmt: &VariableSetStmt, found: &mut Findings) {
    match stmt.name.to_uppercase().as_str() {
        "TRANSACTION" | "SESSION CHARACTERISTICS" => {
            if requests_read_write(&stmt.args) {
                found.raise_because(
                    SqlClass::Admin,
                    format!("SET {} READ WRITE turns off read-only mode", stmt.name),
                );
                found.bypass_read_only();
            }
        }
        "TRANSACTION SNAPSHOT" => {}
        _ => found.raise_because(SqlClass::Unknown, "unrecognised SET statement"),
    }
}

/// Classifies `BEGIN`, `START TRANSACTION`, `COMMIT`, `ROLLBACK`, savepoints and two-phase commit.
pub(crate) fn transaction(stmt: &TransactionStmt, found: &mut Findings) {
    let kind = TransactionStmtKind::try_from(stmt.kind).unwrap_or(TransactionStmtKind::Undefined);
    match kind {
        TransactionStmtKind::TransStmtBegin | TransactionStmtKind::TransStmtStart => {
            if requests_read_write(&stmt.options) {
                found.raise_because(
                    SqlClass::Admin,
                    "starting a READ WRITE transaction turns off read-only mode",
                );
                found.bypass_read_only();
            }
        }
        TransactionStmtKind::TransStmtCommit
        | TransactionStmtKind::TransStmtRollback
        | TransactionStmtKind::TransStmtSavepoint
        | TransactionStmtKind::TransStmtRelease
        | TransactionStmtKind::TransStmtRollbackTo
        | TransactionStmtKind::TransStmtPrepare => {}
        TransactionStmtKind::TransStmtCommitPrepared
        | TransactionStmtKind::TransStmtRollbackPrepared => found.raise_because(
            SqlClass::Write,
            "finishes a prepared transaction, possibly another session's",
        ),
        TransactionStmtKind::Undefined => {
            found.raise_because(SqlClass::Unknown, "unrecognised transaction statement");
        }
    }
}

/// Whether transaction options hold `READ WRITE` (`transaction_read_only` not known to be true).
fn requests_read_write(options: &[Node]) -> bool {
    options.iter().any(|option| match &option.node {
        Some(NodeEnum::DefElem(elem)) if elem.defname == "transaction_read_only" => !elem
            .arg
            .as_deref()
            .and_then(constant)
            .is_some_and(|v| is_true(&v)),
        _ => false,
    })
}

/// The text of a constant node (`'off'`, `0`, `true`, `'x'::text`), if it is one.
pub(crate) fn constant(node: &Node) -> Option<String> {
    match node.node.as_ref()? {
        NodeEnum::AConst(c) if !c.isnull => match c.val.as_ref()? {
            a_const::Val::Sval(s) => Some(s.sval.clone()),
            a_const::Val::Ival(i) => Some(i.ival.to_string()),
            a_const::Val::Fval(f) => Some(f.fval.clone()),
            a_const::Val::Boolval(b) => Some(b.boolval.to_string()),
            a_const::Val::Bsval(_) => None,
        },
        NodeEnum::String(s) => Some(s.sval.clone()),
        NodeEnum::Integer(i) => Some(i.ival.to_string()),
        NodeEnum::Boolean(b) => Some(b.boolval.to_string()),
        NodeEnum::TypeCast(cast) => cast.arg.as_deref().and_then(constant),
        _ => None,
    }
}

/// Whether PostgreSQL's boolean parser reads `value` as true (`on`, `1`, prefixes of `true`/`yes`).
pub(crate) fn is_true(value: &str) -> bool {
    let v = value.trim().to_lowercase();
    !v.is_empty() && (v == "on" || v == "1" || "true".starts_with(&v) || "yes".starts_with(&v))
}

/// Whether PostgreSQL's boolean parser reads `value` as false.
pub(crate) fn is_false(value: &str) -> bool {
    let v = value.trim().to_lowercase();
    v.len() >= 2 && "off".starts_with(&v)
        || v == "0"
        || !v.is_empty() && ("false".starts_with(&v) || "no".starts_with(&v))
}

/// Whether an encoding name means UTF-8.
fn is_utf8(value: &str) -> bool {
    let v: String = value
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    v == "utf8" || v == "unicode"
}
