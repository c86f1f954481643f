//! Every failure a user can see goes through here, so each one carries a
//! precise SQLSTATE and a message in PostgreSQL's style (lower case, no
//! trailing period). A plain Rust panic would surface as XX000.

use pgrx::pg_sys::panic::ErrorReport;
use pgrx::{PgLogLevel, PgSqlErrorCode};

pub(crate) use pgrx::PgSqlErrorCode::{
    ERRCODE_INSUFFICIENT_PRIVILEGE as INSUFFICIENT_PRIVILEGE,
    ERRCODE_INVALID_PARAMETER_VALUE as INVALID_PARAMETER_VALUE,
    ERRCODE_NO_DATA_FOUND as NO_DATA_FOUND,
    ERRCODE_NULL_VALUE_NOT_ALLOWED as NULL_VALUE_NOT_ALLOWED,
    ERRCODE_UNIQUE_VIOLATION as UNIQUE_VIOLATION,
};

/// An error on its way to the client; built with [`error`], sent with [`Failure::raise`].
#[must_use = "a failure does nothing until it is raised"]
pub(crate) struct Failure {
    code: PgSqlErrorCode,
    message: String,
    detail: Option<String>,
    hint: Option<String>,
}

pub(crate) fn error(code: PgSqlErrorCode, message: impl Into<String>) -> Failure {
    Failure {
        code,
        message: message.into(),
        detail: None,
        hint: None,
    }
}

impl Failure {
    pub(crate) fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Aborts the current statement with this error; never returns.
    #[track_caller]
    pub(crate) fn raise(self) -> ! {
        let mut report = ErrorReport::new(self.code, self.message, "vital_tenancy");
        if let Some(detail) = self.detail {
            report = report.set_detail(detail);
        }
        if let Some(hint) = self.hint {
            report = report.set_hint(hint);
        }
        report.report(PgLogLevel::ERROR);
        unreachable!("an ERROR report does not return")
    }
}

/// SQL NULL where a value is required: 22004, naming the argument.
pub(crate) fn required<T>(value: Option<T>, argument: &str) -> T {
    match value {
        Some(value) => value,
        None => error(
            NULL_VALUE_NOT_ALLOWED,
            format!("{argument} must not be null"),
        )
        .raise(),
    }
}

/// A value that must be one of a fixed set of words: 22023 otherwise, listing them.
pub(crate) fn one_of<'a>(value: &'a str, allowed: &[&str], argument: &str) -> &'a str {
    if allowed.contains(&value) {
        value
    } else {
        error(
            INVALID_PARAMETER_VALUE,
            format!("invalid {argument} \"{value}\""),
        )
        .detail(format!(
            "{argument} must be one of: {}.",
            allowed.join(", ")
        ))
        .raise()
    }
}
