//! Between the wire (protobuf) and the domain. Unknown enum numbers and out-of-range times are
//! the caller's mistakes and come back as field violations, never as a default.
use frontline_proto::ticketing::v1 as pb;
use frontline_shared::{
    ApiResult,
    database::time::{from_timestamp, optional_timestamp, to_timestamp},
    error::Violations,
};

use crate::domain::{
    Channel, Customer, CustomerTier, Priority, Status, Ticket, TicketType, customer::CustomerFields,
    ticket::TicketFields,
};

fn enum_field<T>(
    violations: &mut Violations,
    field: &str,
    number: i32,
    from_number: fn(i64) -> Option<T>,
) -> Option<T> {
    if number == 0 {
        return None;
    }
    let value = from_number(i64::from(number));
    if value.is_none() {
        violations.add(field, format!("{number} is not a known value"));
    }
    value
}

pub fn ticket_fields(ticket: pb::Ticket) -> ApiResult<TicketFields> {
    let mut violations = Violations::new();
    let fields = TicketFields {
        channel: enum_field(&mut violations, "ticket.channel", ticket.channel, Channel::from_number),
        ticket_type: enum_field(&mut violations, "ticket.type", ticket.r#type, TicketType::from_number),
        priority: enum_field(&mut violations, "ticket.priority", ticket.priority, Priority::from_number),
        status: enum_field(&mut violations, "ticket.status", ticket.status, Status::from_number),
        due_at: ticket.due_at.as_ref().and_then(|due| {
            let micros = from_timestamp(due);
            if micros.is_none() {
                violations.add("ticket.due_at", "is not a valid time");
            }
            micros
        }),
        subject: ticket.subject,
        description: ticket.description,
        requester_id: ticket.requester_id,
        organization_id: ticket.organization_id,
        order_reference: ticket.order_reference,
        assignee_id: ticket.assignee_id,
        team_id: ticket.team_id,
        tags: ticket.tags,
        external_id: ticket.external_id,
        locale: ticket.locale,
    };
    violations.into_result()?;
    Ok(fields)
}

pub fn ticket(ticket: &Ticket) -> pb::Ticket {
    pb::Ticket {
        id: ticket.id.to_string(),
        subject: ticket.subject.clone(),
        description: ticket.description.clone(),
        requester_id: ticket.requester_id.clone(),
        organization_id: ticket.organization_id.clone(),
        channel: ticket.channel.number() as i32,
        r#type: ticket.ticket_type.number() as i32,
        order_reference: ticket.order_reference.clone(),
        priority: ticket.priority.number() as i32,
        status: ticket.status.number() as i32,
        assignee_id: ticket.assignee_id.clone(),
        team_id: ticket.team_id.clone(),
        tags: ticket.tags.clone(),
        due_at: optional_timestamp(ticket.due_at),
        external_id: ticket.external_id.clone(),
        locale: ticket.locale.clone(),
        created_at: Some(to_timestamp(ticket.created_at)),
        updated_at: Some(to_timestamp(ticket.updated_at)),
        first_reply_at: optional_timestamp(ticket.first_reply_at),
        solved_at: optional_timestamp(ticket.solved_at),
        closed_at: optional_timestamp(ticket.closed_at),
        etag: ticket.etag(),
    }
}

pub fn customer_fields(customer: pb::Customer) -> ApiResult<CustomerFields> {
    let mut violations = Violations::new();
    let tier = enum_field(&mut violations, "customer.tier", customer.tier, CustomerTier::from_number);
    violations.into_result()?;
    Ok(CustomerFields {
        name: customer.name,
        emails: customer.emails,
        phones: customer.phones,
        locale: customer.locale,
        time_zone: customer.time_zone,
        tier,
        notes: customer.notes,
        external_id: customer.external_id,
        organization_id: customer.organization_id,
    })
}

pub fn customer(customer: &Customer) -> pb::Customer {
    pb::Customer {
        id: customer.id.clone(),
        name: customer.name.clone(),
        emails: customer.emails.clone(),
        phones: customer.phones.clone(),
        locale: customer.locale.clone(),
        time_zone: customer.time_zone.clone(),
        tier: customer.tier.number() as i32,
        notes: customer.notes.clone(),
        external_id: customer.external_id.clone(),
        organization_id: customer.organization_id.clone(),
        created_at: Some(to_timestamp(customer.created_at)),
        updated_at: Some(to_timestamp(customer.updated_at)),
        etag: customer.etag(),
    }
}

/// Filter values for enums accept `OPEN`, `open` or `TICKET_STATUS_OPEN`.
pub fn status_filter(value: &str) -> Option<i64> {
    frontline_shared::filter::enum_value(value, "TICKET_STATUS_", |name| {
        pb::TicketStatus::from_str_name(name).map(|v| v as i32)
    })
}

pub fn priority_filter(value: &str) -> Option<i64> {
    frontline_shared::filter::enum_value(value, "PRIORITY_", |name| pb::Priority::from_str_name(name).map(|v| v as i32))
}

pub fn channel_filter(value: &str) -> Option<i64> {
    frontline_shared::filter::enum_value(value, "CHANNEL_", |name| pb::Channel::from_str_name(name).map(|v| v as i32))
}

pub fn type_filter(value: &str) -> Option<i64> {
    frontline_shared::filter::enum_value(value, "TICKET_TYPE_", |name| {
        pb::TicketType::from_str_name(name).map(|v| v as i32)
    })
}

pub fn tier_filter(value: &str) -> Option<i64> {
    frontline_shared::filter::enum_value(value, "CUSTOMER_TIER_", |name| {
        pb::CustomerTier::from_str_name(name).map(|v| v as i32)
    })
}
