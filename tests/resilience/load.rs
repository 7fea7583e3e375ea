//! Write load as a help desk makes it: agents opening tickets and replying on them, each
//! writer keeping a record of every call — when it started and ended, and what it got — so a
//! test can hold the server to every write it acknowledged.
use std::time::{Duration, Instant};

use frontline_proto::ticketing::v1 as pb;
use frontline_shared::auth::Role;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::Status;

use crate::support::{Install, Ticketing};

/// One call a writer made.
#[derive(Debug)]
pub struct Call {
    pub started: Instant,
    pub ended: Instant,
    pub outcome: Result<(), Status>,
}

/// What the writers were told was saved, and every call they made.
#[derive(Debug, Default)]
pub struct Record {
    pub tickets: Vec<String>,
    /// (ticket id, comment id)
    pub comments: Vec<(String, String)>,
    pub calls: Vec<Call>,
}

impl Record {
    pub fn merge(&mut self, other: Record) {
        self.tickets.extend(other.tickets);
        self.comments.extend(other.comments);
        self.calls.extend(other.calls);
    }

    pub fn failures(&self) -> impl Iterator<Item = &Call> {
        self.calls.iter().filter(|call| call.outcome.is_err())
    }
}

/// A customer to open tickets for.
pub async fn requester(client: &mut Ticketing) -> String {
    let customer = pb::Customer {
        name: "Zofia Nowak".into(),
        emails: vec!["zofia.nowak@example.pl".into()],
        ..Default::default()
    };
    client
        .create_customer(pb::CreateCustomerRequest {
            customer: Some(customer),
            request_id: "resilience-requester".into(),
        })
        .await
        .expect("requester created")
        .into_inner()
        .id
}

/// Writers running against one process until stopped.
pub struct Load {
    stop: CancellationToken,
    writers: Vec<JoinHandle<Record>>,
}

impl Load {
    /// `count` writers, each on its own connection: create a ticket, reply on it, again.
    pub fn start(install: &mut Install, requester: &str, count: usize) -> Self {
        let stop = CancellationToken::new();
        let writers = (0..count)
            .map(|writer| {
                let client = install.ticketing(Role::Agent);
                tokio::spawn(write(client, requester.to_string(), writer, stop.clone()))
            })
            .collect();
        Self { stop, writers }
    }

    /// Stops the writers after their current call and gathers what they recorded.
    pub async fn stop(self) -> Record {
        self.stop.cancel();
        let mut record = Record::default();
        for writer in self.writers {
            record.merge(writer.await.expect("writer finished"));
        }
        record
    }
}

async fn write(mut client: Ticketing, requester: String, writer: usize, stop: CancellationToken) -> Record {
    let mut record = Record::default();
    let mut ticket_id = None;
    for n in 0.. {
        if stop.is_cancelled() {
            break;
        }
        let started = Instant::now();
        let outcome = match ticket_id.clone() {
            None => {
                let ticket = pb::Ticket {
                    subject: format!("Przesyłka {writer}/{n} nie dotarła"),
                    requester_id: requester.clone(),
                    ..Default::default()
                };
                let request = pb::CreateTicketRequest { ticket: Some(ticket), request_id: String::new() };
                client.create_ticket(request).await.map(|created| {
                    let id = created.into_inner().id;
                    record.tickets.push(id.clone());
                    ticket_id = Some(id);
                })
            }
            Some(id) => {
                let request = pb::AddCommentRequest {
                    ticket_id: id.clone(),
                    body: format!("Sprawdzamy przesyłkę ({writer}/{n})."),
                    public: true,
                    ..Default::default()
                };
                client.add_comment(request).await.map(|added| {
                    let comment = added.into_inner().comment.expect("the comment");
                    record.comments.push((id, comment.id));
                    // Every other ticket gets a second reply, so replies per ticket vary.
                    if n % 4 != 1 {
                        ticket_id = None;
                    }
                })
            }
        };
        let failed = outcome.is_err();
        record.calls.push(Call { started, ended: Instant::now(), outcome });
        if failed {
            // The server is gone or going: do not spin on a refused connection.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    record
}
