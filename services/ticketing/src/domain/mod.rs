//! Ticketing's rules, free of storage and transport: what tickets, customers, organisations,
//! comments, custom fields, views and webhooks are, which status moves are legal, what a valid request
//! looks like, what each role may see and do.
/// A fieldless enum with the numbers it has on the wire and in storage (its protobuf numbers).
macro_rules! numbered_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $number:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($variant = $number),+ }

        impl $name {
            /// The number on the wire and in storage (the protobuf enum's number).
            pub fn number(self) -> i64 { self as i64 }

            pub fn from_number(number: i64) -> Option<Self> {
                match number { $($number => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}

pub mod access;
pub mod business_rule;
/// Business-hours calendars are generic time arithmetic, shared with analytics.
pub use frontline_shared::calendar;
pub mod comment;
pub mod custom_fields;
pub mod customer;
pub mod escalation;
pub use frontline_shared::field_mask;
pub mod listing;
pub mod organization;
pub mod routing;
pub mod rules;
pub mod service_level;
pub mod sla;
pub mod status;
pub mod ticket;
pub mod ticket_facts;
mod validate;
pub mod view;
pub mod webhook;

pub use customer::{Customer, CustomerTier};
pub use status::Status;
pub use ticket::{Channel, Priority, Ticket, TicketType};
