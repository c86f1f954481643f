//! The one way vital_tenancy runs SQL.
//!
//! Two kinds of call: `select_*` read with the statement's snapshot and
//! change nothing (for STABLE functions); `run_*` and [`execute`] take a
//! fresh snapshot for each statement, so they see what committed while we
//! waited for a lock and what this call changed so far. Every call keeps a
//! PostgreSQL error raised inside it whole ([`keeping_error_fields`]); a
//! failure of SPI itself (never the consequence of user input) is XX000.
//!
//! Rights are not decided here: callers wrap calls in `privileged` where
//! a query needs raised ones.

use std::cell::Cell;
use std::ffi::{c_char, CStr};

use pgrx::datum::DatumWithOid;
use pgrx::pg_sys::{self, Datum, Oid};
use pgrx::prelude::*;
use pgrx::spi::SpiHeapTupleData;

use crate::errors::{error, keeping_error_fields, INTERNAL_ERROR};

/// One result row.
pub(crate) type Row<'a> = SpiHeapTupleData<'a>;

fn failure(e: pgrx::spi::Error) -> ! {
    error(INTERNAL_ERROR, "vital_tenancy internal query failed")
        .detail(e.to_string())
        .raise()
}

/// The first column of the first row, if any; read-only.
pub(crate) fn select_value<T: FromDatum + IntoDatum>(
    sql: &str,
    args: &[DatumWithOid],
) -> Option<T> {
    keeping_error_fields(|| {
        Spi::connect(|client| {
            let rows = client.select(sql, Some(1), args)?;
            if rows.is_empty() {
                Ok(None)
            } else {
                rows.first().get_one::<T>()
            }
        })
        .unwrap_or_else(|e| failure(e))
    })
}

/// Every row, each mapped by `f`; read-only.
pub(crate) fn select_rows<T>(
    sql: &str,
    args: &[DatumWithOid],
    f: impl Fn(&Row) -> pgrx::spi::Result<T>,
) -> Vec<T> {
    rows(sql, args, f, true)
}

/// Runs a statement of any kind with a fresh snapshot; its rows (of a
/// SELECT or a RETURNING clause), each mapped by `f`.
pub(crate) fn run_rows<T>(
    sql: &str,
    args: &[DatumWithOid],
    f: impl Fn(&Row) -> pgrx::spi::Result<T>,
) -> Vec<T> {
    rows(sql, args, f, false)
}

fn rows<T>(
    sql: &str,
    args: &[DatumWithOid],
    f: impl Fn(&Row) -> pgrx::spi::Result<T>,
    read_only: bool,
) -> Vec<T> {
    let map = |table: pgrx::spi::SpiTupleTable| {
        table
            .map(|row| f(&row))
            .collect::<pgrx::spi::Result<Vec<T>>>()
    };
    keeping_error_fields(|| {
        if read_only {
            Spi::connect(|client| map(client.select(sql, None, args)?))
        } else {
            Spi::connect_mut(|client| map(client.update(sql, None, args)?))
        }
        .unwrap_or_else(|e| failure(e))
    })
}

/// Runs a statement of any kind with a fresh snapshot; the first column of
/// its first row, if any.
pub(crate) fn run_value<T: FromDatum + IntoDatum>(sql: &str, args: &[DatumWithOid]) -> Option<T> {
    run_rows(sql, args, |row| row.get::<T>(1))
        .into_iter()
        .next()
        .flatten()
}

/// Runs a statement of any kind with a fresh snapshot; the rows it touched.
pub(crate) fn execute(sql: &str, args: &[DatumWithOid]) -> usize {
    keeping_error_fields(|| {
        Spi::connect_mut(|client| client.update(sql, None, args).map(|rows| rows.len()))
            .unwrap_or_else(|e| failure(e))
    })
}

/// A text column, empty when NULL.
pub(crate) fn text(row: &Row, column: &str) -> pgrx::spi::Result<String> {
    Ok(row.get_by_name::<String, _>(column)?.unwrap_or_default())
}

/// A boolean column, false when NULL.
pub(crate) fn flag(row: &Row, column: &str) -> pgrx::spi::Result<bool> {
    Ok(row.get_by_name::<bool, _>(column)?.unwrap_or(false))
}

/// An oid column, InvalidOid when NULL.
pub(crate) fn oid(row: &Row, column: &str) -> pgrx::spi::Result<Oid> {
    Ok(row
        .get_by_name::<Oid, _>(column)?
        .unwrap_or(pg_sys::InvalidOid))
}

/// A statement prepared on first use and kept for the life of the backend
/// (PostgreSQL's plan cache re-plans it when the objects it reads change),
/// for the statements a trigger runs per statement: no parsing, no planning.
pub(crate) struct KeptPlan {
    sql: &'static CStr,
    types: &'static [Oid],
    plan: Cell<pg_sys::SPIPlanPtr>,
}

impl KeptPlan {
    pub(crate) const fn new(sql: &'static CStr, types: &'static [Oid]) -> Self {
        KeptPlan {
            sql,
            types,
            plan: Cell::new(std::ptr::null_mut()),
        }
    }

    /// Executes the plan once with `values` (one per parameter, none NULL);
    /// the number of rows it processed.
    pub(crate) fn execute(&self, values: &mut [Datum]) -> u64 {
        assert_eq!(values.len(), self.types.len(), "one value per parameter");
        let nulls: Vec<c_char> = vec![b' ' as c_char; values.len()];
        keeping_error_fields(|| {
            // SAFETY: a balanced SPI connection around one execution of a
            // plan with exactly as many parameters as values (and null
            // flags); an error aborts the (sub)transaction, which closes
            // the connection.
            unsafe {
                pg_sys::SPI_connect();
                let plan = self.prepared();
                let rc =
                    pg_sys::SPI_execute_plan(plan, values.as_mut_ptr(), nulls.as_ptr(), false, 0);
                let processed = pg_sys::SPI_processed;
                pg_sys::SPI_finish();
                if rc < 0 {
                    error(INTERNAL_ERROR, "vital_tenancy internal query failed")
                        .detail(format!("SPI_execute_plan returned {rc}."))
                        .raise()
                }
                processed
            }
        })
    }

    /// Runs the plan (a query) with `values` (one per parameter, none
    /// NULL); the first column of its first row, converted before the
    /// connection closes, if there is one. Like pgrx's `select`, it reads
    /// with the statement's snapshot until the transaction has written
    /// something, and afterwards with a fresh one, so that it sees what the
    /// transaction changed.
    pub(crate) fn value<T: FromDatum>(&self, values: &mut [Datum]) -> Option<T> {
        assert_eq!(values.len(), self.types.len(), "one value per parameter");
        let nulls: Vec<c_char> = vec![b' ' as c_char; values.len()];
        // SAFETY: a plain read of the transaction state.
        let read_only =
            unsafe { pg_sys::GetCurrentTransactionIdIfAny() } == pg_sys::InvalidTransactionId;
        keeping_error_fields(|| {
            // SAFETY: as in `execute`; the result is read (and converted to
            // an owned value) before SPI_finish frees it.
            unsafe {
                pg_sys::SPI_connect();
                let plan = self.prepared();
                let rc = pg_sys::SPI_execute_plan(
                    plan,
                    values.as_mut_ptr(),
                    nulls.as_ptr(),
                    read_only,
                    1,
                );
                if rc < 0 {
                    pg_sys::SPI_finish();
                    error(INTERNAL_ERROR, "vital_tenancy internal query failed")
                        .detail(format!("SPI_execute_plan returned {rc}."))
                        .raise()
                }
                let table = pg_sys::SPI_tuptable;
                let value = if pg_sys::SPI_processed == 0 || table.is_null() {
                    None
                } else {
                    let mut is_null = false;
                    let datum =
                        pg_sys::SPI_getbinval(*(*table).vals, (*table).tupdesc, 1, &mut is_null);
                    T::from_datum(datum, is_null)
                };
                pg_sys::SPI_finish();
                value
            }
        })
    }

    /// # Safety
    /// Must be called inside an SPI connection.
    unsafe fn prepared(&self) -> pg_sys::SPIPlanPtr {
        let kept = self.plan.get();
        if !kept.is_null() {
            return kept;
        }
        let mut types = self.types.to_vec();
        // SAFETY: per this function's contract; the types match the statement.
        let plan = unsafe {
            pg_sys::SPI_prepare(self.sql.as_ptr(), types.len() as i32, types.as_mut_ptr())
        };
        // SAFETY: keeps a valid plan (checked non-null) out of SPI's memory.
        if plan.is_null() || unsafe { pg_sys::SPI_keepplan(plan) } != 0 {
            error(
                INTERNAL_ERROR,
                "vital_tenancy could not prepare an internal query",
            )
            .raise()
        }
        self.plan.set(plan);
        plan
    }
}
