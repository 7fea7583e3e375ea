//! BI export: the cursors an export resumes from, and the CSV rendering. Cursors are opaque to
//! callers (URL-safe base64) but checked on the way back in: a forged or mangled one is the
//! caller's mistake, and one from before a rebuild is refused instead of silently skipping rows.
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

/// Where a ticket-facts export stands: rows are read in (revision, ticket id) order, and a row
/// changed later gets a higher revision, so everything after this point is what is new.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FactsCursor {
    pub epoch: i64,
    pub revision: i64,
    pub ticket_id: String,
}

/// Where a series export stands: buckets changed after `since` (all of them when 0), read as of
/// `high`, emitted up to the bucket starting at `after_bucket`. `request` fingerprints the
/// request it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SeriesCursor {
    pub epoch: i64,
    pub request: String,
    pub since: i64,
    pub high: i64,
    pub after_bucket: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    #[error("is not a cursor this export returned")]
    Malformed,
    #[error("was returned by a different export request; resume with the same metrics, range and grouping")]
    OtherRequest,
    #[error("is from before analytics was rebuilt; export again from the beginning (an empty cursor)")]
    Expired,
}

fn encode(fields: &[String]) -> String {
    URL_SAFE_NO_PAD.encode(fields.join("\n"))
}

fn decode(cursor: &str, kind: &str, count: usize) -> Result<Vec<String>, CursorError> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| CursorError::Malformed)?;
    let text = String::from_utf8(bytes).map_err(|_| CursorError::Malformed)?;
    let fields: Vec<String> = text.split('\n').map(str::to_string).collect();
    if fields.len() != count || fields[0] != kind {
        return Err(CursorError::Malformed);
    }
    Ok(fields)
}

fn number(text: &str) -> Result<i64, CursorError> {
    text.parse().map_err(|_| CursorError::Malformed)
}

impl FactsCursor {
    pub fn encode(&self) -> String {
        encode(&["facts1".into(), self.epoch.to_string(), self.revision.to_string(), self.ticket_id.clone()])
    }

    /// An empty cursor starts at the beginning of the current epoch.
    pub fn decode(cursor: &str, epoch: i64) -> Result<FactsCursor, CursorError> {
        if cursor.trim().is_empty() {
            return Ok(FactsCursor { epoch, ..Default::default() });
        }
        let fields = decode(cursor, "facts1", 4)?;
        let parsed =
            FactsCursor { epoch: number(&fields[1])?, revision: number(&fields[2])?, ticket_id: fields[3].clone() };
        if parsed.epoch != epoch {
            return Err(CursorError::Expired);
        }
        Ok(parsed)
    }
}

impl SeriesCursor {
    pub fn encode(&self) -> String {
        encode(&[
            "series1".into(),
            self.epoch.to_string(),
            self.request.clone(),
            self.since.to_string(),
            self.high.to_string(),
            self.after_bucket.map(|b| b.to_string()).unwrap_or_default(),
        ])
    }

    /// An empty cursor exports every bucket, as of `high`.
    pub fn decode(cursor: &str, epoch: i64, request: &str, high: i64) -> Result<SeriesCursor, CursorError> {
        if cursor.trim().is_empty() {
            return Ok(SeriesCursor { epoch, request: request.into(), since: 0, high, after_bucket: None });
        }
        let fields = decode(cursor, "series1", 6)?;
        let after_bucket = if fields[5].is_empty() { None } else { Some(number(&fields[5])?) };
        let parsed = SeriesCursor {
            epoch: number(&fields[1])?,
            request: fields[2].clone(),
            since: number(&fields[3])?,
            high: number(&fields[4])?,
            after_bucket,
        };
        if parsed.epoch != epoch {
            return Err(CursorError::Expired);
        }
        if parsed.request != request {
            return Err(CursorError::OtherRequest);
        }
        Ok(parsed)
    }
}

/// Renders `rows` as CSV, with `header` first when given. Quoting is the csv crate's (RFC 4180).
pub fn csv(header: Option<&[&str]>, rows: &[Vec<String>]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail; a field is any string.
    if let Some(header) = header {
        let _ = writer.write_record(header);
    }
    for row in rows {
        let _ = writer.write_record(row);
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_cursors_round_trip_and_refuse_forgeries_and_old_epochs() {
        let cursor = FactsCursor { epoch: 3, revision: 41, ticket_id: "T-9".into() };
        assert_eq!(FactsCursor::decode(&cursor.encode(), 3), Ok(cursor.clone()));
        assert_eq!(FactsCursor::decode("", 3), Ok(FactsCursor { epoch: 3, ..Default::default() }));
        assert_eq!(FactsCursor::decode(&cursor.encode(), 4), Err(CursorError::Expired));
        assert_eq!(FactsCursor::decode("not a cursor!", 3), Err(CursorError::Malformed));
        let forged = URL_SAFE_NO_PAD.encode("facts1\n3\nforty-one\nT-9");
        assert_eq!(FactsCursor::decode(&forged, 3), Err(CursorError::Malformed));
        let series = SeriesCursor { epoch: 3, request: "abc".into(), since: 1, high: 2, after_bucket: None };
        assert_eq!(
            FactsCursor::decode(&series.encode(), 3),
            Err(CursorError::Malformed),
            "a series cursor is not a facts cursor"
        );
    }

    #[test]
    fn series_cursors_belong_to_their_request() {
        let cursor = SeriesCursor { epoch: 1, request: "r1".into(), since: 10, high: 20, after_bucket: Some(-5) };
        assert_eq!(SeriesCursor::decode(&cursor.encode(), 1, "r1", 99), Ok(cursor.clone()));
        assert_eq!(SeriesCursor::decode(&cursor.encode(), 1, "r2", 99), Err(CursorError::OtherRequest));
        assert_eq!(SeriesCursor::decode("", 1, "r1", 99).unwrap().high, 99);
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let rows =
            vec![vec!["1".to_string(), "Nie mogę, \"pilne\"".to_string()], vec!["2".into(), "line\nbreak".into()]];
        assert_eq!(
            csv(Some(&["id", "subject"]), &rows),
            "id,subject\n1,\"Nie mogę, \"\"pilne\"\"\"\n2,\"line\nbreak\"\n"
        );
        assert_eq!(csv(None, &[]), "");
    }

    proptest::proptest! {
        /// A cursor comes back from the caller as any text: a position, or one of the three
        /// refusals the API turns into InvalidArgument — never a panic.
        #[test]
        fn any_text_is_a_cursor_or_a_refusal(cursor in ".*", epoch in proptest::prelude::any::<i64>()) {
            let _ = FactsCursor::decode(&cursor, epoch);
            let _ = SeriesCursor::decode(&cursor, epoch, "r", 0);
        }

        /// Forgers send base64 of almost-right bodies: newline-separated numbers and words.
        #[test]
        fn forged_bodies_never_panic(fields in proptest::collection::vec("facts1|series1|-?[0-9]{0,20}|.*", 0..8)) {
            let forged = URL_SAFE_NO_PAD.encode(fields.join("\n"));
            let _ = FactsCursor::decode(&forged, 0);
            let _ = SeriesCursor::decode(&forged, 0, "", 0);
        }

        #[test]
        fn facts_cursors_round_trip(epoch in proptest::prelude::any::<i64>(), revision in proptest::prelude::any::<i64>(), ticket_id in "[^\n]*") {
            let cursor = FactsCursor { epoch, revision, ticket_id };
            proptest::prop_assert_eq!(FactsCursor::decode(&cursor.encode(), epoch), Ok(cursor));
        }

        #[test]
        fn series_cursors_round_trip(
            epoch in proptest::prelude::any::<i64>(),
            request in "[^\n]*",
            since in proptest::prelude::any::<i64>(),
            high in proptest::prelude::any::<i64>(),
            after_bucket in proptest::prelude::any::<Option<i64>>(),
        ) {
            let cursor = SeriesCursor { epoch, request: request.clone(), since, high, after_bucket };
            proptest::prop_assert_eq!(SeriesCursor::decode(&cursor.encode(), epoch, &request, 0), Ok(cursor));
        }
    }
}
