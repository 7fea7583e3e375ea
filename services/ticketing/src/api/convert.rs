//! Between the wire (protobuf) and the domain. Unknown enum numbers and out-of-range times are
//! the caller's mistakes and come back as field violations, never as a default.
use frontline_proto::ticketing::v1 as pb;
use frontline_shared::{
    ApiResult,
    database::time::{from_timestamp, optional_timestamp, to_timestamp},
    error::Violations,
};

use crate::domain::{
    Channel, Customer, CustomerTier, Priority, Status, Ticket, TicketType,
    comment::{Attachment, AuthorRole, Comment},
    custom_fields::{CustomValue, DefinitionFields, FieldDefinition, FieldType, FieldValue},
    customer::CustomerFields,
    organization::{Organization, OrganizationFields},
    ticket::{SatisfactionRating, TicketFields},
    view::{TicketView, ViewFields},
};

pub(super) fn enum_field<T>(
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
        problem_id: optional_ticket_number(&mut violations, "ticket.problem_id", &ticket.problem_id),
        custom_fields: ticket.custom_fields.into_iter().map(custom_value).collect(),
    };
    violations.into_result()?;
    Ok(fields)
}

fn optional_ticket_number(violations: &mut Violations, field: &str, id: &str) -> Option<i64> {
    if id.is_empty() {
        return None;
    }
    let number = id.parse::<i64>().ok().filter(|n| *n > 0);
    if number.is_none() {
        violations.add(field, format!("`{id}` is not a ticket number"));
    }
    number
}

fn custom_value(value: pb::CustomFieldValue) -> CustomValue {
    use pb::custom_field_value::Value;
    let value_of = |value| match value {
        Value::Text(text) => FieldValue::Text(text),
        Value::Number(number) => FieldValue::Number(number),
        Value::Date(date) => FieldValue::Date(date),
        Value::Option(option) => FieldValue::Option(option),
        Value::Checkbox(checked) => FieldValue::Checkbox(checked),
    };
    CustomValue { key: value.key, value: value.value.map(value_of) }
}

fn wire_custom_value(value: &CustomValue) -> pb::CustomFieldValue {
    use pb::custom_field_value::Value;
    pb::CustomFieldValue {
        key: value.key.clone(),
        value: value.value.clone().map(|value| match value {
            FieldValue::Text(text) => Value::Text(text),
            FieldValue::Number(number) => Value::Number(number),
            FieldValue::Date(date) => Value::Date(date),
            FieldValue::Option(option) => Value::Option(option),
            FieldValue::Checkbox(checked) => Value::Checkbox(checked),
        }),
    }
}

pub fn rating(number: i32) -> Option<SatisfactionRating> {
    SatisfactionRating::from_number(i64::from(number))
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
        custom_fields: ticket.custom_fields.iter().map(wire_custom_value).collect(),
        problem_id: ticket.problem_id.map(|id| id.to_string()).unwrap_or_default(),
        satisfaction: ticket.satisfaction.rating.map(|rating| pb::Satisfaction {
            rating: rating.number() as i32,
            comment: ticket.satisfaction.comment.clone(),
            rated_at: optional_timestamp(ticket.satisfaction.rated_at),
        }),
        merged_into_id: ticket.merged_into_id.map(|id| id.to_string()).unwrap_or_default(),
        last_requester_reply_at: optional_timestamp(ticket.last_requester_reply_at),
        last_agent_reply_at: optional_timestamp(ticket.last_agent_reply_at),
        solve_count: ticket.solve_count as i32,
        suggested_articles: Vec::new(),
        sla_policy_id: ticket.sla_policy_id.clone(),
        sla_breach_at: optional_timestamp(ticket.sla_breach_at),
        sla_clocks: Vec::new(),
        escalation_tier: ticket.escalation_tier.number() as i32,
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
        merged_into_id: customer.merged_into_id.clone(),
    }
}

pub fn organization_fields(organization: pb::Organization) -> OrganizationFields {
    OrganizationFields {
        name: organization.name,
        domains: organization.domains,
        notes: organization.notes,
        external_id: organization.external_id,
        shared_tickets: organization.shared_tickets,
    }
}

pub fn organization(organization: &Organization) -> pb::Organization {
    pb::Organization {
        id: organization.id.clone(),
        name: organization.name.clone(),
        domains: organization.domains.clone(),
        notes: organization.notes.clone(),
        external_id: organization.external_id.clone(),
        shared_tickets: organization.shared_tickets,
        created_at: Some(to_timestamp(organization.created_at)),
        updated_at: Some(to_timestamp(organization.updated_at)),
        etag: organization.etag(),
    }
}

pub fn definition_fields(field: pb::CustomFieldDefinition) -> ApiResult<DefinitionFields> {
    let mut violations = Violations::new();
    let field_type = enum_field(&mut violations, "field.type", field.r#type, FieldType::from_number);
    violations.into_result()?;
    Ok(DefinitionFields {
        key: field.key,
        title: field.title,
        field_type,
        options: field.options,
        required_on_solve: field.required_on_solve,
        active: field.active,
        description: field.description,
    })
}

pub fn definition(field: &FieldDefinition) -> pb::CustomFieldDefinition {
    pb::CustomFieldDefinition {
        key: field.key.clone(),
        title: field.title.clone(),
        r#type: field.field_type.number() as i32,
        options: field.options.clone(),
        required_on_solve: field.required_on_solve,
        active: field.active,
        description: field.description.clone(),
        created_at: Some(to_timestamp(field.created_at)),
        updated_at: Some(to_timestamp(field.updated_at)),
        etag: field.etag(),
    }
}

pub fn attachments(attachments: Vec<pb::Attachment>) -> Vec<Attachment> {
    attachments
        .into_iter()
        .map(|a| Attachment { name: a.name, size_bytes: a.size_bytes, content_type: a.content_type, url: a.url })
        .collect()
}

pub fn comment(comment: &Comment) -> pb::Comment {
    pb::Comment {
        id: comment.id.to_string(),
        ticket_id: comment.ticket_id.to_string(),
        author_id: comment.author_id.clone(),
        author_role: comment.author_role.number() as i32,
        public: comment.public,
        body: comment.body.clone(),
        channel: comment.channel.number() as i32,
        attachments: comment
            .attachments
            .iter()
            .map(|a| pb::Attachment {
                name: a.name.clone(),
                size_bytes: a.size_bytes,
                content_type: a.content_type.clone(),
                url: a.url.clone(),
            })
            .collect(),
        created_at: Some(to_timestamp(comment.created_at)),
    }
}

pub fn author_role(number: i32) -> Option<AuthorRole> {
    AuthorRole::from_number(i64::from(number))
}

pub fn channel(violations: &mut Violations, field: &str, number: i32) -> Option<Channel> {
    enum_field(violations, field, number, Channel::from_number)
}

pub fn status(violations: &mut Violations, field: &str, number: i32) -> Option<Status> {
    enum_field(violations, field, number, Status::from_number)
}

pub fn view_fields(view: pb::TicketView) -> ViewFields {
    ViewFields { name: view.name, filter: view.filter, order_by: view.order_by, team_id: view.team_id }
}

pub fn view(view: &TicketView) -> pb::TicketView {
    pb::TicketView {
        id: view.id.clone(),
        name: view.name.clone(),
        filter: view.filter.clone(),
        order_by: view.order_by.clone(),
        owner_id: view.owner_id.clone(),
        team_id: view.team_id.clone(),
        created_at: Some(to_timestamp(view.created_at)),
        updated_at: Some(to_timestamp(view.updated_at)),
        etag: view.etag(),
    }
}

pub fn link(row: crate::store::links::LinkRow) -> pb::TicketLink {
    pb::TicketLink {
        ticket_id: row.0.to_string(),
        linked_ticket_id: row.1.to_string(),
        kind: row.2 as i32,
        created_at: Some(to_timestamp(row.3)),
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

pub fn escalation_tier_filter(value: &str) -> Option<i64> {
    frontline_shared::filter::enum_value(value, "ESCALATION_TIER_", |name| {
        pb::EscalationTier::from_str_name(name).map(|v| v as i32)
    })
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
