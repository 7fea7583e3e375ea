//! `frontline demo`: a small, realistic help desk loaded through the public API, so a newcomer
//! sees the suite working within a minute. Safe to run again: customers are upserted by their
//! CRM ids, tickets are created with request ids, and lifecycle steps only run on new tickets.
use std::io::Write;

use anyhow::Context;
use frontline_proto::ticketing::v1::{
    self as pb, Channel as Ch, CustomerTier as Tier, Priority as P, TicketStatus as S, TicketType as T,
    ticketing_service_client::TicketingServiceClient,
};
use prost_types::FieldMask;
use tonic::{Request, metadata::MetadataValue, transport::Endpoint};

struct DemoCustomer {
    crm_id: &'static str,
    name: &'static str,
    email: &'static str,
    phone: &'static str,
    locale: &'static str,
    time_zone: &'static str,
    tier: Tier,
    organization: &'static str,
}

const CUSTOMERS: &[DemoCustomer] = &[
    DemoCustomer {
        crm_id: "crm-1001",
        name: "Zofia Nowak",
        email: "zofia.nowak@example.pl",
        phone: "+48 601 234 567",
        locale: "pl",
        time_zone: "Europe/Warsaw",
        tier: Tier::Vip,
        organization: "org-kowalski-logistyka",
    },
    DemoCustomer {
        crm_id: "crm-1002",
        name: "דוד לוי",
        email: "david.levi@example.co.il",
        phone: "+972 52 555 0142",
        locale: "he",
        time_zone: "Asia/Jerusalem",
        tier: Tier::Priority,
        organization: "org-galil-tech",
    },
    DemoCustomer {
        crm_id: "crm-1003",
        name: "Анна Смирнова",
        email: "anna.smirnova@example.ru",
        phone: "+7 912 555 01 23",
        locale: "ru",
        time_zone: "Europe/Moscow",
        tier: Tier::Standard,
        organization: "",
    },
    DemoCustomer {
        crm_id: "crm-1004",
        name: "王芳",
        email: "wang.fang@example.cn",
        phone: "+86 138 0013 8000",
        locale: "zh-Hans",
        time_zone: "Asia/Shanghai",
        tier: Tier::Priority,
        organization: "org-hangzhou-retail",
    },
    DemoCustomer {
        crm_id: "crm-1005",
        name: "Emily Carter",
        email: "emily.carter@example.com",
        phone: "+1 312 555 0188",
        locale: "en-US",
        time_zone: "America/Chicago",
        tier: Tier::Standard,
        organization: "org-prairie-analytics",
    },
    DemoCustomer {
        crm_id: "crm-1006",
        name: "Oliver Bennett",
        email: "oliver.bennett@example.co.uk",
        phone: "+44 20 7946 0321",
        locale: "en-GB",
        time_zone: "Europe/London",
        tier: Tier::Vip,
        organization: "org-thames-media",
    },
    DemoCustomer {
        crm_id: "crm-1007",
        name: "Piotr Wiśniewski",
        email: "p.wisniewski@example.pl",
        phone: "+48 512 345 678",
        locale: "pl",
        time_zone: "Europe/Warsaw",
        tier: Tier::Standard,
        organization: "org-kowalski-logistyka",
    },
    DemoCustomer {
        crm_id: "crm-1008",
        name: "María García",
        email: "maria.garcia@example.es",
        phone: "+34 612 345 678",
        locale: "es",
        time_zone: "Europe/Madrid",
        tier: Tier::Standard,
        organization: "",
    },
];

struct DemoTicket {
    subject: &'static str,
    description: &'static str,
    requester: &'static str,
    channel: Ch,
    kind: T,
    order_reference: &'static str,
    priority: P,
    tags: &'static [&'static str],
    locale: &'static str,
    assignee: &'static str,
    team: &'static str,
    /// Where the ticket ends up; the demo walks it there through legal moves.
    status: S,
}

const TICKETS: &[DemoTicket] = &[
    DemoTicket {
        subject: "Nie mogę zalogować się do panelu klienta",
        description: "Od rana przy logowaniu widzę komunikat „Nieprawidłowy token sesji”. Próbowałam w Chrome i Firefoksie.",
        requester: "crm-1001",
        channel: Ch::Email,
        kind: T::Incident,
        order_reference: "",
        priority: P::High,
        tags: &["login", "konto"],
        locale: "pl",
        assignee: "agent-ola",
        team: "team-tier1",
        status: S::Open,
    },
    DemoTicket {
        subject: "Faktura za październik zawiera błędną kwotę",
        description: "Na fakturze FV/10/2026 naliczono 12 licencji zamiast 10.",
        requester: "crm-1007",
        channel: Ch::Email,
        kind: T::Question,
        order_reference: "",
        priority: P::Normal,
        tags: &["billing", "faktura"],
        locale: "pl",
        assignee: "agent-ola",
        team: "team-billing",
        status: S::Pending,
    },
    DemoTicket {
        subject: "החיוב כפול בכרטיס האשראי שלי",
        description: "חויבתי פעמיים על המנוי החודשי. אבקש החזר על החיוב הכפול.",
        requester: "crm-1002",
        channel: Ch::Chat,
        kind: T::Complaint,
        order_reference: "",
        priority: P::Urgent,
        tags: &["billing", "refund"],
        locale: "he",
        assignee: "agent-yossi",
        team: "team-billing",
        status: S::Open,
    },
    DemoTicket {
        subject: "Не приходит письмо для сброса пароля",
        description: "Запросила сброс пароля трижды, письмо так и не пришло (папку «Спам» проверила).",
        requester: "crm-1003",
        channel: Ch::Web,
        kind: T::Incident,
        order_reference: "",
        priority: P::High,
        tags: &["password", "email"],
        locale: "ru",
        assignee: "agent-ivan",
        team: "team-tier1",
        status: S::Solved,
    },
    DemoTicket {
        subject: "订单 A-20931 尚未发货",
        description: "我在十天前下的订单，到现在还显示“待发货”。请帮忙查一下。",
        requester: "crm-1004",
        channel: Ch::Chat,
        kind: T::Order,
        order_reference: "A-20931",
        priority: P::Normal,
        tags: &["shipping"],
        locale: "zh-Hans",
        assignee: "agent-li",
        team: "team-tier1",
        status: S::OnHold,
    },
    DemoTicket {
        subject: "API returns 502 when exporting reports",
        description: "Since 09:10 UTC every call to the report export endpoint fails with 502 Bad Gateway.",
        requester: "crm-1005",
        channel: Ch::Api,
        kind: T::Problem,
        order_reference: "",
        priority: P::Urgent,
        tags: &["api", "outage"],
        locale: "en-US",
        assignee: "agent-sam",
        team: "team-tier2",
        status: S::Open,
    },
    DemoTicket {
        subject: "How do I add a second admin to our account?",
        description: "Our office manager needs admin rights too. Where do I grant them?",
        requester: "crm-1006",
        channel: Ch::Web,
        kind: T::Question,
        order_reference: "",
        priority: P::Low,
        tags: &["account"],
        locale: "en-GB",
        assignee: "agent-sam",
        team: "team-tier1",
        status: S::Closed,
    },
    DemoTicket {
        subject: "Zmiana adresu dostawy dla zamówienia B-1142",
        description: "Proszę o zmianę adresu dostawy na ul. Portowa 7, Gdańsk.",
        requester: "crm-1001",
        channel: Ch::Phone,
        kind: T::Order,
        order_reference: "B-1142",
        priority: P::Normal,
        tags: &["shipping"],
        locale: "pl",
        assignee: "",
        team: "team-tier1",
        status: S::New,
    },
    DemoTicket {
        subject: "Пожалуйста, удалите мои персональные данные",
        description: "Прошу удалить мой аккаунт и все связанные персональные данные согласно GDPR.",
        requester: "crm-1003",
        channel: Ch::Email,
        kind: T::Task,
        order_reference: "",
        priority: P::High,
        tags: &["gdpr", "privacy"],
        locale: "ru",
        assignee: "agent-ivan",
        team: "team-tier2",
        status: S::Open,
    },
    DemoTicket {
        subject: "我无法在手机应用中上传附件",
        description: "在安卓应用里上传照片时一直提示“上传失败”。",
        requester: "crm-1004",
        channel: Ch::Social,
        kind: T::Incident,
        order_reference: "",
        priority: P::Normal,
        tags: &["mobile", "attachments"],
        locale: "zh-Hans",
        assignee: "agent-li",
        team: "team-tier1",
        status: S::Pending,
    },
    DemoTicket {
        subject: "Feature request: dark mode for the agent console",
        description: "Our night shift would love a dark theme.",
        requester: "crm-1005",
        channel: Ch::Web,
        kind: T::Task,
        order_reference: "",
        priority: P::Low,
        tags: &["feature-request"],
        locale: "en-US",
        assignee: "",
        team: "",
        status: S::New,
    },
    DemoTicket {
        subject: "Solicitud de reembolso por cancelación",
        description: "Cancelé mi suscripción el día 3 y me cobraron el mes completo.",
        requester: "crm-1008",
        channel: Ch::Email,
        kind: T::Complaint,
        order_reference: "",
        priority: P::High,
        tags: &["refund", "billing"],
        locale: "es",
        assignee: "agent-sam",
        team: "team-billing",
        status: S::Open,
    },
    DemoTicket {
        subject: "Password reset link expired",
        description: "The link in the reset email says it has expired, though I clicked it at once.",
        requester: "crm-1006",
        channel: Ch::Email,
        kind: T::Question,
        order_reference: "",
        priority: P::Normal,
        tags: &["password"],
        locale: "en-GB",
        assignee: "agent-ivan",
        team: "team-tier1",
        status: S::Solved,
    },
];

/// Loads the demo help desk into the suite at `target`, authenticating with `token`.
pub async fn load(target: &str, token: &str) -> anyhow::Result<()> {
    let channel = Endpoint::from_shared(target.to_string())
        .with_context(|| format!("{target} is not a URL such as http://127.0.0.1:50051"))?
        .connect()
        .await
        .with_context(|| {
            format!("could not reach Frontline at {target}; start it with `make run` (or `frontline serve`) first")
        })?;
    let bearer: MetadataValue<_> = format!("Bearer {token}").parse()?;
    let mut ticketing = TicketingServiceClient::with_interceptor(channel, move |mut request: Request<()>| {
        request.metadata_mut().insert("authorization", bearer.clone());
        Ok(request)
    });

    let mut customer_ids = std::collections::HashMap::new();
    for (done, customer) in CUSTOMERS.iter().enumerate() {
        let upserted = ticketing
            .upsert_customer(pb::UpsertCustomerRequest {
                customer: Some(pb::Customer {
                    name: customer.name.into(),
                    emails: vec![customer.email.into()],
                    phones: vec![customer.phone.into()],
                    locale: customer.locale.into(),
                    time_zone: customer.time_zone.into(),
                    tier: customer.tier as i32,
                    external_id: customer.crm_id.into(),
                    organization_id: customer.organization.into(),
                    ..Default::default()
                }),
            })
            .await
            .with_context(|| format!("upserting customer {}", customer.crm_id))?
            .into_inner();
        let id = upserted.customer.map(|c| c.id).unwrap_or_default();
        customer_ids.insert(customer.crm_id, id);
        progress("customers", done + 1, CUSTOMERS.len());
    }
    eprintln!();

    let mut by_status = std::collections::BTreeMap::<&str, usize>::new();
    for (number, demo) in TICKETS.iter().enumerate() {
        let created = ticketing
            .create_ticket(pb::CreateTicketRequest {
                request_id: format!("demo-ticket-{}", number + 1),
                ticket: Some(pb::Ticket {
                    subject: demo.subject.into(),
                    description: demo.description.into(),
                    requester_id: customer_ids[demo.requester].clone(),
                    channel: demo.channel as i32,
                    r#type: demo.kind as i32,
                    order_reference: demo.order_reference.into(),
                    priority: demo.priority as i32,
                    tags: demo.tags.iter().map(|tag| tag.to_string()).collect(),
                    locale: demo.locale.into(),
                    team_id: demo.team.into(),
                    ..Default::default()
                }),
            })
            .await
            .with_context(|| format!("creating demo ticket {}", number + 1))?
            .into_inner();
        let mut ticket = created;
        // Only a ticket still new was just created by us; one further along was walked before.
        if ticket.status == S::New as i32 {
            for step in lifecycle(demo) {
                ticket = ticketing
                    .update_ticket(pb::UpdateTicketRequest {
                        ticket: Some(pb::Ticket { id: ticket.id.clone(), etag: ticket.etag.clone(), ..step.0 }),
                        update_mask: Some(FieldMask { paths: step.1.iter().map(|path| path.to_string()).collect() }),
                    })
                    .await
                    .with_context(|| format!("moving demo ticket {} along", ticket.id))?
                    .into_inner();
            }
        }
        let status = S::try_from(ticket.status).map(|s| s.as_str_name()).unwrap_or("?");
        *by_status.entry(status.trim_start_matches("TICKET_STATUS_")).or_default() += 1;
        progress("tickets", number + 1, TICKETS.len());
    }
    eprintln!();
    let statuses: Vec<String> =
        by_status.iter().map(|(status, count)| format!("{count} {}", status.to_lowercase())).collect();
    println!(
        "Loaded the demo help desk into {target}: {} customers, {} tickets ({}).",
        CUSTOMERS.len(),
        TICKETS.len(),
        statuses.join(", ")
    );
    Ok(())
}

/// The updates that take a new ticket to the demo's status: assign, then move.
fn lifecycle(demo: &DemoTicket) -> Vec<(pb::Ticket, &'static [&'static str])> {
    let with_status = |status: S| pb::Ticket { status: status as i32, ..Default::default() };
    let mut steps = Vec::new();
    if !demo.assignee.is_empty() {
        steps.push((pb::Ticket { assignee_id: demo.assignee.into(), ..Default::default() }, &["assignee_id"][..]));
    }
    match demo.status {
        S::Pending | S::OnHold | S::Solved => steps.push((with_status(demo.status), &["status"][..])),
        S::Closed => {
            steps.push((with_status(S::Solved), &["status"][..]));
            steps.push((with_status(S::Closed), &["status"][..]));
        }
        _ => {}
    }
    steps
}

fn progress(what: &str, done: usize, total: usize) {
    eprint!("\r{what}: {done}/{total}");
    let _ = std::io::stderr().flush();
}
