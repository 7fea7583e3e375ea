//! `frontline demo`: a small, realistic help desk loaded through the public API, so a newcomer
//! sees the suite working within a minute. Safe to run again: customers are upserted by their
//! CRM ids, tickets are created with request ids, and lifecycle steps only run on new tickets.
mod history;
pub mod knowledge;
mod service_levels;

use std::io::Write;

use anyhow::Context;
use frontline_proto::ticketing::v1::{
    self as pb, Channel as Ch, CustomerTier as Tier, Priority as P, TicketStatus as S, TicketType as T,
    ticketing_service_client::TicketingServiceClient,
};
use frontline_proto::workforce::v1 as wf;
use prost_types::FieldMask;
use tonic::{Request, metadata::MetadataValue, transport::Endpoint};

struct DemoOrganization {
    crm_id: &'static str,
    name: &'static str,
    domain: &'static str,
    /// Its people see each other's tickets when signed in as end users.
    shared_tickets: bool,
}

const ORGANIZATIONS: &[DemoOrganization] = &[
    DemoOrganization {
        crm_id: "org-kowalski-logistyka",
        name: "Kowalski Logistyka",
        domain: "example.pl",
        shared_tickets: true,
    },
    DemoOrganization { crm_id: "org-galil-tech", name: "Galil Tech", domain: "example.co.il", shared_tickets: false },
    DemoOrganization {
        crm_id: "org-hangzhou-retail",
        name: "杭州零售有限公司",
        domain: "example.cn",
        shared_tickets: false,
    },
    DemoOrganization {
        crm_id: "org-prairie-analytics",
        name: "Prairie Analytics",
        domain: "example.com",
        shared_tickets: false,
    },
    DemoOrganization {
        crm_id: "org-thames-media",
        name: "Thames Media",
        domain: "example.co.uk",
        shared_tickets: false,
    },
];

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
    /// What support says on the way, in the customer's language.
    reply: &'static str,
    /// What the customer says after the reply, when they answer.
    answer: &'static str,
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
        reply: "Dzień dobry, wyczyściliśmy Pani sesję. Proszę spróbować zalogować się ponownie.",
        answer: "",
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
        reply: "Dziękujemy, sprawdzamy fakturę. Czy może Pan potwierdzić liczbę aktywnych użytkowników?",
        answer: "",
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
        reply: "שלום דוד, אנו בודקים את החיוב הכפול מול מחלקת הכספים.",
        answer: "תודה, אני ממתין לעדכון",
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
        reply: "Здравствуйте! Мы отправили письмо повторно с другого сервера. Проверьте, пожалуйста.",
        answer: "",
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
        reply: "您好，我们已联系仓库，等待物流公司的回复。",
        answer: "",
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
        reply: "We can reproduce the 502 and have opened a problem ticket with engineering.",
        answer: "",
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
        reply: "Go to Settings → Team, choose the person and tick “Administrator”.",
        answer: "Found it, thank you!",
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
        reply: "",
        answer: "",
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
        reply: "Ваш запрос принят. Удаление данных займёт до 30 дней.",
        answer: "",
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
        reply: "请问您使用的是哪个版本的安卓应用？",
        answer: "",
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
        reply: "",
        answer: "",
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
        reply: "Hola María, hemos solicitado el reembolso del mes completo.",
        answer: "",
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
        reply: "Reset links last 30 minutes; we have sent you a fresh one.",
        answer: "",
    },
    DemoTicket {
        subject: "Reports export shows error 502",
        description: "Exporting the monthly report fails with “502 Bad Gateway” since this morning.",
        requester: "crm-1006",
        channel: Ch::Email,
        kind: T::Incident,
        order_reference: "",
        priority: P::High,
        tags: &["api", "outage"],
        locale: "en-GB",
        assignee: "agent-sam",
        team: "team-tier2",
        status: S::Open,
        reply: "This is a known outage; we will update you as soon as it is fixed.",
        answer: "",
    },
];

/// Loads the demo help desk into the suite at `target`, authenticating staff work with
/// `token` and requesters' replies and ratings with `portal_token`.
pub async fn load(target: &str, token: &str, portal_token: &str, director_token: &str) -> anyhow::Result<()> {
    let channel = Endpoint::from_shared(target.to_string())
        .with_context(|| format!("{target} is not a URL such as http://127.0.0.1:50051"))?
        .connect()
        .await
        .with_context(|| {
            format!("could not reach Frontline at {target}; start it with `make run` (or `frontline serve`) first")
        })?;
    let mut ticketing = client(channel.clone(), token)?;
    let mut portal = client(channel.clone(), portal_token)?;
    let knowledge_client = |token: &str| -> anyhow::Result<_> {
        Ok(frontline_proto::knowledge::v1::knowledge_service_client::KnowledgeServiceClient::with_interceptor(
            channel.clone(),
            Bearer(format!("Bearer {token}").parse()?),
        ))
    };
    let (mut knowledge_admin, mut knowledge_portal) = (knowledge_client(token)?, knowledge_client(portal_token)?);
    let bearer = Bearer(format!("Bearer {director_token}").parse()?);
    let mut workforce = wf::workforce_service_client::WorkforceServiceClient::with_interceptor(channel, bearer);
    let people = load_workforce(&mut workforce).await?;
    let knowledge = knowledge::load(&mut knowledge_admin, &mut knowledge_portal).await?;
    eprintln!();
    load_development(&mut workforce).await?;

    let mut organization_ids = std::collections::HashMap::new();
    for (done, organization) in ORGANIZATIONS.iter().enumerate() {
        let upserted = ticketing
            .upsert_organization(pb::UpsertOrganizationRequest {
                organization: Some(pb::Organization {
                    name: organization.name.into(),
                    domains: vec![organization.domain.into()],
                    external_id: organization.crm_id.into(),
                    shared_tickets: organization.shared_tickets,
                    ..Default::default()
                }),
            })
            .await
            .with_context(|| format!("upserting organisation {}", organization.crm_id))?
            .into_inner();
        organization_ids.insert(organization.crm_id, upserted.organization.map(|o| o.id).unwrap_or_default());
        progress("organisations", done + 1, ORGANIZATIONS.len());
    }
    eprintln!();
    define_product_field(&mut ticketing).await?;
    let service_levels = service_levels::load(&mut ticketing).await?;
    let business_rules = service_levels::load_business_rules(&mut ticketing).await?;

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
                    organization_id: organization_ids.get(customer.organization).cloned().unwrap_or_default(),
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
    let mut ticket_ids = Vec::new();
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
            ticket = walk(&mut ticketing, &mut portal, demo, ticket).await?;
        }
        ticket_ids.push(ticket.id.clone());
        let status = S::try_from(ticket.status).map(|s| s.as_str_name()).unwrap_or("?");
        *by_status.entry(status.trim_start_matches("TICKET_STATUS_")).or_default() += 1;
        progress("tickets", number + 1, TICKETS.len());
    }
    eprintln!();
    let requesters: Vec<String> = customer_ids.values().cloned().collect();
    let past_tickets = history::load(&mut ticketing, &requesters).await?;
    link_outage(&mut ticketing, &ticket_ids).await?;
    save_views(&mut ticketing).await?;
    let routed_teams = service_levels::load_routing(&mut ticketing).await?;
    // Agents marked the article that answered these tickets: deflections for analytics.
    let deflections = [
        (ticket_ids[position_of("Password reset link expired")].clone(), "en-password-reset"),
        (ticket_ids[position_of("Zmiana adresu dostawy dla zamówienia B-1142")].clone(), "pl-change-shipping-address"),
    ];
    knowledge::record_deflections(&mut knowledge_admin, &knowledge, &deflections).await?;
    let statuses: Vec<String> =
        by_status.iter().map(|(status, count)| format!("{count} {}", status.to_lowercase())).collect();
    println!(
        "Loaded the demo help desk into {target}: 3 teams of {people} people on this week's roster, {} organisations, {} customers, {} tickets ({}) and {} past tickets over 6 weeks for analytics, a problem with its incident, 2 saved views, {} SLA policies on Warsaw business hours with {} escalation rules, {} triggers / automations / macros, routing for {} teams, {} knowledge articles in {} locales ({} verified).",
        ORGANIZATIONS.len(),
        CUSTOMERS.len(),
        TICKETS.len(),
        statuses.join(", "),
        past_tickets,
        service_levels.policies,
        service_levels.rules,
        business_rules,
        routed_teams,
        knowledge.articles,
        knowledge.locales,
        knowledge.verified
    );
    println!("{}", search_sample(&mut ticketing).await?);
    // Kowalski Logistyka shares its tickets: Zofia sees her colleagues' too.
    if let Some(zofia) = customer_ids.get("crm-1001") {
        println!(
            "See it as a customer does: frontline token --role end_user --subject zofia.nowak@example.pl --customer {zofia}"
        );
    }
    Ok(())
}

/// A few searches as agents type them — another form of the word, no diacritics, another script
/// — and what each finds, so a newcomer sees search work across the desk's languages.
async fn search_sample(ticketing: &mut Client) -> anyhow::Result<String> {
    let mut found = Vec::new();
    for query in ["zalogowac", "faktury", "пароль", "发货", "exporting 502"] {
        let request = pb::SearchTicketsRequest { query: query.into(), page_size: 1, ..Default::default() };
        let answer = ticketing.search_tickets(request).await.with_context(|| format!("searching for {query:?}"))?;
        let answer = answer.into_inner();
        let first = answer.tickets.first().map(|t| t.subject.as_str()).unwrap_or("nothing");
        found.push(format!("{query:?} → {} ({first})", answer.total_size));
    }
    Ok(format!("Ticket search, as agents type (SearchTickets): {}.", found.join("; ")))
}

/// The export outage: the API ticket is the problem, the later report ticket one of its incidents.
async fn link_outage(ticketing: &mut Client, ticket_ids: &[String]) -> anyhow::Result<()> {
    let problem = position_of("API returns 502 when exporting reports");
    let incident = position_of("Reports export shows error 502");
    let link = pb::LinkTicketsRequest {
        ticket_id: ticket_ids[incident].clone(),
        linked_ticket_id: ticket_ids[problem].clone(),
        kind: pb::TicketLinkKind::IncidentOf as i32,
    };
    match ticketing.link_tickets(link).await {
        Ok(_) => Ok(()),
        Err(status) if status.code() == tonic::Code::AlreadyExists => Ok(()),
        Err(status) => Err(status).context("linking the outage incident to its problem"),
    }
}

fn position_of(subject: &str) -> usize {
    TICKETS.iter().position(|ticket| ticket.subject == subject).expect("a demo ticket with that subject")
}

/// The views a tier-1 team starts its day with.
async fn save_views(ticketing: &mut Client) -> anyhow::Result<()> {
    let existing = ticketing.list_ticket_views(pb::ListTicketViewsRequest {}).await?.into_inner().views;
    let views = [
        ("Tier 1: urgent and high", "priority >= HIGH AND status < SOLVED AND team = \"team-tier1\"", "team-tier1"),
        ("Waiting on customers", "status = PENDING", ""),
    ];
    for (name, filter, team_id) in views {
        if existing.iter().any(|view| view.view.as_ref().is_some_and(|v| v.name == name)) {
            continue;
        }
        let view = pb::TicketView {
            name: name.into(),
            filter: filter.into(),
            order_by: "priority desc".into(),
            team_id: team_id.into(),
            ..Default::default()
        };
        ticketing
            .create_ticket_view(pb::CreateTicketViewRequest { view: Some(view) })
            .await
            .with_context(|| format!("saving view {name}"))?;
    }
    Ok(())
}

type Workforce = wf::workforce_service_client::WorkforceServiceClient<
    tonic::service::interceptor::InterceptedService<tonic::transport::Channel, Bearer>,
>;

struct DemoPerson {
    id: &'static str,
    name: &'static str,
    role: wf::PersonRole,
    team: &'static str,
    manager: &'static str,
    time_zone: &'static str,
    languages: &'static [(&'static str, i32)],
    hourly_cost: i64,
    currency: &'static str,
}

const TEAMS: &[(&str, &str, &str, &str)] = &[
    ("team-tier1", "Tier 1", "Europe/Warsaw", "lead-ewa"),
    ("team-tier2", "Tier 2", "Europe/London", "lead-james"),
    ("team-billing", "Billing", "Asia/Jerusalem", "lead-noa"),
];

const PEOPLE: &[DemoPerson] = &[
    DemoPerson {
        id: "director-anna",
        name: "Anna Wiśniewska",
        role: wf::PersonRole::Director,
        team: "",
        manager: "",
        time_zone: "Europe/Warsaw",
        languages: &[("pl", 5), ("en", 5)],
        hourly_cost: 0,
        currency: "",
    },
    DemoPerson {
        id: "lead-ewa",
        name: "Ewa Nowak",
        role: wf::PersonRole::TeamLead,
        team: "team-tier1",
        manager: "director-anna",
        time_zone: "Europe/Warsaw",
        languages: &[("pl", 5), ("en", 4)],
        hourly_cost: 9000,
        currency: "EUR",
    },
    DemoPerson {
        id: "agent-ola",
        name: "Ola Kamińska",
        role: wf::PersonRole::SeniorAgent,
        team: "team-tier1",
        manager: "lead-ewa",
        time_zone: "Europe/Warsaw",
        languages: &[("pl", 5), ("en", 4)],
        hourly_cost: 2600,
        currency: "EUR",
    },
    DemoPerson {
        id: "agent-ivan",
        name: "Иван Петров",
        role: wf::PersonRole::Agent,
        team: "team-tier1",
        manager: "lead-ewa",
        time_zone: "Europe/Warsaw",
        languages: &[("ru", 5), ("pl", 3), ("en", 3)],
        hourly_cost: 2200,
        currency: "EUR",
    },
    DemoPerson {
        id: "agent-li",
        name: "李娜",
        role: wf::PersonRole::Agent,
        team: "team-tier1",
        manager: "lead-ewa",
        time_zone: "Asia/Shanghai",
        languages: &[("zh", 5), ("en", 4)],
        hourly_cost: 2000,
        currency: "EUR",
    },
    DemoPerson {
        id: "lead-james",
        name: "James Walker",
        role: wf::PersonRole::TeamLead,
        team: "team-tier2",
        manager: "director-anna",
        time_zone: "Europe/London",
        languages: &[("en", 5)],
        hourly_cost: 9500,
        currency: "EUR",
    },
    DemoPerson {
        id: "agent-sam",
        name: "Sam Patel",
        role: wf::PersonRole::Agent,
        team: "team-tier2",
        manager: "lead-james",
        time_zone: "Europe/London",
        languages: &[("en", 5), ("es", 3)],
        hourly_cost: 2800,
        currency: "EUR",
    },
    DemoPerson {
        id: "lead-noa",
        name: "נועה לוי",
        role: wf::PersonRole::TeamLead,
        team: "team-billing",
        manager: "director-anna",
        time_zone: "Asia/Jerusalem",
        languages: &[("he", 5), ("en", 5)],
        hourly_cost: 9000,
        currency: "EUR",
    },
    DemoPerson {
        id: "agent-yossi",
        name: "יוסי כהן",
        role: wf::PersonRole::Agent,
        team: "team-billing",
        manager: "lead-noa",
        time_zone: "Asia/Jerusalem",
        languages: &[("he", 5), ("en", 4), ("ru", 2)],
        hourly_cost: 2400,
        currency: "EUR",
    },
];

/// Teams, people and this week's roster (09:00–17:00 local with a lunch, Monday to Friday).
/// Returns how many people there are.
async fn load_workforce(workforce: &mut Workforce) -> anyhow::Result<usize> {
    let exists = |status: &tonic::Status| status.code() == tonic::Code::AlreadyExists;
    if let Err(status) = workforce
        .create_department(wf::CreateDepartmentRequest {
            department: Some(wf::Department {
                id: "support".into(),
                name: "Customer Support".into(),
                head_id: "director-anna".into(),
                ..Default::default()
            }),
        })
        .await
        && !exists(&status)
    {
        return Err(status).context("creating the support department");
    }
    for (id, name, time_zone, lead) in TEAMS {
        let team = wf::Team {
            id: id.to_string(),
            name: name.to_string(),
            department_id: "support".into(),
            lead_id: lead.to_string(),
            time_zone: time_zone.to_string(),
            max_concurrent_time_off: 1,
            ..Default::default()
        };
        if let Err(status) = workforce.create_team(wf::CreateTeamRequest { team: Some(team) }).await
            && !exists(&status)
        {
            return Err(status).with_context(|| format!("creating team {id}"));
        }
    }
    for (done, person) in PEOPLE.iter().enumerate() {
        let wire = wf::Person {
            id: person.id.into(),
            name: person.name.into(),
            email: format!("{}@frontline.example", person.id),
            role: person.role as i32,
            manager_id: person.manager.into(),
            team_id: person.team.into(),
            time_zone: person.time_zone.into(),
            hourly_cost: (person.hourly_cost > 0).then(|| frontline_proto::common::v1::Money {
                currency_code: person.currency.into(),
                minor_units: person.hourly_cost,
            }),
            skills: person
                .languages
                .iter()
                .map(|(name, proficiency)| wf::Skill {
                    name: name.to_string(),
                    kind: wf::SkillKind::Language as i32,
                    proficiency: *proficiency,
                })
                .chain([wf::Skill { name: "email".into(), kind: wf::SkillKind::Channel as i32, proficiency: 4 }])
                .collect(),
            ..Default::default()
        };
        if let Err(status) = workforce.create_person(wf::CreatePersonRequest { person: Some(wire) }).await
            && !exists(&status)
        {
            return Err(status).with_context(|| format!("creating {}", person.id));
        }
        progress("people", done + 1, PEOPLE.len());
    }
    eprintln!();
    // This week's roster as a CSV import: re-running the demo replaces it rather than adding to it.
    let monday = {
        let today = chrono::Utc::now().date_naive();
        today - chrono::Duration::days(i64::from(chrono::Datelike::weekday(&today).num_days_from_monday()))
    };
    let mut csv = String::from("person_id,kind,starts_at,ends_at,notes\n");
    for person in PEOPLE.iter().filter(|p| !p.team.is_empty()) {
        let tz: chrono_tz::Tz = person.time_zone.parse().unwrap_or(chrono_tz::UTC);
        for day in 0..5 {
            let date = monday + chrono::Duration::days(day);
            let local = |hour: u32, minute: u32| {
                use chrono::TimeZone;
                tz.from_local_datetime(&date.and_hms_opt(hour, minute, 0).unwrap_or_default())
                    .earliest()
                    .map(|t| t.with_timezone(&chrono::Utc).to_rfc3339())
            };
            if let (Some(start), Some(end), Some(lunch), Some(back)) =
                (local(9, 0), local(17, 0), local(13, 0), local(13, 30))
            {
                csv.push_str(&format!("{},work,{start},{end},\n{},lunch,{lunch},{back},\n", person.id, person.id));
            }
        }
    }
    let report = workforce
        .import_shifts(wf::ImportShiftsRequest { csv, publish: true })
        .await
        .context("importing this week's roster")?
        .into_inner();
    if let Some(error) = report.errors.first() {
        anyhow::bail!("the demo roster was refused at line {}: {}", error.line, error.message);
    }
    Ok(PEOPLE.len())
}

/// Training, a certification due for renewal, kudos, a QA score and a review: a team's
/// development as a lead would see it. Each step checks first, so a second run adds nothing.
async fn load_development(workforce: &mut Workforce) -> anyhow::Result<()> {
    let tolerate = |result: Result<(), tonic::Status>, code: tonic::Code| match result {
        Err(status) if status.code() != code => Err(status),
        _ => Ok(()),
    };
    let programs = workforce.list_training_programs(wf::ListTrainingProgramsRequest {}).await?.into_inner().programs;
    let program = match programs.into_iter().find(|p| p.name == "Billing escalations") {
        Some(program) => program,
        None => workforce
            .create_training_program(wf::CreateTrainingProgramRequest {
                program: Some(wf::TrainingProgram {
                    name: "Billing escalations".into(),
                    description: "Refunds, chargebacks and when to call finance".into(),
                    ..Default::default()
                }),
            })
            .await?
            .into_inner(),
    };
    for person in ["agent-ola", "agent-yossi"] {
        let enrolled = workforce
            .enroll(wf::EnrollRequest { program_id: program.id.clone(), person_id: person.into() })
            .await
            .map(|_| ());
        tolerate(enrolled, tonic::Code::AlreadyExists)?;
    }
    let completed = workforce
        .complete_training(wf::CompleteTrainingRequest {
            program_id: program.id.clone(),
            person_id: "agent-ola".into(),
        })
        .await
        .map(|_| ());
    tolerate(completed, tonic::Code::FailedPrecondition)?;

    let now = chrono::Utc::now().timestamp();
    let held = workforce
        .list_certifications(wf::ListCertificationsRequest { person_id: "agent-ivan".into(), ..Default::default() })
        .await?
        .into_inner();
    if held.certifications.is_empty() {
        workforce
            .record_certification(wf::RecordCertificationRequest {
                certification: Some(wf::Certification {
                    person_id: "agent-ivan".into(),
                    name: "GDPR awareness".into(),
                    issuer: "Frontline Academy".into(),
                    issued_at: Some(prost_types::Timestamp { seconds: now - 345 * 86_400, nanos: 0 }),
                    expires_at: Some(prost_types::Timestamp { seconds: now + 20 * 86_400, nanos: 0 }),
                    ..Default::default()
                }),
            })
            .await?;
    }
    if workforce.list_kudos(wf::ListKudosRequest { person_id: "agent-ola".into() }).await?.into_inner().kudos.is_empty()
    {
        workforce
            .give_kudos(wf::GiveKudosRequest {
                kudos: Some(wf::Kudos {
                    to_person_id: "agent-ola".into(),
                    message: "Thank you for sorting out the Kowalski login outage so calmly.".into(),
                    ..Default::default()
                }),
            })
            .await?;
    }
    let scorecards = workforce.list_scorecards(wf::ListScorecardsRequest {}).await?.into_inner().scorecards;
    let scorecard = match scorecards.into_iter().find(|s| s.name == "Email quality") {
        Some(scorecard) => scorecard,
        None => {
            let criterion = |key: &str, title: &str, weight: f64| wf::ScorecardCriterion {
                key: key.into(),
                title: title.into(),
                weight,
            };
            workforce
                .create_scorecard(wf::CreateScorecardRequest {
                    scorecard: Some(wf::Scorecard {
                        name: "Email quality".into(),
                        criteria: vec![
                            criterion("empathy", "Empathy and tone", 1.0),
                            criterion("accuracy", "Correct resolution", 2.0),
                            criterion("policy", "Follows policy", 1.0),
                        ],
                        ..Default::default()
                    }),
                })
                .await?
                .into_inner()
        }
    };
    if workforce
        .list_qa_reviews(wf::ListQaReviewsRequest { agent_id: "agent-ola".into(), ..Default::default() })
        .await?
        .into_inner()
        .reviews
        .is_empty()
    {
        let score = |key: &str, score: f64| wf::CriterionScore { key: key.into(), score };
        workforce
            .score_ticket(wf::ScoreTicketRequest {
                review: Some(wf::QaReview {
                    scorecard_id: scorecard.id,
                    ticket_id: "1".into(),
                    agent_id: "agent-ola".into(),
                    scores: vec![score("empathy", 95.0), score("accuracy", 90.0), score("policy", 100.0)],
                    comment: "Clear, kind and correct.".into(),
                    ..Default::default()
                }),
            })
            .await?;
    }
    if workforce
        .list_performance_reviews(wf::ListPerformanceReviewsRequest { person_id: "lead-ewa".into() })
        .await?
        .into_inner()
        .reviews
        .is_empty()
    {
        let start = chrono::Utc::now() - chrono::Duration::days(182);
        workforce
            .record_performance_review(wf::RecordPerformanceReviewRequest {
                review: Some(wf::PerformanceReview {
                    person_id: "lead-ewa".into(),
                    period_start: Some(prost_types::Timestamp { seconds: start.timestamp(), nanos: 0 }),
                    period_end: Some(prost_types::Timestamp { seconds: now, nanos: 0 }),
                    goals: vec![wf::ReviewGoal { description: "Tier 1 first reply under 2 hours".into(), rating: 4 }],
                    overall_rating: 4,
                    summary: "Steady team, strong coaching.".into(),
                    ..Default::default()
                }),
            })
            .await?;
    }
    Ok(())
}

/// Sends one bearer token with every call.
#[derive(Clone)]
pub struct Bearer(pub(crate) MetadataValue<tonic::metadata::Ascii>);

impl Bearer {
    /// From a whole header value, `Bearer <token>`.
    pub fn from_header(value: &str) -> anyhow::Result<Self> {
        Ok(Self(value.parse().context("a token is ASCII")?))
    }
}

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, tonic::Status> {
        request.metadata_mut().insert("authorization", self.0.clone());
        Ok(request)
    }
}

type Client =
    TicketingServiceClient<tonic::service::interceptor::InterceptedService<tonic::transport::Channel, Bearer>>;

fn client(channel: tonic::transport::Channel, token: &str) -> anyhow::Result<Client> {
    Ok(TicketingServiceClient::with_interceptor(channel, Bearer(format!("Bearer {token}").parse()?)))
}

/// A "Product" dropdown, as most help desks add on day one.
async fn define_product_field(ticketing: &mut Client) -> anyhow::Result<()> {
    let field = pb::CustomFieldDefinition {
        key: "product".into(),
        title: "Product".into(),
        r#type: pb::CustomFieldType::Dropdown as i32,
        options: vec!["Cloud".into(), "Mobile app".into(), "Billing".into()],
        description: "Which part of the product the ticket is about".into(),
        ..Default::default()
    };
    match ticketing.create_custom_field(pb::CreateCustomFieldRequest { field: Some(field) }).await {
        Ok(_) => Ok(()),
        Err(status) if status.code() == tonic::Code::AlreadyExists => Ok(()),
        Err(status) => Err(status).context("defining the Product field"),
    }
}

/// Takes a new ticket to the demo's status the way a help desk would: assign, reply, hear
/// back from the customer, move it along, and let the customer rate a solve.
async fn walk(
    ticketing: &mut Client,
    portal: &mut Client,
    demo: &DemoTicket,
    mut ticket: pb::Ticket,
) -> anyhow::Result<pb::Ticket> {
    let update = |ticket: &pb::Ticket, changes: pb::Ticket, paths: &[&str]| pb::UpdateTicketRequest {
        ticket: Some(pb::Ticket { id: ticket.id.clone(), etag: ticket.etag.clone(), ..changes }),
        update_mask: Some(FieldMask { paths: paths.iter().map(|path| path.to_string()).collect() }),
    };
    if !demo.assignee.is_empty() {
        let changes = pb::Ticket { assignee_id: demo.assignee.into(), ..Default::default() };
        ticket = ticketing.update_ticket(update(&ticket, changes, &["assignee_id"])).await?.into_inner();
    }
    let ticket_id = ticket.id.clone();
    let comment = |body: &str, public: bool| pb::AddCommentRequest {
        ticket_id: ticket_id.clone(),
        body: body.into(),
        public,
        channel: demo.channel as i32,
        ..Default::default()
    };
    if !demo.reply.is_empty() {
        ticketing.add_comment(comment("Checked the account history before replying.", false)).await?;
        ticket = ticketing.add_comment(comment(demo.reply, true)).await?.into_inner().ticket.unwrap_or(ticket);
    }
    if !demo.answer.is_empty() {
        ticket = portal.add_comment(comment(demo.answer, true)).await?.into_inner().ticket.unwrap_or(ticket);
    }
    let status = |status: S| pb::Ticket { status: status as i32, ..Default::default() };
    match demo.status {
        S::Pending | S::OnHold | S::Solved => {
            ticket = ticketing.update_ticket(update(&ticket, status(demo.status), &["status"])).await?.into_inner();
        }
        S::Closed => {
            ticket = ticketing.update_ticket(update(&ticket, status(S::Solved), &["status"])).await?.into_inner();
            ticket = ticketing.update_ticket(update(&ticket, status(S::Closed), &["status"])).await?.into_inner();
        }
        _ => {}
    }
    if demo.status == S::Solved {
        let rating = if demo.priority == P::High { pb::SatisfactionRating::Bad } else { pb::SatisfactionRating::Good };
        let remark =
            if rating == pb::SatisfactionRating::Good { "Fast and friendly" } else { "Took three emails to sort out" };
        ticket = portal
            .rate_ticket(pb::RateTicketRequest {
                ticket_id: ticket.id.clone(),
                rating: rating as i32,
                comment: remark.into(),
            })
            .await?
            .into_inner();
    }
    Ok(ticket)
}

pub(crate) fn progress(what: &str, done: usize, total: usize) {
    eprint!("\r{what}: {done}/{total}");
    let _ = std::io::stderr().flush();
}
