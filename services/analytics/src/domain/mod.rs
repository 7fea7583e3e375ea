//! Analytics' rules, free of storage and transport: exactly what each metric means.
pub mod backlog;
pub mod export;
pub mod forecast;
pub mod knowledge_metrics;
pub mod rollup;
pub mod scorecard;
pub mod series;
pub mod series_query;
pub mod ticket_metrics;
pub mod workforce_metrics;
