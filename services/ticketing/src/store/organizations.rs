//! Organisations and their email domains.
use frontline_shared::{filter::SqlFilter, pagination::Cursor};
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{bind_all, json_list, optional_text, parse_json_list};
use crate::domain::organization::Organization;

const COLUMNS: &str = "id, name, domains, notes, external_id, shared_tickets, created_at, updated_at, revision";

pub async fn insert(connection: &mut AnyConnection, organization: &Organization) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO organizations (id, name, name_key, domains, notes, external_id, created_at, updated_at, revision, shared_tickets)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&organization.id)
    .bind(&organization.name)
    .bind(organization.name.to_lowercase())
    .bind(json_list(&organization.domains))
    .bind(&organization.notes)
    .bind(optional_text(&organization.external_id))
    .bind(organization.created_at)
    .bind(organization.updated_at)
    .bind(organization.revision)
    .bind(i64::from(organization.shared_tickets))
    .execute(&mut *connection)
    .await?;
    insert_domains(connection, organization).await
}

pub async fn update(
    connection: &mut AnyConnection,
    organization: &Organization,
    expected_revision: i64,
) -> sqlx::Result<bool> {
    let updated = sqlx::query(
        "UPDATE organizations SET name = $2, name_key = $3, domains = $4, notes = $5, external_id = $6, updated_at = $7, revision = $8,
         shared_tickets = $10
         WHERE id = $1 AND revision = $9",
    )
    .bind(&organization.id)
    .bind(&organization.name)
    .bind(organization.name.to_lowercase())
    .bind(json_list(&organization.domains))
    .bind(&organization.notes)
    .bind(optional_text(&organization.external_id))
    .bind(organization.updated_at)
    .bind(organization.revision)
    .bind(expected_revision)
    .bind(i64::from(organization.shared_tickets))
    .execute(&mut *connection)
    .await?
    .rows_affected();
    if updated == 1 {
        sqlx::query("DELETE FROM organization_domains WHERE organization_id = $1")
            .bind(&organization.id)
            .execute(&mut *connection)
            .await?;
        insert_domains(connection, organization).await?;
    }
    Ok(updated == 1)
}

async fn insert_domains(connection: &mut AnyConnection, organization: &Organization) -> sqlx::Result<()> {
    for domain in &organization.domains {
        sqlx::query("INSERT INTO organization_domains (domain, organization_id) VALUES ($1, $2)")
            .bind(domain)
            .bind(&organization.id)
            .execute(&mut *connection)
            .await?;
    }
    Ok(())
}

/// Whether `customer_id` belongs to organisation `organization_id` and it shares its tickets
/// with its people.
/// The organisations whose tickets this customer may read: theirs, when it shares them.
pub async fn shared_with(connection: &mut AnyConnection, customer_id: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT o.id FROM organizations o JOIN customers c ON c.organization_id = o.id
         WHERE c.id = $1 AND o.shared_tickets = 1",
    )
    .bind(customer_id)
    .fetch_all(connection)
    .await
}

pub async fn shares_tickets_with(
    connection: &mut AnyConnection,
    organization_id: &str,
    customer_id: &str,
) -> sqlx::Result<bool> {
    let row = sqlx::query(
        "SELECT 1 FROM organizations o JOIN customers c ON c.organization_id = o.id
         WHERE o.id = $1 AND c.id = $2 AND o.shared_tickets = 1",
    )
    .bind(organization_id)
    .bind(customer_id)
    .fetch_optional(connection)
    .await?;
    Ok(row.is_some())
}

pub async fn get(connection: &mut AnyConnection, id: &str) -> sqlx::Result<Option<Organization>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM organizations WHERE id = $1"))
        .bind(id)
        .fetch_optional(connection)
        .await?;
    row.as_ref().map(decode).transpose()
}

pub async fn find_by_external_id(
    connection: &mut AnyConnection,
    external_id: &str,
) -> sqlx::Result<Option<Organization>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM organizations WHERE external_id = $1"))
        .bind(external_id)
        .fetch_optional(connection)
        .await?;
    row.as_ref().map(decode).transpose()
}

pub async fn find_by_name(connection: &mut AnyConnection, name: &str) -> sqlx::Result<Option<Organization>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM organizations WHERE name_key = $1"))
        .bind(name.to_lowercase())
        .fetch_optional(connection)
        .await?;
    row.as_ref().map(decode).transpose()
}

/// The organisation that already claims one of `domains`, other than `organization_id`.
pub async fn domain_taken(
    connection: &mut AnyConnection,
    domains: &[String],
    organization_id: &str,
) -> sqlx::Result<Option<(String, String)>> {
    for domain in domains {
        let owner: Option<String> =
            sqlx::query_scalar("SELECT organization_id FROM organization_domains WHERE domain = $1")
                .bind(domain)
                .fetch_optional(&mut *connection)
                .await?;
        if let Some(owner) = owner.filter(|owner| owner != organization_id) {
            return Ok(Some((domain.clone(), owner)));
        }
    }
    Ok(None)
}

/// Newest first.
pub async fn list(
    connection: &mut AnyConnection,
    filter: &SqlFilter,
    after: Option<&Cursor>,
    limit: usize,
) -> sqlx::Result<Vec<Organization>> {
    let next = filter.values.len() + 1;
    let keyset = match after {
        Some(_) => format!("AND (created_at < ${next} OR (created_at = ${next} AND id < ${}))", next + 1),
        None => String::new(),
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM organizations WHERE {} {keyset} ORDER BY created_at DESC, id DESC LIMIT {limit}",
        filter.clause
    );
    let mut query = bind_all(sqlx::query(&sql), &filter.values);
    if let Some(cursor) = after {
        query = query.bind(cursor.sort_key.parse::<i64>().unwrap_or(i64::MAX)).bind(cursor.id.clone());
    }
    query.fetch_all(connection).await?.iter().map(decode).collect()
}

fn decode(row: &AnyRow) -> sqlx::Result<Organization> {
    Ok(Organization {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        domains: parse_json_list("domains", &row.try_get::<String, _>("domains")?)?,
        notes: row.try_get("notes")?,
        external_id: row.try_get::<Option<String>, _>("external_id")?.unwrap_or_default(),
        shared_tickets: row.try_get::<i64, _>("shared_tickets")? != 0,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        revision: row.try_get("revision")?,
    })
}
