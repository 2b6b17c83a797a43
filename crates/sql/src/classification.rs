//! The result of classifying one statement batch.

use std::sync::Arc;

use warden_core::Action;

use crate::SqlClass;

/// What a statement batch does, as far as policy is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    /// The most dangerous class among the batch's statements.
    pub class: SqlClass,
    /// Tables touched, deduplicated and sorted, lowercase, schema-qualified when written so.
    /// CTE names are not tables and are left out.
    pub tables: Vec<String>,
    /// Functions called, deduplicated and sorted, lowercase, schema-qualified when written so.
    pub functions: Vec<String>,
    /// Column names referenced anywhere in the statement (last name part, lowercased; `*`).
    pub columns: Vec<String>,
    /// Whether a whole row is referenced as a value (`SELECT c FROM t c`, `row_to_json(t)`).
    pub whole_row: bool,
    /// How many statements the batch holds (0 for empty or comment-only text).
    pub statements: usize,
    /// Why the batch has its class when the statement kind alone does not say so: always set for
    /// `admin` and `unknown` (e.g. `calls pg_read_file`, `DO block`, `parse error: ...`), and for
    /// hidden effects at lower classes (e.g. `DELETE inside a CTE`). The first statement that
    /// reached the batch's class gives the reason.
    pub reason: Option<String>,
    /// `PREPARE name AS ...` in the batch: the name and the classification of the inner statement.
    pub prepares: Vec<(String, Arc<Classification>)>,
    /// `EXECUTE name` references. The batch's own class counts an `EXECUTE` as `read`; the
    /// session must replace it with the class of the statement prepared under that name.
    pub executes: Vec<String>,
    /// `DEALLOCATE name` (`Some`) and `DEALLOCATE ALL` (`None`) in the batch.
    pub deallocates: Vec<Option<String>>,
    /// Whether the batch could turn off read-only mode (`SET default_transaction_read_only = off`,
    /// `BEGIN READ WRITE`, `RESET ALL`, `set_config('transaction_read_only', ...)`, ...).
    pub sets_read_only_bypass: bool,
    /// Whether the batch copies rows out to the client (`COPY … TO STDOUT`). Those rows arrive
    /// as CopyData, without column names; a table copied whole references the column `*`.
    pub copies_out: bool,
}

impl Classification {
    /// The policy action: `sql:<class>` with the tables and functions touched (the columns are
    /// added by the protocol only when a masking profile needs them).
    pub fn action(&self) -> Action {
        let mut action = Action::named(self.class.action_name()).with_tables(self.tables.clone());
        action.functions = self.functions.clone();
        action.read_only = self.class == SqlClass::Read;
        action
    }

    /// The classification of text that could not be parsed: `unknown`, with the reason.
    pub fn unknown(reason: impl Into<String>) -> Self {
        Classification {
            class: SqlClass::Unknown,
            tables: Vec::new(),
            functions: Vec::new(),
            columns: Vec::new(),
            whole_row: false,
            statements: 0,
            reason: Some(reason.into()),
            prepares: Vec::new(),
            executes: Vec::new(),
            deallocates: Vec::new(),
            sets_read_only_bypass: false,
            copies_out: false,
        }
    }
}
