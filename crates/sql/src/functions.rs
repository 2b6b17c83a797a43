//! Built-in functions whose call changes what a statement does.
//!
//! Names match schema-insensitively and case-insensitively: `pg_catalog.PG_READ_FILE` is
//! `pg_read_file`. User-defined functions cannot be judged from their name; policies can match
//! on [`crate::Classification::functions`], and read-only roles are also held read-only by the
//! upstream session.

use crate::SqlClass;

/// Functions that execute SQL given as a string or read a table named at run time: `unknown`.
const DYNAMIC_SQL: &[&str] = &[
    "query_to_xml",
    "query_to_xmlschema",
    "query_to_xml_and_xmlschema",
    "cursor_to_xml",
    "cursor_to_xmlschema",
    "table_to_xml",
    "table_to_xmlschema",
    "table_to_xml_and_xmlschema",
    "schema_to_xml",
    "schema_to_xmlschema",
    "schema_to_xml_and_xmlschema",
    "database_to_xml",
    "database_to_xmlschema",
    "database_to_xml_and_xmlschema",
    "ts_stat",
    "crosstab",
    "crosstab2",
    "crosstab3",
    "crosstab4",
    "connectby",
];

/// Server files, other backends, server configuration, replication and remote connections: `admin`.
const ADMIN: &[&str] = &[
    "pg_read_file",
    "pg_read_binary_file",
    "pg_stat_file",
    "pg_file_write",
    "pg_file_rename",
    "pg_file_unlink",
    "pg_file_sync",
    "pg_logdir_ls",
    "lo_import",
    "lo_export",
    "pg_terminate_backend",
    "pg_cancel_backend",
    "pg_reload_conf",
    "pg_rotate_logfile",
    "pg_promote",
    "pg_switch_wal",
    "pg_create_restore_point",
    "pg_backup_start",
    "pg_backup_stop",
    "pg_start_backup",
    "pg_stop_backup",
    "pg_wal_replay_pause",
    "pg_wal_replay_resume",
    "pg_log_backend_memory_contexts",
    "pg_log_standby_snapshot",
    "pg_import_system_collations",
    "pg_truncate_visibility_map",
    "pg_sync_replication_slots",
];

/// Prefixes of `admin` function families.
const ADMIN_PREFIXES: &[&str] = &[
    "dblink",
    "pg_ls_",
    "pg_stat_reset",
    "pg_stat_statements_reset",
    "pg_replication_origin_",
    "pg_logical_slot_",
    "pg_replication_slot_",
    "pg_create_physical_replication_slot",
    "pg_create_logical_replication_slot",
    "pg_copy_physical_replication_slot",
    "pg_copy_logical_replication_slot",
    "pg_drop_replication_slot",
];

/// Functions that change data: `write`.
const WRITE: &[&str] = &[
    "nextval",
    "setval",
    "pg_notify",
    "lo_create",
    "lo_creat",
    "lo_unlink",
    "lo_from_bytea",
    "lo_put",
    "lowrite",
    "lo_truncate",
    "lo_truncate64",
    "pg_logical_emit_message",
    "pg_restore_relation_stats",
    "pg_restore_attribute_stats",
    "pg_clear_relation_stats",
    "pg_clear_attribute_stats",
];

/// The class a call to this function forces on its statement, if any, with the reason.
///
/// `name` is the unqualified, lowercase function name. `set_config` is not listed: its danger
/// depends on its arguments (see `settings`).
pub(crate) fn risk(name: &str) -> Option<(SqlClass, String)> {
    if DYNAMIC_SQL.contains(&name) {
        return Some((
            SqlClass::Unknown,
            format!("calls {name}, which runs SQL or reads tables named only at run time"),
        ));
    }
    if ADMIN.contains(&name) || ADMIN_PREFIXES.iter().any(|p| name.starts_with(p)) {
        return Some((SqlClass::Admin, format!("calls {name}")));
    }
    if WRITE.contains(&name) {
        return Some((SqlClass::Write, format!("calls {name}, which changes data")));
    }
    None
}
