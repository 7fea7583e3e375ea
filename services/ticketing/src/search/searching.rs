//! Running a ticket search: the search box's words (every one required) over the fields the
//! caller may match on, and the caller's scope as a clause of the same query, so a ticket the
//! caller may not see is never scored, counted or returned.
use frontline_shared::{
    ApiError, ApiResult,
    blocking::Stop,
    text::{
        CappedCount, Counted, Stoppable,
        analysis::FL_FOLD,
        query::{self, SearchField, UserQuery, Words},
    },
};
use tantivy::{
    Term,
    collector::TopDocs,
    query::{BooleanQuery, Occur, Query, TermQuery},
    schema::{Field, IndexRecordOption},
};

use super::{index::TicketIndex, schema};

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

/// The best matches, best first, and how many match in all.
#[derive(Debug)]
pub struct Found {
    pub ticket_ids: Vec<i64>,
    pub total: Counted,
}

/// Counting is exact up to this many matches in a segment; beyond, it is an estimate.
pub const EXACT_COUNT_UP_TO: u64 = 1000;

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
        let Some(words) = query::build(query, &fields, self.derived.index().tokenizers(), &known, Words::All) else {
            return Err(ApiError::invalid("query", "must contain at least one word to search for"));
        };
        let Some(scope) = self.scope_clause(scope) else {
            return Ok(Found { ticket_ids: Vec::new(), total: Counted { count: 0, exact: true } });
        };
        let combined: Box<dyn Query> = match scope {
            Some(scope) => Box::new(BooleanQuery::new(vec![(Occur::Must, words), (Occur::Must, scope)])),
            None => words,
        };
        // A search stopped by its deadline is reported as such by `blocking::run`.
        let internal = |error: tantivy::TantivyError| {
            ApiError::Internal(anyhow::Error::new(error).context("searching the ticket index"))
        };
        let top = searcher
            .search(&*combined, &Stoppable::new(TopDocs::with_limit(depth.max(1)).order_by_score(), stop))
            .map_err(internal)?;
        let total = searcher
            .search(&*combined, &Stoppable::new(CappedCount::new(EXACT_COUNT_UP_TO), stop))
            .map_err(internal)?;
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

    /// The scope as a clause every hit must satisfy: Some(None) when it admits every ticket,
    /// None when it admits none.
    fn scope_clause(&self, scope: &IndexScope) -> Option<Option<Box<dyn Query>>> {
        let term = |field: Field, value: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic))
        };
        let fields = &self.fields;
        match scope {
            IndexScope::All => Some(None),
            IndexScope::Nothing => None,
            IndexScope::Team { team_id, person_id } => {
                let mut any = vec![term(fields.team, schema::NONE), term(fields.assignee, person_id)];
                any.extend(team_id.as_deref().map(|team| term(fields.team, team)));
                Some(Some(Box::new(BooleanQuery::union(any))))
            }
            IndexScope::Requester { customer_id, shared_organizations } => {
                let mut any = vec![term(fields.requester, customer_id)];
                any.extend(shared_organizations.iter().map(|organization| term(fields.organization, organization)));
                Some(Some(Box::new(BooleanQuery::union(any))))
            }
        }
    }
}
