//! What the tree walk has found so far in one batch (or one prepared statement).

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::{Classification, SqlClass};

/// Accumulates the class, reason, tables and session facts while statements are walked.
#[derive(Debug)]
pub(crate) struct Findings {
    class: SqlClass,
    reason: Option<String>,
    tables: BTreeSet<String>,
    functions: BTreeSet<String>,
    columns: BTreeSet<String>,
    /// Relation names and aliases in scope, and one-part column references: where they meet,
    /// a whole row is referenced.
    relations: BTreeSet<String>,
    single_names: BTreeSet<String>,
    prepares: Vec<(String, Arc<Classification>)>,
    executes: Vec<String>,
    deallocates: Vec<Option<String>>,
    bypass: bool,
    copies_out: bool,
}

impl Findings {
    /// Nothing found yet: `read`.
    pub(crate) fn new() -> Self {
        Findings {
            class: SqlClass::Read,
            reason: None,
            tables: BTreeSet::new(),
            functions: BTreeSet::new(),
            columns: BTreeSet::new(),
            relations: BTreeSet::new(),
            single_names: BTreeSet::new(),
            prepares: Vec::new(),
            executes: Vec::new(),
            deallocates: Vec::new(),
            bypass: false,
            copies_out: false,
        }
    }

    /// Raises the class to at least `class`; the first reason given at the highest class wins.
    pub(crate) fn raise(&mut self, class: SqlClass, reason: Option<String>) {
        if class > self.class {
            self.class = class;
            self.reason = reason;
        } else if class == self.class && self.reason.is_none() && class > SqlClass::Read {
            self.reason = reason;
        }
    }

    /// Raises the class with a reason.
    pub(crate) fn raise_because(&mut self, class: SqlClass, reason: impl Into<String>) {
        self.raise(class, Some(reason.into()));
    }

    /// Records a table, lowercased.
    pub(crate) fn table(&mut self, name: &str) {
        if !name.is_empty() {
            self.tables.insert(name.to_lowercase());
        }
    }

    /// Records a referenced column name (its last part), lowercased; `*` for a star.
    pub(crate) fn column(&mut self, name: &str) {
        if !name.is_empty() {
            self.columns.insert(name.to_lowercase());
        }
    }

    /// Records a relation name or alias in the statement, lowercased.
    pub(crate) fn relation(&mut self, name: &str) {
        self.relations.insert(name.to_lowercase());
    }

    /// Records a one-part column reference, lowercased.
    pub(crate) fn single_name(&mut self, name: &str) {
        self.single_names.insert(name.to_lowercase());
    }

    /// Records a called function, lowercased.
    pub(crate) fn function(&mut self, name: &str) {
        if !name.is_empty() {
            self.functions.insert(name.to_lowercase());
        }
    }

    /// Marks the batch as able to turn off read-only mode.
    pub(crate) fn bypass_read_only(&mut self) {
        self.bypass = true;
    }

    /// Records an `EXECUTE name`.
    pub(crate) fn execute(&mut self, name: &str) {
        self.executes.push(name.to_owned());
    }

    /// Records a `COPY … TO STDOUT`: rows reach the client without column names.
    pub(crate) fn copy_out(&mut self) {
        self.copies_out = true;
    }

    /// Records a `DEALLOCATE name` (`None` for `ALL`).
    pub(crate) fn deallocate(&mut self, name: Option<&str>) {
        self.deallocates.push(name.map(str::to_owned));
    }

    /// Records a `PREPARE name AS ...` and folds the inner statement into this batch.
    pub(crate) fn prepare(&mut self, name: &str, inner: Classification) {
        self.raise(inner.class, inner.reason.clone());
        self.tables.extend(inner.tables.iter().cloned());
        self.functions.extend(inner.functions.iter().cloned());
        self.executes.extend(inner.executes.iter().cloned());
        self.bypass |= inner.sets_read_only_bypass;
        self.prepares.push((name.to_owned(), Arc::new(inner)));
    }

    /// The finished classification of `statements` statements.
    pub(crate) fn finish(self, statements: usize) -> Classification {
        Classification {
            class: self.class,
            tables: self.tables.into_iter().collect(),
            functions: self.functions.into_iter().collect(),
            whole_row: self.single_names.iter().any(|n| self.relations.contains(n)),
            columns: self.columns.into_iter().collect(),
            statements,
            reason: self.reason,
            prepares: self.prepares,
            executes: self.executes,
            deallocates: self.deallocates,
            sets_read_only_bypass: self.bypass,
            copies_out: self.copies_out,
        }
    }
}
