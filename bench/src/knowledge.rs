//! Knowledge search at scale: `articles` published articles in English, Chinese, Russian,
//! Polish and Hebrew (a fifth internal, in a collection only one team reads), imported in
//! batches as a migration from another help centre would be, then searched with the queries
//! readers type (the demo knowledge base's own), as an agent and as a customer portal.
use std::{
    io::Write,
    time::{Duration, Instant},
};

use frontline::demo::Bearer;
use frontline::demo::knowledge::{Article, knowledge_base};
use frontline_proto::knowledge::v1::{self as kb, knowledge_service_client::KnowledgeServiceClient};
use frontline_shared::auth::Role;

use crate::{Suite, load};

/// ImportArticles takes at most this many documents per call.
const BATCH: usize = 2_000;

type Client =
    KnowledgeServiceClient<tonic::service::interceptor::InterceptedService<tonic::transport::Channel, Bearer>>;

fn client(suite: &Suite, role: Role, team: Option<&str>) -> Client {
    let bearer = Bearer::from_header(&suite.bearer(role, "bench", team)).expect("ASCII token");
    KnowledgeServiceClient::with_interceptor(suite.channel.clone(), bearer).max_decoding_message_size(64 << 20)
}

/// Article `n`: paragraphs of three same-language articles of the knowledge base, so the
/// words and their frequencies are those of real help-centre text, plus a number of its own.
fn synthetic(n: usize, by_language: &[Vec<&Article>]) -> String {
    let language = &by_language[n % by_language.len()];
    let pick = |k: usize| language[(n / by_language.len() * 7 + k * 3) % language.len()];
    let (a, b, c) = (pick(0), pick(1), pick(2));
    let paragraph = |article: &Article, which: usize| {
        let parts: Vec<&str> = article.body.split("\n\n").collect();
        parts[which % parts.len()].to_string()
    };
    let internal = a.visibility == "INTERNAL";
    let title = format!("{} ({})", a.title, n);
    let body = format!("{}\n\n{}\n\n{}\n\nRef {n}", paragraph(a, n), paragraph(b, n / 3), paragraph(c, n / 7));
    format!(
        "---\nid: bench-{n}\ntitle: {}\nlocale: {}\ntype: {}\ntags: {}\ncollection: {}\nvisibility: {}\nstatus: published\n---\n\n{body}\n",
        quoted(&title),
        a.locale,
        a.article_type.to_lowercase(),
        quoted_list(&a.tags),
        if internal { "bench-playbooks" } else { "bench-help-centre" },
        a.visibility.to_lowercase(),
    )
}

/// A double-quoted YAML scalar (the titles carry colons and quotes).
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn quoted_list(items: &[String]) -> String {
    format!("[{}]", items.iter().map(|item| quoted(item)).collect::<Vec<_>>().join(", "))
}

pub async fn seed(suite: &Suite, articles: usize) -> anyhow::Result<()> {
    collections(suite).await?;
    import(suite, 0, articles).await?;
    Ok(())
}

/// The two collections the articles go in: the public help centre and a team's playbooks.
pub async fn collections(suite: &Suite) -> anyhow::Result<()> {
    let mut admin = client(suite, Role::Administrator, None);
    for (external_id, name, readers) in [
        ("bench-help-centre", "Help centre", vec![]),
        ("bench-playbooks", "Agent playbooks", vec!["bench-team-01".to_string()]),
    ] {
        admin
            .create_collection(kb::CreateCollectionRequest {
                collection: Some(kb::Collection {
                    name: name.into(),
                    external_id: external_id.into(),
                    reader_team_ids: readers,
                    ..Default::default()
                }),
            })
            .await?;
    }
    Ok(())
}

/// Imports synthetic articles `from..to` in batches, with progress; returns the time it took.
pub async fn import(suite: &Suite, from: usize, to: usize) -> anyhow::Result<Duration> {
    let base = knowledge_base()?;
    let mut locales: Vec<&str> = base.articles.iter().map(|a| a.locale.as_str()).collect();
    locales.sort();
    locales.dedup();
    let by_language: Vec<Vec<&Article>> =
        locales.iter().map(|locale| base.articles.iter().filter(|a| a.locale == *locale).collect()).collect();
    let mut admin = client(suite, Role::Administrator, None);
    let started = Instant::now();
    let mut done = from;
    while done < to {
        let batch = BATCH.min(to - done);
        let documents = (done..done + batch)
            .map(|n| kb::ImportDocument { name: format!("bench-{n}"), content: synthetic(n, &by_language), format: 0 })
            .collect();
        let imported = admin
            .import_articles(kb::ImportArticlesRequest { collection_id: String::new(), documents, dry_run: false })
            .await?
            .into_inner();
        if let Some(error) = imported.errors.first() {
            anyhow::bail!("seeding articles failed at {}: {} {}", error.name, error.field, error.message);
        }
        done += batch;
        eprint!(
            "\rseeding knowledge: {done}/{to} articles ({:.0}/s)",
            (done - from) as f64 / started.elapsed().as_secs_f64()
        );
        let _ = std::io::stderr().flush();
    }
    eprintln!();
    Ok(started.elapsed())
}

pub async fn run(
    suite: &Suite,
    articles: usize,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<Vec<load::Measurement>> {
    let queries = queries()?;
    let mut results = Vec::new();
    for (who, role, team) in [("agent", Role::Agent, Some("bench-team-02")), ("portal", Role::Portal, None)] {
        let name = format!("search as {who} ({articles} articles, 5 languages)");
        results.push(search(suite, &name, role, team, &queries, concurrency, duration).await);
    }
    let suggester = client(suite, Role::Service, None);
    let tickets: Vec<String> =
        queries.iter().map(|q| format!("{q}. Please help, this is urgent for our shop.")).collect();
    results.push(
        load::run(
            &format!("suggest articles for a ticket ({articles} articles)"),
            concurrency,
            duration,
            move |worker, n| {
                let mut suggester = suggester.clone();
                let description = tickets[(worker * 17 + n as usize) % tickets.len()].clone();
                async move {
                    suggester
                        .suggest_articles(kb::SuggestArticlesRequest {
                            subject: String::new(),
                            description,
                            max_results: 5,
                            ..Default::default()
                        })
                        .await?;
                    Ok(())
                }
            },
        )
        .await,
    );
    Ok(results)
}

/// Searches with the readers' queries, in turn, as `role`.
pub async fn search(
    suite: &Suite,
    name: &str,
    role: Role,
    team: Option<&str>,
    queries: &[String],
    concurrency: usize,
    duration: Duration,
) -> load::Measurement {
    let searcher = client(suite, role, team);
    let queries = queries.to_vec();
    load::run(name, concurrency, duration, move |worker, n| {
        let mut searcher = searcher.clone();
        let query = queries[(worker * 31 + n as usize) % queries.len()].clone();
        async move {
            searcher.search_articles(kb::SearchArticlesRequest { query, page_size: 10, ..Default::default() }).await?;
            Ok(())
        }
    })
    .await
}

/// The queries readers type (the demo knowledge base's own).
pub fn queries() -> anyhow::Result<Vec<String>> {
    Ok(knowledge_base()?.queries.into_iter().map(|q| q.query).collect())
}
