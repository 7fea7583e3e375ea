//! Running a ticket search: the search box's words (every one required) over the fields the
//! caller may match on, with the caller's scope checked on every match in the same pass (see
//! [`super::scoped`]), so a ticket the caller may not see is never returned or counted.
use frontline_shared::{
    ApiError, ApiResult,
    blocking::Stop,
    text::{
        Stoppable,
        analysis::FL_FOLD,
        query::{self, FieldScores, SearchField, UserQuery, Words},
    },
};
use tantivy::Term;

use super::{
    count::{Count, Tally},
    index::TicketIndex,
    schema,
    scoped::ScopedTop,
};

/// Whose tickets a search may find, as the index knows them.
#[derive(Debug, Clone)]
pub enum IndexScope {
    All,
    /// A team's tickets, those assigned to the person, and the shared inbox (no team).
    Team {
        team_id: Option<String>,
        person_id: String,
    },
    /// A requester's tickets, and those of organisations that share theirs with them.
    Requester {
        customer_id: String,
        shared_organizations: Vec<String>,
    },
    Nothing,
}

/// What may a reader match on besides the public side of a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notes {
    Searched,
    Hidden,
}

/// The best matches, best first, and how many match in all (within the scope).
#[derive(Debug)]
pub struct Found {
    pub ticket_ids: Vec<i64>,
    pub total: Count,
}

impl TicketIndex {
    /// The `depth` best matches of `query` within `scope`. INVALID_ARGUMENT `query` when no
    /// word of it can be searched for.
    pub async fn search(&self, query: UserQuery, scope: IndexScope, notes: Notes, depth: usize) -> ApiResult<Found> {
        let index = self.clone();
        frontline_shared::blocking::run(move |stop| index.search_now(&query, &scope, notes, depth, stop)).await
    }

    fn search_now(
        &self,
        query: &UserQuery,
        scope: &IndexScope,
        notes: Notes,
        depth: usize,
        stop: &Stop,
    ) -> ApiResult<Found> {
        let searcher = self.derived.reader().searcher();
        let known = |term: &Term| searcher.doc_freq(term).is_ok_and(|n| n > 0);
        let fields = self.search_fields(notes);
        let Some(words) =
            query::build(query, &fields, self.derived.index().tokenizers(), &known, Words::All, FieldScores::Summed)
        else {
            return Err(ApiError::invalid("query", "needs at least one word to look for (not only -exclusions)"));
        };
        // A search stopped by its deadline is reported as such by `blocking::run`.
        let internal = |error: tantivy::TantivyError| {
            ApiError::Internal(anyhow::Error::new(error).context("searching the ticket index"))
        };
        let collector = ScopedTop { scope, fields: &self.fields, depth, tally: Tally::default() };
        let (top, total) = searcher.search(&*words, &Stoppable::new(collector, stop)).map_err(internal)?;
        let mut ticket_ids = Vec::with_capacity(top.len());
        for (_, address) in top {
            let column =
                searcher.segment_reader(address.segment_ord).fast_fields().u64("ticket_id").map_err(internal)?;
            ticket_ids.extend(column.first(address.doc_id).map(|id| id as i64));
        }
        Ok(Found { ticket_ids, total })
    }

    /// Subjects weigh most, then identifiers, then the conversation.
    fn search_fields(&self, notes: Notes) -> Vec<SearchField> {
        let mut fields = vec![SearchField { field: self.fields.keys, analyzer: FL_FOLD, boost: 1.5 }];
        for analyzer in schema::analyzers() {
            let text = self.fields.text[analyzer];
            fields.push(SearchField { field: text.subject, analyzer, boost: 2.0 });
            fields.push(SearchField { field: text.public, analyzer, boost: 1.0 });
            if notes == Notes::Searched {
                fields.push(SearchField { field: text.internal, analyzer, boost: 1.0 });
            }
        }
        fields
    }
}
