//! Saved views: a named filter and order, personal or shared with a team.
use frontline_shared::{ApiResult, error::Violations};

use super::{field_mask, listing::TicketOrder, validate};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ViewFields {
    pub name: String,
    pub filter: String,
    pub order_by: String,
    pub team_id: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TicketView {
    pub id: String,
    pub name: String,
    pub filter: String,
    pub order_by: String,
    pub owner_id: String,
    /// Shared with this team; empty for a personal view.
    pub team_id: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub revision: i64,
}

pub const UPDATABLE_FIELDS: &[&str] = &["name", "filter", "order_by", "team_id"];

impl TicketView {
    pub fn create(id: String, owner_id: &str, fields: ViewFields, now: i64) -> ApiResult<Self> {
        let view = TicketView {
            id,
            name: fields.name.trim().to_string(),
            filter: fields.filter,
            order_by: fields.order_by,
            owner_id: owner_id.into(),
            team_id: fields.team_id,
            created_at: now,
            updated_at: now,
            revision: 1,
        };
        view.check()?;
        Ok(view)
    }

    pub fn update(&self, fields: &ViewFields, paths: &[String], now: i64) -> ApiResult<Self> {
        let paths = field_mask::resolve(paths, UPDATABLE_FIELDS, |path| match path {
            "name" => !fields.name.is_empty(),
            "filter" => !fields.filter.is_empty(),
            "order_by" => !fields.order_by.is_empty(),
            "team_id" => !fields.team_id.is_empty(),
            _ => false,
        })?;
        let mut next = self.clone();
        for path in paths {
            match path {
                "name" => next.name = fields.name.trim().to_string(),
                "filter" => next.filter = fields.filter.clone(),
                "order_by" => next.order_by = fields.order_by.clone(),
                "team_id" => next.team_id = fields.team_id.clone(),
                other => unreachable!("not an updatable view field: {other}"),
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

    /// The filter itself is checked against the ticket fields by the caller, which knows them.
    fn check(&self) -> ApiResult<()> {
        let mut violations = Violations::new();
        violations.check(!self.name.is_empty(), "view.name", "must not be empty");
        validate::max_chars(&mut violations, "view.name", &self.name, 100);
        validate::max_chars(&mut violations, "view.filter", &self.filter, 2000);
        if let Err(frontline_shared::ApiError::InvalidArgument(found)) = TicketOrder::parse(&self.order_by) {
            for violation in found {
                violations.add("view.order_by", violation.description);
            }
        }
        violations.into_result()
    }
}
