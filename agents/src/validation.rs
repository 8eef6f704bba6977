//! The error type for a definition field that fails validation.

/// A field that failed validation, with what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("field `{field}`: {message}")]
pub struct FieldError {
    /// Dotted path of the field, as written in the TOML file.
    pub field: &'static str,
    /// What is wrong and the accepted values.
    pub message: String,
}
