//! Classification of one statement node: its kind, then everything inside it.

use pg_query::NodeEnum;
use pg_query::protobuf::{CopyStmt, DiscardMode, DropStmt, ExplainStmt, ObjectType, PrepareStmt};

use crate::SqlClass;
use crate::error::SqlError;
use crate::findings::Findings;
use crate::settings::{self, constant, is_false};
use crate::tree::TreeWalk;

/// Classifies `node` into `found`.
///
/// `executes` is false under a plain `EXPLAIN`: the statement is planned, not run, so its own
/// kind and any data changes inside it do not count (admin and dynamic-SQL functions still do).
pub(crate) fn statement(node: &NodeEnum, found: &mut Findings, executes: bool) {
    match node {
        NodeEnum::ExplainStmt(explain) => explain_stmt(explain, found, executes),
        NodeEnum::PrepareStmt(prepare) => prepare_stmt(prepare, found),
        NodeEnum::CreateSchemaStmt(schema) => {
            if executes {
                found.raise(SqlClass::Ddl, None);
            }
            // CREATE SCHEMA may carry its own CREATE TABLE, VIEW, INDEX, ... and GRANT.
            for element in &schema.schema_elts {
                if let Some(inner) = &element.node {
                    statement(inner, found, executes);
                }
            }
        }
        _ => {
            let tree = match serde_json::to_value(node) {
                Ok(tree) => tree,
                Err(error) => {
                    let reason = SqlError::Tree(error.to_string()).to_string();
                    return found.raise_because(SqlClass::Unknown, reason);
                }
            };
            let kind_name = tree
                .as_object()
                .and_then(|map| map.keys().next())
                .map_or("unnamed", String::as_str);
            if executes {
                kind(node, kind_name, found);
            }
            TreeWalk::run(&tree, found, executes);
        }
    }
}

/// `EXPLAIN` plans its statement; only `EXPLAIN ANALYZE` runs it.
fn explain_stmt(explain: &ExplainStmt, found: &mut Findings, executes: bool) {
    let analyze = explain.options.iter().any(|option| match &option.node {
        Some(NodeEnum::DefElem(elem)) if elem.defname.eq_ignore_ascii_case("analyze") => {
            // A bare ANALYZE is on; only a value PostgreSQL reads as false turns it off.
            !elem
                .arg
                .as_deref()
                .and_then(constant)
                .is_some_and(|v| is_false(&v))
        }
        _ => false,
    });
    match explain.query.as_deref().and_then(|q| q.node.as_ref()) {
        Some(inner) => statement(inner, found, executes && analyze),
        None => found.raise_because(SqlClass::Unknown, "EXPLAIN without a statement"),
    }
}

/// `PREPARE name AS ...` has the class of the statement it prepares.
fn prepare_stmt(prepare: &PrepareStmt, found: &mut Findings) {
    let mut inner = Findings::new();
    match prepare.query.as_deref().and_then(|q| q.node.as_ref()) {
        Some(query) => statement(query, &mut inner, true),
        None => inner.raise_because(SqlClass::Unknown, "PREPARE without a statement"),
    }
    found.prepare(&prepare.name, inner.finish(1));
}

/// Raises `found` to the class of the statement kind itself.
fn kind(node: &NodeEnum, kind_name: &str, found: &mut Findings) {
    use SqlClass::{Admin, Ddl, Read, Unknown, Write};
    let (class, reason): (SqlClass, Option<&str>) = match node {
        NodeEnum::SelectStmt(_)
        | NodeEnum::VariableShowStmt(_)
        | NodeEnum::ListenStmt(_)
        | NodeEnum::UnlistenStmt(_)
        | NodeEnum::FetchStmt(_)
        | NodeEnum::ClosePortalStmt(_)
        | NodeEnum::DeclareCursorStmt(_)
        | NodeEnum::ExecuteStmt(_)
        | NodeEnum::ConstraintsSetStmt(_) => (Read, None),
        NodeEnum::DeallocateStmt(deallocate) => {
            found.deallocate((!deallocate.isall).then_some(deallocate.name.as_str()));
            (Read, None)
        }
        NodeEnum::VariableSetStmt(set) => return settings::variable_set(set, found),
        NodeEnum::TransactionStmt(transaction) => {
            return settings::transaction(transaction, found);
        }
        NodeEnum::DiscardStmt(discard) => {
            if discard.target == DiscardMode::DiscardAll as i32 {
                found.bypass_read_only();
                (
                    Admin,
                    Some("DISCARD ALL resets every setting and may turn off read-only mode"),
                )
            } else {
                (Read, None)
            }
        }
        NodeEnum::CopyStmt(copy) => return copy_stmt(copy, found),

        NodeEnum::InsertStmt(_)
        | NodeEnum::UpdateStmt(_)
        | NodeEnum::DeleteStmt(_)
        | NodeEnum::MergeStmt(_)
        | NodeEnum::LockStmt(_)
        | NodeEnum::RefreshMatViewStmt(_) => (Write, None),
        NodeEnum::NotifyStmt(_) => (Write, Some("NOTIFY sends a notification")),

        NodeEnum::CreateStmt(_)
        | NodeEnum::AlterTableStmt(_)
        | NodeEnum::ReplicaIdentityStmt(_)
        | NodeEnum::AlterCollationStmt(_)
        | NodeEnum::AlterDomainStmt(_)
        | NodeEnum::CreateSeqStmt(_)
        | NodeEnum::AlterSeqStmt(_)
        | NodeEnum::DefineStmt(_)
        | NodeEnum::CreateDomainStmt(_)
        | NodeEnum::CreateOpClassStmt(_)
        | NodeEnum::CreateOpFamilyStmt(_)
        | NodeEnum::AlterOpFamilyStmt(_)
        | NodeEnum::IndexStmt(_)
        | NodeEnum::CreateStatsStmt(_)
        | NodeEnum::AlterStatsStmt(_)
        | NodeEnum::CreateFunctionStmt(_)
        | NodeEnum::AlterFunctionStmt(_)
        | NodeEnum::AlterObjectDependsStmt(_)
        | NodeEnum::AlterOperatorStmt(_)
        | NodeEnum::AlterTypeStmt(_)
        | NodeEnum::RuleStmt(_)
        | NodeEnum::CompositeTypeStmt(_)
        | NodeEnum::CreateEnumStmt(_)
        | NodeEnum::CreateRangeStmt(_)
        | NodeEnum::AlterEnumStmt(_)
        | NodeEnum::ViewStmt(_)
        | NodeEnum::CreateConversionStmt(_)
        | NodeEnum::CreateCastStmt(_)
        | NodeEnum::CreateTransformStmt(_)
        | NodeEnum::AlterTsdictionaryStmt(_)
        | NodeEnum::AlterTsconfigurationStmt(_)
        | NodeEnum::CreateTrigStmt(_)
        | NodeEnum::CreateForeignTableStmt(_)
        | NodeEnum::ImportForeignSchemaStmt(_) => (Ddl, None),
        NodeEnum::CreateTableAsStmt(_) => (Ddl, Some("CREATE TABLE AS creates a table")),
        NodeEnum::TruncateStmt(_) => (Ddl, Some("TRUNCATE removes every row")),
        NodeEnum::DropStmt(drop) => return drop_stmt(drop, found),
        NodeEnum::RenameStmt(rename) => {
            return object_change("renames", rename.rename_type, found);
        }
        NodeEnum::AlterOwnerStmt(owner) => {
            return object_change("changes the owner of", owner.object_type, found);
        }
        NodeEnum::AlterObjectSchemaStmt(schema) => {
            return object_change("moves", schema.object_type, found);
        }
        NodeEnum::CommentStmt(comment) => {
            if let Some(object) = comment.object.as_deref()
                && relation_like(comment.objtype)
            {
                found.table(&qualified_name(object));
            }
            (Ddl, None)
        }

        NodeEnum::GrantStmt(_)
        | NodeEnum::GrantRoleStmt(_)
        | NodeEnum::AlterDefaultPrivilegesStmt(_)
        | NodeEnum::DropOwnedStmt(_)
        | NodeEnum::ReassignOwnedStmt(_)
        | NodeEnum::CreatePolicyStmt(_)
        | NodeEnum::AlterPolicyStmt(_)
        | NodeEnum::SecLabelStmt(_) => (Admin, Some("changes privileges or access rules")),
        NodeEnum::CreateRoleStmt(_)
        | NodeEnum::AlterRoleStmt(_)
        | NodeEnum::AlterRoleSetStmt(_)
        | NodeEnum::DropRoleStmt(_) => (Admin, Some("creates, changes or drops a role")),
        NodeEnum::CreatedbStmt(_)
        | NodeEnum::AlterDatabaseStmt(_)
        | NodeEnum::AlterDatabaseRefreshCollStmt(_)
        | NodeEnum::AlterDatabaseSetStmt(_)
        | NodeEnum::DropdbStmt(_) => (Admin, Some("creates, changes or drops a database")),
        NodeEnum::AlterSystemStmt(_) => {
            (Admin, Some("ALTER SYSTEM changes the server configuration"))
        }
        NodeEnum::LoadStmt(_) => (Admin, Some("LOAD loads a shared library into the server")),
        NodeEnum::CheckPointStmt(_) => (Admin, Some("CHECKPOINT is server maintenance")),
        NodeEnum::VacuumStmt(_) | NodeEnum::ClusterStmt(_) | NodeEnum::ReindexStmt(_) => (
            Admin,
            Some("VACUUM, ANALYZE, CLUSTER and REINDEX are maintenance"),
        ),
        NodeEnum::CreateExtensionStmt(_)
        | NodeEnum::AlterExtensionStmt(_)
        | NodeEnum::AlterExtensionContentsStmt(_)
        | NodeEnum::CreatePlangStmt(_)
        | NodeEnum::CreateAmStmt(_)
        | NodeEnum::CreateEventTrigStmt(_)
        | NodeEnum::AlterEventTrigStmt(_) => (
            Admin,
            Some("installs or changes extensions, languages or event triggers"),
        ),
        NodeEnum::CreateFdwStmt(_)
        | NodeEnum::AlterFdwStmt(_)
        | NodeEnum::CreateForeignServerStmt(_)
        | NodeEnum::AlterForeignServerStmt(_)
        | NodeEnum::CreateUserMappingStmt(_)
        | NodeEnum::AlterUserMappingStmt(_)
        | NodeEnum::DropUserMappingStmt(_) => {
            (Admin, Some("changes foreign servers or their credentials"))
        }
        NodeEnum::CreateTableSpaceStmt(_)
        | NodeEnum::DropTableSpaceStmt(_)
        | NodeEnum::AlterTableSpaceOptionsStmt(_)
        | NodeEnum::AlterTableMoveAllStmt(_) => (Admin, Some("changes tablespaces")),
        NodeEnum::CreatePublicationStmt(_)
        | NodeEnum::AlterPublicationStmt(_)
        | NodeEnum::CreateSubscriptionStmt(_)
        | NodeEnum::AlterSubscriptionStmt(_)
        | NodeEnum::DropSubscriptionStmt(_) => (Admin, Some("changes logical replication")),

        NodeEnum::DoStmt(_) => (Unknown, Some("DO block runs procedural code")),
        NodeEnum::CallStmt(_) => (
            Unknown,
            Some("CALL runs a procedure, which can do anything"),
        ),
        _ => {
            let reason = format!("statement kind {kind_name} is not recognised");
            return found.raise_because(Unknown, reason);
        }
    };
    let reason = match (class, reason) {
        (_, Some(reason)) => Some(reason.to_owned()),
        (Admin | Unknown, None) => Some(format!("{kind_name} statement")),
        _ => None,
    };
    found.raise(class, reason);
}

/// `COPY`: `PROGRAM` and server files are admin; `FROM STDIN` writes; `TO STDOUT` reads (and
/// is marked, with the columns a table copy reads, because its rows carry no column names).
fn copy_stmt(copy: &CopyStmt, found: &mut Findings) {
    if copy.is_program {
        found.raise_because(
            SqlClass::Admin,
            "COPY ... PROGRAM runs a program on the database server",
        );
    } else if !copy.filename.is_empty() {
        let verb = if copy.is_from { "reads" } else { "writes" };
        found.raise_because(
            SqlClass::Admin,
            format!("COPY {verb} a file on the database server"),
        );
    } else if copy.is_from {
        found.raise(SqlClass::Write, None);
    } else {
        found.copy_out();
        // `COPY t TO STDOUT` reads every column of t; `COPY t (a, b)` reads a and b.
        if copy.relation.is_some() {
            let listed: Vec<&str> = copy
                .attlist
                .iter()
                .filter_map(|node| match node.node.as_ref() {
                    Some(NodeEnum::String(name)) => Some(name.sval.as_str()),
                    _ => None,
                })
                .collect();
            if listed.is_empty() {
                found.column("*");
            }
            for name in listed {
                found.column(name);
            }
        }
    }
}

/// `DROP`: DDL, or admin for server-wide objects; dropped tables, views, ... are recorded.
fn drop_stmt(drop: &DropStmt, found: &mut Findings) {
    if relation_like(drop.remove_type) {
        for object in &drop.objects {
            found.table(&qualified_name(object));
        }
    }
    object_change("drops", drop.remove_type, found);
}

/// A statement that `verb`s an object of `object_type`: DDL, or admin for server-wide objects.
fn object_change(verb: &str, object_type: i32, found: &mut Findings) {
    let class = object_class(object_type);
    let reason = (class == SqlClass::Admin).then(|| {
        let name = ObjectType::try_from(object_type)
            .map(|t| t.as_str_name())
            .unwrap_or("OBJECT_UNKNOWN");
        let name = name.trim_start_matches("OBJECT_").replace('_', " ");
        format!(
            "{verb} a {} (a server-wide or security object)",
            name.to_lowercase()
        )
    });
    found.raise(class, reason);
}

/// Roles, databases, tablespaces, extensions, languages, foreign servers, replication and
/// policies are admin objects; everything else is DDL.
fn object_class(object_type: i32) -> SqlClass {
    let admin = matches!(
        ObjectType::try_from(object_type),
        Ok(ObjectType::ObjectRole
            | ObjectType::ObjectDatabase
            | ObjectType::ObjectTablespace
            | ObjectType::ObjectExtension
            | ObjectType::ObjectLanguage
            | ObjectType::ObjectAccessMethod
            | ObjectType::ObjectEventTrigger
            | ObjectType::ObjectFdw
            | ObjectType::ObjectForeignServer
            | ObjectType::ObjectUserMapping
            | ObjectType::ObjectPublication
            | ObjectType::ObjectPublicationNamespace
            | ObjectType::ObjectPublicationRel
            | ObjectType::ObjectSubscription
            | ObjectType::ObjectPolicy
            | ObjectType::ObjectParameterAcl
            | ObjectType::ObjectDefacl)
    );
    if admin {
        SqlClass::Admin
    } else {
        SqlClass::Ddl
    }
}

/// Object types whose names are relations (recorded as tables).
fn relation_like(object_type: i32) -> bool {
    matches!(
        ObjectType::try_from(object_type),
        Ok(ObjectType::ObjectTable
            | ObjectType::ObjectView
            | ObjectType::ObjectMatview
            | ObjectType::ObjectSequence
            | ObjectType::ObjectForeignTable
            | ObjectType::ObjectIndex)
    )
}

/// `schema.name` from a name list node (`List` of `String`).
fn qualified_name(node: &pg_query::protobuf::Node) -> String {
    match &node.node {
        Some(NodeEnum::List(list)) => list
            .items
            .iter()
            .filter_map(|item| match &item.node {
                Some(NodeEnum::String(s)) => Some(s.sval.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("."),
        _ => String::new(),
    }
}
