//! Customers and their email addresses.
use frontline_shared::{database::rows, filter::SqlFilter, pagination::Cursor};
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{bind_all, decode_enum, json_list, optional_text, parse_json_list};
use crate::domain::{Customer, CustomerTier};

const COLUMNS: &str = "id, name, emails, phones, locale, time_zone, tier, notes, external_id, organization_id, created_at, updated_at, revision, merged_into_id";

pub async fn insert(connection: &mut AnyConnection, customer: &Customer) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO customers (id, name, emails, phones, locale, time_zone, tier, notes, external_id, organization_id, created_at, updated_at, revision)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&customer.id)
    .bind(&customer.name)
    .bind(json_list(&customer.emails))
    .bind(json_list(&customer.phones))
    .bind(&customer.locale)
    .bind(&customer.time_zone)
    .bind(customer.tier.number())
    .bind(&customer.notes)
    .bind(optional_text(&customer.external_id))
    .bind(&customer.organization_id)
    .bind(customer.created_at)
    .bind(customer.updated_at)
    .bind(customer.revision)
    .execute(&mut *connection)
    .await?;
    insert_emails(connection, &customer.id, &customer.emails).await
}

/// Writes `customer` if it is still at `expected_revision`; false when someone else got there first.
pub async fn update(connection: &mut AnyConnection, customer: &Customer, expected_revision: i64) -> sqlx::Result<bool> {
    let updated = sqlx::query(
        "UPDATE customers SET name = $2, emails = $3, phones = $4, locale = $5, time_zone = $6, tier = $7, notes = $8,
             external_id = $9, organization_id = $10, updated_at = $11, revision = $12, merged_into_id = $14
         WHERE id = $1 AND revision = $13",
    )
    .bind(&customer.id)
    .bind(&customer.name)
    .bind(json_list(&customer.emails))
    .bind(json_list(&customer.phones))
    .bind(&customer.locale)
    .bind(&customer.time_zone)
    .bind(customer.tier.number())
    .bind(&customer.notes)
    .bind(optional_text(&customer.external_id))
    .bind(&customer.organization_id)
    .bind(customer.updated_at)
    .bind(customer.revision)
    .bind(expected_revision)
    .bind(&customer.merged_into_id)
    .execute(&mut *connection)
    .await?
    .rows_affected();
    if updated == 0 {
        return Ok(false);
    }
    sqlx::query("DELETE FROM customer_emails WHERE customer_id = $1")
        .bind(&customer.id)
        .execute(&mut *connection)
        .await?;
    insert_emails(connection, &customer.id, &customer.emails).await?;
    Ok(true)
}

async fn insert_emails(connection: &mut AnyConnection, customer_id: &str, emails: &[String]) -> sqlx::Result<()> {
    for email in emails {
        sqlx::query("INSERT INTO customer_emails (email, customer_id) VALUES ($1, $2)")
            .bind(email)
            .bind(customer_id)
            .execute(&mut *connection)
            .await?;
    }
    Ok(())
}

pub async fn get(connection: &mut AnyConnection, id: &str) -> sqlx::Result<Option<Customer>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM customers WHERE id = $1"))
        .bind(id)
        .fetch_optional(connection)
        .await?;
    row.as_ref().map(decode).transpose()
}

/// The customers with these ids (missing ones left out), by id.
pub async fn get_many(
    connection: &mut AnyConnection,
    ids: &[&str],
) -> sqlx::Result<std::collections::HashMap<String, Customer>> {
    let mut found = std::collections::HashMap::new();
    // One statement per chunk, well inside both backends' parameter limits.
    for chunk in ids.chunks(1_000) {
        let sql = format!(
            "SELECT {COLUMNS} FROM customers WHERE id IN ({})",
            rows::Placeholders::of(connection).list(chunk.len())
        );
        let mut query = sqlx::query(&sql).persistent(false);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *connection).await? {
            let customer = decode(&row)?;
            found.insert(customer.id.clone(), customer);
        }
    }
    Ok(found)
}

pub async fn find_by_external_id(connection: &mut AnyConnection, external_id: &str) -> sqlx::Result<Option<Customer>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM customers WHERE external_id = $1"))
        .bind(external_id)
        .fetch_optional(connection)
        .await?;
    row.as_ref().map(decode).transpose()
}

pub async fn exists(connection: &mut AnyConnection, id: &str) -> sqlx::Result<bool> {
    Ok(sqlx::query("SELECT 1 FROM customers WHERE id = $1").bind(id).fetch_optional(connection).await?.is_some())
}

/// The first of `emails` that belongs to a customer other than `customer_id`, with its owner.
pub async fn email_taken(
    connection: &mut AnyConnection,
    emails: &[String],
    customer_id: &str,
) -> sqlx::Result<Option<(String, String)>> {
    for email in emails {
        let owner: Option<String> = sqlx::query_scalar("SELECT customer_id FROM customer_emails WHERE email = $1")
            .bind(email)
            .fetch_optional(&mut *connection)
            .await?;
        if let Some(owner) = owner.filter(|owner| owner != customer_id) {
            return Ok(Some((email.clone(), owner)));
        }
    }
    Ok(None)
}

/// Newest first; `after` is the (created_at, id) of the last customer of the previous page.
pub async fn list(
    connection: &mut AnyConnection,
    filter: &SqlFilter,
    after: Option<&Cursor>,
    limit: usize,
) -> sqlx::Result<Vec<Customer>> {
    let next = filter.values.len() + 1;
    let keyset = match after {
        Some(_) => format!("AND (created_at < ${next} OR (created_at = ${next} AND id < ${}))", next + 1),
        None => String::new(),
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM customers WHERE {} {keyset} ORDER BY created_at DESC, id DESC LIMIT {limit}",
        filter.clause
    );
    let mut query = bind_all(sqlx::query(&sql), &filter.values);
    if let Some(cursor) = after {
        let created_at: i64 = cursor.sort_key.parse().unwrap_or(i64::MAX);
        query = query.bind(created_at).bind(cursor.id.clone());
    }
    query.fetch_all(connection).await?.iter().map(decode).collect()
}

fn decode(row: &AnyRow) -> sqlx::Result<Customer> {
    Ok(Customer {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        emails: parse_json_list("emails", &row.try_get::<String, _>("emails")?)?,
        phones: parse_json_list("phones", &row.try_get::<String, _>("phones")?)?,
        locale: row.try_get("locale")?,
        time_zone: row.try_get("time_zone")?,
        tier: decode_enum("tier", row.try_get("tier")?, CustomerTier::from_number)?,
        notes: row.try_get("notes")?,
        external_id: row.try_get::<Option<String>, _>("external_id")?.unwrap_or_default(),
        organization_id: row.try_get("organization_id")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        revision: row.try_get("revision")?,
        merged_into_id: row.try_get("merged_into_id")?,
    })
}

/// Moves the tickets `from` requested to `to`; returns their ids.
pub async fn move_tickets(connection: &mut AnyConnection, from: &str, to: &str) -> sqlx::Result<Vec<i64>> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM tickets WHERE requester_id = $1 ORDER BY id")
        .bind(from)
        .fetch_all(&mut *connection)
        .await?;
    sqlx::query("UPDATE tickets SET requester_id = $2, revision = revision + 1 WHERE requester_id = $1")
        .bind(from)
        .bind(to)
        .execute(connection)
        .await?;
    Ok(ids)
}
