//! Every message a user can see goes through here, so each one carries a
//! precise SQLSTATE and reads in PostgreSQL's style (lower case, no trailing
//! period). A plain Rust panic would surface as XX000.
//!
//! Two more things live here because they decide what a user sees:
//!
//! - errors PostgreSQL raises inside our SPI calls reach the user whole:
//!   pgrx turns them into Rust panics keeping only the SQLSTATE, message,
//!   detail and hint, so [`keeping_error_fields`] captures the object names
//!   (schema, table, column, data type, constraint) on the way down and puts
//!   them back when the error is raised again;
//! - no Rust backtrace ever reaches a user: pgrx's panic hook captures one
//!   for every panic and appends it to the DETAIL of the error whenever
//!   `RUST_BACKTRACE` is set in the server's environment; [`init`] replaces
//!   that hook.

use std::cell::RefCell;
use std::ffi::{c_void, CStr, CString};
use std::io::Write;

use pgrx::pg_sys::panic::{CaughtError, ErrorReport, ErrorReportWithLevel};
use pgrx::pg_sys::{self, ErrorContextCallback};
use pgrx::{PgLogLevel, PgSqlErrorCode};

pub(crate) use pgrx::PgSqlErrorCode::{
    ERRCODE_CHECK_VIOLATION as CHECK_VIOLATION, ERRCODE_DATATYPE_MISMATCH as DATATYPE_MISMATCH,
    ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST as DEPENDENT_OBJECTS_STILL_EXIST,
    ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED as EVENT_TRIGGER_PROTOCOL_VIOLATED,
    ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED as TRIGGER_PROTOCOL_VIOLATED,
    ERRCODE_FEATURE_NOT_SUPPORTED as FEATURE_NOT_SUPPORTED,
    ERRCODE_FOREIGN_KEY_VIOLATION as FOREIGN_KEY_VIOLATION,
    ERRCODE_INSUFFICIENT_PRIVILEGE as INSUFFICIENT_PRIVILEGE,
    ERRCODE_INTERNAL_ERROR as INTERNAL_ERROR,
    ERRCODE_INVALID_PARAMETER_VALUE as INVALID_PARAMETER_VALUE,
    ERRCODE_INVALID_TABLE_DEFINITION as INVALID_TABLE_DEFINITION,
    ERRCODE_INVALID_TEXT_REPRESENTATION as INVALID_TEXT_REPRESENTATION,
    ERRCODE_NO_ACTIVE_SQL_TRANSACTION as NO_ACTIVE_SQL_TRANSACTION,
    ERRCODE_NO_DATA_FOUND as NO_DATA_FOUND,
    ERRCODE_NULL_VALUE_NOT_ALLOWED as NULL_VALUE_NOT_ALLOWED,
    ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE as OBJECT_NOT_IN_PREREQUISITE_STATE,
    ERRCODE_PROGRAM_LIMIT_EXCEEDED as PROGRAM_LIMIT_EXCEEDED,
    ERRCODE_SUCCESSFUL_COMPLETION as SUCCESSFUL_COMPLETION,
    ERRCODE_UNDEFINED_TABLE as UNDEFINED_TABLE, ERRCODE_UNIQUE_VIOLATION as UNIQUE_VIOLATION,
    ERRCODE_WARNING as WARNING, ERRCODE_WRONG_OBJECT_TYPE as WRONG_OBJECT_TYPE,
};

/// A message on its way to the client: an error built with [`error`] and
/// sent with [`Report::raise`], or a notice or warning built with
/// [`notice`] or [`warning`] and sent with [`Report::send`].
#[must_use = "a report does nothing until it is raised or sent"]
pub(crate) struct Report {
    level: PgLogLevel,
    code: PgSqlErrorCode,
    message: String,
    detail: Option<String>,
    hint: Option<String>,
    /// The objects an error is about (PG_DIAG_* field, name), as
    /// PostgreSQL's own constraint errors carry them.
    names: Vec<(u8, CString)>,
}

pub(crate) fn error(code: PgSqlErrorCode, message: impl Into<String>) -> Report {
    Report::new(PgLogLevel::ERROR, code, message)
}

pub(crate) fn notice(message: impl Into<String>) -> Report {
    Report::new(PgLogLevel::NOTICE, SUCCESSFUL_COMPLETION, message)
}

/// A call that did what it was asked, but probably not what was meant
/// (PostgreSQL's `SET LOCAL` outside a transaction block, say): sent with
/// its own SQLSTATE so that a client can tell it from others.
pub(crate) fn warning(code: PgSqlErrorCode, message: impl Into<String>) -> Report {
    Report::new(PgLogLevel::WARNING, code, message)
}

impl Report {
    fn new(level: PgLogLevel, code: PgSqlErrorCode, message: impl Into<String>) -> Self {
        Report {
            level,
            code,
            message: message.into(),
            detail: None,
            hint: None,
            names: Vec::new(),
        }
    }

    /// The table the error is about (its schema and name, unquoted).
    pub(crate) fn table(mut self, schema: &str, table: &str) -> Self {
        self.name(pg_sys::PG_DIAG_SCHEMA_NAME, schema);
        self.name(pg_sys::PG_DIAG_TABLE_NAME, table);
        self
    }

    /// The constraint the error is about.
    pub(crate) fn constraint(mut self, constraint: &str) -> Self {
        self.name(pg_sys::PG_DIAG_CONSTRAINT_NAME, constraint);
        self
    }

    fn name(&mut self, field: u8, value: &str) {
        if let Ok(value) = CString::new(value) {
            self.names.push((field, value));
        }
    }

    pub(crate) fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    fn into_pgrx(self) -> (PgLogLevel, ErrorReport) {
        let mut report = ErrorReport::new(self.code, self.message, "vital_tenancy");
        if let Some(detail) = self.detail {
            report = report.set_detail(detail);
        }
        if let Some(hint) = self.hint {
            report = report.set_hint(hint);
        }
        (self.level, report)
    }

    /// Aborts the current statement with this error; never returns.
    #[track_caller]
    pub(crate) fn raise(mut self) -> ! {
        debug_assert!(self.level == PgLogLevel::ERROR, "only errors are raised");
        if !self.names.is_empty() {
            // Set while PostgreSQL builds the report (see attach_names).
            TO_ATTACH.set(Some(ObjectNames {
                sqlstate: self.code as i32,
                fields: std::mem::take(&mut self.names),
            }));
            push_attach();
        }
        let (_, report) = self.into_pgrx();
        report.report(PgLogLevel::ERROR);
        unreachable!("an ERROR report does not return")
    }

    /// Sends this notice to the client and carries on.
    pub(crate) fn send(self) {
        debug_assert!(
            self.level < PgLogLevel::ERROR,
            "errors are raised, not sent"
        );
        let (level, report) = self.into_pgrx();
        report.report(level);
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

/// Replaces pgrx's panic hook (called from `_PG_init`, after pgrx installed
/// its own in `Pg_magic_func`). Errors raised on purpose, PostgreSQL's and
/// ours, travel as panics and pass silently; a genuine panic, which is a
/// bug, is written to the server log with its location, and the user sees
/// only its message (XX000), never a backtrace.
pub(crate) fn init() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let expected = payload.is::<CaughtError>()
            || payload.is::<ErrorReportWithLevel>()
            || payload.is::<ErrorReport>();
        if expected {
            return;
        }
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(no message)");
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        // The server log: stderr is where PostgreSQL's logging collector
        // (or the log file) reads a backend's output. A failed write is
        // ignored, like PostgreSQL's own writes to stderr.
        let _ = writeln!(
            std::io::stderr(),
            "vital_tenancy: internal error at {location}: {message}"
        );
    }));
}

/// The fields of a PostgreSQL error that pgrx drops when it turns the error
/// into a Rust panic.
struct ObjectNames {
    sqlstate: i32,
    fields: Vec<(u8, CString)>,
}

thread_local! {
    /// What the innermost capture saw of the error being raised.
    static CAPTURED: RefCell<Option<ObjectNames>> = const { RefCell::new(None) };
    /// What the next report of an error with this SQLSTATE gets back.
    static TO_ATTACH: RefCell<Option<ObjectNames>> = const { RefCell::new(None) };
}

/// The callback that puts the names back, pushed onto PostgreSQL's error
/// context stack (never twice) while an error is on its way up; PostgreSQL
/// pops it when it catches the error. Static, so it outlives any Rust frame.
static mut ATTACH: ErrorContextCallback = ErrorContextCallback {
    previous: std::ptr::null_mut(),
    callback: Some(attach_names),
    arg: std::ptr::null_mut(),
};

/// Runs `f` (a call into SPI) so that a PostgreSQL error it raises reaches
/// the user with its object names as well as its SQLSTATE, message, detail
/// and hint.
pub(crate) fn keeping_error_fields<R>(f: impl FnOnce() -> R) -> R {
    // Boxed: PostgreSQL keeps a pointer to it while f runs.
    let frame = CaptureFrame(Box::new(ErrorContextCallback {
        // SAFETY: a plain read of PostgreSQL's error context stack.
        previous: unsafe { pg_sys::error_context_stack },
        callback: Some(capture_names),
        arg: std::ptr::null_mut(),
    }));
    // SAFETY: the frame stays alive (and is popped) until CaptureFrame drops.
    unsafe { pg_sys::error_context_stack = &*frame.0 as *const _ as *mut _ };
    let result = f();
    drop(frame);
    result
}

struct CaptureFrame(Box<ErrorContextCallback>);

impl Drop for CaptureFrame {
    fn drop(&mut self) {
        // SAFETY: restores the stack as it was before the push. Whatever
        // was pushed above our frame belonged to frames that are gone now
        // (pgrx's boundaries restore the stack when they catch an error).
        unsafe { pg_sys::error_context_stack = self.0.previous };
        let captured = CAPTURED.take();
        if std::thread::panicking() {
            if let Some(names) = captured {
                TO_ATTACH.set(Some(names));
                push_attach();
            }
        }
    }
}

fn push_attach() {
    // SAFETY: walks and extends PostgreSQL's error context stack; ATTACH is
    // linked in only when it is not in the chain already (linking it twice
    // would make the chain a loop).
    unsafe {
        let attach = &raw mut ATTACH;
        let mut entry = pg_sys::error_context_stack;
        while !entry.is_null() {
            if entry == attach {
                return;
            }
            entry = (*entry).previous;
        }
        (*attach).previous = pg_sys::error_context_stack;
        pg_sys::error_context_stack = attach;
    }
}

const NAME_FIELDS: [u8; 5] = [
    pg_sys::PG_DIAG_SCHEMA_NAME,
    pg_sys::PG_DIAG_TABLE_NAME,
    pg_sys::PG_DIAG_COLUMN_NAME,
    pg_sys::PG_DIAG_DATATYPE_NAME,
    pg_sys::PG_DIAG_CONSTRAINT_NAME,
];

/// Error context callback around an SPI call: PostgreSQL runs it while it
/// builds any report inside the call (an error's fields are all set by
/// then), and it keeps the names of an error's objects.
#[pgrx::pg_guard]
unsafe extern "C-unwind" fn capture_names(_arg: *mut c_void) {
    // SAFETY: called by errfinish with the report on PostgreSQL's error
    // stack. CopyErrorData must not run in ErrorContext (where errfinish
    // runs its callbacks); the copy is freed before switching back.
    unsafe {
        let previous = pg_sys::MemoryContextSwitchTo(pg_sys::TopMemoryContext);
        let data = pg_sys::CopyErrorData();
        if (*data).elevel >= PgLogLevel::ERROR as i32 {
            let copy = |field: *const std::ffi::c_char| {
                (!field.is_null()).then(|| CStr::from_ptr(field).to_owned())
            };
            let values = [
                copy((*data).schema_name),
                copy((*data).table_name),
                copy((*data).column_name),
                copy((*data).datatype_name),
                copy((*data).constraint_name),
            ];
            let fields: Vec<(u8, CString)> = NAME_FIELDS
                .into_iter()
                .zip(values)
                .filter_map(|(field, value)| value.map(|v| (field, v)))
                .collect();
            CAPTURED.set(Some(ObjectNames {
                sqlstate: (*data).sqlerrcode,
                fields,
            }));
        }
        pg_sys::FreeErrorData(data);
        pg_sys::MemoryContextSwitchTo(previous);
    }
}

/// Error context callback while a captured error is on its way up: when the
/// error is reported again (pgrx does that at the top of our function), it
/// gets its object names back. Reports of anything else are left alone.
#[pgrx::pg_guard]
unsafe extern "C-unwind" fn attach_names(_arg: *mut c_void) {
    // SAFETY: a read of the report being built.
    let sqlstate = unsafe { pg_sys::geterrcode() };
    let Some(names) = TO_ATTACH.with_borrow_mut(|pending| {
        pending
            .as_ref()
            .is_some_and(|n| n.sqlstate == sqlstate)
            .then(|| pending.take())
            .flatten()
    }) else {
        return;
    };
    for (field, value) in &names.fields {
        // SAFETY: sets a field of the report being built; PostgreSQL copies the string.
        unsafe { pg_sys::err_generic_string(*field as i32, value.as_ptr()) };
    }
}
