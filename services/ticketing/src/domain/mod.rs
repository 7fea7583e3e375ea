//! Ticketing's rules, free of storage and transport: what tickets, customers, organisations,
//! comments, custom fields and views are, which status moves are legal, what a valid request
//! looks like, what each role may see and do.
pub mod access;
/// Business-hours calendars for SLA clocks (issue 4); used by the SLA policies as they land.
pub mod calendar;
pub mod comment;
pub mod custom_fields;
pub mod customer;
pub use frontline_shared::field_mask;
pub mod listing;
pub mod organization;
pub mod search;
/// SLA clocks computed from a ticket's history (issue 4); wired to policies as they land.
pub mod sla;
pub mod status;
pub mod ticket;
mod validate;
pub mod view;

pub use customer::{Customer, CustomerTier};
pub use status::Status;
pub use ticket::{Channel, Priority, Ticket, TicketType};
