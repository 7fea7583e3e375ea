//! How many tickets a search matches within the caller's scope: counted exactly while that is
//! cheap, estimated beyond (AIP-158 lets `total_size` be an estimate, and says so).
//!
//! The best matches are found with block-max pruning, which skips most of a common word's
//! matches; counting them all would walk every one again, and a search's cost would grow with
//! the desk. So the count walks the matches (without scoring) only until it has counted
//! [`EXACT_UP_TO`] within the scope or walked [`WALK_BUDGET`] matches in all, and scales what
//! it saw to the rest.
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use tantivy::{DocId, DocSet, SegmentReader, TERMINATED, query::Weight};

/// Matches within the scope counted one by one before the count becomes an estimate.
pub const EXACT_UP_TO: u64 = 1_000;
/// Matches (in or out of the scope) a search's count may walk across all segments: a narrow
/// scope (one requester, one team of twenty) would otherwise walk most of a common word's
/// matches to find its own, and the search would grow with the desk. Walking this many costs
/// about as much as the rest of a search at 10,000 tickets.
pub const WALK_BUDGET: u64 = 5_000;

/// A count, and whether it was estimated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count {
    pub value: u64,
    pub estimated: bool,
}

impl Count {
    pub fn exact(value: u64) -> Self {
        Self { value, estimated: false }
    }
}

/// Segments' counts add up; the sum is an estimate if any part was.
impl std::ops::Add for Count {
    type Output = Count;

    fn add(self, other: Count) -> Count {
        Count { value: self.value + other.value, estimated: self.estimated || other.estimated }
    }
}

/// What one search's count has walked so far, shared by its segments (searched one after the
/// other) so that the budget is the search's, not each segment's.
#[derive(Debug, Default)]
pub struct Tally {
    walked: AtomicU64,
    admitted: AtomicU64,
    /// Documents (matching or not) the walks passed over: what the admitted were found among.
    spanned: AtomicU64,
}

impl Tally {
    /// Counts a segment's matches that `visible` admits. `seen` of them are already known (the
    /// top-k pass saw them), so no estimate is below it.
    pub fn count_segment(
        &self,
        weight: &dyn Weight,
        reader: &SegmentReader,
        visible: &dyn Fn(DocId) -> bool,
        seen: u64,
    ) -> tantivy::Result<Count> {
        let mut matches = weight.scorer(reader, 1.0)?;
        let walked_before = self.walked.load(Relaxed);
        let admitted_before = self.admitted.load(Relaxed);
        let budget = WALK_BUDGET.saturating_sub(walked_before);
        let exact_left = EXACT_UP_TO.saturating_sub(admitted_before);
        if budget == 0 || exact_left == 0 {
            // Nothing left to walk here: the segment's documents at the rate the segments walked
            // before admitted them. (Not tantivy's `size_hint`, which for a scoped union of
            // terms can be 0 for a segment full of matches.)
            let spanned = self.spanned.load(Relaxed);
            let rate = if spanned == 0 { 1.0 } else { admitted_before as f64 / spanned as f64 };
            let estimate = (f64::from(reader.max_doc()) * rate).round() as u64;
            return Ok(Count { value: estimate.max(seen), estimated: true });
        }
        let (mut walked, mut admitted) = (0, 0);
        let mut doc = matches.doc();
        while doc != TERMINATED && walked < budget && admitted < exact_left {
            walked += 1;
            if visible(doc) {
                admitted += 1;
            }
            doc = matches.advance();
        }
        self.walked.fetch_add(walked, Relaxed);
        self.admitted.fetch_add(admitted, Relaxed);
        let spanned = if doc == TERMINATED { reader.max_doc() } else { doc };
        self.spanned.fetch_add(u64::from(spanned), Relaxed);
        if doc == TERMINATED {
            return Ok(Count::exact(admitted));
        }
        Ok(Count { value: scaled(admitted, doc, reader.max_doc()).max(seen), estimated: true })
    }
}

/// `admitted` matches were found among the segment's documents before `stopped_at`: the same
/// rate over the whole segment. A word's matches spread over a segment about evenly (documents
/// are tickets in the order they last changed), and so does a scope's share of them.
fn scaled(admitted: u64, stopped_at: DocId, max_doc: DocId) -> u64 {
    if stopped_at == 0 {
        return admitted;
    }
    (admitted as f64 * f64::from(max_doc) / f64::from(stopped_at)).round() as u64
}

#[cfg(test)]
mod tests {
    use tantivy::{
        Index, Term, doc,
        query::{EnableScoring, Query, TermQuery},
        schema::{IndexRecordOption, STRING, Schema, TEXT},
    };

    use super::*;

    /// A one-segment index of `n` documents, all holding "refund", every `team_every`-th in team
    /// "a".
    fn segment(n: u32, team_every: u32) -> (Index, Box<dyn Weight>) {
        let mut schema = Schema::builder();
        let body = schema.add_text_field("body", TEXT);
        let team = schema.add_text_field("team", STRING);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for i in 0..n {
            let team_value = if i.is_multiple_of(team_every) { "a" } else { "b" };
            writer.add_document(doc!(body => "refund please", team => team_value)).unwrap();
        }
        writer.commit().unwrap();
        let query = TermQuery::new(Term::from_field_text(body, "refund"), IndexRecordOption::Basic);
        let searcher = index.reader().unwrap().searcher();
        let weight = query.weight(EnableScoring::disabled_from_searcher(&searcher)).unwrap();
        (index, weight)
    }

    fn count(index: &Index, weight: &dyn Weight, tally: &Tally, team_every: u32, seen: u64) -> Count {
        let searcher = index.reader().unwrap().searcher();
        let visible = |doc: DocId| doc.is_multiple_of(team_every);
        tally.count_segment(weight, searcher.segment_reader(0), &visible, seen).unwrap()
    }

    #[test]
    fn a_count_below_the_exact_limit_is_exact() {
        let (index, weight) = segment(3_000, 4);
        assert_eq!(count(&index, &*weight, &Tally::default(), 4, 0), Count::exact(750));
    }

    #[test]
    fn beyond_the_exact_limit_the_rest_of_the_segment_is_estimated_at_the_same_rate() {
        let (index, weight) = segment(8_000, 2);
        let counted = count(&index, &*weight, &Tally::default(), 2, 0);
        assert!(counted.estimated);
        assert!((3_900..=4_100).contains(&counted.value), "{counted:?}");
    }

    #[test]
    fn a_narrow_scope_stops_at_the_walk_budget_and_estimates() {
        let (index, weight) = segment(30_000, 100);
        let counted = count(&index, &*weight, &Tally::default(), 100, 0);
        assert!(counted.estimated);
        assert!((270..=330).contains(&counted.value), "{counted:?}");
    }

    #[test]
    fn the_budget_is_the_searchs_across_segments() {
        let (index, weight) = segment(30_000, 100);
        let tally = Tally::default();
        count(&index, &*weight, &tally, 100, 0);
        assert_eq!(tally.walked.load(Relaxed), WALK_BUDGET, "the first segment spent it all");
        let next = count(&index, &*weight, &tally, 100, 0);
        assert_eq!(tally.walked.load(Relaxed), WALK_BUDGET, "the next walks nothing");
        assert!(next.estimated && (270..=330).contains(&next.value), "{next:?}");
    }

    #[test]
    fn an_estimate_is_never_below_what_was_seen() {
        let (index, weight) = segment(30_000, 100);
        let tally = Tally::default();
        // A first segment spent the budget: this one is estimated from its size at the rate
        // documents were admitted so far, but never below what the top-k pass saw.
        // It saw 1 in 100 in scope: 300 of this segment's 30,000 matches, below the 400 seen.
        tally.walked.store(WALK_BUDGET, Relaxed);
        tally.spanned.store(WALK_BUDGET, Relaxed);
        tally.admitted.store(WALK_BUDGET / 100, Relaxed);
        let counted = count(&index, &*weight, &tally, 100, 400);
        assert_eq!(counted, Count { value: 400, estimated: true });
    }
}
