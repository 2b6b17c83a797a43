//! Values kept by statement or portal name. The unnamed statement and portal (`""`), which most
//! drivers use for every query, are held apart from the map, so the commonest Bind and Execute
//! cost no hashing and no key allocation.

use std::collections::HashMap;

/// Values by statement or portal name; see the module documentation.
#[derive(Debug)]
pub struct Named<T> {
    unnamed: Option<T>,
    named: HashMap<String, T>,
}

impl<T> Default for Named<T> {
    fn default() -> Self {
        Named {
            unnamed: None,
            named: HashMap::new(),
        }
    }
}

impl<T> Named<T> {
    /// The value kept for `name`.
    pub fn get(&self, name: &str) -> Option<&T> {
        match name {
            "" => self.unnamed.as_ref(),
            _ => self.named.get(name),
        }
    }

    /// The value kept for `name`, to change.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut T> {
        match name {
            "" => self.unnamed.as_mut(),
            _ => self.named.get_mut(name),
        }
    }

    /// Keeps `value` for `name`, replacing what was kept.
    pub fn insert(&mut self, name: &str, value: T) {
        match name {
            "" => self.unnamed = Some(value),
            _ => {
                self.named.insert(name.to_owned(), value);
            }
        }
    }

    /// Forgets `name`, returning what was kept.
    pub fn remove(&mut self, name: &str) -> Option<T> {
        match name {
            "" => self.unnamed.take(),
            _ => self.named.remove(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unnamed_and_named_entries_are_kept_apart() {
        let mut named = Named::default();
        named.insert("", 1);
        named.insert("s1", 2);
        assert_eq!(named.get(""), Some(&1));
        assert_eq!(named.get("s1"), Some(&2));
        assert_eq!(named.get("s2"), None);
        named.insert("", 3);
        *named.get_mut("s1").unwrap() += 10;
        assert_eq!((named.get(""), named.get("s1")), (Some(&3), Some(&12)));
        assert_eq!(named.remove(""), Some(3));
        assert_eq!(named.get(""), None);
        assert_eq!(named.get("s1"), Some(&12));
        assert_eq!(named.remove("s1"), Some(12));
        assert_eq!(named.remove("s1"), None);
    }
}
