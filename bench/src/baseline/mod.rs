//! The limits each figure is compared with, measured in the same run: the database doing
//! create-ticket's writes with nothing around them (pgbench on PostgreSQL, sqlx on both), and
//! a tonic service that does nothing with messages of the same sizes.
pub mod noop_grpc;
pub mod pgbench;
pub mod store_writes;
