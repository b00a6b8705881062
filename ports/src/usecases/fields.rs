//! Validation errors keyed by field, as the 400 problem details list them.

use std::collections::BTreeMap;

/// Messages per request field, for a 400 that lists every problem at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<String, Vec<String>>);

impl FieldErrors {
    /// Starts an empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a set with one message on one field.
    pub fn single(field: &str, message: impl ToString) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }

    /// Adds a message on a field.
    pub fn add(&mut self, field: &str, message: impl ToString) {
        self.0
            .entry(field.to_owned())
            .or_default()
            .push(message.to_string());
    }

    /// Returns whether no field has a message.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Returns the messages per field, ordered by field name.
    pub fn fields(&self) -> &BTreeMap<String, Vec<String>> {
        &self.0
    }

    /// Returns `Ok(())` when empty, or the errors themselves.
    ///
    /// # Errors
    /// `self` when any field has a message.
    pub fn into_result(self) -> Result<(), Self> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}
