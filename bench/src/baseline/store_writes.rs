//! The database limit through sqlx: what create-ticket commits — the ticket row and its tag,
//! its audit row and its feed event — in one transaction, written by
//! ticketing's own store functions through the same pools (one writer on SQLite), but with no
//! gRPC, no authentication, no validation and none of the reads the call makes (requester,
//! SLA policies, rules). The tables are ticketing's, migrated into a database of their own so
//! the suite's feed and followers never see these rows.
use std::{sync::Arc, time::Duration};

use frontline_proto::ticketing::v1 as pb;
use frontline_shared::{
    config::Settings,
    database::{Database, time},
    feed::{self, NewEvent},
};
use frontline_ticketing::{
    domain::{
        Customer,
        customer::CustomerFields,
        ticket::{Ticket, TicketFields},
    },
    store::{customers, tickets},
};
use prost::Message;

use crate::load;

/// The baseline's database (a PostgreSQL schema, or a SQLite file in the data directory).
pub const DATABASE: &str = "bench_baseline";
pub const REQUESTER: &str = "bench-baseline-requester";

/// One ticket's writes, prepared once: the same text every time, as pgbench's is.
pub struct CreateWrites {
    pub fields: TicketFields,
    pub audit: serde_json::Value,
    /// The TicketCreated payload create-ticket puts on the feed, encoded.
    pub payload: pb::TicketCreated,
}

impl CreateWrites {
    pub fn new(wire: pb::Ticket) -> Self {
        let fields = TicketFields {
            subject: wire.subject.clone(),
            description: wire.description.clone(),
            requester_id: REQUESTER.into(),
            team_id: wire.team_id.clone(),
            tags: wire.tags.clone(),
            locale: wire.locale.clone(),
            ..Default::default()
        };
        let audit = serde_json::json!({
            "subject": [null, fields.subject],
            "status": [null, "new"],
            "priority": [null, 2],
            "requester_id": [null, REQUESTER],
            "assignee_id": [null, ""],
            "team_id": [null, fields.team_id],
            "tags": [null, fields.tags],
        });
        let payload = pb::TicketCreated { ticket: Some(wire), by_agent: true };
        Self { fields, audit, payload }
    }

    pub fn payload_bytes(&self) -> Vec<u8> {
        self.payload.encode_to_vec()
    }
}

/// Opens (and migrates) the baseline database with the suite's settings and adds the requester.
pub async fn prepare(settings: &Settings) -> anyhow::Result<Database> {
    let db = Database::connect(settings, DATABASE).await?;
    db.migrate(&frontline_ticketing::MIGRATIONS).await?;
    let mut connection = db.writer().acquire().await?;
    let exists: Option<String> = sqlx::query_scalar("SELECT id FROM customers WHERE id = $1")
        .bind(REQUESTER)
        .fetch_optional(&mut *connection)
        .await?;
    if exists.is_none() {
        let fields = CustomerFields { name: "Baseline requester".into(), ..Default::default() };
        let customer = Customer::create(REQUESTER.into(), fields, time::now_micros())?;
        customers::insert(&mut connection, &customer).await?;
    }
    Ok(db)
}

async fn write_once(db: &Database, writes: &CreateWrites) -> Result<(), sqlx::Error> {
    let now = time::now_micros();
    let mut ticket = Ticket::create(writes.fields.clone(), now).expect("the baseline ticket is valid");
    let mut transaction = db.begin().await?;
    ticket.id = tickets::insert(&mut transaction, &ticket).await?;
    tickets::insert_audit(&mut transaction, ticket.id, "bench-agent", "created", &writes.audit, now).await?;
    let id = ticket.id.to_string();
    let event = NewEvent {
        event_type: "ticket.created",
        aggregate_type: "ticket",
        aggregate_id: &id,
        actor: "bench-agent",
        payload: &writes.payload,
    };
    feed::append(&mut transaction, event).await?;
    transaction.commit().await
}

pub async fn run(db: Database, writes: Arc<CreateWrites>, concurrency: usize, duration: Duration) -> load::Measurement {
    load::run("database limit: create's writes via sqlx", concurrency, duration, move |_, _| {
        let (db, writes) = (db.clone(), writes.clone());
        async move { write_once(&db, &writes).await.map_err(|error| tonic::Status::internal(error.to_string())) }
    })
    .await
}
