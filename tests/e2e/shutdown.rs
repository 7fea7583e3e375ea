//! Stopping under load: in-flight calls finish, and nothing a caller was told is saved is lost.
use std::time::Duration;

use frontline_proto::ticketing::v1 as pb;
use frontline_shared::auth::Role;

use crate::{on_both_backends, tickets};

on_both_backends! {
    async fn shutting_down_under_load_drops_no_acknowledged_write(app) {
        let mut client = app.ticketing(Role::Agent).await;
        let requester = tickets::requester(&mut client).await;
        let mut writers = Vec::new();
        for writer in 0..8 {
            let mut client = app.ticketing(Role::Agent).await;
            let requester = requester.clone();
            writers.push(tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                for n in 0.. {
                    let request = pb::CreateTicketRequest { ticket: Some(tickets::ticket(&requester, &format!("Load {writer}/{n}"))), request_id: String::new() };
                    match client.create_ticket(request).await {
                        Ok(response) => acknowledged.push(response.into_inner().id),
                        Err(_) => break, // the server has stopped taking calls
                    }
                }
                acknowledged
            }));
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
        app.restart().await; // graceful shutdown while the writers are mid-flight, then start again

        let mut acknowledged = Vec::new();
        for writer in writers {
            acknowledged.extend(writer.await.unwrap());
        }
        assert!(acknowledged.len() >= 8, "the load was real: {} writes acknowledged", acknowledged.len());
        let mut client = app.ticketing(Role::Agent).await;
        for id in &acknowledged {
            client.get_ticket(pb::GetTicketRequest { id: id.clone() }).await.unwrap_or_else(|e| panic!("acknowledged ticket {id} lost: {e}"));
        }
    }
}
