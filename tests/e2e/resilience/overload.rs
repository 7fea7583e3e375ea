//! Overload: past `server.concurrency_limit` calls are shed at once with RESOURCE_EXHAUSTED
//! telling the caller to back off, rather than queueing without bound — so the calls that are
//! admitted stay about as fast as on an idle server, and memory stays flat however many calls
//! arrive. The limit is one for the whole process: calls over TCP and the in-process calls
//! services make to each other count against the same permits. Latency is only ever compared
//! with a baseline measured in the same test, never with an absolute time, and with a margin a
//! busy 2-core machine stays inside.
use std::time::{Duration, Instant};

use frontline::ServiceKind;
use frontline_proto::ticketing::v1::{self as pb, RoutingStrategy};
use frontline_shared::auth::Role;
use tonic::Code;

use crate::{
    support::{Backend, TestApp, Ticketing, without_suggestions},
    tickets,
};

/// The sustainable load in these tests: calls in flight at once. One, because the callers share
/// the test machine's two cores with the server: two calls at once would already slow each
/// other down, limit or not.
const LIMIT: usize = 1;

/// Ticketing alone, without background calls to knowledge that would take permits of their own.
async fn ticketing_limited_to(limit: usize) -> TestApp {
    TestApp::spawn_services(Backend::Sqlite, &[ServiceKind::Ticketing], |settings| {
        settings.server.concurrency_limit = limit;
        without_suggestions(settings);
    })
    .await
}

/// A read that does real work: a page of tickets, filtered and sorted in the database.
async fn list(client: &mut Ticketing) -> Result<Duration, tonic::Status> {
    let started = Instant::now();
    let request = pb::ListTicketsRequest { filter: "status = \"NEW\"".into(), page_size: 20, ..Default::default() };
    client.list_tickets(request).await.map(|_| started.elapsed())
}

fn percentile(latencies: &mut [Duration], fraction: f64) -> Duration {
    latencies.sort();
    latencies[((latencies.len() - 1) as f64 * fraction).round() as usize]
}

/// Twice as many callers as the limit admits, each calling `calls` times, again as soon as it is
/// answered (after the short pause a caller told to back off would take): the latencies of the
/// admitted calls, and of the shed ones.
async fn overload(client: &Ticketing, calls: usize) -> (Vec<Duration>, Vec<Duration>) {
    let mut callers = Vec::new();
    for _ in 0..2 * LIMIT {
        let mut client = client.clone();
        callers.push(tokio::spawn(async move {
            let (mut admitted, mut shed) = (Vec::new(), Vec::new());
            for _ in 0..calls {
                let started = Instant::now();
                match list(&mut client).await {
                    Ok(took) => admitted.push(took),
                    Err(status) => {
                        shed.push(started.elapsed());
                        assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
                        assert!(status.message().contains("retry with backoff"), "{}", status.message());
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                }
            }
            (admitted, shed)
        }));
    }
    let (mut admitted, mut shed) = (Vec::new(), Vec::new());
    for caller in callers {
        let (a, s) = caller.await.unwrap();
        admitted.extend(a);
        shed.extend(s);
    }
    (admitted, shed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twice_the_sustainable_load_is_shed_at_once_and_admitted_calls_stay_fast() {
    let app = ticketing_limited_to(LIMIT).await;
    let mut client = app.ticketing(Role::Agent).await;
    let requester = tickets::requester(&mut client).await;
    for n in 0..40 {
        tickets::create(&mut client, tickets::ticket(&requester, &format!("Zamówienie {n}"))).await;
    }
    for _ in 0..20 {
        list(&mut client).await.expect("warm-up call"); // connections, statement caches
    }

    // Alternating rounds of a lone caller and of the overload, so both see the same ambient
    // load of a shared machine (other tests, other builds).
    let (mut solo, mut admitted, mut shed) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..4 {
        for _ in 0..30 {
            solo.push(list(&mut client).await.expect("a lone call is admitted"));
        }
        let (a, s) = overload(&client, 30).await;
        admitted.extend(a);
        shed.extend(s);
    }

    let (solo_p50, solo_p99) = (percentile(&mut solo, 0.5), percentile(&mut solo, 0.99));
    let (p50, p99) = (percentile(&mut admitted, 0.5), percentile(&mut admitted, 0.99));
    let shed_p50 = percentile(&mut shed, 0.5);
    eprintln!(
        "solo p50 {solo_p50:?} p99 {solo_p99:?}; at 2x load: {} admitted p50 {p50:?} p99 {p99:?}, {} shed p50 {shed_p50:?}",
        admitted.len(),
        shed.len()
    );
    let calls = shed.len() + admitted.len();
    assert!(shed.len() >= calls / 10, "only {} of {calls} calls were shed", shed.len());
    assert!(admitted.len() >= calls / 5, "only {} of {calls} calls were admitted", admitted.len());
    // Shed calls do no work: answered faster than the calls that ran.
    assert!(shed_p50 < p50, "shedding took {shed_p50:?}, an admitted call {p50:?}");
    // About 2x the unloaded latency at most; queueing behind the excess callers would add
    // their work on top. The margin is for a noisy shared machine.
    assert!(p50 <= solo_p50 * 3, "admitted p50 {p50:?} against {solo_p50:?} alone");
    assert!(p99 <= solo_p99 * 4 + solo_p50 * 4, "admitted p99 {p99:?} against {solo_p99:?} alone");
    app.stop().await;
}

/// The resident set size of this process (the test and the server it runs), from the kernel.
fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status.lines().find(|line| line.starts_with("VmRSS:")).expect("a VmRSS line");
    let kib: u64 = line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("VmRSS in kB");
    kib * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_calls_does_not_grow_memory() {
    const BURST: usize = 1000;
    const ROUNDS: usize = 4;
    let app = ticketing_limited_to(LIMIT).await;
    let client = app.ticketing(Role::Agent).await;
    // Calls all at once, spread over several connections: most must be shed, none may pile up.
    let mut channels = Vec::new();
    for _ in 0..4 {
        channels.push(app.ticketing(Role::Agent).await);
    }
    let burst = |channels: Vec<Ticketing>| async move {
        let calls: Vec<_> = (0..BURST)
            .map(|n| {
                let mut client = channels[n % channels.len()].clone();
                tokio::spawn(async move { list(&mut client).await.map_err(|status| status.code()) })
            })
            .collect();
        let mut shed = 0;
        for call in calls {
            match call.await.unwrap() {
                Ok(_) => {}
                Err(Code::ResourceExhausted) => shed += 1,
                Err(code) => panic!("a call failed with {code:?}"),
            }
        }
        shed
    };
    let _ = list(&mut client.clone()).await;
    for _ in 0..2 {
        burst(channels.clone()).await; // allocator pools, h2 buffers and caches reach their size
    }
    let before = resident_bytes();
    let mut shed = 0;
    for _ in 0..ROUNDS {
        shed += burst(channels.clone()).await;
    }
    let after = resident_bytes();
    let grown = after.saturating_sub(before);
    eprintln!(
        "{} calls ({shed} shed): resident {} MiB before, {} MiB after",
        ROUNDS * BURST,
        before >> 20,
        after >> 20
    );
    assert!(shed > BURST, "a flood at {LIMIT} permits must be mostly shed; {shed} were");
    // Thousands of calls kept anywhere would take tens of MiB; a bounded server stays within a few.
    assert!(grown < 24 << 20, "resident memory grew by {} MiB over {} calls", grown >> 20, ROUNDS * BURST);
    app.stop().await;
}

/// With one permit, a ticket's creation holds it while ticketing asks workforce (in this
/// process) who is on shift: that in-process call is shed like any other, and the ticket is
/// created anyway, waiting in the team queue with the reason on record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_process_calls_count_against_the_same_limit_as_calls_over_tcp() {
    let app = TestApp::spawn_services(Backend::Sqlite, &[ServiceKind::Ticketing, ServiceKind::Workforce], |settings| {
        settings.server.concurrency_limit = 1;
        without_suggestions(settings);
    })
    .await;
    let mut admin = app.ticketing(Role::Administrator).await;
    admin
        .set_team_routing(pb::SetTeamRoutingRequest {
            routing: Some(pb::TeamRouting {
                team_id: "tier1".into(),
                strategy: RoutingStrategy::RoundRobin as i32,
                ..Default::default()
            }),
        })
        .await
        .expect("routing set");
    let requester = tickets::requester(&mut admin).await;
    let ticket =
        tickets::create(&mut admin, pb::Ticket { team_id: "tier1".into(), ..tickets::ticket(&requester, "Faktura") })
            .await;
    assert_eq!((ticket.assignee_id.as_str(), ticket.team_id.as_str()), ("", "tier1"));
    let reason = crate::routing::routed(&admin, &ticket.id).await.fallback_reason;
    assert!(reason.contains("ResourceExhausted") && reason.contains("server.concurrency_limit"), "{reason}");
    app.stop().await;
}
