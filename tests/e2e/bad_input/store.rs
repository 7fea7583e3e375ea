//! "Nothing stored changed": every write of the suite appends to its service's change feed in
//! the same transaction, so the number of feed rows of all four services — numbered or still
//! waiting for the sequencer — moves with every committed change and with nothing else.
use frontline::ServiceKind;
use frontline_shared::database::Database;

use crate::support::TestApp;

pub struct Store {
    databases: Vec<(&'static str, Database)>,
}

/// The feed length of each service, in `ServiceKind::ALL` order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marks(Vec<(&'static str, i64)>);

impl Store {
    pub async fn open(app: &TestApp) -> Self {
        let mut databases = Vec::new();
        for service in ServiceKind::ALL {
            databases.push((service.database(), app.database(service.database()).await));
        }
        Self { databases }
    }

    pub async fn marks(&self) -> Marks {
        let mut marks = Vec::new();
        for (name, db) in &self.databases {
            let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM feed_events")
                .fetch_one(db.reader())
                .await
                .expect("feed rows are countable");
            marks.push((*name, rows));
        }
        Marks(marks)
    }
}
