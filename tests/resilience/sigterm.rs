//! Graceful shutdown of the real process on a real SIGTERM, under load. What a caller sees:
//! readiness turns NOT_SERVING at once while calls are still served for the drain delay (load
//! balancers notice); then a new call fails at once with UNAVAILABLE instead of hanging, while
//! calls already running finish; then the listener closes; the process exits 0 within the
//! shutdown timeout; and nothing acknowledged is lost.
use std::time::{Duration, Instant};

use frontline_proto::ticketing::v1 as pb;
use frontline_shared::auth::Role;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Code;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

use crate::{
    checks, in_a_process_on_both_backends,
    load::{self, Load},
    support::{Install, eventually, intensity},
};

const DRAIN_DELAY: Duration = Duration::from_secs(1);
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the import keeps sending after the drain delay: the window in which new calls
/// must be refused while an old one is still being served.
const DRAINING_WINDOW: Duration = Duration::from_millis(1500);

fn import_record(requester: &str, n: usize) -> pb::ImportTicketRecord {
    let ticket = pb::Ticket {
        subject: format!("Zgłoszenie z Zendeska {n}"),
        requester_id: requester.into(),
        external_id: format!("zd-{n}"),
        ..Default::default()
    };
    pb::ImportTicketRecord { ticket: Some(ticket), comments: vec![] }
}

/// Whether the server never saw the call, so a retry is safe, though tonic's client does not say
/// UNAVAILABLE as gRPC's own clients do. Two ways, both only once the last running call has
/// finished and the connections close, which the test checks:
/// - a call put on a connection the server has just sent GOAWAY on (with another call still
///   open on it) fails in the client with CANCELLED, "connection closed" (hyper's canceled
///   request);
/// - a call whose stream the client opened as the GOAWAY crossed it on the wire is reset by
///   that GOAWAY — above its last stream id, so unread by the server — and tonic maps h2's
///   NO_ERROR to INTERNAL.
fn never_sent(status: &tonic::Status) -> bool {
    let mut source = std::error::Error::source(status);
    while let Some(error) = source {
        if error.downcast_ref::<hyper::Error>().is_some_and(hyper::Error::is_canceled)
            || error.downcast_ref::<h2::Error>().is_some_and(|h2| h2.is_go_away() && h2.is_remote())
        {
            return true;
        }
        source = error.source();
    }
    false
}

in_a_process_on_both_backends! {
    async fn sigterm_under_load_finishes_calls_in_flight_refuses_new_ones_and_exits_cleanly(backend) {
        let began = Instant::now();
        let mut install = Install::new(backend, &[
            ("FRONTLINE__SERVER__SHUTDOWN_DRAIN_DELAY", "1s"),
            ("FRONTLINE__SERVER__SHUTDOWN_TIMEOUT", "10s"),
        ]).await;
        install.start();
        let requester = load::requester(&mut install.ticketing(Role::Agent)).await;

        // A migration import opened before the signal, its records trickling in until well
        // after new calls are being refused: a call in flight the whole way through.
        let (records, stream) = tokio::sync::mpsc::channel(16);
        let mut crm = install.ticketing(Role::CrmSync);
        let import = tokio::spawn(async move { crm.import_tickets(ReceiverStream::new(stream)).await });
        records.send(import_record(&requester, 0)).await.unwrap();
        let writers = Load::start(&mut install, &requester, intensity().writers);
        let mut health = HealthClient::new(install.authed(Role::Service, "probe"));
        tokio::time::sleep(intensity().load).await;

        let sigterm = Instant::now();
        install.terminate();
        let readiness = || HealthCheckRequest { service: pb::ticketing_service_server::SERVICE_NAME.into() };
        eventually(DRAIN_DELAY, || {
            let mut health = health.clone();
            async move {
                let status = health.check(readiness()).await.ok()?.into_inner().status;
                (status == ServingStatus::NotServing as i32).then_some(())
            }
        }).await;
        let mut sent = 1;
        while sigterm.elapsed() < DRAIN_DELAY + DRAINING_WINDOW {
            tokio::time::sleep(Duration::from_millis(100)).await;
            records.send(import_record(&requester, sent)).await.expect("the import is still being read");
            sent += 1;
        }
        drop(records); // the import ends here
        let import_ended = Instant::now();
        let imported = import.await.unwrap().expect("the import in flight at SIGTERM finishes with OK").into_inner();
        assert_eq!((imported.imported, imported.failed), (sent as i32, 0));

        let status = install.exited_within(DRAIN_DELAY + SHUTDOWN_TIMEOUT).await.expect("exits within the shutdown timeout");
        let exited = Instant::now();
        assert!(status.success(), "exit status {status}");
        let record = writers.stop().await;
        let late = health.check(readiness()).await.expect_err("nothing listens after exit");
        assert_eq!(late.code(), Code::Unavailable);

        assert!(record.tickets.len() >= intensity().writers, "the load was real: {} tickets acknowledged", record.tickets.len());
        for call in record.calls.iter().filter(|call| call.started < sigterm) {
            assert!(call.outcome.is_ok(), "a call started before SIGTERM must finish: {call:?}");
        }
        let refused: Vec<_> = record.failures().collect();
        let refused_while_draining = |call: &&load::Call| {
            call.ended < import_ended && call.outcome.as_ref().is_err_and(|status| status.code() == Code::Unavailable)
        };
        assert!(refused.iter().any(refused_while_draining), "new calls were refused while the import was still being served");
        let mut cut_at_close = 0;
        for call in &refused {
            let status = call.outcome.as_ref().unwrap_err();
            assert!(call.ended - call.started < Duration::from_secs(1), "refused at once, not hung: {call:?}");
            if status.code() == Code::Unavailable {
                continue;
            }
            // See never_sent: only once the last call has finished and connections close.
            assert!(never_sent(status) && call.ended > import_ended, "refused with UNAVAILABLE, not failed otherwise: {call:?}");
            cut_at_close += 1;
        }
        eprintln!(
            "SIGTERM → exit in {:?}; {} calls OK, {} refused with UNAVAILABLE, {cut_at_close} never sent as connections closed; {sent} records imported across the stop",
            exited - sigterm, record.calls.len() - refused.len(), refused.len() - cut_at_close
        );

        install.start();
        checks::acknowledged_writes_are_kept(&mut install, &record).await;
        let mut crm = install.ticketing(Role::CrmSync);
        for result in &imported.results {
            crm.get_ticket(pb::GetTicketRequest { id: result.ticket_id.clone() }).await.expect("imported ticket kept");
        }
        checks::feed_is_whole(&mut install, &record).await;
        eprintln!("took {:?}", began.elapsed());
    }
}
