//! Ticket search on tantivy: one document per ticket, analysed the way every text in Frontline
//! is (`frontline_shared::text`), with visibility decided inside the index, kept as derived data
//! that follows ticketing's own change feed.
pub mod count;
pub mod documents;
pub mod index;
pub mod schema;
pub mod scoped;
pub mod searching;

pub use count::Count;
pub use index::TicketIndex;
pub use searching::{Found, IndexScope, Notes};
