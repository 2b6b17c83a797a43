//! Masking of result rows: which columns the rows now arriving have (from RowDescription, per
//! simple query, prepared statement or portal, with the formats Bind asked for) and the rewrite
//! of DataRow values by the masker of the decision that admitted the statement.
//!
//! Text-format values are masked as text. Binary-format values of text types (`text`,
//! `varchar`, `bpchar`, `name`, `unknown`) are the same UTF-8 bytes and are masked the same way;
//! a binary value of any other type that the masker would rewrite is sent as NULL instead, since
//! a masked text cannot stand in for it.

use crate::PgError;
use crate::messages::row_description::Field;
use crate::messages::{data_row, row_description};
use crate::named::Named;
use crate::statements::WHOLE_ROW;
use bytes::Bytes;
use std::sync::Arc;
use std::time::Instant;
use warden_core::mask::{ColumnRef, Masked, ValueMasker};

/// Type OIDs whose binary form is their UTF-8 text.
const TEXT_TYPES: [u32; 5] = [25, 1043, 1042, 19, 705];

/// Columns of every described statement and portal of a session.
#[derive(Default)]
pub struct ResultShapes {
    statements: Named<Arc<[Field]>>,
    portals: Named<Arc<[Field]>>,
    /// Portal → (statement, result formats) from Bind, for portals never described.
    bindings: Named<(String, Vec<i16>)>,
    /// Columns of the simple-query result now arriving.
    pub current: Option<Arc<[Field]>>,
    /// The last RowDescription decoded, its fields named from the catalog or not.
    last: Option<Decoded>,
}

/// A RowDescription body with its fields and, once asked for, its column names.
struct Decoded {
    body: Vec<u8>,
    fields: Arc<[Field]>,
    names: Option<Arc<[String]>>,
    /// Set when the fields carry names looked up in the catalog: when the first of those
    /// names stops being trusted.
    named_until: Option<Instant>,
}

impl ResultShapes {
    /// The fields of a RowDescription body: a session whose results keep one shape decodes it
    /// once. They may carry catalog names from [`Self::keep_resolved`]; a caller that looks
    /// names up sets every table column's own.
    pub fn decoded(&mut self, body: &[u8]) -> Result<Arc<[Field]>, PgError> {
        Ok(self.last_decoded(body)?.fields.clone())
    }

    /// The column names of a RowDescription body, decoded once while results keep one shape.
    pub fn column_names(&mut self, body: &[u8]) -> Result<Arc<[String]>, PgError> {
        let decoded = self.last_decoded(body)?;
        let fields = &decoded.fields;
        Ok(decoded.names.get_or_insert_with(|| names(fields)).clone())
    }

    fn last_decoded(&mut self, body: &[u8]) -> Result<&mut Decoded, PgError> {
        let decoded = match self.last.take().filter(|d| d.body == body) {
            Some(repeated) => repeated,
            None => Decoded {
                body: body.to_vec(),
                fields: row_description::decode(body)?.into(),
                names: None,
                named_until: None,
            },
        };
        Ok(self.last.insert(decoded))
    }

    /// The fields of `body` as they were last named from the catalog, while every looked-up
    /// name is still trusted at `now`: a session whose results keep one shape looks its
    /// columns up once per trust period, not once per statement.
    pub fn resolved(&self, body: &[u8], now: Instant) -> Option<Arc<[Field]>> {
        self.last
            .as_ref()
            .filter(|d| d.named_until.is_some_and(|until| now < until) && d.body == body)
            .map(|d| d.fields.clone())
    }

    /// Keeps `fields`, named from the catalog for `body`, for [`Self::resolved`] until `until`.
    pub fn keep_resolved(&mut self, body: &[u8], fields: Arc<[Field]>, until: Instant) {
        self.last = Some(Decoded {
            body: body.to_vec(),
            fields,
            names: None,
            named_until: Some(until),
        });
    }

    /// A Describe of a statement (`statement`) or portal was answered with `fields`.
    pub fn described(&mut self, statement: bool, name: &str, fields: Arc<[Field]>) {
        if statement {
            self.statements.insert(name, fields);
        } else {
            self.portals.insert(name, fields);
        }
    }

    /// A Bind made `portal` from `statement` with these result formats.
    pub fn bound(&mut self, portal: &str, statement: &str, formats: Vec<i16>) {
        self.portals.remove(portal);
        self.bindings
            .insert(portal, (statement.to_owned(), formats));
    }

    /// The columns of `portal`'s rows, if known.
    pub fn portal(&mut self, portal: &str) -> Option<Arc<[Field]>> {
        if let Some(fields) = self.portals.get(portal) {
            return Some(fields.clone());
        }
        let (statement, formats) = self.bindings.get(portal)?;
        let described = self.statements.get(statement)?;
        let fields: Arc<[Field]> = described
            .iter()
            .enumerate()
            .map(|(i, field)| Field {
                format: match formats.len() {
                    0 => 0,
                    1 => formats[0],
                    _ => formats.get(i).copied().unwrap_or(0),
                },
                ..field.clone()
            })
            .collect();
        self.portals.insert(portal, fields.clone());
        Some(fields)
    }

    /// The column names of `portal`'s rows, if known.
    pub fn portal_names(&mut self, portal: &str) -> Option<Arc<[String]>> {
        self.portal(portal).map(|fields| names(&fields))
    }

    /// A Close of a statement or portal.
    pub fn closed(&mut self, statement: bool, name: &str) {
        if statement {
            self.statements.remove(name);
        } else {
            self.portals.remove(name);
            self.bindings.remove(name);
        }
    }
}

/// The DataRow with masked values, or `None` when nothing changed (the frame is forwarded as
/// it came). With `derived_from` (a rule-protected column the statement references), every
/// value that is not a looked-up table column is masked as that column; with
/// [`WHOLE_ROW`] such values are withheld whole.
pub fn mask_row(
    body: &[u8],
    fields: &[Field],
    masker: &dyn ValueMasker,
    derived_from: Option<&str>,
) -> Result<Option<Bytes>, PgError> {
    // Walked without collecting: most rows change nothing and allocate nothing.
    let mut values = data_row::iter(body)?;
    let mut rewritten: Option<Vec<Option<Vec<u8>>>> = None;
    for (i, value) in values.by_ref().enumerate() {
        let Some(value) = value else {
            continue;
        };
        let unknown = Field {
            name: String::new(),
            table_oid: 0,
            column: 0,
            type_oid: 0,
            format: 0,
            origin: None,
        };
        let field = fields.get(i).unwrap_or(&unknown);
        let text_like = field.format == 0 || TEXT_TYPES.contains(&field.type_oid);
        // A plain table column is matched by its real names; anything else (an expression,
        // or a column whose origin could not be looked up) may be derived from a protected
        // column the statement reads, and is masked as that column.
        let column = match (&field.origin, derived_from) {
            (Some(origin), _) => ColumnRef {
                schema: Some(&origin.schema),
                table: Some(&origin.table),
                column: &origin.column,
            },
            (None, Some(protected)) => ColumnRef::name(protected),
            (None, None) => ColumnRef::name(&field.name),
        };
        // A value computed from whole rows may hold any column: withheld as a whole.
        let whole_row = field.origin.is_none() && derived_from == Some(WHOLE_ROW);
        let masked = if whole_row {
            Masked::Replaced(b"[redacted:row]".to_vec())
        } else {
            masker.mask_value(column, value)
        };
        let replacement = match masked {
            Masked::Unchanged => continue,
            Masked::Replaced(bytes) if text_like => Some(bytes),
            Masked::Replaced(_) | Masked::Null => None,
        };
        let row = match &mut rewritten {
            Some(row) => row,
            None => rewritten.insert(
                data_row::values(body)?
                    .into_iter()
                    .map(|v| v.map(<[u8]>::to_vec))
                    .collect(),
            ),
        };
        row[i] = replacement;
    }
    values.check()?;
    Ok(rewritten.map(|row| data_row::encode(row.iter().map(Option::as_deref))))
}

/// The names of `fields`, in order.
pub fn names(fields: &[Field]) -> Arc<[String]> {
    fields.iter().map(|f| f.name.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A RowDescription body with one text column per name.
    fn row_description(names: &[&str]) -> Vec<u8> {
        let mut body = i16::try_from(names.len()).unwrap().to_be_bytes().to_vec();
        for name in names {
            body.extend_from_slice(name.as_bytes());
            body.push(0);
            body.extend_from_slice(&[0; 6]); // table OID, column number
            body.extend_from_slice(&25u32.to_be_bytes()); // text
            body.extend_from_slice(&[0; 8]); // type size, modifier, format
        }
        body
    }

    #[test]
    fn a_repeated_row_description_is_decoded_once_and_a_new_one_again() {
        let mut shapes = ResultShapes::default();
        let first = shapes.decoded(&row_description(&["id", "email"])).unwrap();
        let again = shapes.decoded(&row_description(&["id", "email"])).unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        let other = shapes.decoded(&row_description(&["id", "name"])).unwrap();
        assert_eq!(other[1].name, "name");
        assert_eq!(other[1].type_oid, 25);
        let names = shapes
            .column_names(&row_description(&["id", "name"]))
            .unwrap();
        assert_eq!(names[..], ["id".to_owned(), "name".to_owned()]);
        let again = shapes
            .column_names(&row_description(&["id", "name"]))
            .unwrap();
        assert!(Arc::ptr_eq(&names, &again));
        assert!(shapes.decoded(&[0, 1, b'x']).is_err());
    }

    #[test]
    fn a_resolved_shape_is_reused_for_the_same_body_until_its_names_stop_being_trusted() {
        let mut shapes = ResultShapes::default();
        let body = row_description(&["id", "email"]);
        let now = Instant::now();
        assert!(shapes.resolved(&body, now).is_none(), "nothing kept yet");
        let fields: Arc<[Field]> = row_description::decode(&body).unwrap().into();
        let until = now + std::time::Duration::from_secs(60);
        shapes.keep_resolved(&body, fields.clone(), until);
        let reused = shapes.resolved(&body, now).expect("kept");
        assert!(Arc::ptr_eq(&reused, &fields));
        assert!(shapes.resolved(&body, until).is_none(), "no longer trusted");
        let other = row_description(&["id", "name"]);
        assert!(shapes.resolved(&other, now).is_none(), "another shape");
        let names = shapes.column_names(&body).unwrap();
        assert_eq!(names[..], ["id".to_owned(), "email".to_owned()]);
        assert!(
            Arc::ptr_eq(&names, &shapes.column_names(&body).unwrap()),
            "named once"
        );
        assert!(
            Arc::ptr_eq(&shapes.decoded(&body).unwrap(), &fields),
            "the same shape, decoded once"
        );
        assert_eq!(shapes.column_names(&other).unwrap()[1], "name");
        assert!(shapes.resolved(&other, now).is_none(), "decoded, not named");
    }

    use crate::params::tests::Words;

    fn field(name: &str) -> Field {
        Field {
            name: name.to_owned(),
            table_oid: 0,
            column: 0,
            type_oid: 25,
            format: 0,
            origin: None,
        }
    }

    #[test]
    fn a_row_is_rewritten_only_where_a_value_changes_and_a_broken_one_is_refused() {
        let fields = [field("id"), field("password"), field("note")];
        let row = |password: Option<&[u8]>| {
            data_row::encode([Some(&b"7"[..]), password, Some(&b"hi"[..])].into_iter())
        };
        let clear = row(Some(b"hunter2"));
        let body = &clear[5..];
        let masked = mask_row(body, &fields, &Words, None).unwrap().unwrap();
        assert_eq!(&masked[..], &row(Some(b"[redacted]"))[..]);
        // NULL stays NULL; nothing changed, nothing built.
        let null = row(None);
        assert_eq!(mask_row(&null[5..], &fields, &Words, None).unwrap(), None);
        // Cut inside the last value: refused, whether or not a value changed before it.
        assert!(mask_row(&body[..body.len() - 1], &fields, &Words, None).is_err());
        assert!(mask_row(&null[5..null.len() - 1], &fields, &Words, None).is_err());
    }
}
