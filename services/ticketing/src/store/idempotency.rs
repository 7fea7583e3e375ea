//! Request ids for idempotent creates (AIP-155). A create claims its request id in the same
//! transaction that creates the resource, so a retry either finds the finished resource or
//! waits for the first attempt to commit — never a second copy.
use sqlx::{AnyConnection, Row};

use frontline_shared::database::time;

pub enum Claim {
    /// First use: create the resource, then call [`complete`].
    New,
    /// Used before for this resource; `same_request` is false when the body differed.
    Existing { resource_id: String, same_request: bool },
}

pub async fn claim(
    connection: &mut AnyConnection,
    scope: &str,
    request_id: &str,
    request_hash: &str,
) -> sqlx::Result<Claim> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (scope, request_id, request_hash, resource_id, created_at)
         VALUES ($1, $2, $3, '', $4) ON CONFLICT (scope, request_id) DO NOTHING",
    )
    .bind(scope)
    .bind(request_id)
    .bind(request_hash)
    .bind(time::now_micros())
    .execute(&mut *connection)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Claim::New);
    }
    let row =
        sqlx::query("SELECT request_hash, resource_id FROM idempotency_keys WHERE scope = $1 AND request_id = $2")
            .bind(scope)
            .bind(request_id)
            .fetch_one(&mut *connection)
            .await?;
    Ok(Claim::Existing {
        resource_id: row.try_get("resource_id")?,
        same_request: row.try_get::<String, _>("request_hash")? == request_hash,
    })
}

pub async fn complete(
    connection: &mut AnyConnection,
    scope: &str,
    request_id: &str,
    resource_id: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE idempotency_keys SET resource_id = $3 WHERE scope = $1 AND request_id = $2")
        .bind(scope)
        .bind(request_id)
        .bind(resource_id)
        .execute(connection)
        .await?;
    Ok(())
}
