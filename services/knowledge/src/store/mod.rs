//! Knowledge's SQL, one file per aggregate; functions take a connection (a transaction when
//! the caller needs one) and hold no rules.
pub mod articles;
pub mod collections;
pub mod feedback;
pub mod revisions;
pub mod rules;

use frontline_shared::database::{MigrationFile, Migrations};

use crate::domain::{
    article::{ArticleStatus, ArticleType, Visibility},
    content::BodyFormat,
    verification::VerificationInterval,
};

/// Knowledge's SQL is portable (TEXT, BIGINT, plain indexes), so both backends run one file.
const KNOWLEDGE: &[MigrationFile] = &[
    MigrationFile { version: 100, description: "knowledge", sql: include_str!("../../migrations/0100_knowledge.sql") },
    MigrationFile {
        version: 101,
        description: "pending revisions",
        sql: include_str!("../../migrations/0101_pending_revisions.sql"),
    },
];

pub const MIGRATIONS: Migrations = Migrations::new(KNOWLEDGE, KNOWLEDGE);

fn decode_error(column: &str, value: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::ColumnDecode { index: column.into(), source: format!("{value} is not a known value").into() }
}

fn json_list(value: &[String]) -> String {
    serde_json::to_string(value).expect("a list of strings serialises")
}

fn parse_list(column: &str, text: &str) -> sqlx::Result<Vec<String>> {
    serde_json::from_str(text).map_err(|error| decode_error(column, error))
}

/// The numbers stored for each enum are the wire numbers, so a row reads the same in SQL as in
/// the API.
pub(crate) mod codes {
    use super::*;

    pub fn article_type(value: ArticleType) -> i64 {
        match value {
            ArticleType::Faq => 1,
            ArticleType::Solution => 2,
            ArticleType::Procedure => 3,
            ArticleType::BestPractice => 4,
        }
    }

    pub fn to_article_type(code: i64) -> sqlx::Result<ArticleType> {
        Ok(match code {
            1 => ArticleType::Faq,
            2 => ArticleType::Solution,
            3 => ArticleType::Procedure,
            4 => ArticleType::BestPractice,
            other => return Err(decode_error("article_type", other)),
        })
    }

    pub fn visibility(value: Visibility) -> i64 {
        match value {
            Visibility::Internal => 1,
            Visibility::Public => 2,
        }
    }

    pub fn to_visibility(code: i64) -> sqlx::Result<Visibility> {
        Ok(match code {
            1 => Visibility::Internal,
            2 => Visibility::Public,
            other => return Err(decode_error("visibility", other)),
        })
    }

    pub fn status(value: ArticleStatus) -> i64 {
        match value {
            ArticleStatus::Draft => 1,
            ArticleStatus::Published => 2,
            ArticleStatus::Archived => 3,
        }
    }

    pub fn to_status(code: i64) -> sqlx::Result<ArticleStatus> {
        Ok(match code {
            1 => ArticleStatus::Draft,
            2 => ArticleStatus::Published,
            3 => ArticleStatus::Archived,
            other => return Err(decode_error("status", other)),
        })
    }

    pub fn body_format(value: BodyFormat) -> i64 {
        match value {
            BodyFormat::Markdown => 1,
            BodyFormat::Html => 2,
        }
    }

    pub fn to_body_format(code: i64) -> sqlx::Result<BodyFormat> {
        Ok(match code {
            1 => BodyFormat::Markdown,
            2 => BodyFormat::Html,
            other => return Err(decode_error("body_format", other)),
        })
    }

    pub fn interval(value: Option<VerificationInterval>) -> i64 {
        match value {
            None => 0,
            Some(VerificationInterval::Weekly) => 1,
            Some(VerificationInterval::Biweekly) => 2,
            Some(VerificationInterval::Monthly) => 3,
            Some(VerificationInterval::Quarterly) => 4,
            Some(VerificationInterval::Semiannually) => 5,
            Some(VerificationInterval::Yearly) => 6,
        }
    }

    pub fn to_interval(code: i64) -> sqlx::Result<Option<VerificationInterval>> {
        Ok(Some(match code {
            0 => return Ok(None),
            1 => VerificationInterval::Weekly,
            2 => VerificationInterval::Biweekly,
            3 => VerificationInterval::Monthly,
            4 => VerificationInterval::Quarterly,
            5 => VerificationInterval::Semiannually,
            6 => VerificationInterval::Yearly,
            other => return Err(decode_error("verification_interval", other)),
        }))
    }
}
