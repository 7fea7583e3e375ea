//! The best `depth` matches within the caller's scope, found with block-max pruning (tantivy
//! looks only at matches that could beat the worst kept), then counted (see [`super::count`]).
//! The scope is read from fast fields of each match looked at — the ticket's team, assignee,
//! requester and organisation as column ordinals — instead of being intersected as a union of
//! posting lists (the profile in BENCHMARKS.md showed that union as the largest cost of a
//! search at 100,000 tickets).
//!
//! Written by hand because tantivy's collectors filter on one numeric fast field at a time,
//! and a team's scope is "this team, the shared inbox, or assigned to me".
use std::{cmp::Ordering, collections::BinaryHeap};

use tantivy::{
    DocAddress, DocId, Score, SegmentOrdinal, SegmentReader,
    collector::{Collector, SegmentCollector},
    columnar::{Column, StrColumn},
    query::Weight,
};

use super::{
    count::{Count, Tally},
    schema::{self, Fields},
    searching::IndexScope,
};

/// The best `depth` matches within `scope`, best first, and how many matches are within it.
pub struct ScopedTop<'a> {
    pub scope: &'a IndexScope,
    pub fields: &'a Fields,
    pub depth: usize,
    pub tally: Tally,
}

/// What a segment's scope check reads: the ordinals, in that segment's dictionaries, of the
/// values the caller may see.
enum SegmentScope {
    All,
    Nothing,
    Either(Box<Either>),
}

/// Admits a document whose first column holds one of its ordinals, or whose second does.
struct Either {
    first: Column<u64>,
    first_ords: Vec<u64>,
    second: Column<u64>,
    second_ords: Vec<u64>,
}

impl SegmentScope {
    fn of(scope: &IndexScope, fields: &Fields, reader: &SegmentReader) -> tantivy::Result<Self> {
        let column = |field: tantivy::schema::Field| -> tantivy::Result<Option<StrColumn>> {
            reader.fast_fields().str(reader.schema().get_field_name(field))
        };
        let ords = |column: &Option<StrColumn>, values: &[&str]| -> tantivy::Result<Vec<u64>> {
            let Some(column) = column else { return Ok(Vec::new()) };
            let mut found = Vec::new();
            for value in values {
                found.extend(column.dictionary().term_ord(value.as_bytes())?);
            }
            Ok(found)
        };
        let (first_field, first_values, second_field, second_values): (_, Vec<&str>, _, Vec<&str>) = match scope {
            IndexScope::All => return Ok(Self::All),
            IndexScope::Nothing => return Ok(Self::Nothing),
            IndexScope::Team { team_id, person_id } => {
                let mut teams = vec![schema::NONE];
                teams.extend(team_id.as_deref());
                (fields.team, teams, fields.assignee, vec![person_id.as_str()])
            }
            IndexScope::Requester { customer_id, shared_organizations } => (
                fields.requester,
                vec![customer_id.as_str()],
                fields.organization,
                shared_organizations.iter().map(String::as_str).collect(),
            ),
        };
        let (first, second) = (column(first_field)?, column(second_field)?);
        let (first_ords, second_ords) = (ords(&first, &first_values)?, ords(&second, &second_values)?);
        Ok(match (first, second) {
            (Some(first), Some(second)) => Self::Either(Box::new(Either {
                first: first.ords().clone(),
                first_ords,
                second: second.ords().clone(),
                second_ords,
            })),
            // A segment without the columns holds no document (every document has all four).
            _ => Self::Nothing,
        })
    }

    fn admits(&self, doc: DocId) -> bool {
        match self {
            Self::All => true,
            Self::Nothing => false,
            Self::Either(either) => {
                either.first.first(doc).is_some_and(|ord| either.first_ords.contains(&ord))
                    || either.second.first(doc).is_some_and(|ord| either.second_ords.contains(&ord))
            }
        }
    }
}

/// A match, ordered by score; between equal scores the older document (lower address) ranks
/// first. That is the order pruning keeps: a document must beat the worst kept to be looked
/// at, so of equal scores the first seen stays — and templated tickets tie often, so letting a
/// tie through would turn pruning off exactly where a desk has the most matches.
#[derive(Clone, Copy)]
struct Ranked {
    score: Score,
    address: DocAddress,
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score.total_cmp(&other.score).then_with(|| other.address.cmp(&self.address))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ranked {}

/// One segment's best matches within the scope, and how many matches within it were seen.
pub struct SegmentTop {
    segment: SegmentOrdinal,
    scope: SegmentScope,
    depth: usize,
    /// The best so far, worst on top (a min-heap by way of `Reverse`).
    best: BinaryHeap<std::cmp::Reverse<Ranked>>,
    seen: u64,
}

impl SegmentTop {
    /// The score a match must beat to be looked at: any while the heap has room, then the
    /// worst kept (see [`Ranked`] for ties).
    fn threshold(&self) -> Score {
        match self.best.peek() {
            Some(worst) if self.best.len() >= self.depth => worst.0.score,
            _ => Score::MIN,
        }
    }

    /// Whether every match within the scope was seen: pruning starts only once the heap is full.
    fn saw_everything(&self) -> bool {
        self.best.len() < self.depth
    }
}

impl SegmentCollector for SegmentTop {
    type Fruit = SegmentFruit;

    fn collect(&mut self, doc: DocId, score: Score) {
        if !self.scope.admits(doc) {
            return;
        }
        self.seen += 1;
        let ranked = Ranked { score, address: DocAddress::new(self.segment, doc) };
        if self.best.len() < self.depth {
            self.best.push(std::cmp::Reverse(ranked));
        } else if self.best.peek().is_some_and(|worst| ranked > worst.0) {
            self.best.pop();
            self.best.push(std::cmp::Reverse(ranked));
        }
    }

    fn harvest(self) -> SegmentFruit {
        let ranked = self.best.into_iter().map(|std::cmp::Reverse(r)| (r.score, r.address)).collect();
        (ranked, Count::exact(self.seen))
    }
}

type SegmentFruit = (Vec<(Score, DocAddress)>, Count);

impl Collector for ScopedTop<'_> {
    type Fruit = (Vec<(Score, DocAddress)>, Count);
    type Child = SegmentTop;

    fn for_segment(&self, segment: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<SegmentTop> {
        Ok(SegmentTop {
            segment,
            scope: SegmentScope::of(self.scope, self.fields, reader)?,
            depth: self.depth.max(1),
            best: BinaryHeap::new(),
            seen: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    /// The best matches by block-max pruning (tantivy skips blocks of postings that cannot
    /// beat the worst kept), then the count (see [`super::count`]).
    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentFruit> {
        let mut top = self.for_segment(segment, reader)?;
        if matches!(top.scope, SegmentScope::Nothing) {
            return Ok((Vec::new(), Count::default()));
        }
        let alive = reader.alive_bitset();
        weight.for_each_pruning(Score::MIN, reader, &mut |doc, score| {
            if alive.is_none_or(|alive| alive.is_alive(doc)) {
                top.collect(doc, score);
            }
            top.threshold()
        })?;
        if top.saw_everything() {
            return Ok(top.harvest());
        }
        let seen = top.seen;
        let count = {
            let visible = |doc: DocId| alive.is_none_or(|alive| alive.is_alive(doc)) && top.scope.admits(doc);
            self.tally.count_segment(weight, reader, &visible, seen)?
        };
        Ok((top.harvest().0, count))
    }

    fn merge_fruits(&self, fruits: Vec<SegmentFruit>) -> tantivy::Result<Self::Fruit> {
        let count = fruits.iter().fold(Count::default(), |total, (_, count)| total + *count);
        let mut all: Vec<Ranked> = fruits
            .into_iter()
            .flat_map(|(ranked, _)| ranked)
            .map(|(score, address)| Ranked { score, address })
            .collect();
        all.sort_unstable_by(|a, b| b.cmp(a));
        all.truncate(self.depth.max(1));
        Ok((all.into_iter().map(|r| (r.score, r.address)).collect(), count))
    }
}
