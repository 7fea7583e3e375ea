//! A call whose deadline passes stops its database work: the caller hears DEADLINE_EXCEEDED
//! (or CANCELLED) at its deadline, what the call was writing is not stored, and on PostgreSQL
//! no statement of it is left running — or waiting on a lock — on the server after the caller
//! gave up. The database work is made to block by holding the tickets table from a connection
//! of the test's own.
use std::time::{Duration, Instant};

use frontline_proto::ticketing::v1 as pb;
use frontline_shared::auth::Role;
use sqlx::{AnyConnection, Connection, Executor, Row};
use tonic::{Code, Request};

use crate::{
    on_both_backends,
    support::{TestApp, Ticketing},
    tickets,
};

const DEADLINE: Duration = Duration::from_millis(400);

/// A connection of the test's holding the write lock on ticketing's tickets: on SQLite the
/// database's one write lock (BEGIN IMMEDIATE), on PostgreSQL the table in EXCLUSIVE mode,
/// which lets reads through but makes every insert wait.
async fn hold_the_tickets_table(app: &TestApp) -> AnyConnection {
    sqlx::any::install_default_drivers();
    let settings = app.settings();
    let (url, lock) = if settings.uses_postgres() {
        (settings.database.url.clone(), "BEGIN; LOCK TABLE ticketing.tickets IN EXCLUSIVE MODE")
    } else {
        (format!("sqlite://{}", settings.data_dir.join("ticketing.db").display()), "BEGIN IMMEDIATE")
    };
    let mut connection = AnyConnection::connect(&url).await.expect("the test's own connection");
    connection.execute(lock).await.expect("the lock");
    connection
}

async fn subjects(client: &mut Ticketing) -> Vec<String> {
    let page = client.list_tickets(pb::ListTicketsRequest { page_size: 100, ..Default::default() }).await.unwrap();
    page.into_inner().tickets.into_iter().map(|t| t.subject).collect()
}

/// Statements of this Frontline's (not the test's) that PostgreSQL is running or holding on a lock.
async fn frontline_statements(observer: &mut AnyConnection) -> i64 {
    observer
        .fetch_one(
            "SELECT COUNT(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid() \
               AND state = 'active' AND query NOT ILIKE '%LOCK TABLE%'",
        )
        .await
        .expect("pg_stat_activity")
        .get(0)
}

on_both_backends! {
    async fn a_call_past_its_deadline_stops_its_database_work_and_stores_nothing(app) {
        let mut client = app.ticketing(Role::Agent).await;
        let requester = tickets::requester(&mut client).await;
        let mut lock = hold_the_tickets_table(&app).await;

        let mut request = Request::new(pb::CreateTicketRequest {
            ticket: Some(tickets::ticket(&requester, "Given up on")),
            request_id: String::new(),
        });
        request.set_timeout(DEADLINE);
        let started = Instant::now();
        let status = client.create_ticket(request).await.expect_err("the insert cannot finish in time");
        let took = started.elapsed();
        // SQLite may refuse at once instead (BUSY: upgrading to a write would deadlock): the
        // caller is told to retry and, as with a deadline, nothing is written.
        let refused = !app.settings().uses_postgres() && status.code() == Code::Unavailable;
        assert!(matches!(status.code(), Code::DeadlineExceeded | Code::Cancelled) || refused, "{status:?}");
        assert!(took < DEADLINE * 5, "answered {took:?} after a {DEADLINE:?} deadline");

        if app.settings().uses_postgres() {
            // While the lock is still held: PostgreSQL stopped the abandoned insert by itself.
            let mut observer = AnyConnection::connect(&app.settings().database.url).await.unwrap();
            let waited = Instant::now();
            while frontline_statements(&mut observer).await > 0 {
                assert!(waited.elapsed() < Duration::from_secs(5), "the abandoned insert still runs in PostgreSQL");
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            eprintln!("PostgreSQL ran the abandoned insert until {:?} after the call started", started.elapsed());
        }
        lock.execute("ROLLBACK").await.unwrap();
        drop(lock);

        // Service goes on; the abandoned ticket never appears, even once its insert could run.
        tickets::create(&mut client, tickets::ticket(&requester, "Answered in time")).await;
        tokio::time::sleep(DEADLINE).await;
        assert_eq!(subjects(&mut client).await, ["Answered in time"]);
    }
}
