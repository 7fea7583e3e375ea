//! Teams, nested under departments.
use frontline_shared::{ApiResult, error::Violations, field_mask};

use super::{check_length, check_time_zone};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TeamFields {
    pub id: String,
    pub name: String,
    pub department_id: String,
    pub lead_id: String,
    pub time_zone: String,
    pub max_concurrent_time_off: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Team {
    pub id: String,
    pub name: String,
    pub department_id: String,
    pub lead_id: String,
    pub time_zone: String,
    /// 0: no limit.
    pub max_concurrent_time_off: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub revision: i64,
}

pub const UPDATABLE_FIELDS: &[&str] = &["name", "department_id", "lead_id", "time_zone", "max_concurrent_time_off"];

impl Team {
    pub fn create(fields: TeamFields, now: i64) -> ApiResult<Team> {
        let team = Team {
            id: fields.id.trim().to_string(),
            name: fields.name.trim().to_string(),
            department_id: fields.department_id,
            lead_id: fields.lead_id,
            time_zone: if fields.time_zone.is_empty() { "UTC".into() } else { fields.time_zone },
            max_concurrent_time_off: fields.max_concurrent_time_off,
            created_at: now,
            updated_at: now,
            revision: 1,
        };
        team.check()?;
        Ok(team)
    }

    pub fn update(&self, fields: &TeamFields, paths: &[String], now: i64) -> ApiResult<Team> {
        let paths = field_mask::resolve(paths, UPDATABLE_FIELDS, |path| match path {
            "name" => !fields.name.is_empty(),
            "department_id" => !fields.department_id.is_empty(),
            "lead_id" => !fields.lead_id.is_empty(),
            "time_zone" => !fields.time_zone.is_empty(),
            "max_concurrent_time_off" => fields.max_concurrent_time_off != 0,
            _ => false,
        })?;
        let mut next = self.clone();
        for path in paths {
            match path {
                "name" => next.name = fields.name.trim().to_string(),
                "department_id" => next.department_id = fields.department_id.clone(),
                "lead_id" => next.lead_id = fields.lead_id.clone(),
                "time_zone" => next.time_zone = fields.time_zone.clone(),
                "max_concurrent_time_off" => next.max_concurrent_time_off = fields.max_concurrent_time_off,
                other => unreachable!("not an updatable team field: {other}"),
            }
        }
        next.check()?;
        if next != *self {
            next.updated_at = now;
            next.revision = self.revision + 1;
        }
        Ok(next)
    }

    pub fn etag(&self) -> String {
        self.revision.to_string()
    }

    fn check(&self) -> ApiResult<()> {
        let mut violations = Violations::new();
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 64
            && self.id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
        violations.check(id_ok, "team.id", "must be 1–64 letters, digits, - or _");
        violations.check(!self.name.is_empty(), "team.name", "must not be empty");
        check_length(&mut violations, "team.name", &self.name, 255);
        check_time_zone(&mut violations, "team.time_zone", &self.time_zone);
        violations.check(self.max_concurrent_time_off >= 0, "team.max_concurrent_time_off", "must not be negative");
        violations.into_result()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Department {
    pub id: String,
    pub name: String,
    pub head_id: String,
    pub created_at: i64,
}

impl Department {
    pub fn create(id: String, name: &str, head_id: &str, now: i64) -> ApiResult<Department> {
        let mut violations = Violations::new();
        violations.check(!id.trim().is_empty() && id.len() <= 64, "department.id", "must be 1–64 characters");
        violations.check(!name.trim().is_empty(), "department.name", "must not be empty");
        check_length(&mut violations, "department.name", name, 255);
        violations.into_result()?;
        Ok(Department { id: id.trim().into(), name: name.trim().into(), head_id: head_id.into(), created_at: now })
    }
}
