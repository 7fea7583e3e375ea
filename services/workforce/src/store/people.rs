//! People, their skill index and their career history.
use frontline_shared::filter::{SqlFilter, SqlValue};
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{decode_enum, optional_text};
use crate::domain::person::{CareerEvent, EmploymentStatus, Money, Person, PersonRole};

const COLUMNS: &str = "id, name, email, role, manager_id, team_id, time_zone, employment_status, hourly_cost_currency, \
    hourly_cost_minor, skills, external_id, created_at, updated_at, revision";

pub async fn insert(connection: &mut AnyConnection, person: &Person) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO people (id, name, email, role, manager_id, team_id, time_zone, employment_status, hourly_cost_currency,
             hourly_cost_minor, skills, external_id, created_at, updated_at, revision)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&person.id)
    .bind(&person.name)
    .bind(&person.email)
    .bind(person.role.number())
    .bind(&person.manager_id)
    .bind(&person.team_id)
    .bind(&person.time_zone)
    .bind(person.employment_status.number())
    .bind(&person.hourly_cost.currency)
    .bind(person.hourly_cost.minor_units)
    .bind(serde_json::to_string(&person.skills).expect("skills serialise"))
    .bind(optional_text(&person.external_id))
    .bind(person.created_at)
    .bind(person.updated_at)
    .bind(person.revision)
    .execute(&mut *connection)
    .await?;
    write_skills(connection, person).await
}

pub async fn update(connection: &mut AnyConnection, person: &Person, expected_revision: i64) -> sqlx::Result<bool> {
    let updated = sqlx::query(
        "UPDATE people SET name = $2, email = $3, role = $4, manager_id = $5, team_id = $6, time_zone = $7,
             employment_status = $8, hourly_cost_currency = $9, hourly_cost_minor = $10, skills = $11, external_id = $12,
             updated_at = $13, revision = $14
         WHERE id = $1 AND revision = $15",
    )
    .bind(&person.id)
    .bind(&person.name)
    .bind(&person.email)
    .bind(person.role.number())
    .bind(&person.manager_id)
    .bind(&person.team_id)
    .bind(&person.time_zone)
    .bind(person.employment_status.number())
    .bind(&person.hourly_cost.currency)
    .bind(person.hourly_cost.minor_units)
    .bind(serde_json::to_string(&person.skills).expect("skills serialise"))
    .bind(optional_text(&person.external_id))
    .bind(person.updated_at)
    .bind(person.revision)
    .bind(expected_revision)
    .execute(&mut *connection)
    .await?
    .rows_affected();
    if updated == 1 {
        write_skills(connection, person).await?;
    }
    Ok(updated == 1)
}

async fn write_skills(connection: &mut AnyConnection, person: &Person) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM person_skills WHERE person_id = $1").bind(&person.id).execute(&mut *connection).await?;
    for skill in &person.skills {
        sqlx::query("INSERT INTO person_skills (skill, person_id, proficiency) VALUES ($1, $2, $3)")
            .bind(&skill.name)
            .bind(&person.id)
            .bind(skill.proficiency)
            .execute(&mut *connection)
            .await?;
    }
    Ok(())
}

pub async fn get(connection: &mut AnyConnection, id: &str) -> sqlx::Result<Option<Person>> {
    let row =
        sqlx::query(&format!("SELECT {COLUMNS} FROM people WHERE id = $1")).bind(id).fetch_optional(connection).await?;
    row.as_ref().map(decode).transpose()
}

/// Locks the person's row for the rest of the transaction (Postgres), so two concurrent shift
/// writes for one person cannot both pass the overlap check. SQLite has one writer anyway.
pub async fn lock(connection: &mut AnyConnection, id: &str, postgres: bool) -> sqlx::Result<Option<Person>> {
    let lock = if postgres { " FOR UPDATE" } else { "" };
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM people WHERE id = $1{lock}"))
        .bind(id)
        .fetch_optional(connection)
        .await?;
    row.as_ref().map(decode).transpose()
}

/// People matching `filter`, ordered by id, after `after_id`.
pub async fn list(
    connection: &mut AnyConnection,
    filter: &SqlFilter,
    after_id: &str,
    limit: usize,
) -> sqlx::Result<Vec<Person>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM people WHERE {} AND id > ${} ORDER BY id LIMIT {limit}",
        filter.clause,
        filter.values.len() + 1
    );
    let mut query = sqlx::query(&sql);
    for value in &filter.values {
        query = match value {
            SqlValue::Text(text) => query.bind(text.as_str()),
            SqlValue::Integer(number) => query.bind(*number),
        };
    }
    query.bind(after_id).fetch_all(connection).await?.iter().map(decode).collect()
}

/// Everyone of a team (for plans and time-off limits).
pub async fn of_team(connection: &mut AnyConnection, team_id: &str) -> sqlx::Result<Vec<Person>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM people WHERE team_id = $1 ORDER BY id"))
        .bind(team_id)
        .fetch_all(connection)
        .await?;
    rows.iter().map(decode).collect()
}

/// People with `skill` at `min_proficiency` or better, optionally of one team.
pub async fn with_skill(
    connection: &mut AnyConnection,
    skill: &str,
    min_proficiency: i64,
    team_id: &str,
) -> sqlx::Result<Vec<Person>> {
    let sql = format!(
        "SELECT {} FROM people p JOIN person_skills s ON s.person_id = p.id
         WHERE s.skill = $1 AND s.proficiency >= $2 AND ($3 = '' OR p.team_id = $3) AND p.employment_status = $4",
        COLUMNS.split(", ").map(|c| format!("p.{c}")).collect::<Vec<_>>().join(", ")
    );
    let rows = sqlx::query(&sql)
        .bind(skill)
        .bind(min_proficiency)
        .bind(team_id)
        .bind(EmploymentStatus::Active.number())
        .fetch_all(connection)
        .await?;
    rows.iter().map(decode).collect()
}

pub async fn by_ids(connection: &mut AnyConnection, ids: &[String]) -> sqlx::Result<Vec<Person>> {
    let mut people = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
        let sql = format!("SELECT {COLUMNS} FROM people WHERE id IN ({})", placeholders.join(", "));
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(id.as_str());
        }
        for row in query.fetch_all(&mut *connection).await? {
            people.push(decode(&row)?);
        }
    }
    Ok(people)
}

pub async fn insert_career_event(connection: &mut AnyConnection, event: &CareerEvent) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO career_events (person_id, from_role, to_role, from_team_id, to_team_id, from_manager_id, to_manager_id, at, recorded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&event.person_id)
    .bind(event.from_role.map_or(0, |role| role.number()))
    .bind(event.to_role.number())
    .bind(&event.from_team_id)
    .bind(&event.to_team_id)
    .bind(&event.from_manager_id)
    .bind(&event.to_manager_id)
    .bind(event.at)
    .bind(&event.recorded_by)
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn career_events(connection: &mut AnyConnection, person_id: &str) -> sqlx::Result<Vec<CareerEvent>> {
    let rows = sqlx::query(
        "SELECT person_id, from_role, to_role, from_team_id, to_team_id, from_manager_id, to_manager_id, at, recorded_by
         FROM career_events WHERE person_id = $1 ORDER BY id",
    )
    .bind(person_id)
    .fetch_all(connection)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(CareerEvent {
                person_id: row.try_get("person_id")?,
                from_role: PersonRole::from_number(row.try_get("from_role")?),
                to_role: decode_enum("to_role", row.try_get("to_role")?, PersonRole::from_number)?,
                from_team_id: row.try_get("from_team_id")?,
                to_team_id: row.try_get("to_team_id")?,
                from_manager_id: row.try_get("from_manager_id")?,
                to_manager_id: row.try_get("to_manager_id")?,
                at: row.try_get("at")?,
                recorded_by: row.try_get("recorded_by")?,
            })
        })
        .collect()
}

fn decode(row: &AnyRow) -> sqlx::Result<Person> {
    let skills: String = row.try_get("skills")?;
    Ok(Person {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        role: decode_enum("role", row.try_get("role")?, PersonRole::from_number)?,
        manager_id: row.try_get("manager_id")?,
        team_id: row.try_get("team_id")?,
        time_zone: row.try_get("time_zone")?,
        employment_status: decode_enum(
            "employment_status",
            row.try_get("employment_status")?,
            EmploymentStatus::from_number,
        )?,
        hourly_cost: Money {
            currency: row.try_get("hourly_cost_currency")?,
            minor_units: row.try_get("hourly_cost_minor")?,
        },
        skills: serde_json::from_str(&skills)
            .map_err(|e| sqlx::Error::ColumnDecode { index: "skills".into(), source: Box::new(e) })?,
        external_id: row.try_get::<Option<String>, _>("external_id")?.unwrap_or_default(),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        revision: row.try_get("revision")?,
    })
}
