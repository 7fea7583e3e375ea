//! Instants are stored as microseconds since the Unix epoch (BIGINT): exact, sortable, and the
//! same on both backends; the wire carries `google.protobuf.Timestamp`.
use chrono::{DateTime, Utc};
use prost_types::Timestamp;

pub fn now_micros() -> i64 {
    Utc::now().timestamp_micros()
}

pub fn to_timestamp(micros: i64) -> Timestamp {
    Timestamp { seconds: micros.div_euclid(1_000_000), nanos: (micros.rem_euclid(1_000_000) * 1000) as i32 }
}

pub fn optional_timestamp(micros: Option<i64>) -> Option<Timestamp> {
    micros.map(to_timestamp)
}

/// None when the timestamp is out of range (the caller's mistake, to be reported by field).
pub fn from_timestamp(timestamp: &Timestamp) -> Option<i64> {
    if !(0..1_000_000_000).contains(&timestamp.nanos) {
        return None;
    }
    timestamp.seconds.checked_mul(1_000_000)?.checked_add(i64::from(timestamp.nanos / 1000))
}

pub fn to_rfc3339(micros: i64) -> String {
    DateTime::<Utc>::from_timestamp_micros(micros).map(|t| t.to_rfc3339()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_including_before_the_epoch() {
        for micros in [0, 1, 1_700_000_000_123_456, -1, -1_500_000] {
            assert_eq!(from_timestamp(&to_timestamp(micros)), Some(micros));
        }
        assert_eq!(from_timestamp(&Timestamp { seconds: 0, nanos: -5 }), None);
    }
}
