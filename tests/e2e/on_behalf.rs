//! When one service calls another for a caller, the caller's rights decide: knowledge reads a
//! ticket as the agent who named it, and a ticket's suggestions (computed by ticketing for
//! itself) are shown to each reader only as far as that reader may read them.
use std::time::Duration;

use frontline_proto::{knowledge::v1 as kb, ticketing::v1 as tk};
use frontline_shared::auth::Role;
use tonic::Code;

use crate::{
    knowledge::{admin, collection, create, draft, publish},
    knowledge_search::ticket_about,
    on_both_backends,
    support::{Bearer, TestApp, eventually, expect_error, violated_fields},
};

/// Three published password articles: public, internal, and public but in team B's collection.
struct Articles {
    public: String,
    internal: String,
    team_b_only: String,
}

async fn password_articles(app: &TestApp) -> Articles {
    let mut admin = admin(app).await;
    let open = collection(&mut admin, "Help centre", "", &[]).await;
    let team_b = collection(&mut admin, "Team B runbooks", "", &["t-b"]).await;
    let public =
        create(&mut admin, draft(&open.id, "en", "Reset your password", "Reset your password from the sign-in page."))
            .await;
    let mut runbook = draft(
        &open.id,
        "en",
        "Password reset runbook",
        "Password reset for locked accounts: unlock in the console first.",
    );
    runbook.visibility = kb::Visibility::Internal as i32;
    let internal = create(&mut admin, runbook).await;
    let team_b_only = create(
        &mut admin,
        draft(&team_b.id, "en", "Password reset for partners", "Partners reset their password through us."),
    )
    .await;
    for article in [&public, &internal, &team_b_only] {
        publish(&mut admin, &article.id).await;
    }
    Articles { public: public.id, internal: internal.id, team_b_only: team_b_only.id }
}

fn ids(ticket: &tk::Ticket) -> Vec<&str> {
    let mut ids: Vec<&str> = ticket.suggested_articles.iter().map(|s| s.article_id.as_str()).collect();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<&str>) -> Vec<&str> {
    ids.sort();
    ids
}

on_both_backends! {
    async fn a_tickets_suggestions_show_each_reader_only_the_articles_they_may_read(app) {
        let articles = password_articles(&app).await;
        let mut admin = app.ticketing(Role::Administrator).await;
        let ticket = ticket_about(&mut admin, "Password reset", "I cannot reset my password.").await;
        let get = tk::GetTicketRequest { id: ticket.id.clone() };
        // Suggestions arrive in the background, asked for by ticketing as itself: all three.
        let seen_by_admin = eventually(Duration::from_secs(10), || {
            let (mut admin, get) = (admin.clone(), get.clone());
            async move {
                let ticket = admin.get_ticket(get).await.unwrap().into_inner();
                (ticket.suggested_articles.len() == 3).then_some(ticket)
            }
        }).await;
        assert_eq!(ids(&seen_by_admin), sorted(vec![&articles.public, &articles.internal, &articles.team_b_only]));

        let mut agent_a = app.ticketing_in_team(Role::Agent, "agent-ola", "t-a").await;
        let ticket_for_a = agent_a.get_ticket(get.clone()).await.unwrap().into_inner();
        assert_eq!(ids(&ticket_for_a), sorted(vec![&articles.public, &articles.internal]), "not team B's collection");
        let mut agent_b = app.ticketing_in_team(Role::Agent, "agent-kai", "t-b").await;
        assert_eq!(agent_b.get_ticket(get.clone()).await.unwrap().into_inner().suggested_articles.len(), 3);
        let mut gateway = app.ticketing(Role::Portal).await;
        let ticket_for_gateway = gateway.get_ticket(get.clone()).await.unwrap().into_inner();
        assert_eq!(ids(&ticket_for_gateway), [articles.public.as_str()], "customers see public articles only");
        let requester = app.end_user_token("dana@example.com", &ticket.requester_id);
        let mut dana = app.ticketing_as(Bearer::token(&requester)).await;
        assert_eq!(ids(&dana.get_ticket(get).await.unwrap().into_inner()), [articles.public.as_str()]);
    }
}

on_both_backends! {
    async fn knowledge_reads_a_named_ticket_with_the_callers_rights(app) {
        let articles = password_articles(&app).await;
        let mut admin = app.ticketing(Role::Administrator).await;
        let mut theirs = ticket_about(&mut admin, "Password reset", "A partner cannot reset a password.").await;
        theirs = admin.update_ticket(tk::UpdateTicketRequest {
            ticket: Some(tk::Ticket { id: theirs.id.clone(), team_id: "t-b".into(), ..Default::default() }),
            update_mask: Some(prost_types::FieldMask { paths: vec!["team_id".into()] }),
        }).await.unwrap().into_inner();

        let mut agent_a = app.knowledge(Role::Agent, "agent-ola", Some("t-a")).await;
        let suggest = |ticket_id: &str| kb::SuggestArticlesRequest { ticket_id: ticket_id.into(), ..Default::default() };
        // Team B's ticket and a ticket that does not exist look the same to team A.
        let hidden = expect_error(agent_a.suggest_articles(suggest(&theirs.id)).await);
        let missing = expect_error(agent_a.suggest_articles(suggest("999999")).await);
        assert_eq!((hidden.code(), missing.code()), (Code::NotFound, Code::NotFound));
        assert_eq!(hidden.message().replace(&theirs.id, "ID"), missing.message().replace("999999", "ID"));
        let mut agent_b = app.knowledge(Role::Agent, "agent-kai", Some("t-b")).await;
        let found = agent_b.suggest_articles(suggest(&theirs.id)).await.unwrap().into_inner().suggestions;
        assert!(found.iter().any(|s| s.article_id == articles.team_b_only), "team B reads its own ticket");

        let solved = |ticket_id: &str| kb::MarkSuggestionSolvedRequest {
            ticket_id: ticket_id.into(), article_id: articles.public.clone(), locale: String::new(),
        };
        assert_eq!(expect_error(agent_a.mark_suggestion_solved(solved(&theirs.id)).await).code(), Code::NotFound);
        assert_eq!(expect_error(agent_a.mark_suggestion_solved(solved("999999")).await).code(), Code::NotFound);
        assert_eq!(violated_fields(&expect_error(agent_a.mark_suggestion_solved(solved("abc")).await)), ["ticket_id"]);
        let deflection = agent_b.mark_suggestion_solved(solved(&theirs.id)).await.unwrap().into_inner();
        assert_eq!((deflection.ticket_id.as_str(), deflection.marked_by.as_str()), (theirs.id.as_str(), "agent-kai"));
    }
}

on_both_backends! {
    async fn list_readable_articles_answers_only_for_what_the_caller_may_read(app) {
        let articles = password_articles(&app).await;
        let asked = vec![articles.internal.clone(), "no-such-article".into(), articles.public.clone(), articles.team_b_only.clone()];
        let request = kb::ListReadableArticlesRequest { ids: asked, locale: "en".into() };
        let answer = |mut client: crate::knowledge::Knowledge, request: kb::ListReadableArticlesRequest| async move {
            let found = client.list_readable_articles(request).await.unwrap().into_inner().articles;
            found.into_iter().map(|article| article.article_id).collect::<Vec<_>>()
        };
        let admin = app.knowledge(Role::Administrator, "admin-ada", None).await;
        assert_eq!(answer(admin, request.clone()).await, [articles.internal.as_str(), &articles.public, &articles.team_b_only], "in the order asked");
        let agent_a = app.knowledge(Role::Agent, "agent-ola", Some("t-a")).await;
        assert_eq!(answer(agent_a, request.clone()).await, [articles.internal.as_str(), &articles.public]);
        let mut portal = app.knowledge(Role::Portal, "portal", None).await;
        assert_eq!(answer(portal.clone(), request.clone()).await, [articles.public.as_str()]);

        let too_many = kb::ListReadableArticlesRequest { ids: vec!["a".into(); 51], locale: String::new() };
        assert_eq!(violated_fields(&expect_error(portal.list_readable_articles(too_many).await)), ["ids"]);
        let blank = kb::ListReadableArticlesRequest { ids: vec![articles.public.clone(), " ".into()], locale: String::new() };
        assert_eq!(violated_fields(&expect_error(portal.list_readable_articles(blank).await)), ["ids[1]"]);
        let mut crm = app.knowledge(Role::CrmSync, "crm", None).await;
        assert_eq!(expect_error(crm.list_readable_articles(request).await).code(), Code::PermissionDenied);
    }
}
