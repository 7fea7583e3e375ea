//! How tickets may be ordered in a list (AIP-132 `order_by`).
use frontline_shared::{ApiError, ApiResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketSortKey {
    CreatedAt,
    UpdatedAt,
    Priority,
    /// Tickets without a due date sort after every dated one.
    DueAt,
    /// Soonest SLA breach first; tickets with no running target sort last.
    SlaBreachAt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketOrder {
    pub key: TicketSortKey,
    pub descending: bool,
}

impl TicketOrder {
    /// Parses `created_at desc`, `priority`, `due_at asc`; empty means newest first.
    pub fn parse(order_by: &str) -> ApiResult<Self> {
        let mut words = order_by.split_whitespace();
        let Some(field) = words.next() else {
            return Ok(Self { key: TicketSortKey::CreatedAt, descending: true });
        };
        let key = match field {
            "created_at" => TicketSortKey::CreatedAt,
            "updated_at" => TicketSortKey::UpdatedAt,
            "priority" => TicketSortKey::Priority,
            "due_at" => TicketSortKey::DueAt,
            "sla_breach_at" => TicketSortKey::SlaBreachAt,
            other => {
                return Err(ApiError::invalid(
                    "order_by",
                    format!("cannot order by `{other}`; use created_at, updated_at, priority, due_at or sla_breach_at"),
                ));
            }
        };
        let descending = match words.next() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(other) => {
                return Err(ApiError::invalid("order_by", format!("`{other}` is not asc or desc")));
            }
        };
        if words.next().is_some() {
            return Err(ApiError::invalid("order_by", "orders by one field only"));
        }
        Ok(Self { key, descending })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_field_and_direction() {
        assert_eq!(TicketOrder::parse("").unwrap(), TicketOrder { key: TicketSortKey::CreatedAt, descending: true });
        assert_eq!(
            TicketOrder::parse("priority desc").unwrap(),
            TicketOrder { key: TicketSortKey::Priority, descending: true }
        );
        assert_eq!(TicketOrder::parse("due_at").unwrap(), TicketOrder { key: TicketSortKey::DueAt, descending: false });
        assert!(TicketOrder::parse("subject").is_err());
        assert!(TicketOrder::parse("priority sideways").is_err());
    }
}
