//! Knowledge metrics: what readers viewed, voted, searched for and did not find, and which
//! suggested articles solved tickets — counted exactly as the README defines them.
use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::DateTime;

use super::series::Bucket;

/// One thing the knowledge feed reported, at an instant in microseconds since the epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub at: i64,
    /// The article it is about; None for search counts.
    pub article_id: Option<String>,
    pub kind: FactKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactKind {
    View,
    Vote {
        helpful: bool,
    },
    Deflection,
    /// A search window's counts in one locale.
    Searches {
        searches: i64,
        without_results: i64,
    },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub article_views: i64,
    pub helpful_votes: i64,
    pub not_helpful_votes: i64,
    pub searches: i64,
    pub searches_without_results: i64,
    pub deflections: i64,
}

/// part / whole, or None when there is nothing to measure.
pub fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

impl Counts {
    pub fn add(&mut self, kind: FactKind) {
        match kind {
            FactKind::View => self.article_views += 1,
            FactKind::Vote { helpful: true } => self.helpful_votes += 1,
            FactKind::Vote { helpful: false } => self.not_helpful_votes += 1,
            FactKind::Deflection => self.deflections += 1,
            FactKind::Searches { searches, without_results } => {
                self.searches += searches;
                self.searches_without_results += without_results;
            }
        }
    }

    /// helpful / (helpful + not helpful).
    pub fn helpfulness_rate(&self) -> Option<f64> {
        rate(self.helpful_votes, self.helpful_votes + self.not_helpful_votes)
    }

    /// Searches that found nothing / searches.
    pub fn no_result_rate(&self) -> Option<f64> {
        rate(self.searches_without_results, self.searches)
    }

    fn votes(&self) -> i64 {
        self.helpful_votes + self.not_helpful_votes
    }
}

pub fn totals(facts: &[Fact]) -> Counts {
    let mut counts = Counts::default();
    facts.iter().for_each(|fact| counts.add(fact.kind));
    counts
}

/// Each article's counts, by article id.
pub fn per_article(facts: &[Fact]) -> BTreeMap<String, Counts> {
    let mut articles: BTreeMap<String, Counts> = BTreeMap::new();
    for fact in facts {
        if let Some(id) = &fact.article_id {
            articles.entry(id.clone()).or_default().add(fact.kind);
        }
    }
    articles
}

/// The counts of each bucket, in the buckets' order; facts outside every bucket are not counted.
pub fn series(facts: &[Fact], buckets: &[Bucket]) -> Vec<Counts> {
    let starts: Vec<i64> = buckets.iter().map(|b| b.start.timestamp_micros()).collect();
    let mut counts = vec![Counts::default(); buckets.len()];
    for fact in facts {
        let Some(index) = starts.partition_point(|start| *start <= fact.at).checked_sub(1) else { continue };
        let at = DateTime::from_timestamp_micros(fact.at).unwrap_or_default();
        if at < buckets[index].end {
            counts[index].add(fact.kind);
        }
    }
    counts
}

/// The `limit` most viewed articles (ties by id); articles never viewed are not listed.
pub fn most_viewed(articles: &BTreeMap<String, Counts>, limit: usize) -> Vec<(String, Counts)> {
    let mut viewed: Vec<(String, Counts)> =
        articles.iter().filter(|(_, c)| c.article_views > 0).map(|(id, c)| (id.clone(), *c)).collect();
    viewed.sort_by(|(a_id, a), (b_id, b)| b.article_views.cmp(&a.article_views).then_with(|| a_id.cmp(b_id)));
    viewed.truncate(limit);
    viewed
}

/// The `limit` least helpful articles: lowest helpfulness rate first, then most not-helpful
/// votes, then id; articles without votes are not listed.
pub fn least_helpful(articles: &BTreeMap<String, Counts>, limit: usize) -> Vec<(String, Counts)> {
    let mut voted: Vec<(String, Counts)> =
        articles.iter().filter(|(_, c)| c.votes() > 0).map(|(id, c)| (id.clone(), *c)).collect();
    voted.sort_by(|(a_id, a), (b_id, b)| {
        // helpful_a / votes_a < helpful_b / votes_b, compared exactly in integers.
        (a.helpful_votes * b.votes())
            .cmp(&(b.helpful_votes * a.votes()))
            .then_with(|| b.not_helpful_votes.cmp(&a.not_helpful_votes))
            .then_with(|| a_id.cmp(b_id))
    });
    voted.truncate(limit);
    voted
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GapCount {
    pub query: String,
    pub locale: String,
    pub count: i64,
}

/// The `limit` most searched gaps, counts of the same (query, locale) summed; ties by query,
/// then locale.
pub fn top_gaps(gaps: impl IntoIterator<Item = GapCount>, limit: usize) -> Vec<GapCount> {
    let mut summed: HashMap<(String, String), i64> = HashMap::new();
    for gap in gaps {
        *summed.entry((gap.query, gap.locale)).or_default() += gap.count;
    }
    let mut ranked: Vec<GapCount> =
        summed.into_iter().map(|((query, locale), count)| GapCount { query, locale, count }).collect();
    ranked.sort_by(|a, b| {
        b.count.cmp(&a.count).then_with(|| a.query.cmp(&b.query)).then_with(|| a.locale.cmp(&b.locale))
    });
    ranked.truncate(limit);
    ranked
}

/// `root` and every section under it, given each collection's parent ("" for none).
pub fn collection_and_sections(parents: &[(String, String)], root: &str) -> BTreeSet<String> {
    let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
    for (id, parent) in parents {
        children.entry(parent.as_str()).or_default().push(id.as_str());
    }
    let mut found = BTreeSet::from([root.to_string()]);
    let mut pending = vec![root];
    while let Some(next) = pending.pop() {
        for child in children.get(next).into_iter().flatten() {
            // A loop in the parents (never written by knowledge) must not loop here.
            if found.insert(child.to_string()) {
                pending.push(child);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use chrono_tz::Tz;

    use super::*;
    use crate::domain::series::{Granularity, buckets};

    fn fact(at: i64, article: Option<&str>, kind: FactKind) -> Fact {
        Fact { at, article_id: article.map(str::to_string), kind }
    }

    fn votes(helpful: i64, not_helpful: i64) -> Counts {
        Counts { helpful_votes: helpful, not_helpful_votes: not_helpful, ..Counts::default() }
    }

    #[test]
    fn helpfulness_and_no_result_rates_are_unset_without_anything_to_measure() {
        let counts = Counts::default();
        assert_eq!((counts.helpfulness_rate(), counts.no_result_rate()), (None, None));
        let facts = [
            fact(1, Some("a"), FactKind::Vote { helpful: true }),
            fact(2, Some("a"), FactKind::Vote { helpful: true }),
            fact(3, Some("b"), FactKind::Vote { helpful: false }),
            fact(4, None, FactKind::Searches { searches: 8, without_results: 2 }),
            fact(5, None, FactKind::Searches { searches: 2, without_results: 1 }),
            fact(6, Some("b"), FactKind::View),
            fact(7, Some("b"), FactKind::Deflection),
        ];
        let counts = totals(&facts);
        assert_eq!(counts.helpfulness_rate(), Some(2.0 / 3.0));
        assert_eq!(counts.no_result_rate(), Some(0.3));
        assert_eq!((counts.searches, counts.article_views, counts.deflections), (10, 1, 1));
        let articles = per_article(&facts);
        assert_eq!(articles.len(), 2, "search counts belong to no article");
        assert_eq!((articles["b"].article_views, articles["b"].deflections, articles["b"].searches), (1, 1, 0));
    }

    #[test]
    fn least_helpful_ranks_by_exact_rate_then_by_not_helpful_votes() {
        let articles = BTreeMap::from([
            ("half".to_string(), votes(1, 1)),
            ("half-more-votes".to_string(), votes(2, 2)),
            ("third".to_string(), votes(1, 2)),
            ("loved".to_string(), votes(5, 0)),
            ("unvoted".to_string(), Counts { article_views: 9, ..Counts::default() }),
        ]);
        let ranked: Vec<String> = least_helpful(&articles, 10).into_iter().map(|(id, _)| id).collect();
        assert_eq!(ranked, ["third", "half-more-votes", "half", "loved"]);
        assert_eq!(least_helpful(&articles, 1).len(), 1);
    }

    #[test]
    fn most_viewed_lists_viewed_articles_by_views_then_id() {
        let viewed = |n| Counts { article_views: n, ..Counts::default() };
        let articles = BTreeMap::from([
            ("b".to_string(), viewed(3)),
            ("a".to_string(), viewed(3)),
            ("c".to_string(), viewed(7)),
            ("d".to_string(), votes(1, 0)),
        ]);
        let ranked: Vec<String> = most_viewed(&articles, 10).into_iter().map(|(id, _)| id).collect();
        assert_eq!(ranked, ["c", "a", "b"]);
    }

    #[test]
    fn gaps_from_several_windows_are_summed_before_ranking() {
        let gap = |query: &str, locale: &str, count| GapCount { query: query.into(), locale: locale.into(), count };
        let ranked = top_gaps(
            [gap("dark mode", "en", 2), gap("faktura", "pl", 3), gap("dark mode", "en", 2), gap("dark mode", "pl", 1)],
            2,
        );
        assert_eq!(ranked, [gap("dark mode", "en", 4), gap("faktura", "pl", 3)]);
    }

    #[test]
    fn series_counts_each_fact_in_its_local_day() {
        let warsaw: Tz = "Europe/Warsaw".parse().unwrap();
        let from = Utc.with_ymd_and_hms(2026, 3, 28, 23, 0, 0).unwrap(); // 29 March, 00:00 CET
        let days = buckets(from, from + chrono::Duration::hours(47), Granularity::Day, warsaw).unwrap();
        assert_eq!(days.len(), 2, "the 29th (23 hours long) and the 30th");
        let micros = |h: i64| (from + chrono::Duration::hours(h)).timestamp_micros();
        let facts = [
            fact(micros(0), Some("a"), FactKind::View),
            fact(micros(22), Some("a"), FactKind::View), // 23:00 CEST on the 29th
            fact(micros(23), Some("a"), FactKind::View), // 00:00 CEST on the 30th
            fact(micros(-1), Some("a"), FactKind::View), // before the first bucket
        ];
        let views: Vec<i64> = series(&facts, &days).iter().map(|c| c.article_views).collect();
        assert_eq!(views, [2, 1]);
    }

    #[test]
    fn a_collection_includes_its_sections_at_every_depth() {
        let parents = [
            ("help".to_string(), String::new()),
            ("billing".to_string(), "help".to_string()),
            ("invoices".to_string(), "billing".to_string()),
            ("other".to_string(), String::new()),
        ];
        let found: Vec<String> = collection_and_sections(&parents, "help").into_iter().collect();
        assert_eq!(found, ["billing", "help", "invoices"]);
        assert_eq!(collection_and_sections(&parents, "invoices").len(), 1);
    }
}
