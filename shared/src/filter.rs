//! AIP-160 list filters: comparisons joined by AND, such as
//! `status = OPEN AND priority >= HIGH AND tags:"billing" AND team_id = "t-1"`.
//! Parsing is pure; each resource then maps its own fields to columns with [`FilterField`],
//! and [`to_sql`] builds a parameterised WHERE fragment — values are always bound, never spliced.
//! Written by hand because no maintained crate parses AIP-160 into something we can bind safely.
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `field:value` — the repeated field contains the value.
    Has,
}

impl Op {
    fn sql(self) -> &'static str {
        match self {
            Op::Eq | Op::Has => "=",
            Op::Ne => "<>",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    pub field: String,
    pub op: Op,
    pub value: String,
}

/// A filter longer than this is refused before it is read.
pub const MAX_FILTER_CHARS: usize = 4096;
/// Comparisons one filter may join with AND: each becomes a condition of the query, and a
/// database refuses (SQLite) or slowly plans (PostgreSQL) a condition tree a thousand deep.
pub const MAX_FILTER_COMPARISONS: usize = 32;

fn bad(description: impl Into<String>) -> ApiError {
    ApiError::invalid("filter", description)
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
    Op(Op),
}

fn tokenize(input: &str) -> ApiResult<Vec<Token>> {
    let mut tokens = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some(&(at, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '"' | '\'' => {
                chars.next();
                let mut value = String::new();
                let mut closed = false;
                while let Some((_, next)) = chars.next() {
                    match next {
                        '\\' => value.extend(chars.next().map(|(_, escaped)| escaped)),
                        q if q == c => {
                            closed = true;
                            break;
                        }
                        other => value.push(other),
                    }
                }
                if !closed {
                    return Err(bad(format!("unterminated quoted value starting at character {}", at + 1)));
                }
                tokens.push(Token::Quoted(value));
            }
            '=' | ':' => {
                chars.next();
                tokens.push(Token::Op(if c == '=' { Op::Eq } else { Op::Has }));
            }
            '!' | '<' | '>' => {
                chars.next();
                let followed_by_equals = chars.peek().is_some_and(|&(_, next)| next == '=');
                if followed_by_equals {
                    chars.next();
                }
                tokens.push(Token::Op(match (c, followed_by_equals) {
                    ('!', true) => Op::Ne,
                    ('<', false) => Op::Lt,
                    ('<', true) => Op::Le,
                    ('>', false) => Op::Gt,
                    ('>', true) => Op::Ge,
                    _ => {
                        return Err(bad(format!("unexpected `!` at character {}; use `!=`", at + 1)));
                    }
                }));
            }
            '(' | ')' => {
                return Err(bad("parentheses are not supported; join comparisons with AND"));
            }
            _ => {
                // A value runs to the next space, so bare times like 2026-01-01T09:00:00Z parse.
                let is_value = matches!(tokens.last(), Some(Token::Op(_)));
                let mut word = String::new();
                while let Some(&(_, next)) = chars.peek() {
                    if next.is_whitespace() || (!is_value && "=:!<>\"'()".contains(next)) {
                        break;
                    }
                    word.push(next);
                    chars.next();
                }
                tokens.push(Token::Word(word));
            }
        }
    }
    Ok(tokens)
}

/// Parses `filter`; an empty filter matches everything.
pub fn parse(filter: &str) -> ApiResult<Vec<Comparison>> {
    if filter.chars().count() > MAX_FILTER_CHARS {
        return Err(bad(format!("is longer than {MAX_FILTER_CHARS} characters")));
    }
    let tokens = tokenize(filter)?;
    let mut comparisons = Vec::new();
    let mut rest = tokens.into_iter().peekable();
    while rest.peek().is_some() {
        if !comparisons.is_empty() {
            match rest.next() {
                Some(Token::Word(word)) if word == "AND" => {}
                Some(Token::Word(word)) if word == "OR" => {
                    return Err(bad("OR is not supported; list once per alternative or filter by one value"));
                }
                _ => return Err(bad("comparisons must be joined by AND")),
            }
        }
        let field = match rest.next() {
            Some(Token::Word(field)) if is_field_name(&field) => field,
            Some(Token::Word(word)) if word == "NOT" => {
                return Err(bad("NOT is not supported; use !="));
            }
            _ => return Err(bad("expected a field name")),
        };
        let op = match rest.next() {
            Some(Token::Op(op)) => op,
            _ => {
                return Err(bad(format!("expected an operator (=, !=, <, <=, >, >=, :) after `{field}`")));
            }
        };
        let value = match rest.next() {
            Some(Token::Word(value)) | Some(Token::Quoted(value)) => value,
            _ => return Err(bad(format!("expected a value after `{field}`"))),
        };
        if comparisons.len() == MAX_FILTER_COMPARISONS {
            return Err(bad(format!("joins more than {MAX_FILTER_COMPARISONS} comparisons")));
        }
        comparisons.push(Comparison { field, op, value });
    }
    Ok(comparisons)
}

fn is_field_name(word: &str) -> bool {
    word.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        && !matches!(word, "AND" | "OR" | "NOT")
}

/// How a resource's filterable field is stored.
#[derive(Clone, Copy)]
pub enum FieldKind {
    Text,
    /// A protobuf enum stored as its number; the parser accepts a value's short or full name.
    Enum(fn(&str) -> Option<i64>),
    /// An instant stored as microseconds since the epoch; filters take RFC 3339.
    Timestamp,
    /// A repeated value held in another table, tested with `:` (or `=`); `{}` in the SQL is the
    /// value's placeholder,
    /// e.g. `id IN (SELECT ticket_id FROM ticket_tags WHERE tag = {})`.
    Contains(&'static str),
}

#[derive(Clone, Copy)]
pub struct FilterField {
    pub name: &'static str,
    pub column: &'static str,
    pub kind: FieldKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Text(String),
    Integer(i64),
}

/// A WHERE fragment (`TRUE` when empty) and its values, numbered from `first_placeholder`.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlFilter {
    pub clause: String,
    pub values: Vec<SqlValue>,
}

pub fn to_sql(comparisons: &[Comparison], fields: &[FilterField], first_placeholder: usize) -> ApiResult<SqlFilter> {
    let mut clauses = Vec::new();
    let mut values = Vec::new();
    for comparison in comparisons {
        let field = fields.iter().find(|field| field.name == comparison.field).ok_or_else(|| {
            let names: Vec<_> = fields.iter().map(|field| field.name).collect();
            bad(format!("unknown field `{}`; filterable fields are {}", comparison.field, names.join(", ")))
        })?;
        let placeholder = format!("${}", first_placeholder + values.len());
        let value = &comparison.value;
        match (field.kind, comparison.op) {
            (FieldKind::Contains(sql), Op::Has | Op::Eq) => {
                clauses.push(sql.replace("{}", &placeholder));
                values.push(SqlValue::Text(value.to_lowercase()));
            }
            (FieldKind::Contains(_), _) => {
                return Err(bad(format!(
                    "`{}` is repeated; test membership with `{}:\"value\"`",
                    field.name, field.name
                )));
            }
            (_, Op::Has) => {
                return Err(bad(format!("`:` applies to repeated fields; compare `{}` with =", field.name)));
            }
            (FieldKind::Text, op) => {
                clauses.push(format!("{} {} {placeholder}", field.column, op.sql()));
                values.push(SqlValue::Text(value.clone()));
            }
            (FieldKind::Enum(parse), op) => {
                let number =
                    parse(value).ok_or_else(|| bad(format!("`{value}` is not a value of `{}`", field.name)))?;
                clauses.push(format!("{} {} {placeholder}", field.column, op.sql()));
                values.push(SqlValue::Integer(number));
            }
            (FieldKind::Timestamp, op) => {
                let instant = chrono::DateTime::parse_from_rfc3339(value).map_err(|_| {
                    bad(format!("`{}` takes an RFC 3339 time such as 2026-01-31T09:00:00Z, not `{value}`", field.name))
                })?;
                clauses.push(format!("{} {} {placeholder}", field.column, op.sql()));
                values.push(SqlValue::Integer(instant.timestamp_micros()));
            }
        }
    }
    let clause = if clauses.is_empty() { "TRUE".to_string() } else { clauses.join(" AND ") };
    Ok(SqlFilter { clause, values })
}

/// Accepts an enum value by its short name (`OPEN`), full name (`TICKET_STATUS_OPEN`), in any
/// case, given the generated `from_str_name` and the enum's name prefix.
pub fn enum_value(value: &str, prefix: &str, from_str_name: fn(&str) -> Option<i32>) -> Option<i64> {
    let upper = value.to_uppercase();
    let full = if upper.starts_with(prefix) { upper } else { format!("{prefix}{upper}") };
    from_str_name(&full).filter(|&number| number != 0).map(i64::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(value: &str) -> Option<i64> {
        match value.to_uppercase().as_str() {
            "OPEN" => Some(2),
            "SOLVED" => Some(5),
            _ => None,
        }
    }

    const FIELDS: &[FilterField] = &[
        FilterField { name: "status", column: "status", kind: FieldKind::Enum(status) },
        FilterField { name: "team_id", column: "team_id", kind: FieldKind::Text },
        FilterField { name: "created_at", column: "created_at", kind: FieldKind::Timestamp },
        FilterField {
            name: "tags",
            column: "",
            kind: FieldKind::Contains("id IN (SELECT ticket_id FROM ticket_tags WHERE tag = {})"),
        },
    ];

    #[test]
    fn a_filter_beyond_its_limits_is_refused_naming_the_field() {
        let joined = |n: usize| vec!["status = OPEN"; n].join(" AND ");
        assert_eq!(parse(&joined(MAX_FILTER_COMPARISONS)).unwrap().len(), MAX_FILTER_COMPARISONS);
        for too_much in [joined(MAX_FILTER_COMPARISONS + 1), joined(999), "a".repeat(MAX_FILTER_CHARS + 1)] {
            match parse(&too_much) {
                Err(ApiError::InvalidArgument(violations)) => assert_eq!(violations[0].field, "filter"),
                other => panic!("expected INVALID_ARGUMENT naming filter, got {other:?}"),
            }
        }
    }

    #[test]
    fn parses_the_documented_example() {
        let parsed = parse(r#"status = OPEN AND priority >= HIGH AND tags:"billing" AND team_id = "t-1""#).unwrap();
        assert_eq!(parsed.len(), 4);
        assert_eq!(parsed[1], Comparison { field: "priority".into(), op: Op::Ge, value: "HIGH".into() });
        assert_eq!(parsed[2], Comparison { field: "tags".into(), op: Op::Has, value: "billing".into() });
    }

    #[test]
    fn builds_bound_sql_without_splicing_values() {
        let parsed = parse(r#"status != SOLVED AND tags:"Billing" AND team_id = "x' OR 1=1""#).unwrap();
        let sql = to_sql(&parsed, FIELDS, 3).unwrap();
        assert_eq!(
            sql.clause,
            "status <> $3 AND id IN (SELECT ticket_id FROM ticket_tags WHERE tag = $4) AND team_id = $5"
        );
        assert_eq!(
            sql.values,
            vec![SqlValue::Integer(5), SqlValue::Text("billing".into()), SqlValue::Text("x' OR 1=1".into())]
        );
    }

    #[test]
    fn empty_filter_matches_everything() {
        assert_eq!(to_sql(&parse("  ").unwrap(), FIELDS, 1).unwrap().clause, "TRUE");
    }

    #[test]
    fn mistakes_are_explained() {
        let message = |filter: &str| match parse(filter).and_then(|c| to_sql(&c, FIELDS, 1)) {
            Err(ApiError::InvalidArgument(violations)) => violations[0].description.clone(),
            other => panic!("expected invalid argument, got {other:?}"),
        };
        assert!(message("owner = 1").contains("unknown field `owner`"));
        assert!(message("status = LOST").contains("not a value of `status`"));
        assert!(message("status = OPEN OR status = SOLVED").contains("OR is not supported"));
        assert!(message("tags > billing").contains("tags:"));
        assert!(message("created_at > yesterday").contains("RFC 3339"));
        assert!(message(r#"team_id = "open"#).contains("unterminated"));
        assert!(message("status =").contains("expected a value"));
    }

    #[test]
    fn timestamps_compare_as_instants() {
        let sql = to_sql(&parse("created_at >= 2026-01-01T00:00:00+01:00").unwrap(), FIELDS, 1).unwrap();
        assert_eq!(sql.values, vec![SqlValue::Integer(1_767_222_000_000_000)]);
    }
}

/// Bad input: the parser meets whatever a caller types, so it must answer every string with
/// comparisons or an InvalidArgument naming `filter`, and read back what a printer writes.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    /// The filter language as a careful client writes it: every value quoted and escaped.
    fn print(comparisons: &[Comparison]) -> String {
        let op = |op: Op| match op {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Has => ":",
        };
        let quoted = |value: &str| format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""));
        let printed: Vec<_> =
            comparisons.iter().map(|c| format!("{} {} {}", c.field, op(c.op), quoted(&c.value))).collect();
        printed.join(" AND ")
    }

    fn comparison() -> impl Strategy<Value = Comparison> {
        let field = "[a-zA-Z][a-zA-Z0-9_.]{0,12}".prop_filter("keywords are not fields", |f| !is_keyword(f));
        let op = prop_oneof![
            Just(Op::Eq),
            Just(Op::Ne),
            Just(Op::Lt),
            Just(Op::Le),
            Just(Op::Gt),
            Just(Op::Ge),
            Just(Op::Has)
        ];
        (field, op, any::<String>()).prop_map(|(field, op, value)| Comparison { field, op, value })
    }

    fn is_keyword(word: &str) -> bool {
        matches!(word, "AND" | "OR" | "NOT")
    }

    fn only_filter_named(error: ApiError) {
        match error {
            ApiError::InvalidArgument(violations) => {
                assert!(violations.iter().all(|v| v.field == "filter"), "{violations:?}")
            }
            other => panic!("a bad filter must be InvalidArgument, got {other:?}"),
        }
    }

    proptest! {
        #[test]
        fn any_text_parses_or_is_refused_naming_the_filter(filter in any::<String>()) {
            if let Err(error) = parse(&filter).and_then(|parsed| to_sql(&parsed, tests_fields(), 1)) {
                only_filter_named(error);
            }
        }

        #[test]
        fn text_made_of_the_language_s_own_symbols_never_panics(filter in r#"[a-z_ =:!<>"'\\()ANDORT0-9.-]{0,60}"#) {
            if let Err(error) = parse(&filter) {
                only_filter_named(error);
            }
        }

        #[test]
        fn any_comparison_of_known_fields_builds_sql_or_is_refused_naming_the_filter(
            comparisons in proptest::collection::vec(comparison(), 0..4),
            fields in proptest::collection::vec(0..4usize, 4),
        ) {
            let known: Vec<_> = comparisons
                .into_iter()
                .zip(fields)
                .map(|(c, field)| Comparison { field: tests_fields()[field].name.into(), ..c })
                .collect();
            match parse(&print(&known)).and_then(|parsed| to_sql(&parsed, tests_fields(), 1)) {
                Ok(sql) => prop_assert_eq!(sql.values.len(), known.len()),
                Err(error) => only_filter_named(error),
            }
        }

        #[test]
        fn printed_filters_parse_back_to_the_same_comparisons(comparisons in proptest::collection::vec(comparison(), 0..5)) {
            prop_assert_eq!(parse(&print(&comparisons)).unwrap(), comparisons);
        }
    }

    fn tests_fields() -> &'static [FilterField] {
        fn priority(value: &str) -> Option<i64> {
            enum_value(value, "PRIORITY_", |name| (name == "PRIORITY_HIGH").then_some(3))
        }
        const FIELDS: &[FilterField] = &[
            FilterField { name: "priority", column: "priority", kind: FieldKind::Enum(priority) },
            FilterField { name: "team_id", column: "team_id", kind: FieldKind::Text },
            FilterField { name: "created_at", column: "created_at", kind: FieldKind::Timestamp },
            FilterField { name: "tags", column: "", kind: FieldKind::Contains("id IN (SELECT 1 WHERE {} = {})") },
        ];
        FIELDS
    }
}
