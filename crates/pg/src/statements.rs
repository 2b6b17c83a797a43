//! Per-session statement state: SQL-level prepared statements, protocol-level statements and
//! portals, each with the action and decision it was admitted under.

use crate::named::Named;
use std::collections::HashMap;
use std::sync::Arc;
use warden_core::pipeline::Reusable;
use warden_core::{Action, Decision};
use warden_sql::{Classification, Classifier, ShapeKey};

/// Danger rank of a SQL action name; a batch takes the highest.
fn rank(action: &str) -> u8 {
    match action {
        "sql:read" => 0,
        "sql:write" => 1,
        "sql:ddl" => 2,
        "sql:admin" => 3,
        _ => 4,
    }
}

/// The referenced-column entry that stands for a whole row used as a value.
pub const WHOLE_ROW: &str = "(whole row)";

/// How many statement shapes a session keeps the built action of (see [`Statements::simple_query`]).
const ACTION_MEMO: usize = 16;

/// A statement as admitted: what it does and the decision it runs under, shared by the
/// statement, its portals and their executions.
#[derive(Debug)]
pub struct Admitted {
    /// What it does (shared with the session's memo of built actions).
    pub action: Arc<Action>,
    /// The decision it was admitted under.
    pub decision: Decision,
}

/// Statement bookkeeping for one session.
pub struct Statements {
    classifier: Arc<Classifier>,
    prepared: HashMap<String, Arc<Classification>>,
    statements: Named<Arc<Admitted>>,
    portals: Named<Arc<Admitted>>,
    /// Recently classified statement shapes, most recent last: a session that repeats a shape
    /// shares one classification and action instead of looking them up and building them again.
    shapes: Vec<Shape>,
    /// The shape key of the statement being classified (a buffer reused for every statement).
    key: ShapeKey,
}

/// A statement shape (a classification that EXECUTEs nothing) a session saw recently.
struct Shape {
    /// The shape's text, as [`ShapeKey`] has it.
    key: Box<str>,
    /// Held, so that its address cannot be reused by another classification.
    classification: Arc<Classification>,
    action: Arc<Action>,
    /// The allowed read it was last admitted as, while policy lets the session reuse it.
    kept: Option<(Reusable, Arc<Admitted>)>,
}

impl Statements {
    /// Empty state using `classifier`.
    pub fn new(classifier: Arc<Classifier>) -> Self {
        Statements {
            classifier,
            prepared: HashMap::new(),
            statements: Named::default(),
            portals: Named::default(),
            shapes: Vec::with_capacity(ACTION_MEMO),
            key: ShapeKey::default(),
        }
    }

    /// The classification of a SQL text and its action, with `EXECUTE name` resolved to what
    /// `name` was prepared as. An EXECUTE of a name this session never prepared is `sql:unknown`.
    pub fn simple_query(&mut self, sql: &str) -> (Arc<Classification>, Arc<Action>) {
        self.key.set(sql);
        let key = self.key.as_str();
        if let Some(shape) = self.shapes.iter().rev().find(|shape| &*shape.key == key) {
            return (shape.classification.clone(), shape.action.clone());
        }
        let classification = self.classifier.classify_key(&self.key);
        if classification.executes.is_empty() {
            let action = self.remember(&classification);
            return (classification, action);
        }
        let mut action = classification.action();
        for name in &classification.executes {
            let executed = self
                .prepared
                .get(name)
                .map(|c| c.action())
                .unwrap_or_else(|| Action::named("sql:unknown"));
            if rank(&executed.name) > rank(&action.name) {
                action.name = executed.name;
            }
            action.read_only &= executed.read_only;
            for table in executed.tables {
                if !action.tables.contains(&table) {
                    action.tables.push(table);
                }
            }
            for function in executed.functions {
                if !action.functions.contains(&function) {
                    action.functions.push(function);
                }
            }
        }
        (classification, Arc::new(action))
    }

    /// Builds the action of `classification` (which EXECUTEs nothing) and remembers it under
    /// the current key among the session's [`ACTION_MEMO`] most recent shapes.
    fn remember(&mut self, classification: &Arc<Classification>) -> Arc<Action> {
        if self.shapes.len() >= ACTION_MEMO {
            self.shapes.remove(0);
        }
        let action = Arc::new(classification.action());
        self.shapes.push(Shape {
            key: self.key.as_str().into(),
            classification: classification.clone(),
            action: action.clone(),
            kept: None,
        });
        action
    }

    fn shape(&self, classification: &Arc<Classification>) -> Option<&Shape> {
        self.shapes.get(self.position(classification)?)
    }

    /// Where `classification`'s shape is among the recent ones, the newest match first.
    fn position(&self, classification: &Arc<Classification>) -> Option<usize> {
        self.shapes
            .iter()
            .rposition(|shape| Arc::ptr_eq(&shape.classification, classification))
    }

    /// The allowed read `classification` was last admitted as, with what says whether it may be
    /// reused (see [`warden_core::Pipeline::reuse`]).
    pub fn kept(&self, classification: &Arc<Classification>) -> Option<&(Reusable, Arc<Admitted>)> {
        self.shape(classification)?.kept.as_ref()
    }

    /// Keeps the allowed read `classification` was admitted as, for [`Self::kept`].
    pub fn keep(
        &mut self,
        classification: &Arc<Classification>,
        reusable: Reusable,
        admitted: Arc<Admitted>,
    ) {
        if let Some(at) = self.position(classification) {
            self.shapes[at].kept = Some((reusable, admitted));
        }
    }

    /// Column names `classification` references, including those of the statements it
    /// EXECUTEs, with [`WHOLE_ROW`] when a whole row is referenced as a value.
    pub fn referenced_columns(&self, classification: &Classification) -> Vec<String> {
        let mut columns = classification.columns.clone();
        let mut whole_row = classification.whole_row;
        for name in &classification.executes {
            if let Some(prepared) = self.prepared.get(name) {
                columns.extend(prepared.columns.iter().cloned());
                whole_row |= prepared.whole_row;
            }
        }
        if whole_row {
            columns.push(WHOLE_ROW.to_owned());
        }
        columns
    }

    /// Records the SQL-level PREPARE and DEALLOCATE of a statement that was allowed.
    pub fn commit(&mut self, classification: &Classification) {
        for name in &classification.deallocates {
            match name {
                Some(name) => {
                    self.prepared.remove(name);
                }
                None => self.prepared.clear(),
            }
        }
        for (name, inner) in &classification.prepares {
            self.prepared.insert(name.clone(), inner.clone());
        }
    }

    /// A protocol-level Parse was allowed.
    pub fn parsed(&mut self, name: &str, classification: &Classification, admitted: Arc<Admitted>) {
        self.commit(classification);
        self.statements.insert(name, admitted);
    }

    /// A Bind created `portal` from `statement`.
    pub fn bound(&mut self, portal: &str, statement: &str) {
        match self.statements.get(statement) {
            Some(entry) => {
                self.portals.insert(portal, entry.clone());
            }
            None => {
                self.portals.remove(portal);
            }
        }
    }

    /// A Close of a statement (`is_statement`) or portal.
    pub fn closed(&mut self, is_statement: bool, name: &str) {
        if is_statement {
            self.statements.remove(name);
        } else {
            self.portals.remove(name);
        }
    }

    /// The action and decision a portal was admitted under.
    pub fn portal(&self, name: &str) -> Option<Arc<Admitted>> {
        self.portals.get(name).cloned()
    }
}
