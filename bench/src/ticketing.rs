//! Ticketing scenarios, what agents and integrations do all day: create a ticket, read one,
//! list a team's open queue, add a reply, a mixed agent workload, and follow the change feed.
//!
//! The help desk has `TEAMS` teams and their agents; tickets are spread over the teams, and
//! each load worker acts as an agent of one team, so every read is of a ticket that agent may
//! see (others' tickets would be NOT_FOUND and measure nothing). History is seeded through
//! ImportTickets, the bulk path a migration from another help desk takes.
use std::{
    io::Write,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use frontline::demo::Bearer;
use frontline_proto::{
    common::v1 as feed,
    ticketing::v1::{self as pb, ticketing_service_client::TicketingServiceClient},
};
use frontline_shared::auth::Role;
use prost_types::{FieldMask, Timestamp};
use tokio::sync::Mutex;
use tonic::{service::interceptor::InterceptedService, transport::Channel};

use crate::{Suite, load};

pub type Client = TicketingServiceClient<InterceptedService<Channel, Bearer>>;

pub const TEAMS: usize = 20;
/// Customers who write in; tickets pick their requester among them.
const CUSTOMERS: usize = 500;
/// Records per ImportTickets stream: big enough that the stream's set-up is amortised.
const IMPORT_BATCH: usize = 1_000;

pub fn team(n: usize) -> String {
    format!("bench-team-{:02}", n % TEAMS + 1)
}

fn agent_of(team_index: usize) -> String {
    format!("bench-agent-{:02}", team_index % TEAMS + 1)
}

pub fn client(suite: &Suite, role: Role, subject: &str, team: Option<&str>) -> Client {
    let bearer = Bearer::from_header(&suite.bearer(role, subject, team)).expect("ASCII token");
    TicketingServiceClient::with_interceptor(suite.channel.clone(), bearer).max_decoding_message_size(64 << 20)
}

/// The client of worker `worker`: an agent of team `worker % TEAMS`.
fn agent(suite: &Suite, worker: usize) -> Client {
    client(suite, Role::Agent, &agent_of(worker), Some(&team(worker)))
}

/// What customers write, in the languages the demo desk serves: subject and first message.
const MESSAGES: &[(&str, &str, &str)] = &[
    (
        "en",
        "Refund not received for order",
        "Hello, I returned my order three weeks ago and the refund has still not arrived on my card. The tracking says the parcel was delivered to your warehouse on the 4th. Could you check what happened and tell me when I can expect the money back? Thanks, and sorry for the long message.",
    ),
    (
        "en",
        "Cannot log in after password reset",
        "After resetting my password this morning the app keeps saying my credentials are wrong. I tried the new password on the website and it works there, only the mobile app refuses it. I already reinstalled the app twice. My account email is the one I am writing from.",
    ),
    (
        "pl",
        "Faktura VAT z błędnym NIP",
        "Dzień dobry, na fakturze za ostatnie zamówienie jest błędny numer NIP naszej firmy. Proszę o wystawienie korekty z poprawnym numerem, który podaję poniżej. Potrzebujemy jej do końca miesiąca, żeby rozliczyć koszty. Z góry dziękuję za pomoc.",
    ),
    (
        "de",
        "Lieferung beschädigt angekommen",
        "Guten Tag, mein Paket kam heute mit einer eingedrückten Ecke an und das Gerät darin startet nicht mehr. Fotos von der Verpackung und dem Gerät hänge ich an. Bitte senden Sie mir ein Ersatzgerät oder erstatten Sie den Kaufpreis. Vielen Dank im Voraus.",
    ),
    (
        "ru",
        "Не приходит код подтверждения",
        "Здравствуйте! Пытаюсь подтвердить номер телефона, но SMS с кодом не приходит уже второй день. Номер указан верно, другие сообщения приходят. Подскажите, пожалуйста, что можно сделать или как подтвердить аккаунт другим способом.",
    ),
    (
        "zh",
        "订单一直显示待发货",
        "你好，我上周五下的订单到现在还显示待发货，页面上写的是两天内发货。请帮我查一下是什么原因，如果缺货的话能不能告诉我大概什么时候能发出，或者直接帮我取消订单退款。谢谢。",
    ),
    (
        "he",
        "החיוב בכרטיס האשראי כפול",
        "שלום, חויבתי פעמיים על אותה הזמנה בכרטיס האשראי שלי. אני מצרף צילום מסך של פירוט החיובים. אשמח אם תבטלו את החיוב הכפול בהקדם ותעדכנו אותי כשזה בוצע. תודה רבה.",
    ),
    (
        "es",
        "Cambio de dirección de envío",
        "Hola, acabo de hacer un pedido y me he dado cuenta de que la dirección de envío es la antigua. ¿Podéis cambiarla antes de que salga del almacén? La dirección correcta es la que aparece en mi perfil desde ayer. Muchas gracias por vuestra ayuda.",
    ),
];

const REPLIES: &[&str] = &[
    "Thanks for the details. I have checked the order and asked our warehouse to confirm; I will get back to you within one business day.",
    "Dziękujemy za zgłoszenie. Korekta faktury została przygotowana i wyślemy ją mailem jeszcze dziś.",
    "Vielen Dank für die Fotos. Ein Ersatzgerät ist unterwegs; den Rückversand des defekten Geräts übernehmen wir.",
    "Спасибо за обращение! Мы отправили код повторно через другого оператора, проверьте, пожалуйста, ещё раз.",
];

pub fn new_ticket(requesters: &[String], n: usize, team_index: usize) -> pb::Ticket {
    let (locale, subject, description) = MESSAGES[n % MESSAGES.len()];
    let priorities =
        [pb::Priority::Normal, pb::Priority::Normal, pb::Priority::Low, pb::Priority::High, pb::Priority::Urgent];
    let channels = [pb::Channel::Email, pb::Channel::Web, pb::Channel::Chat, pb::Channel::Email, pb::Channel::Phone];
    pb::Ticket {
        subject: subject.into(),
        description: description.into(),
        requester_id: requesters[n % requesters.len()].clone(),
        team_id: team(team_index),
        priority: priorities[n % priorities.len()] as i32,
        channel: channels[n / 3 % channels.len()] as i32,
        locale: locale.into(),
        tags: vec![["billing", "delivery", "account", "returns"][n % 4].into()],
        ..Default::default()
    }
}

/// Worker `worker`'s `n`th new ticket, for its own team (each worker's numbers are its own).
fn create_request(requesters: &[String], worker: usize, n: u64) -> pb::CreateTicketRequest {
    let ticket = new_ticket(requesters, worker * 1_000_003 + n as usize, worker);
    pb::CreateTicketRequest { ticket: Some(ticket), request_id: String::new() }
}

/// The desk's customers, upserted by external id (a rerun finds them).
pub async fn seed_customers(suite: &Suite) -> anyhow::Result<Vec<String>> {
    let mut admin = client(suite, Role::Administrator, "bench", None);
    let mut ids = Vec::with_capacity(CUSTOMERS);
    for n in 0..CUSTOMERS {
        let customer = pb::Customer {
            name: format!("Customer {n}"),
            emails: vec![format!("customer-{n}@example.com")],
            external_id: format!("bench-customer-{n}"),
            locale: MESSAGES[n % MESSAGES.len()].0.into(),
            ..Default::default()
        };
        let upserted =
            admin.upsert_customer(pb::UpsertCustomerRequest { customer: Some(customer) }).await?.into_inner();
        ids.push(upserted.customer.map(|c| c.id).unwrap_or_default());
    }
    Ok(ids)
}

/// Tickets of the seeded history, by team: `ids[t]` holds team t's ticket ids.
#[derive(Clone)]
pub struct History {
    pub ids: Vec<Vec<String>>,
    /// The ones still open or pending: solved past tickets close after four days, and a
    /// closed ticket takes no more replies.
    pub open_ids: Vec<Vec<String>>,
    pub total: usize,
}

impl Default for History {
    fn default() -> Self {
        Self::new()
    }
}

impl History {
    pub fn new() -> Self {
        Self { ids: vec![Vec::new(); TEAMS], open_ids: vec![Vec::new(); TEAMS], total: 0 }
    }

    /// A ticket of `worker`'s team, spread over its whole history.
    fn pick(&self, worker: usize, n: u64) -> &str {
        spread(&self.ids[worker % TEAMS], worker, n)
    }

    /// An open ticket of `worker`'s team.
    fn pick_open(&self, worker: usize, n: u64) -> &str {
        spread(&self.open_ids[worker % TEAMS], worker, n)
    }
}

fn spread(ids: &[String], worker: usize, n: u64) -> &str {
    &ids[(n as usize * 7919 + worker * 104_729) % ids.len()]
}

/// Past ticket `n`'s status: half solved, a quarter open, a quarter pending, in every team
/// (tickets go to team `n % TEAMS`, so the status turns with `n / TEAMS`).
fn past_status(n: usize) -> pb::TicketStatus {
    [pb::TicketStatus::Solved, pb::TicketStatus::Open, pb::TicketStatus::Solved, pb::TicketStatus::Pending]
        [n / TEAMS % 4]
}

impl History {
    fn add(&mut self, n: usize, id: String) {
        if past_status(n) != pb::TicketStatus::Solved {
            self.open_ids[n % TEAMS].push(id.clone());
        }
        self.ids[n % TEAMS].push(id);
    }
}

/// Past ticket `n`, imported with its first reply: open, pending or solved, created over the
/// 90 days before 2026-06-01.
fn past_ticket(requesters: &[String], n: usize) -> pb::ImportTicketRecord {
    const END: i64 = 1_780_272_000;
    let created = END - 90 * 86_400 + (n as i64 * 7_919) % (90 * 86_400);
    let stamp = |seconds: i64| Some(Timestamp { seconds, nanos: 0 });
    let status = past_status(n);
    let solved = matches!(status, pb::TicketStatus::Solved);
    let ticket = pb::Ticket {
        status: status as i32,
        assignee_id: agent_of(n),
        external_id: format!("bench-past-{n}"),
        created_at: stamp(created),
        updated_at: stamp(created + 3_600),
        solved_at: if solved { stamp(created + 7_200) } else { None },
        ..new_ticket(requesters, n, n)
    };
    let reply = pb::ImportedComment {
        author_id: agent_of(n),
        author_role: pb::AuthorRole::Agent as i32,
        public: true,
        body: REPLIES[n % REPLIES.len()].into(),
        channel: pb::Channel::Email as i32,
        created_at: stamp(created + 1_800),
        ..Default::default()
    };
    pb::ImportTicketRecord { ticket: Some(ticket), comments: vec![reply] }
}

/// Imports past tickets `from..to` (two streams at a time), adding their ids to `history`.
pub async fn import_history(
    suite: &Suite,
    requesters: &[String],
    history: &mut History,
    from: usize,
    to: usize,
) -> anyhow::Result<Duration> {
    let importer = client(suite, Role::Administrator, "bench", None);
    let started = Instant::now();
    let batches: Vec<(usize, usize)> =
        (from..to).step_by(IMPORT_BATCH).map(|start| (start, (start + IMPORT_BATCH).min(to))).collect();
    let done = Arc::new(AtomicU64::new(0));
    let results = Arc::new(Mutex::new(Vec::new()));
    let next = Arc::new(std::sync::Mutex::new(batches.into_iter()));
    let streams: Vec<_> = (0..2)
        .map(|_| {
            let (mut importer, next, done, results) = (importer.clone(), next.clone(), done.clone(), results.clone());
            let requesters = requesters.to_vec();
            tokio::spawn(async move {
                loop {
                    let Some((start, end)) = next.lock().expect("batch queue").next() else { return Ok(()) };
                    let records: Vec<_> = (start..end).map(|n| past_ticket(&requesters, n)).collect();
                    let response = importer.import_tickets(futures::stream::iter(records)).await?.into_inner();
                    if let Some(failed) = response.results.iter().find(|r| !r.error.is_empty()) {
                        anyhow::bail!("importing past ticket {} failed: {}", failed.external_id, failed.error);
                    }
                    let imported: Vec<(usize, String)> =
                        response.results.into_iter().map(|r| (start + r.index as usize, r.ticket_id)).collect();
                    results.lock().await.extend(imported);
                    let done = done.fetch_add((end - start) as u64, Ordering::Relaxed) + (end - start) as u64;
                    eprint!(
                        "\rseeding tickets: {}/{} imported ({:.0}/s)",
                        from as u64 + done,
                        to,
                        done as f64 / started.elapsed().as_secs_f64()
                    );
                    let _ = std::io::stderr().flush();
                }
            })
        })
        .collect();
    for stream in streams {
        stream.await??;
    }
    eprintln!();
    for (n, id) in results.lock().await.drain(..) {
        history.add(n, id);
    }
    history.total += to - from;
    Ok(started.elapsed())
}

/// Waits until ticket search finds past ticket `n` by its external id: the index follows the
/// feed in the background, and an import outruns it. Returns how long that took.
pub async fn searchable(suite: &Suite, n: usize) -> anyhow::Result<Duration> {
    let mut admin = client(suite, Role::Administrator, "bench", None);
    let started = Instant::now();
    let query = format!("bench-past-{n}");
    loop {
        let found = admin
            .search_tickets(pb::SearchTicketsRequest { query: query.clone(), page_size: 1, ..Default::default() })
            .await?
            .into_inner();
        if !found.tickets.is_empty() {
            return Ok(started.elapsed());
        }
        anyhow::ensure!(started.elapsed() < Duration::from_secs(1_800), "ticket search never found {query}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Seeds `tickets` past tickets on a fresh desk and returns the requesters and history.
pub async fn seed(suite: &Suite, tickets: usize) -> anyhow::Result<(Vec<String>, History)> {
    let requesters = seed_customers(suite).await?;
    let mut history = History::new();
    let took = import_history(suite, &requesters, &mut history, 0, tickets).await?;
    eprintln!("seeded {tickets} tickets in {:.1} s", took.as_secs_f64());
    Ok((requesters, history))
}

pub async fn create(
    suite: &Suite,
    requesters: &[String],
    concurrency: usize,
    duration: Duration,
    label: &str,
) -> load::Measurement {
    let agents: Vec<Client> = (0..concurrency).map(|worker| agent(suite, worker)).collect();
    let requesters = Arc::new(requesters.to_vec());
    load::run(&format!("create ticket{label}"), concurrency, duration, move |worker, n| {
        let mut desk = agents[worker].clone();
        let request = create_request(&requesters, worker, n);
        async move {
            desk.create_ticket(request).await?;
            Ok(())
        }
    })
    .await
}

pub async fn get(
    suite: &Suite,
    history: &Arc<History>,
    concurrency: usize,
    duration: Duration,
    label: &str,
) -> load::Measurement {
    let agents: Vec<Client> = (0..concurrency).map(|worker| agent(suite, worker)).collect();
    let history = history.clone();
    load::run(&format!("get ticket{label}"), concurrency, duration, move |worker, n| {
        let mut desk = agents[worker].clone();
        let id = history.pick(worker, n).to_string();
        async move {
            desk.get_ticket(pb::GetTicketRequest { id }).await?;
            Ok(())
        }
    })
    .await
}

/// The open queue of the agent's team, newest first: the list an agent's inbox shows.
pub fn queue_request(worker: usize) -> pb::ListTicketsRequest {
    pb::ListTicketsRequest {
        page_size: 25,
        filter: format!("status = OPEN AND team_id = \"{}\"", team(worker)),
        order_by: "created_at desc".into(),
        ..Default::default()
    }
}

pub async fn list(suite: &Suite, concurrency: usize, duration: Duration, label: &str) -> load::Measurement {
    let agents: Vec<Client> = (0..concurrency).map(|worker| agent(suite, worker)).collect();
    load::run(&format!("list team queue, filtered{label}"), concurrency, duration, move |worker, _| {
        let mut desk = agents[worker].clone();
        async move {
            desk.list_tickets(queue_request(worker)).await?;
            Ok(())
        }
    })
    .await
}

pub async fn search(suite: &Suite, concurrency: usize, duration: Duration, label: &str) -> load::Measurement {
    let agents: Vec<Client> = (0..concurrency).map(|worker| agent(suite, worker)).collect();
    let words = ["refund", "faktura", "Lieferung", "подтверждения", "password", "dirección"];
    load::run(&format!("search tickets{label}"), concurrency, duration, move |worker, n| {
        let mut desk = agents[worker].clone();
        let query = words[(worker + n as usize) % words.len()].to_string();
        async move {
            desk.search_tickets(pb::SearchTicketsRequest { query, page_size: 25, ..Default::default() }).await?;
            Ok(())
        }
    })
    .await
}

fn reply(ticket_id: String, n: u64) -> pb::AddCommentRequest {
    pb::AddCommentRequest {
        ticket_id,
        body: REPLIES[n as usize % REPLIES.len()].into(),
        public: !n.is_multiple_of(3), // a third are internal notes
        ..Default::default()
    }
}

pub async fn comment(
    suite: &Suite,
    history: &Arc<History>,
    concurrency: usize,
    duration: Duration,
) -> load::Measurement {
    let agents: Vec<Client> = (0..concurrency).map(|worker| agent(suite, worker)).collect();
    let history = history.clone();
    load::run("add comment", concurrency, duration, move |worker, n| {
        let mut desk = agents[worker].clone();
        let request = reply(history.pick_open(worker, n).to_string(), n);
        async move {
            desk.add_comment(request).await?;
            Ok(())
        }
    })
    .await
}

/// An agent's working mix, per 20 calls: 8 reads of a ticket, 4 looks at the queue, 3 replies,
/// 2 priority changes, 2 searches, 1 new ticket (a phone call taken down).
pub async fn mixed(
    suite: &Suite,
    requesters: &[String],
    history: &Arc<History>,
    concurrency: usize,
    duration: Duration,
) -> load::Measurement {
    let agents: Vec<Client> = (0..concurrency).map(|worker| agent(suite, worker)).collect();
    let history = history.clone();
    let requesters = Arc::new(requesters.to_vec());
    load::run("mixed agent workload", concurrency, duration, move |worker, n| {
        let mut desk = agents[worker].clone();
        let history = history.clone();
        let requesters = requesters.clone();
        async move {
            let id = history.pick(worker, n).to_string();
            let open = history.pick_open(worker, n).to_string();
            match n % 20 {
                0..=7 => drop(desk.get_ticket(pb::GetTicketRequest { id }).await?),
                8..=11 => drop(desk.list_tickets(queue_request(worker)).await?),
                12..=14 => drop(desk.add_comment(reply(open, n)).await?),
                15 | 16 => {
                    let priority = if n.is_multiple_of(2) { pb::Priority::High } else { pb::Priority::Normal };
                    let ticket = pb::Ticket { id: open, priority: priority as i32, ..Default::default() };
                    let update_mask = Some(FieldMask { paths: vec!["priority".into()] });
                    drop(desk.update_ticket(pb::UpdateTicketRequest { ticket: Some(ticket), update_mask }).await?)
                }
                17 | 18 => {
                    let query = ["refund", "password", "faktura"][n as usize % 3].to_string();
                    drop(
                        desk.search_tickets(pb::SearchTicketsRequest { query, page_size: 25, ..Default::default() })
                            .await?,
                    )
                }
                _ => drop(desk.create_ticket(create_request(&requesters, worker, n)).await?),
            }
            Ok(())
        }
    })
    .await
}

/// Following the feed, two figures. Catch-up: one follower pages through the whole feed with
/// ListEvents (5,000 per page), as a new integration or a rebuild does; each page is a call.
/// Live: `concurrency` writers create tickets while a WatchEvents stream is open, and each
/// creation's latency is measured from the call to the moment its event arrives on the stream.
pub async fn follow(
    suite: &Suite,
    requesters: &[String],
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<(load::Measurement, String)> {
    let reader = client(suite, Role::Service, "bench-follower", None);
    let started = Instant::now();
    let (mut after, mut events) = (0i64, 0u64);
    let mut pages = Vec::new();
    loop {
        let call = Instant::now();
        let page = reader
            .clone()
            .list_events(feed::ListEventsRequest { after_position: after, page_size: 5_000 })
            .await?
            .into_inner();
        pages.push(call.elapsed());
        if page.events.is_empty() {
            break;
        }
        events += page.events.len() as u64;
        after = page.next_after_position;
    }
    let catch_up = events as f64 / started.elapsed().as_secs_f64();
    pages.sort();
    let note = format!(
        "feed catch-up: {events} events in {} pages of up to 5,000, {catch_up:.0} events/s, page p50 {:.1} ms",
        pages.len(),
        pages[pages.len() / 2].as_secs_f64() * 1e3
    );

    // Live: the stream reports each ticket's arrival; writers wait for their own event.
    let arrivals: Arc<std::sync::Mutex<Arrivals>> = Arc::default();
    let mut stream =
        reader.clone().watch_events(feed::WatchEventsRequest { after_position: after }).await?.into_inner();
    let watcher = {
        let arrivals = arrivals.clone();
        tokio::spawn(async move {
            while let Ok(Some(batch)) = stream.message().await {
                let mut arrivals = arrivals.lock().expect("arrivals");
                for event in batch.events.iter().filter(|e| e.event_type == "ticket.created") {
                    arrivals.arrived(&event.aggregate_id);
                }
            }
        })
    };
    let agents: Vec<Client> = (0..concurrency).map(|worker| agent(suite, worker)).collect();
    let requesters = Arc::new(requesters.to_vec());
    let measurement =
        load::run("feed: create, then its event on WatchEvents", concurrency, duration, move |worker, n| {
            let mut desk = agents[worker].clone();
            let request = create_request(&requesters, worker, n);
            let arrivals = arrivals.clone();
            async move {
                let id = desk.create_ticket(request).await?.into_inner().id;
                let Some(on_arrival) = arrivals.lock().expect("arrivals").wait_for(&id) else { return Ok(()) };
                if tokio::time::timeout(Duration::from_secs(5), on_arrival).await.is_err() {
                    return Err(tonic::Status::deadline_exceeded("event not seen on the feed within 5 s"));
                }
                Ok(())
            }
        })
        .await;
    watcher.abort();
    Ok((measurement, note))
}

/// Tickets whose ticket.created event a writer waits for, and events that came first.
#[derive(Default)]
struct Arrivals {
    waiting: std::collections::HashMap<String, tokio::sync::oneshot::Sender<()>>,
    early: std::collections::HashSet<String>,
}

impl Arrivals {
    fn arrived(&mut self, ticket_id: &str) {
        match self.waiting.remove(ticket_id) {
            Some(waiter) => drop(waiter.send(())),
            None => drop(self.early.insert(ticket_id.to_string())),
        }
    }

    /// None when the event is already here.
    fn wait_for(&mut self, ticket_id: &str) -> Option<tokio::sync::oneshot::Receiver<()>> {
        if self.early.remove(ticket_id) {
            return None;
        }
        let (arrived, on_arrival) = tokio::sync::oneshot::channel();
        self.waiting.insert(ticket_id.to_string(), arrived);
        Some(on_arrival)
    }
}
