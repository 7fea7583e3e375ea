//! Running a search: the user's query (our small query language, per-language analysis), the
//! filters, and the caller's permissions combined into one tantivy query, so what a caller may
//! not read is never scored, counted or snippeted.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use frontline_shared::{ApiError, ApiResult, blocking::Stop, text::Stoppable};
use tantivy::{
    DocAddress, Searcher, TantivyDocument, Term,
    collector::{Count, TopDocs},
    query::{BooleanQuery, Occur, Query, TermQuery},
    schema::{Field, IndexRecordOption, Value},
    snippet::SnippetGenerator,
};

use super::{
    analysis::{ANALYZERS, analyzer_for_locale},
    index::SearchIndex,
    query::{self, SearchField, UserQuery},
    schema::{Fields, READERS_ALL, readers_team},
};
use crate::domain::verification::{self, Standing, VerificationState};

/// What the caller may see, decided by the api layer from its principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Every article (administrators, managers, directors, services, BI).
    Everything,
    /// Staff: unrestricted collections, and those restricted to their team.
    Staff { team_id: Option<String> },
    /// Customers: published public articles of unrestricted collections.
    Public,
}

#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub locales: Vec<String>,
    pub collection_id: Option<String>,
    pub tags: Vec<String>,
    /// Type names ("faq"…); empty = any.
    pub types: Vec<&'static str>,
    /// Status names; empty = published.
    pub statuses: Vec<&'static str>,
    /// Visibility name; None = any.
    pub visibility: Option<&'static str>,
    /// No typo tolerance: for ticket text and article bodies, whose many words carry the
    /// meaning without it (and would each cost a fuzzy lookup).
    pub exact_words_only: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub article_id: String,
    pub locale: String,
    pub title: String,
    pub snippet: String,
    pub body_text: String,
    pub score: f32,
    pub collection_id: String,
    pub article_type: String,
    pub visibility: String,
    pub status: String,
    pub standing: Standing,
    pub tags: Vec<String>,
}

pub struct Found {
    pub hits: Vec<Hit>,
    pub total: usize,
}

const SNIPPET_CHARS: usize = 220;

impl SearchIndex {
    /// Searches with `query`; hits `offset..offset+limit` of those the audience may read.
    pub async fn search(
        &self,
        query: UserQuery,
        filters: Filters,
        audience: Audience,
        offset: usize,
        limit: usize,
    ) -> ApiResult<Found> {
        let index = self.clone();
        frontline_shared::blocking::run(move |stop| {
            index
                .search_now(&query, &filters, &audience, offset, limit, stop)
                .map_err(|error| ApiError::Internal(error.context("searching the index")))
        })
        .await
    }

    fn search_now(
        &self,
        query: &UserQuery,
        filters: &Filters,
        audience: &Audience,
        offset: usize,
        limit: usize,
        stop: &Stop,
    ) -> anyhow::Result<Found> {
        let fields = self.fields();
        let analyzers: Vec<&'static str> = if filters.locales.is_empty() {
            ANALYZERS.to_vec()
        } else {
            let mut chosen: Vec<&'static str> = filters.locales.iter().map(|l| analyzer_for_locale(l)).collect();
            chosen.sort();
            chosen.dedup();
            chosen
        };
        let search_fields: Vec<SearchField> = analyzers
            .iter()
            .flat_map(|&analyzer| {
                let (title, body) = fields.text_fields(analyzer);
                [SearchField { field: title, analyzer, boost: 2.0 }, SearchField { field: body, analyzer, boost: 1.0 }]
            })
            .collect();
        let searcher = self.derived.reader().searcher();
        let known = |term: &Term| filters.exact_words_only || searcher.doc_freq(term).is_ok_and(|n| n > 0);
        let Some(user_query) = query::build(
            query,
            &search_fields,
            self.derived.index().tokenizers(),
            &known,
            query::Words::Any,
            query::FieldScores::BestField,
        ) else {
            return Ok(Found { hits: Vec::new(), total: 0 });
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, user_query.box_clone())];
        clauses.extend(filter_clauses(fields, filters, audience).into_iter().map(|q| (Occur::Must, q)));
        let combined = BooleanQuery::new(clauses);
        let collector =
            Stoppable::new((Count, TopDocs::with_limit(limit.max(1)).and_offset(offset).order_by_score()), stop);
        let (total, top) = searcher.search(&combined, &collector)?;
        let mut snippets: HashMap<Field, SnippetGenerator> = HashMap::new();
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top.into_iter().take(limit) {
            stop.check()?; // snippets are the costly part of a page
            hits.push(self.hit(&searcher, &*user_query, &mut snippets, score, address)?);
        }
        Ok(Found { hits, total })
    }

    fn hit(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        snippets: &mut HashMap<Field, SnippetGenerator>,
        score: f32,
        address: DocAddress,
    ) -> anyhow::Result<Hit> {
        let fields = self.fields();
        let doc: TantivyDocument = searcher.doc(address)?;
        let text = |field: Field| doc.get_first(field).and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        let locale = text(fields.locale);
        let (title_field, body_field) = fields.text_fields(analyzer_for_locale(&locale));
        let body_text = text(body_field);
        let generator = match snippets.entry(body_field) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => {
                let mut generator = SnippetGenerator::create(searcher, query, body_field)?;
                generator.set_max_num_chars(SNIPPET_CHARS);
                entry.insert(generator)
            }
        };
        let snippet = generator.snippet_from_doc(&doc);
        let snippet = if snippet.fragment().is_empty() { opening(&body_text) } else { snippet.to_html() };
        let due_at = doc.get_first(fields.due_at).and_then(|v| v.as_i64()).filter(|&micros| micros > 0);
        let state = if text(fields.verification) == "verified" {
            VerificationState::Verified
        } else {
            VerificationState::Unverified
        };
        Ok(Hit {
            article_id: text(fields.article_id),
            title: text(title_field),
            locale,
            snippet,
            body_text,
            score,
            collection_id: text(fields.collection),
            article_type: text(fields.article_type),
            visibility: text(fields.visibility),
            status: text(fields.status),
            standing: verification::standing(
                state,
                due_at.and_then(DateTime::<Utc>::from_timestamp_micros),
                Utc::now(),
                chrono::Duration::days(7),
            ),
            tags: doc.get_all(fields.tags).filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        })
    }
}

/// The start of a body when no matched word is in it (the title matched): escaped like a snippet.
fn opening(body: &str) -> String {
    let mut cut: String = body.chars().take(SNIPPET_CHARS).collect();
    if cut.len() < body.len() {
        cut.push('…');
    }
    cut.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn term(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic))
}

fn any_of(field: Field, values: &[impl AsRef<str>]) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(values.iter().map(|v| (Occur::Should, term(field, v.as_ref()))).collect()))
}

/// The filters and the permission check, each a clause every hit must satisfy.
fn filter_clauses(fields: &Fields, filters: &Filters, audience: &Audience) -> Vec<Box<dyn Query>> {
    let mut clauses = Vec::new();
    if !filters.locales.is_empty() {
        clauses.push(any_of(fields.locale, &filters.locales));
    }
    if let Some(collection) = &filters.collection_id {
        clauses.push(term(fields.collection_tree, collection));
    }
    for tag in &filters.tags {
        clauses.push(term(fields.tags, tag));
    }
    if !filters.types.is_empty() {
        clauses.push(any_of(fields.article_type, &filters.types));
    }
    let statuses: &[&str] = if filters.statuses.is_empty() { &["published"] } else { &filters.statuses };
    clauses.push(any_of(fields.status, statuses));
    if let Some(visibility) = filters.visibility {
        clauses.push(term(fields.visibility, visibility));
    }
    match audience {
        Audience::Everything => {}
        Audience::Staff { team_id } => {
            let mut readers = vec![READERS_ALL.to_owned()];
            readers.extend(team_id.iter().map(|team| readers_team(team)));
            clauses.push(any_of(fields.readers, &readers));
        }
        Audience::Public => {
            clauses.push(term(fields.readers, READERS_ALL));
            clauses.push(term(fields.visibility, "public"));
            clauses.push(term(fields.status, "published"));
        }
    }
    clauses
}
