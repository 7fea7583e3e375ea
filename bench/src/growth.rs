//! Growth: how the cost of a call grows with the data. One desk is grown to each size in turn
//! — tickets through ImportTickets and articles through ImportArticles, the bulk paths a
//! migration takes — and at each size create, get, the filtered queue, ticket search and
//! knowledge search run for the same time at the same concurrency, once analytics has ingested
//! what was imported. Where an index serves the
//! call its latency should stay flat; where it grows, the table shows by how much.
use std::{sync::Arc, time::Duration};

use frontline_shared::{auth::Role, config::Settings};

use crate::{Suite, knowledge, load::Measurement, ticketing};

pub struct Level {
    pub size: usize,
    pub measurements: Vec<Measurement>,
    pub seeding: String,
}

pub async fn run(
    suite: &Suite,
    settings: &Settings,
    sizes: &[usize],
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<Vec<Level>> {
    let requesters = ticketing::seed_customers(suite).await?;
    knowledge::collections(suite).await?;
    let queries = knowledge::queries()?;
    let mut history = ticketing::History::new();
    let mut levels = Vec::new();
    let mut seeded = 0;
    for &size in sizes {
        let tickets_took = ticketing::import_history(suite, &requesters, &mut history, seeded, size).await?;
        let articles_took = knowledge::import(suite, seeded, size).await?;
        // The ticket index follows the feed in the background; measured while it still indexed
        // the import, every figure would share the cores with it.
        let indexing_took = ticketing::searchable(suite, size - 1).await?;
        // Analytics ingests the imported history from the feed; measured while it still did,
        // every figure would carry its backlog (and the larger the step, the more of it).
        let settling = std::time::Instant::now();
        crate::analytics::quiet(suite, settings).await?;
        let settled_took = settling.elapsed();
        let seeding = format!(
            "{size}: {} tickets imported in {:.0} s ({:.0}/s), {} articles in {:.0} s ({:.0}/s), \
             the ticket index caught up {:.0} s later, analytics caught up and rolled up {:.0} s after that",
            size - seeded,
            tickets_took.as_secs_f64(),
            (size - seeded) as f64 / tickets_took.as_secs_f64(),
            size - seeded,
            articles_took.as_secs_f64(),
            (size - seeded) as f64 / articles_took.as_secs_f64(),
            indexing_took.as_secs_f64(),
            settled_took.as_secs_f64(),
        );
        eprintln!("growth: {seeding}");
        seeded = size;
        crate::analyze(suite).await?;
        let snapshot = Arc::new(history.clone());
        let label = format!(" at {size}");
        let measurements = vec![
            ticketing::get(suite, &snapshot, concurrency, duration, &label).await,
            ticketing::list(suite, concurrency, duration, &label).await,
            ticketing::search(suite, concurrency, duration, &label).await,
            knowledge::search(
                suite,
                &format!("search articles{label}"),
                Role::Agent,
                Some("bench-team-02"),
                &queries,
                concurrency,
                duration,
            )
            .await,
            ticketing::create(suite, &requesters, concurrency, duration, &label).await,
        ];
        levels.push(Level { size, measurements, seeding });
    }
    Ok(levels)
}

/// The growth table: one row per call, p50 / p99 ms and req/s at each size.
pub fn table(levels: &[Level]) -> String {
    let mut out = String::from("growth (p50 ms / p99 ms / req/s at each size)\n");
    out.push_str(&format!("{:<28}", "call"));
    for level in levels {
        out.push_str(&format!(" {:>26}", level.size));
    }
    out.push('\n');
    let Some(first) = levels.first() else { return out };
    for (row, measurement) in first.measurements.iter().enumerate() {
        let call = measurement.name.split(" at ").next().unwrap_or(&measurement.name);
        out.push_str(&format!("{call:<28}"));
        for level in levels {
            let m = &level.measurements[row];
            out.push_str(&format!(
                " {:>26}",
                format!("{:.2} / {:.2} / {:.0}", m.millis_at(0.5), m.millis_at(0.99), m.per_second())
            ));
        }
        out.push('\n');
    }
    for level in levels {
        out.push_str(&format!("seeded {}\n", level.seeding));
    }
    out
}
