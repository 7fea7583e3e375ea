//! Analytics' rules, free of storage and transport: exactly what each metric means.
pub mod forecast;
pub mod scorecard;
pub mod series;
pub mod series_query;
pub mod ticket_metrics;
