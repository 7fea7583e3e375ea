//! A client-streaming import runs for as long as its records keep arriving: the request
//! timeout that bounds every other call does not cut it off (it once ended a 30-second import
//! with CANCELLED "Timeout expired" after 17,400 of 18,000 records). A stream that goes quiet
//! for as long as a call may take is closed, and what it had not committed is not stored.
use std::time::Duration;

use frontline_proto::ticketing::v1 as pb;
use frontline_shared::{auth::Role, config::Settings};
use tonic::Code;

use crate::{on_both_backends, support::expect_error, tickets};

/// Calls are bounded at one second, so the test's streams outlast it.
fn one_second_calls(settings: &mut Settings) {
    settings.server.request_timeout = Duration::from_secs(1);
}

fn record(requester: &str, n: usize) -> pb::ImportTicketRecord {
    let ticket =
        pb::Ticket { external_id: format!("slow-{n}"), ..tickets::ticket(requester, &format!("Imported {n}")) };
    pb::ImportTicketRecord { ticket: Some(ticket), comments: Vec::new() }
}

on_both_backends! {
    with one_second_calls;
    async fn an_import_outlives_the_request_timeout_while_records_keep_coming(app) {
        let mut crm = app.ticketing(Role::CrmSync).await;
        let requester = tickets::requester(&mut crm).await;
        // Eight records 300 ms apart: 2.4 s in all, more than twice the call bound.
        let slow = {
            let requester = requester.clone();
            async_stream::stream! {
                for n in 0..8 {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    yield record(&requester, n);
                }
            }
        };
        let report = crm.import_tickets(slow).await.expect("the import is not cut off").into_inner();
        assert_eq!((report.imported, report.failed), (8, 0));

        // One record, then silence past the bound: the stream is closed and nothing stored.
        let stalled = {
            let requester = requester.clone();
            async_stream::stream! {
                yield record(&requester, 100);
                tokio::time::sleep(Duration::from_millis(2500)).await;
                yield record(&requester, 101);
            }
        };
        let closed = expect_error(crm.import_tickets(stalled).await);
        assert_eq!(closed.code(), Code::DeadlineExceeded, "{closed:?}");
        assert!(closed.message().contains("no message arrived"), "{closed:?}");
        let listed = crm.list_tickets(pb::ListTicketsRequest { filter: r#"external_id = "slow-100""#.into(), ..Default::default() }).await.unwrap().into_inner();
        assert!(listed.tickets.is_empty(), "nothing of the stalled stream was stored");
    }
}
