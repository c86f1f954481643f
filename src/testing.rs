//! Small SPI helpers for the #[pg_test]s.

use pgrx::prelude::*;

pub(crate) fn exec(statement: &str) {
    Spi::connect_mut(|client| client.update(statement, None, &[]).map(|_| ()))
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
}

pub(crate) fn query_one<T: FromDatum + IntoDatum>(query: &str) -> Option<T> {
    Spi::connect(|client| {
        let rows = client.select(query, Some(1), &[])?;
        if rows.is_empty() {
            Ok(None)
        } else {
            rows.first().get_one::<T>()
        }
    })
    .unwrap_or_else(|e| panic!("{query}: {e}"))
}
