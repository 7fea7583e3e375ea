//! The database limit on PostgreSQL: `pgbench` running create-ticket's writes — the ticket row
//! and its tag, its audit row and its feed event, the SQL ticketing's store
//! sends, with the same text and payload — in one transaction, with as many clients as
//! the load generator has callers. Latencies come from pgbench's per-transaction log, so the
//! limit has percentiles as every other figure does.
use std::{fmt::Write as _, path::Path, process::Command, time::Duration};

use hdrhistogram::Histogram;

use super::store_writes::{CreateWrites, DATABASE, REQUESTER};
use crate::load::Measurement;

/// Single quotes doubled: a SQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The pgbench script: `:id` is the new ticket's number (\gset), `:now` the creation time.
pub fn script(writes: &CreateWrites) -> String {
    let fields = &writes.fields;
    let tags = serde_json::to_string(&fields.tags).expect("tags serialise");
    let mut sql = String::from("\\set now 1780272000000000 + :client_id * 1000000000 + random(0, 999999999)\nBEGIN;\n");
    let _ = writeln!(
        sql,
        "INSERT INTO tickets (subject, description, requester_id, organization_id, channel, type, order_reference, \
         priority, status, assignee_id, team_id, tags, due_at, external_id, locale, created_at, updated_at, \
         first_reply_at, solved_at, closed_at, revision, custom_fields, problem_id, merged_into_id, \
         last_requester_reply_at, last_agent_reply_at, solve_count, satisfaction_rating, satisfaction_comment, \
         satisfaction_rated_at, escalation_tier) VALUES ({}, {}, {}, '', 1, 0, '', 2, 1, '', {}, {}, NULL, NULL, {}, \
         :now, :now, NULL, NULL, NULL, 1, '[]', NULL, NULL, NULL, NULL, 0, 0, '', NULL, 1) RETURNING id \\gset",
        literal(&fields.subject),
        literal(&fields.description),
        literal(REQUESTER),
        literal(&fields.team_id),
        literal(&tags),
        literal(&fields.locale),
    );
    for tag in &fields.tags {
        let _ = writeln!(sql, "INSERT INTO ticket_tags (tag, ticket_id) VALUES ({}, :id);", literal(tag));
    }
    let _ = writeln!(
        sql,
        "INSERT INTO ticket_audits (ticket_id, actor, action, changes, created_at) VALUES (:id, 'bench-agent', 'created', {}, :now);",
        literal(&writes.audit.to_string())
    );
    let payload: String = writes.payload_bytes().iter().map(|byte| format!("{byte:02x}")).collect();
    let _ = writeln!(
        sql,
        "INSERT INTO feed_events (event_id, event_type, aggregate_type, aggregate_id, actor, occurred_at, payload_type, \
         payload, traceparent) VALUES (gen_random_uuid()::text, 'ticket.created', 'ticket', :id, 'bench-agent', :now, \
         'type.googleapis.com/frontline.ticketing.v1.TicketCreated', '\\x{payload}'::bytea, '');"
    );
    sql.push_str("COMMIT;\n");
    sql
}

/// Runs pgbench for `duration` at `clients` connections against the baseline schema.
pub fn run(url: &str, writes: &CreateWrites, clients: usize, duration: Duration) -> anyhow::Result<Measurement> {
    let dir = tempfile::tempdir()?;
    let script_path = dir.path().join("create_ticket.sql");
    std::fs::write(&script_path, script(writes))?;
    let output = Command::new("pgbench")
        .current_dir(dir.path())
        .env("PGOPTIONS", format!("-c search_path={DATABASE}"))
        .args(["--no-vacuum", "--protocol=prepared", "--log", "--log-prefix=tx"])
        .arg(format!("--client={clients}"))
        .arg(format!("--jobs={}", clients.min(2)))
        .arg(format!("--time={}", duration.as_secs().max(1)))
        .arg(format!("--file={}", script_path.display()))
        .arg(url)
        .output()
        .map_err(|error| anyhow::anyhow!("running pgbench ({error}); install PostgreSQL's client tools (Debian: postgresql-contrib or postgresql-client)"))?;
    anyhow::ensure!(
        output.status.success(),
        "pgbench failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let (latency, requests) = transaction_log(dir.path())?;
    let failed = String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("number of failed transactions: "))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    Ok(Measurement {
        name: "database limit: create's writes, pgbench".into(),
        concurrency: clients,
        requests,
        errors: failed,
        elapsed: Duration::from_secs(duration.as_secs().max(1)),
        latency,
        first_error: None,
    })
}

/// Reads pgbench's per-transaction logs (`client transaction latency_us script epoch us`).
fn transaction_log(dir: &Path) -> anyhow::Result<(Histogram<u64>, u64)> {
    let mut latency = Histogram::<u64>::new_with_bounds(1_000, 60_000_000_000, 3)?;
    let mut transactions = 0;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if !path.file_name().is_some_and(|name| name.to_string_lossy().starts_with("tx.")) {
            continue;
        }
        for line in std::fs::read_to_string(&path)?.lines() {
            let Some(micros) = line.split_whitespace().nth(2).and_then(|field| field.parse::<u64>().ok()) else {
                continue;
            };
            latency.record((micros * 1_000).clamp(1_000, 60_000_000_000))?;
            transactions += 1;
        }
    }
    anyhow::ensure!(transactions > 0, "pgbench logged no transactions in {}", dir.display());
    Ok((latency, transactions))
}
