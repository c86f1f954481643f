//! The `sub` claim of PostgREST's `request.jwt.claims`.
//!
//! Any client that can run SQL can write `request.jwt.claims`, so the claims
//! are only consulted when a superuser turned `vital.trust_jwt_claims` on.
//! Whatever the input, the answer is a UUID or None, never an error: a
//! policy that reads the current user must fail closed, not abort.

use uuid::Uuid;

/// The `sub` claim as a UUID, or None for anything else: malformed JSON, no
/// object, no `sub`, a `sub` that is not a string or not a UUID.
pub(crate) fn subject(claims: &[u8]) -> Option<Uuid> {
    let claims: serde_json::Value = serde_json::from_slice(claims).ok()?;
    let sub = claims.as_object()?.get("sub")?.as_str()?;
    Uuid::try_parse(sub).ok()
}

#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use super::subject;
    use pgrx::prelude::*;

    #[pg_test]
    fn subject_of_well_formed_claims() {
        let id = "5e0c1d8e-2b7a-4f5e-9c3d-1a2b3c4d5e6f";
        let claims = format!(r#"{{"sub":"{id}","role":"authenticated"}}"#);
        assert_eq!(
            subject(claims.as_bytes()).map(|u| u.to_string()),
            Some(id.to_string())
        );
    }

    #[pg_test]
    fn subject_of_anything_else_is_none() {
        for claims in [
            "",
            "not json",
            "[]",
            "null",
            r#"{"role":"anon"}"#,
            r#"{"sub":42}"#,
            r#"{"sub":null}"#,
            r#"{"sub":"not-a-uuid"}"#,
            r#"{"sub":"5e0c1d8e-2b7a-4f5e-9c3d-1a2b3c4d5e6f""#,
        ] {
            assert_eq!(subject(claims.as_bytes()), None, "claims: {claims}");
        }
    }
}
