//! The demo's knowledge base: the help centre of "Nimbus" (the product the demo's customers
//! write about), 50 articles in English, Chinese, Russian, Polish and Hebrew with a Spanish
//! translation, agent playbooks only some teams read, verifiers per language, a rule that
//! withdraws trust on bad votes, readers' votes and views, a knowledge gap, and a deflection.
//! Loaded through ImportArticles keyed by external ids, so running the demo again updates.
use anyhow::Context;
use frontline_proto::knowledge::v1::{self as kb, knowledge_service_client::KnowledgeServiceClient};
use serde::Deserialize;
use tonic::{service::interceptor::InterceptedService, transport::Channel};

use super::Bearer;

type Knowledge = KnowledgeServiceClient<InterceptedService<Channel, Bearer>>;

/// The knowledge base, shared with the search-quality test (which also uses its queries).
const KNOWLEDGE_BASE: &str = include_str!("knowledge_base.json");

/// The demo knowledge base, also the seed of the search benchmark.
#[derive(Deserialize)]
pub struct KnowledgeBase {
    pub articles: Vec<Article>,
    /// Queries readers type, each with the article that answers it.
    pub queries: Vec<Query>,
}

#[derive(Deserialize)]
pub struct Article {
    pub key: String,
    pub locale: String,
    pub title: String,
    pub body: String,
    #[serde(rename = "type")]
    pub article_type: String,
    pub tags: Vec<String>,
    pub visibility: String,
}

#[derive(Deserialize)]
pub struct Query {
    pub query: String,
    pub locale: String,
    pub expect: String,
}

pub fn knowledge_base() -> anyhow::Result<KnowledgeBase> {
    serde_json::from_str(KNOWLEDGE_BASE).context("the demo knowledge base is valid JSON")
}

const HELP_CENTRE: &str = "demo-help-centre";
const PLAYBOOKS: &str = "demo-agent-playbooks";

/// Who keeps each language's articles true.
fn verifier(locale: &str, internal: bool) -> &'static str {
    match (locale, internal) {
        (_, true) => "lead-ewa",
        ("pl", _) => "agent-ola",
        ("ru", _) => "agent-ivan",
        ("zh", _) => "agent-li",
        ("he", _) => "agent-yossi",
        _ => "lead-james",
    }
}

const SPANISH_REFUND: &str = "## Solicitar un reembolso\n\nSi un cargo de la suscripción o una compra fue un error, \
puedes pedir que te devolvamos el dinero desde el panel de Nimbus.\n\n1. Abre **Ajustes → Facturación → Cargos**.\n\
2. Busca el cargo y pulsa **Solicitar reembolso**.\n3. Elige el motivo y añade un comentario breve.\n\n\
Revisamos la mayoría de las solicitudes en dos días hábiles; el dinero vuelve al método de pago original.";

pub struct Loaded {
    pub articles: usize,
    pub locales: usize,
    pub verified: usize,
    /// Article ids by their external id (the knowledge base's keys).
    pub ids: std::collections::HashMap<String, String>,
}

/// Loads the knowledge base; before the tickets, so new tickets get suggestions from it.
pub async fn load(admin: &mut Knowledge, portal: &mut Knowledge) -> anyhow::Result<Loaded> {
    let base = knowledge_base()?;
    let help_centre = collection(admin, HELP_CENTRE, "Nimbus help centre", &[]).await?;
    collection(admin, PLAYBOOKS, "Agent playbooks", &["team-billing", "team-tier2"]).await?;
    let documents = base.articles.iter().map(document).collect::<anyhow::Result<Vec<_>>>()?;
    let imported = admin
        .import_articles(kb::ImportArticlesRequest { collection_id: help_centre, documents, dry_run: false })
        .await
        .context("importing the demo knowledge base")?
        .into_inner();
    if let Some(error) = imported.errors.first() {
        anyhow::bail!("the demo knowledge base did not import: {} ({}): {}", error.name, error.field, error.message);
    }
    super::progress("knowledge articles", base.articles.len(), base.articles.len());

    let mut ids = std::collections::HashMap::new();
    let mut page_token = String::new();
    loop {
        let page = admin
            .list_articles(kb::ListArticlesRequest { page_size: 100, page_token, ..Default::default() })
            .await?
            .into_inner();
        for article in page.articles {
            ids.insert(article.external_id.clone(), article);
        }
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    let refund = ids.get("en-refund-request").context("the English refund article")?;
    admin
        .upsert_translation(kb::UpsertTranslationRequest {
            article_id: refund.id.clone(),
            locale: "es".into(),
            title: "Solicitar un reembolso de un cargo de Nimbus".into(),
            body: SPANISH_REFUND.into(),
            ..Default::default()
        })
        .await
        .context("translating the refund article into Spanish")?;

    // Every other article is verified; the rest wait in their verifier's queue.
    let mut verified = 0;
    for (number, article) in base.articles.iter().enumerate() {
        let stored = &ids[&article.key];
        if number % 2 == 0 {
            admin
                .verify_article(kb::VerifyArticleRequest { article_id: stored.id.clone(), etag: String::new() })
                .await
                .with_context(|| format!("verifying {}", article.key))?;
            verified += 1;
        }
    }
    verification_rule(admin).await?;

    // Readers at work: views, votes, a search for something the knowledge base lacks.
    for (key, helpful) in [("en-refund-request", true), ("pl-refund-request", true), ("en-two-factor-setup", false)] {
        if let Some(article) = ids.get(key) {
            portal.record_view(kb::RecordViewRequest { article_id: article.id.clone(), locale: String::new() }).await?;
            let comment = if helpful { "" } else { "The QR code step does not match the app any more" };
            portal
                .record_feedback(kb::RecordFeedbackRequest {
                    article_id: article.id.clone(),
                    helpful,
                    comment: comment.into(),
                    ..Default::default()
                })
                .await?;
        }
    }
    for query in ["dark mode agent console", "тёмная тема"] {
        portal.search_articles(kb::SearchArticlesRequest { query: query.into(), ..Default::default() }).await?;
    }
    let mut locales: Vec<&str> = base.articles.iter().map(|a| a.locale.as_str()).collect();
    locales.push("es");
    locales.sort();
    locales.dedup();
    let ids = ids.into_iter().map(|(key, article)| (key, article.id)).collect();
    Ok(Loaded { articles: base.articles.len(), locales: locales.len(), verified, ids })
}

/// Agents marking the article that answered a ticket: the deflections analytics counts.
pub async fn record_deflections(
    admin: &mut Knowledge,
    loaded: &Loaded,
    deflections: &[(String, &str)],
) -> anyhow::Result<()> {
    for (ticket_id, key) in deflections {
        if let Some(article_id) = loaded.ids.get(*key) {
            admin
                .mark_suggestion_solved(kb::MarkSuggestionSolvedRequest {
                    ticket_id: ticket_id.clone(),
                    article_id: article_id.clone(),
                    locale: String::new(),
                })
                .await
                .with_context(|| format!("recording that {key} solved ticket {ticket_id}"))?;
        }
    }
    Ok(())
}

/// The collection with `external_id`, created when missing; returns its id.
async fn collection(admin: &mut Knowledge, external_id: &str, name: &str, readers: &[&str]) -> anyhow::Result<String> {
    let existing = admin.list_collections(kb::ListCollectionsRequest::default()).await?.into_inner().collections;
    if let Some(found) = existing.into_iter().find(|c| c.external_id == external_id) {
        return Ok(found.id);
    }
    let created = admin
        .create_collection(kb::CreateCollectionRequest {
            collection: Some(kb::Collection {
                name: name.into(),
                external_id: external_id.into(),
                reader_team_ids: readers.iter().map(|team| team.to_string()).collect(),
                ..Default::default()
            }),
        })
        .await
        .with_context(|| format!("creating the {name} collection"))?;
    Ok(created.into_inner().id)
}

async fn verification_rule(admin: &mut Knowledge) -> anyhow::Result<()> {
    const NAME: &str = "Readers report it is wrong";
    let rules = admin.list_verification_rules(kb::ListVerificationRulesRequest {}).await?.into_inner().rules;
    if rules.iter().any(|rule| rule.name == NAME) {
        return Ok(());
    }
    admin
        .create_verification_rule(kb::CreateVerificationRuleRequest {
            rule: Some(kb::VerificationRule {
                name: NAME.into(),
                trigger: Some(kb::verification_rule::Trigger::NotHelpfulVotes(kb::NotHelpfulVotes {
                    at_least: 3,
                    within_days: 30,
                })),
                ..Default::default()
            }),
        })
        .await?;
    Ok(())
}

/// One article as a Markdown document with front matter (strings as JSON, which YAML reads).
fn document(article: &Article) -> anyhow::Result<kb::ImportDocument> {
    let internal = article.visibility == "INTERNAL";
    let content = format!(
        "---\nid: {}\ntitle: {}\nlocale: {}\ntype: {}\ntags: {}\ncollection: {}\nvisibility: {}\nstatus: published\n\
         verifier: {}\nverification_interval: {}\n---\n\n{}\n",
        article.key,
        serde_json::to_string(&article.title)?,
        article.locale,
        article.article_type.to_lowercase(),
        serde_json::to_string(&article.tags)?,
        if internal { PLAYBOOKS } else { HELP_CENTRE },
        article.visibility.to_lowercase(),
        verifier(&article.locale, internal),
        if internal { "quarterly" } else { "monthly" },
        article.body
    );
    Ok(kb::ImportDocument { name: format!("{}.md", article.key), content, format: kb::BodyFormat::Markdown as i32 })
}
