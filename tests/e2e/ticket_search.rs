//! Ticket search on its tantivy index: words found stemmed in the ticket's language and with a
//! typo forgiven, internal notes found only by staff, a customer searching their own tickets'
//! public side, counts that never include what the caller may not see, and an index that is
//! rebuilt from the database when it is lost.
use frontline_proto::ticketing::v1::{self as pb, TicketStatus};
use frontline_shared::auth::Role;
use tonic::Code;

use crate::{
    conversation, on_both_backends,
    support::{Bearer, Ticketing, expect_error},
    tickets,
};

async fn subjects(client: &mut Ticketing, query: &str) -> Vec<String> {
    let found = client.search_tickets(pb::SearchTicketsRequest { query: query.into(), ..Default::default() }).await;
    found.unwrap_or_else(|e| panic!("{query}: {e:?}")).into_inner().tickets.into_iter().map(|t| t.subject).collect()
}

async fn create(client: &mut Ticketing, requester: &str, subject: &str, description: &str) -> pb::Ticket {
    tickets::create(client, pb::Ticket { description: description.into(), ..tickets::ticket(requester, subject) }).await
}

on_both_backends! {
    /// What a person types is not what was written: another form of the word, a slip of the
    /// finger, no diacritics. English, Polish and Russian tickets are found all the same.
    async fn words_are_found_stemmed_and_with_a_typo_in_english_polish_and_russian(app) {
        let mut agent = app.ticketing(Role::Manager).await;
        let requester = tickets::requester(&mut agent).await;
        let printer = "The office printer keeps jamming on every page";
        let refund = "Prośba o zwrot pieniędzy za zamówienie";
        let password = "Не приходит письмо для сброса пароля";
        for subject in [printer, refund, password] {
            create(&mut agent, &requester, subject, "").await;
        }
        create(&mut agent, &requester, "Invoice address needs changing", "Please update the company name.").await;

        assert_eq!(subjects(&mut agent, "jammed printers").await, [printer], "English stems");
        assert_eq!(subjects(&mut agent, "pritner jamming").await, [printer], "a transposed letter");
        assert_eq!(subjects(&mut agent, "zwrotu pieniędzy").await, [refund], "Polish stems");
        assert_eq!(subjects(&mut agent, "zamowienie").await, [refund], "without diacritics");
        assert_eq!(subjects(&mut agent, "zamównienie").await, [refund], "a letter too many");
        assert_eq!(subjects(&mut agent, "пароль").await, [password], "Russian stems");
        assert_eq!(subjects(&mut agent, "сбросса").await, [password], "a doubled letter");
        assert!(subjects(&mut agent, "printer refund").await.is_empty(), "every word is required");
        assert_eq!(subjects(&mut agent, "company").await, ["Invoice address needs changing"], "descriptions too");
    }
}

on_both_backends! {
    /// Internal notes are indexed apart from the public conversation: staff find a ticket by a
    /// word only a note holds, its requester does not — nor learns from a count that it exists.
    async fn internal_notes_are_searched_by_staff_only(app) {
        let mut agent = app.ticketing(Role::Manager).await;
        let customer = agent
            .create_customer(pb::CreateCustomerRequest {
                customer: Some(pb::Customer { name: "Maria Nowak".into(), emails: vec!["maria@example.pl".into()], ..Default::default() }),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let ticket = create(&mut agent, &customer.id, "Parcel arrived damaged", "The box was crushed.").await;
        conversation::comment(&mut agent, &ticket.id, "Courier Fastline admits mishandling", false, TicketStatus::Unspecified).await;
        conversation::comment(&mut agent, &ticket.id, "We are sending a replacement", true, TicketStatus::Unspecified).await;

        assert_eq!(subjects(&mut agent, "fastline mishandling").await, ["Parcel arrived damaged"]);
        assert_eq!(subjects(&mut agent, "maria@example.pl").await, ["Parcel arrived damaged"], "the requester's address");
        assert_eq!(subjects(&mut agent, "Nowak").await, ["Parcel arrived damaged"], "the requester's name");

        let mut maria = app.ticketing_as(Bearer::token(&app.end_user_token("maria@example.pl", &customer.id))).await;
        assert_eq!(subjects(&mut maria, "replacement").await, ["Parcel arrived damaged"], "the public side is theirs");
        let hidden = maria
            .search_tickets(pb::SearchTicketsRequest { query: "fastline".into(), ..Default::default() })
            .await
            .unwrap()
            .into_inner();
        assert!(hidden.tickets.is_empty());
        assert_eq!(hidden.total_size, 0, "not even counted");

        let mut gateway = app.ticketing(Role::Portal).await;
        let refused = expect_error(gateway.search_tickets(pb::SearchTicketsRequest { query: "parcel".into(), ..Default::default() }).await);
        assert_eq!(refused.code(), Code::PermissionDenied);
    }
}

on_both_backends! {
    /// Another team's tickets are neither returned nor counted; the shared inbox and one's own
    /// assignments are. A filter narrows the matches, and pages follow each other.
    async fn results_and_counts_stay_within_the_callers_scope_and_page(app) {
        let mut admin = app.ticketing(Role::Administrator).await;
        let requester = tickets::requester(&mut admin).await;
        for (team, n) in [("t-billing", 3), ("t-tech", 4), ("", 2)] {
            for i in 0..n {
                let subject = format!("Duplicate charge {team} {i}");
                let priority = if i == 0 { pb::Priority::Urgent } else { pb::Priority::Normal } as i32;
                tickets::create(&mut admin, pb::Ticket { team_id: team.into(), priority, ..tickets::ticket(&requester, &subject) }).await;
            }
        }
        let mut billing = app.ticketing_in_team(Role::Agent, "agent-ola", "t-billing").await;
        let all = billing
            .search_tickets(pb::SearchTicketsRequest { query: "duplicate charge".into(), page_size: 2, ..Default::default() })
            .await
            .unwrap()
            .into_inner();
        assert_eq!((all.tickets.len(), all.total_size), (2, 5), "3 of the team and 2 unassigned");
        let rest = billing
            .search_tickets(pb::SearchTicketsRequest { query: "duplicate charge".into(), page_size: 10, page_token: all.next_page_token.clone(), ..Default::default() })
            .await
            .unwrap()
            .into_inner();
        let mut seen: Vec<String> = all.tickets.iter().chain(&rest.tickets).map(|t| t.team_id.clone()).collect();
        seen.sort();
        assert_eq!(seen, ["", "", "t-billing", "t-billing", "t-billing"]);
        assert!(rest.next_page_token.is_empty());

        let urgent = billing
            .search_tickets(pb::SearchTicketsRequest { query: "charge".into(), filter: "priority = URGENT".into(), ..Default::default() })
            .await
            .unwrap()
            .into_inner();
        let urgent: Vec<String> = urgent.tickets.into_iter().map(|t| t.subject).collect();
        assert_eq!(urgent.len(), 2, "{urgent:?}");
        assert!(urgent.iter().all(|s| !s.contains("t-tech")), "{urgent:?}");

        let forged = expect_error(billing.search_tickets(pb::SearchTicketsRequest { query: "charge".into(), page_token: "eyJvZmZzZXQiOjEwMDB9".into(), ..Default::default() }).await);
        assert_eq!(forged.code(), Code::InvalidArgument);
    }
}

on_both_backends! {
    /// The index is derived data: lost with its directory, it is rebuilt from the database at
    /// start, and changes made while it was gone are found.
    async fn a_lost_index_is_rebuilt_from_the_database(app) {
        let mut agent = app.ticketing(Role::Manager).await;
        let requester = tickets::requester(&mut agent).await;
        create(&mut agent, &requester, "Label printer offline", "").await;
        app.restart_after(|settings| {
            let directory = frontline_ticketing::search::TicketIndex::directory(&settings.data_dir);
            std::fs::remove_dir_all(&directory).expect("the index was where it belongs");
        })
        .await;
        let mut agent = app.ticketing(Role::Manager).await;
        assert_eq!(subjects(&mut agent, "printer").await, ["Label printer offline"]);
        create(&mut agent, &requester, "Second printer offline too", "").await;
        app.restart().await;
        let mut agent = app.ticketing(Role::Manager).await;
        assert_eq!(subjects(&mut agent, "printer offline").await.len(), 2, "resumed where it committed");
    }
}

on_both_backends! {
    /// A common word among many tickets: the best matches still come first though most matches
    /// are never scored (block-max pruning), the count is exact within a scope of fewer than
    /// 1,000 matches, and beyond that it is an estimate that says so (AIP-158).
    async fn a_common_word_is_counted_exactly_to_a_thousand_and_estimated_beyond(app) {
        let mut crm = app.ticketing(Role::CrmSync).await;
        let requester = tickets::requester(&mut crm).await;
        let records = (0..1_600).map(move |n| {
            let team = if n % 2 == 0 { "t-billing" } else { "t-tech" };
            // Two tickets say it in the subject, the rest only in a long description.
            let (subject, description) = if n == 400 || n == 1_201 {
                (format!("Refund for order {n}"), "Refund please.".to_string())
            } else {
                (format!("Order {n}"), format!("Order {n} arrived. Could you look at a refund for the late delivery of it?"))
            };
            let ticket = pb::Ticket { external_id: format!("many-{n}"), team_id: team.into(), description, ..tickets::ticket(&requester, &subject) };
            pb::ImportTicketRecord { ticket: Some(ticket), comments: Vec::new() }
        });
        let report = crm.import_tickets(tokio_stream::iter(records)).await.unwrap().into_inner();
        assert_eq!((report.imported, report.failed), (1_600, 0));

        let search = |query: &str| pb::SearchTicketsRequest { query: query.into(), page_size: 5, ..Default::default() };
        let mut admin = app.ticketing(Role::Administrator).await;
        let everything = admin.search_tickets(search("refund")).await.unwrap().into_inner();
        let best: Vec<&str> = everything.tickets.iter().take(2).map(|t| t.subject.as_str()).collect();
        assert!(best.contains(&"Refund for order 400") && best.contains(&"Refund for order 1201"), "{best:?}");
        assert!(everything.total_size_estimated, "1,600 matches are more than are counted one by one");
        assert!((1_440..=1_760).contains(&everything.total_size), "about 1,600: {}", everything.total_size);

        let mut billing = app.ticketing_in_team(Role::Agent, "agent-ola", "t-billing").await;
        let team = billing.search_tickets(search("refund")).await.unwrap().into_inner();
        assert_eq!(team.tickets[0].subject, "Refund for order 400", "the other subject match is t-tech's");
        assert_eq!((team.total_size, team.total_size_estimated), (800, false), "the team's half, counted");
        assert!(team.tickets.iter().all(|t| t.team_id == "t-billing"));
    }
}
