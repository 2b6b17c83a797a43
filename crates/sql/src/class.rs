//! The five statement classes and their danger order.

use std::fmt;

/// What a statement does, ordered by danger: `Read < Write < Ddl < Admin < Unknown`.
///
/// `Unknown` sorts highest on purpose: a policy that allows `sql:admin` still does not get `DO`
/// blocks, procedures or unparseable text unless it also allows `sql:unknown`. A batch takes
/// the class of its most dangerous statement (`Ord::max`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SqlClass {
    /// Reads data or only changes harmless session state (`SELECT`, `SHOW`, `BEGIN`, `SET search_path`).
    Read,
    /// Changes rows or other data (`INSERT`, `UPDATE`, `DELETE`, `MERGE`, `COPY FROM STDIN`, `nextval`).
    Write,
    /// Changes the schema (`CREATE`, `ALTER`, `DROP`, `TRUNCATE`, `COMMENT`, `SELECT INTO`).
    Ddl,
    /// Roles, grants, settings, server files and programs, maintenance and dangerous functions.
    Admin,
    /// Unparseable or dynamic SQL whose effect cannot be known before it runs (`DO`, `CALL`).
    Unknown,
}

impl SqlClass {
    /// Every class, least dangerous first.
    pub const ALL: [SqlClass; 5] = [
        SqlClass::Read,
        SqlClass::Write,
        SqlClass::Ddl,
        SqlClass::Admin,
        SqlClass::Unknown,
    ];

    /// The lowercase name used in action names: `read`, `write`, `ddl`, `admin`, `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            SqlClass::Read => "read",
            SqlClass::Write => "write",
            SqlClass::Ddl => "ddl",
            SqlClass::Admin => "admin",
            SqlClass::Unknown => "unknown",
        }
    }

    /// The policy action name: `sql:read`, `sql:write`, `sql:ddl`, `sql:admin` or `sql:unknown`.
    pub fn action_name(self) -> &'static str {
        match self {
            SqlClass::Read => "sql:read",
            SqlClass::Write => "sql:write",
            SqlClass::Ddl => "sql:ddl",
            SqlClass::Admin => "sql:admin",
            SqlClass::Unknown => "sql:unknown",
        }
    }
}

impl fmt::Display for SqlClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
