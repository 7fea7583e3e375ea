//! Many rows in one `INSERT`: what makes a bulk import fast. Each statement costs a round trip
//! (PostgreSQL) or a trip through sqlx's SQLite worker thread, so a record written row by row
//! spends most of its time between statements rather than in them.
//!
//! Written here because sqlx's `QueryBuilder::push_values` writes `?` placeholders for the
//! `Any` driver, which PostgreSQL does not accept; every store in Frontline writes `$n`.
use sqlx::{Any, AnyConnection, any::AnyArguments, query::Query};

/// A query under construction, as the stores bind them.
pub type AnyQuery<'q> = Query<'q, Any, AnyArguments<'q>>;

/// Parameters one statement may carry: below SQLite's limit (32,766 since 3.32) and PostgreSQL's
/// (65,535), so one rule serves both.
const MAX_PARAMETERS: usize = 30_000;

/// `$1, $2, … $n`: the placeholders of an `IN (…)` list.
pub fn placeholders(n: usize) -> String {
    Placeholders::Numbered.list(n)
}

/// How a statement names its parameters. SQLite finds a numbered parameter (`$7`) by a linear
/// search of the statement's parameter names, when parsing and again when sqlx binds it, so a
/// statement with n numbered parameters costs O(n²): at 17,000 parameters a statement, a
/// profile of a bulk import showed two thirds of the process in `strncmp` under
/// `sqlite3_bind_parameter_name`, and imports ran at a quarter of their row-by-row speed.
/// Anonymous parameters (`?`) are numbered as they are parsed and bound in order. PostgreSQL
/// has only numbered ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholders {
    Numbered,
    Anonymous,
}

impl Placeholders {
    /// Anonymous where the backend allows it.
    pub fn of(connection: &AnyConnection) -> Self {
        if connection.backend_name() == "SQLite" { Self::Anonymous } else { Self::Numbered }
    }

    /// The placeholders of parameters `first..first + n`, comma-separated.
    fn run(self, first: usize, n: usize) -> String {
        match self {
            Self::Numbered => (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", "),
            Self::Anonymous => vec!["?"; n].join(", "),
        }
    }

    /// The placeholders of an `IN (…)` list that is the statement's only parameters.
    pub fn list(self, n: usize) -> String {
        self.run(1, n)
    }
}

/// `INSERT INTO table (columns) VALUES ($1, …), (…)` with `rows` rows.
pub fn insert_sql(table: &str, columns: &[&str], rows: usize, style: Placeholders) -> String {
    let width = columns.len();
    let tuples: Vec<String> = (0..rows).map(|row| format!("({})", style.run(row * width + 1, width))).collect();
    format!("INSERT INTO {table} ({}) VALUES {}", columns.join(", "), tuples.join(", "))
}

/// Inserts `rows` into `table`, as many to a statement as the parameter limit allows. `bind`
/// binds one row's values in the order of `columns`; `suffix` follows each statement (an
/// `ON CONFLICT` clause, say). The rows keep their order: each statement's rows are inserted
/// in the order they are listed, so keys assigned by the database rise with it.
pub async fn insert<T>(
    connection: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    suffix: &str,
    rows: &[T],
    bind: impl for<'q> Fn(AnyQuery<'q>, &'q T) -> AnyQuery<'q>,
) -> sqlx::Result<()> {
    let per_statement = (MAX_PARAMETERS / columns.len().max(1)).max(1);
    let style = Placeholders::of(connection);
    for chunk in rows.chunks(per_statement) {
        let sql = format!("{} {suffix}", insert_sql(table, columns, chunk.len(), style));
        // Full chunks and single rows repeat; a statement for each leftover count would crowd
        // the cache of prepared statements.
        let mut query = sqlx::query(&sql).persistent(chunk.len() == per_statement || chunk.len() == 1);
        for row in chunk {
            query = bind(query, row);
        }
        query.execute(&mut *connection).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_across_rows() {
        assert_eq!(
            insert_sql("t", &["a", "b"], 2, Placeholders::Numbered),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
        assert_eq!(
            insert_sql("t", &["a", "b"], 2, Placeholders::Anonymous),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"
        );
    }

    #[tokio::test]
    async fn rows_beyond_one_statement_all_land_in_order() {
        sqlx::any::install_default_drivers();
        let mut connection = <AnyConnection as sqlx::Connection>::connect("sqlite::memory:").await.unwrap();
        sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a INTEGER, b TEXT)")
            .execute(&mut connection)
            .await
            .unwrap();
        // 16,000 rows of two columns take two statements of at most 15,000.
        let rows: Vec<(i64, String)> = (0..16_000).map(|n| (n, format!("row {n}"))).collect();
        insert(&mut connection, "t", &["a", "b"], "", &rows, |query, (a, b)| query.bind(*a).bind(b.as_str()))
            .await
            .unwrap();
        let stored: Vec<(i64, i64)> =
            sqlx::query_as("SELECT id, a FROM t ORDER BY id").fetch_all(&mut connection).await.unwrap();
        assert_eq!(stored.len(), 16_000);
        assert!(stored.iter().all(|(id, a)| *id == a + 1), "ids rise in the order the rows were listed");
    }
}
