//! A collector that gives up between segments once the call's stop is raised, for searches
//! run on the blocking pool (`crate::blocking`).
use tantivy::{
    SegmentOrdinal, SegmentReader, TantivyError,
    collector::{Collector, SegmentCollector},
    query::Weight,
};

use crate::blocking::Stop;

/// A collector that gives up between segments once the call's stop is raised. (Within a segment,
/// tantivy's scorers — block-max WAND for the top documents — run to the end of it: stopping
/// there would mean giving up that pruning on every search to save time on a rare one.)
pub struct Stoppable<C> {
    inner: C,
    stop: Stop,
}

impl<C> Stoppable<C> {
    pub fn new(inner: C, stop: &Stop) -> Self {
        Self { inner, stop: stop.clone() }
    }
}

impl<C: Collector> Collector for Stoppable<C> {
    type Fruit = C::Fruit;
    type Child = C::Child;

    fn for_segment(&self, segment: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<C::Child> {
        self.inner.for_segment(segment, reader)
    }

    fn requires_scoring(&self) -> bool {
        self.inner.requires_scoring()
    }

    fn merge_fruits(&self, fruits: Vec<<C::Child as SegmentCollector>::Fruit>) -> tantivy::Result<C::Fruit> {
        self.inner.merge_fruits(fruits)
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<<C::Child as SegmentCollector>::Fruit> {
        if self.stop.is_raised() {
            return Err(TantivyError::InternalError("the search was stopped".into()));
        }
        self.inner.collect_segment(weight, segment, reader)
    }
}

#[cfg(test)]
mod tests {
    use tantivy::{
        Index, doc,
        query::AllQuery,
        schema::{STORED, Schema, TEXT},
    };

    use tantivy::collector::Count;

    use super::*;

    #[test]
    fn a_search_whose_stop_is_raised_gives_up_before_scoring_a_segment() {
        let mut schema = Schema::builder();
        let body = schema.add_text_field("body", TEXT | STORED);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for n in 0..100 {
            writer.add_document(doc!(body => format!("printer {n}"))).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let counted = searcher.search(&AllQuery, &Stoppable::new(Count, &Stop::never())).unwrap();
        assert_eq!(counted, 100);
        let stopped = searcher.search(&AllQuery, &Stoppable::new(Count, &Stop::raised()));
        assert!(matches!(stopped, Err(tantivy::TantivyError::InternalError(_))), "{stopped:?}");
    }
}
