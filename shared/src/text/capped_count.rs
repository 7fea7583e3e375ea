//! Counting matches the way AIP-158 allows for large results: exact while a segment holds at
//! most `cap` matches, estimated beyond. Counting every match of a common word across a million
//! documents costs more than finding the best ten; a reader wants "about 240,000", not the
//! exact figure at that price.
//!
//! Written by hand because tantivy's `Count` always walks every match.
use tantivy::{
    DocId, Score, SegmentOrdinal, SegmentReader, TERMINATED,
    collector::{Collector, SegmentCollector},
    query::Weight,
};

/// A count of matching documents, exact or estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    pub count: u64,
    pub exact: bool,
}

pub struct CappedCount {
    cap: u64,
}

impl CappedCount {
    /// Exact up to `cap` matches in each segment (so at least `cap` in all).
    pub fn new(cap: u64) -> Self {
        Self { cap }
    }
}

/// Used only where tantivy drives the collection itself (inside a tuple of collectors): exact.
pub struct SegmentCount(u64);

impl SegmentCollector for SegmentCount {
    type Fruit = Counted;

    fn collect(&mut self, _doc: DocId, _score: Score) {
        self.0 += 1;
    }

    fn harvest(self) -> Counted {
        Counted { count: self.0, exact: true }
    }
}

impl Collector for CappedCount {
    type Fruit = Counted;
    type Child = SegmentCount;

    fn for_segment(&self, _segment: SegmentOrdinal, _reader: &SegmentReader) -> tantivy::Result<SegmentCount> {
        Ok(SegmentCount(0))
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Counted>) -> tantivy::Result<Counted> {
        Ok(Counted { count: fruits.iter().map(|f| f.count).sum(), exact: fruits.iter().all(|f| f.exact) })
    }

    /// Walks the segment's matches until the cap, and scales what it saw by how far into the
    /// segment it got: documents are in the order they were added, so the part walked stands
    /// for the rest.
    fn collect_segment(
        &self,
        weight: &dyn Weight,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<Counted> {
        let mut scorer = weight.scorer(reader, 1.0)?;
        let alive = reader.alive_bitset();
        let mut seen = 0_u64;
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|alive| alive.is_alive(doc)) {
                seen += 1;
                if seen > self.cap {
                    let walked = f64::from(doc) + 1.0;
                    let estimate = seen as f64 * f64::from(reader.max_doc()) / walked;
                    return Ok(Counted { count: estimate.round() as u64, exact: false });
                }
            }
            doc = scorer.advance();
        }
        Ok(Counted { count: seen, exact: true })
    }
}

#[cfg(test)]
mod tests {
    use tantivy::{
        Index, doc,
        query::TermQuery,
        schema::{IndexRecordOption, STRING, Schema},
    };

    use super::*;

    #[test]
    fn exact_up_to_the_cap_and_close_beyond_it() {
        let mut schema = Schema::builder();
        let word = schema.add_text_field("word", STRING);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for n in 0..20_000 {
            // "common" in every other document, "rare" in one of a thousand.
            writer.add_document(doc!(word => if n % 2 == 0 { "common" } else { "other" })).unwrap();
            if n % 1000 == 0 {
                writer.add_document(doc!(word => "rare")).unwrap();
            }
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let count = |text: &str| {
            let query = TermQuery::new(tantivy::Term::from_field_text(word, text), IndexRecordOption::Basic);
            searcher.search(&query, &CappedCount::new(1000)).unwrap()
        };
        assert_eq!(count("rare"), Counted { count: 20, exact: true });
        let common = count("common");
        assert!(!common.exact);
        assert!((9_000..=11_000).contains(&common.count), "{common:?}");
    }
}
