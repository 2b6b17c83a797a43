//! A walk over every node of a statement's parse tree.
//!
//! `pg_query`'s protobuf types have no reflection, and a hand-written visitor over its ~270 node
//! kinds would silently miss whatever it forgot. Instead the typed tree is serialised with
//! `serde` (which every protobuf type derives) into a generic JSON tree and every object in it is
//! visited, so no node kind and no field can be skipped. Nodes are recognised by their shape:
//! a table reference is any object with `relname` and `relpersistence` (a `RangeVar`), a call is
//! any object with `funcname` and `func_variadic` (a `FuncCall`), whether the field holding it is
//! typed or a generic `Node`.

use serde_json::{Map, Value};

use crate::SqlClass;
use crate::findings::Findings;
use crate::functions;
use crate::settings::{SettingValue, setting_risk};

/// Data-changing statements, which can hide inside a CTE, `COPY (...)`, `EXPLAIN ANALYZE`, ...
const DML: &[(&str, &str)] = &[
    ("InsertStmt", "INSERT"),
    ("UpdateStmt", "UPDATE"),
    ("DeleteStmt", "DELETE"),
    ("MergeStmt", "MERGE"),
];

/// Walks one statement's tree, recording tables and functions and raising the class.
pub(crate) struct TreeWalk<'a> {
    found: &'a mut Findings,
    /// Whether the statement really runs (false under plain `EXPLAIN`): then only calls of
    /// admin and dynamic-SQL functions count, as the planner may still evaluate them.
    executes: bool,
    /// CTE names in scope; an unqualified `FROM` reference to one is not a table.
    ctes: Vec<String>,
    /// Whether the statement at the root is itself the DML node (a top-level `DELETE`).
    top_level: bool,
}

impl<'a> TreeWalk<'a> {
    /// Walks `root`, the JSON form of one statement node (`{"SelectStmt": {...}}`).
    pub(crate) fn run(root: &Value, found: &'a mut Findings, executes: bool) {
        let mut walk = TreeWalk {
            found,
            executes,
            ctes: Vec::new(),
            top_level: true,
        };
        walk.value(root);
    }

    /// A column reference: its last part (`t.password` → `password`), or `*`.
    fn column_ref(&mut self, column: &Map<String, Value>) {
        let Some(last) = column
            .get("fields")
            .and_then(Value::as_array)
            .and_then(|fields| fields.last())
        else {
            return;
        };
        if last.pointer("/node/AStar").is_some() || last.pointer("/node/A_Star").is_some() {
            self.found.column("*");
        } else if let Some(name) = string_node(last) {
            self.found.column(name);
            if column.get("fields").and_then(Value::as_array).map(Vec::len) == Some(1) {
                self.found.single_name(name);
            }
        }
    }

    fn value(&mut self, value: &Value) {
        match value {
            Value::Object(map) => self.object(map),
            Value::Array(items) => items.iter().for_each(|item| self.value(item)),
            _ => {}
        }
    }

    fn object(&mut self, map: &Map<String, Value>) {
        let top_level = std::mem::replace(&mut self.top_level, false);
        if map.contains_key("relname") && map.contains_key("relpersistence") {
            self.range_var(map);
        }
        if map.contains_key("funcname") && map.contains_key("func_variadic") {
            self.func_call(map);
        }
        if let Some(Value::Object(column)) = map.get("ColumnRef") {
            self.column_ref(column);
        }
        for (kind, verb) in DML {
            if let Some(Value::Object(stmt)) = map.get(*kind) {
                // The target of INSERT/UPDATE/DELETE/MERGE is never a CTE, even if one has its name.
                if let Some(Value::Object(target)) = stmt.get("relation") {
                    let name = relation_name(target);
                    if target.get("relname").and_then(Value::as_str) == Some("pg_settings") {
                        // pg_settings has rules that turn an UPDATE into set_config().
                        self.found.raise_because(
                            SqlClass::Admin,
                            format!("{verb} on pg_settings changes settings like SET"),
                        );
                        self.found.bypass_read_only();
                    }
                    self.found.table(&name);
                }
                if self.executes && !top_level {
                    self.found
                        .raise_because(SqlClass::Write, format!("{verb} inside another statement"));
                }
            }
        }
        if let Some(name) = map
            .get("ExecuteStmt")
            .and_then(|execute| execute.get("name"))
            .and_then(Value::as_str)
        {
            self.found.execute(name);
        }
        if self.executes {
            self.select_effects(map);
        }
        match map.get("with_clause") {
            Some(Value::Object(with)) => self.with_scope(map, with),
            _ => map.values().for_each(|child| self.value(child)),
        }
    }

    /// `SELECT ... FOR UPDATE/SHARE` takes row locks; `SELECT ... INTO` creates a table.
    fn select_effects(&mut self, map: &Map<String, Value>) {
        if matches!(map.get("locking_clause"), Some(Value::Array(l)) if !l.is_empty()) {
            self.found.raise_because(
                SqlClass::Write,
                "SELECT ... FOR UPDATE/SHARE takes row locks",
            );
        }
        if let Some(Value::Object(into)) = map.get("into_clause") {
            if let Some(Value::Object(rel)) = into.get("rel") {
                self.found.table(&relation_name(rel));
            }
            self.found
                .raise_because(SqlClass::Ddl, "SELECT ... INTO creates a table");
        }
    }

    /// Walks a statement carrying `WITH`, with its CTE names in scope where SQL puts them.
    fn with_scope(&mut self, map: &Map<String, Value>, with: &Map<String, Value>) {
        let saved = self.ctes.len();
        let recursive = matches!(with.get("recursive"), Some(Value::Bool(true)));
        let ctes: &[Value] = match with.get("ctes") {
            Some(Value::Array(ctes)) => ctes,
            _ => &[],
        };
        if recursive {
            self.ctes.extend(ctes.iter().filter_map(cte_name));
            ctes.iter().for_each(|cte| self.value(cte));
        } else {
            // A plain CTE sees only the CTEs before it; its own name inside it is a table.
            for cte in ctes {
                self.value(cte);
                self.ctes.extend(cte_name(cte));
            }
        }
        for (key, child) in map {
            if key != "with_clause" {
                self.value(child);
            }
        }
        self.ctes.truncate(saved);
    }

    fn range_var(&mut self, map: &Map<String, Value>) {
        let name = relation_name(map);
        // A one-part column reference naming a relation or its alias is the whole row.
        if let Some(relname) = map.get("relname").and_then(Value::as_str) {
            self.found.relation(relname);
        }
        if let Some(alias) = map
            .get("alias")
            .and_then(|a| a.get("aliasname"))
            .and_then(Value::as_str)
        {
            self.found.relation(alias);
        }
        let qualified = name.contains('.');
        if !qualified && self.ctes.iter().any(|cte| cte.eq_ignore_ascii_case(&name)) {
            return;
        }
        self.found.table(&name);
    }

    fn func_call(&mut self, map: &Map<String, Value>) {
        let parts: Vec<&str> = match map.get("funcname") {
            Some(Value::Array(parts)) => parts.iter().filter_map(string_node).collect(),
            _ => Vec::new(),
        };
        let Some(last) = parts.last() else {
            return;
        };
        self.found.function(&parts.join("."));
        let base = last.to_lowercase();
        let args: &[Value] = match map.get("args") {
            Some(Value::Array(args)) => args,
            _ => &[],
        };
        if base == "set_config" {
            self.set_config(args);
        } else if let Some((class, reason)) = functions::risk(&base)
            && (self.executes || class >= SqlClass::Admin)
        {
            self.found.raise_because(class, reason);
        }
    }

    /// `set_config(name, value, is_local)` is `SET` in function form.
    fn set_config(&mut self, args: &[Value]) {
        let Some(name) = args.first().and_then(json_constant) else {
            self.found.raise_because(
                SqlClass::Admin,
                "calls set_config with a setting name known only at run time",
            );
            self.found.bypass_read_only();
            return;
        };
        let value = args
            .get(1)
            .and_then(json_constant)
            .map_or(SettingValue::Dynamic, SettingValue::Const);
        if let Some(risk) = setting_risk(&name, &value) {
            self.found.raise_because(
                SqlClass::Admin,
                format!(
                    "calls set_config on {}, which {}",
                    name.to_lowercase(),
                    risk.effect
                ),
            );
            if risk.bypass {
                self.found.bypass_read_only();
            }
        }
    }
}

/// `catalog.schema.relation` as written, without empty parts.
fn relation_name(map: &Map<String, Value>) -> String {
    ["catalogname", "schemaname", "relname"]
        .iter()
        .filter_map(|key| map.get(*key).and_then(Value::as_str))
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(".")
}

/// The name of a `{"node": {"CommonTableExpr": {...}}}` entry.
fn cte_name(cte: &Value) -> Option<String> {
    cte.pointer("/node/CommonTableExpr/ctename")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// The text of a `{"node": {"String": {"sval": ...}}}` entry.
fn string_node(node: &Value) -> Option<&str> {
    node.pointer("/node/String/sval").and_then(Value::as_str)
}

/// The text of a constant argument (`'x'`, `1`, `true`, `'x'::text`), if it is one.
fn json_constant(node: &Value) -> Option<String> {
    let inner = node.get("node")?;
    if let Some(cast) = inner.get("TypeCast") {
        return cast.get("arg").and_then(json_constant);
    }
    let value = inner.get("AConst")?;
    if value.get("isnull") == Some(&Value::Bool(true)) {
        return None;
    }
    let val = value.get("val")?;
    if let Some(s) = val.pointer("/Sval/sval").and_then(Value::as_str) {
        return Some(s.to_owned());
    }
    if let Some(i) = val.pointer("/Ival/ival").and_then(Value::as_i64) {
        return Some(i.to_string());
    }
    if let Some(b) = val.pointer("/Boolval/boolval").and_then(Value::as_bool) {
        return Some(b.to_string());
    }
    val.pointer("/Fval/fval")
        .and_then(Value::as_str)
        .map(str::to_owned)
}
