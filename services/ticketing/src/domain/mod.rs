//! Ticketing's rules, free of storage and transport: what a ticket and a customer are, which
//! status moves are legal, what a valid request looks like, what each role may do.
pub mod access;
pub mod customer;
pub mod field_mask;
pub mod listing;
pub mod status;
pub mod ticket;
mod validate;

pub use customer::{Customer, CustomerTier};
pub use status::Status;
pub use ticket::{Channel, Priority, Ticket, TicketType};
