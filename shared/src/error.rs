//! The one mapping from a caller-facing error to a gRPC status with `google.rpc` details
//! (AIP-193): an `ErrorInfo` with an UPPER_SNAKE reason on every error, `BadRequest` field
//! violations on bad input. The caller's mistakes are never INTERNAL; internal causes are
//! logged here and never leaked to the caller.
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

pub use frontline_proto::ERROR_DOMAIN;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
}

impl FieldViolation {
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self { field: field.into(), description: description.into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("invalid argument: {}", describe(.0))]
    InvalidArgument(Vec<FieldViolation>),
    #[error("{resource} {id} not found")]
    NotFound { resource: &'static str, id: String },
    #[error("{message}")]
    AlreadyExists { reason: &'static str, message: String },
    #[error("{message}")]
    FailedPrecondition { reason: &'static str, message: String },
    /// An etag mismatch or a lost race: the caller should re-read and retry.
    #[error("{message}")]
    Aborted { reason: &'static str, message: String },
    #[error("{message}")]
    PermissionDenied { message: String },
    #[error("{message}")]
    Unauthenticated { message: String },
    #[error("{message}")]
    Unavailable { message: String },
    /// The call's deadline passed while its work was still running.
    #[error("{message}")]
    DeadlineExceeded { message: String },
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

fn describe(violations: &[FieldViolation]) -> String {
    violations.iter().map(|v| format!("{}: {}", v.field, v.description)).collect::<Vec<_>>().join("; ")
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::InvalidArgument(vec![FieldViolation::new(field, description)])
    }

    pub fn not_found(resource: &'static str, id: impl Into<String>) -> Self {
        Self::NotFound { resource, id: id.into() }
    }

    pub fn permission_denied(message: impl Into<String>) -> Self {
        Self::PermissionDenied { message: message.into() }
    }

    pub fn stale_etag(resource: &'static str, id: &str) -> Self {
        Self::Aborted {
            reason: "ETAG_MISMATCH",
            message: format!("{resource} {id} changed since it was read (etag mismatch); re-read it and retry"),
        }
    }

    fn reason(&self) -> &'static str {
        match self {
            Self::InvalidArgument(_) => "INVALID_ARGUMENT",
            Self::NotFound { .. } => "NOT_FOUND",
            Self::AlreadyExists { reason, .. }
            | Self::FailedPrecondition { reason, .. }
            | Self::Aborted { reason, .. } => reason,
            Self::PermissionDenied { .. } => "PERMISSION_DENIED",
            Self::Unauthenticated { .. } => "UNAUTHENTICATED",
            Self::Unavailable { .. } => "UNAVAILABLE",
            Self::DeadlineExceeded { .. } => "DEADLINE_EXCEEDED",
            Self::Internal(_) => "INTERNAL",
        }
    }

    fn code(&self) -> Code {
        match self {
            Self::InvalidArgument(_) => Code::InvalidArgument,
            Self::NotFound { .. } => Code::NotFound,
            Self::AlreadyExists { .. } => Code::AlreadyExists,
            Self::FailedPrecondition { .. } => Code::FailedPrecondition,
            Self::Aborted { .. } => Code::Aborted,
            Self::PermissionDenied { .. } => Code::PermissionDenied,
            Self::Unauthenticated { .. } => Code::Unauthenticated,
            Self::Unavailable { .. } => Code::Unavailable,
            Self::DeadlineExceeded { .. } => Code::DeadlineExceeded,
            Self::Internal(_) => Code::Internal,
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        match database_unavailable(&error) {
            Some(message) => {
                // Worth a line for operators (the database is down or overloaded), not an alarm.
                tracing::warn!(%error, "database unavailable");
                Self::Unavailable { message: message.into() }
            }
            None if is_statement_timeout(&error) => {
                Self::DeadlineExceeded { message: "the database did not finish within the call's deadline".into() }
            }
            None => Self::Internal(anyhow::Error::new(error).context("database")),
        }
    }
}

/// What the caller is told when `error` means the database cannot be reached or is restarting
/// (retrying later can succeed), or None when it is about this statement. A connection that
/// broke mid-statement shows up as an I/O or protocol error; PostgreSQL reports its own
/// unavailability with SQLSTATE class 08 (connection exception) and 57P01–57P03 (shutting
/// down, crashed, starting up); SQLite that another connection holds the write lock.
fn database_unavailable(error: &sqlx::Error) -> Option<&'static str> {
    match error {
        sqlx::Error::PoolTimedOut => Some("the database is busy or unreachable; retry shortly"),
        sqlx::Error::PoolClosed => Some("the database connection pool is closed; the server is stopping"),
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::Protocol(_) | sqlx::Error::WorkerCrashed => {
            Some("the connection to the database was lost; retry shortly")
        }
        // SQLite's BUSY (5) and LOCKED (6), in any extended form: another writer holds the
        // database and waiting would deadlock or outlast busy_timeout.
        sqlx::Error::Database(database) if database.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() => {
            let code: i32 = database.code()?.parse().ok()?;
            matches!(code & 0xff, 5 | 6).then_some("the database is locked by another writer; retry shortly")
        }
        sqlx::Error::Database(database) => {
            let code = database.code()?;
            (code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03"))
                .then_some("the database is unavailable (restarting or unreachable); retry shortly")
        }
        _ => None,
    }
}

/// PostgreSQL's `query_canceled` (57014): a statement outlived its `statement_timeout`, which
/// [`crate::deadline`] ties to the call's deadline.
fn is_statement_timeout(error: &sqlx::Error) -> bool {
    error.as_database_error().and_then(|e| e.code()).is_some_and(|code| code == "57014")
}

/// Longest text a status carries from the request (an id, a path, a value in a description).
/// Statuses travel in HTTP/2 headers, whose total size clients limit (16 KiB in hyper), so a
/// 1 MiB id echoed back whole would turn a clean NOT_FOUND into a protocol error.
const MAX_STATUS_TEXT: usize = 1024;

/// How much of a status's details its field violations may fill, all together.
const MAX_VIOLATION_BYTES: usize = 4096;

fn bounded(text: String) -> String {
    if text.len() <= MAX_STATUS_TEXT {
        return text;
    }
    let mut end = MAX_STATUS_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &text[..end], text.len())
}

impl From<ApiError> for Status {
    fn from(error: ApiError) -> Self {
        let code = error.code();
        let mut details = ErrorDetails::new();
        let mut metadata = std::collections::HashMap::new();
        let message = match &error {
            ApiError::Internal(cause) => {
                // Logged with its chain for operators; the caller gets no internals.
                tracing::error!(error = format!("{cause:#}"), "internal error");
                "internal error; it has been logged".to_string()
            }
            ApiError::NotFound { resource, id } => {
                metadata.insert("resource".to_string(), resource.to_string());
                let id = bounded(id.clone());
                let message = format!("{resource} {id} not found");
                metadata.insert("id".to_string(), id);
                message
            }
            ApiError::InvalidArgument(violations) => {
                // Each violation is bounded, and so is their sum: fifty of them (one per entry
                // of a long list) would otherwise outgrow the headers they travel in.
                let mut shown = 0;
                let mut size = 0;
                for violation in violations {
                    let (field, description) =
                        (bounded(violation.field.clone()), bounded(violation.description.clone()));
                    size += field.len() + description.len();
                    if shown > 0 && size > MAX_VIOLATION_BYTES {
                        break;
                    }
                    details.add_bad_request_violation(field, description);
                    shown += 1;
                }
                let message = bounded(error.to_string());
                match violations.len() - shown {
                    0 => message,
                    more => format!("{message} (and {more} more violations not listed)"),
                }
            }
            // NOT_FOUND's message is built from the bounded id above; bounding it again would
            // cut off the length it reports.
            _ => bounded(error.to_string()),
        };
        details.set_error_info(error.reason(), ERROR_DOMAIN, metadata);
        Status::with_error_details(code, message, details)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Collects every field violation of a request before failing, so a caller fixes them in one go.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation::new(field, description));
    }

    pub fn check(&mut self, ok: bool, field: &str, description: &str) {
        if !ok {
            self.add(field, description);
        }
    }

    pub fn into_result(self) -> ApiResult<()> {
        if self.0.is_empty() { Ok(()) } else { Err(ApiError::InvalidArgument(self.0)) }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn many_violations_fit_in_the_headers_a_status_travels_in() {
        let violations: Vec<FieldViolation> =
            (0..50).map(|n| FieldViolation::new(format!("metrics[{n}]"), "x".repeat(400))).collect();
        let status = Status::from(ApiError::InvalidArgument(violations));
        assert!(status.details().len() < 6 * 1024, "details of {} bytes", status.details().len());
        assert!(status.message().contains("more violations not listed"), "{}", status.message());
    }

    use super::*;

    #[test]
    fn invalid_argument_names_the_field_in_bad_request_details() {
        let status: Status = ApiError::invalid("ticket.subject", "must not be empty").into();
        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status.get_error_details();
        let violations = &details.bad_request().unwrap().field_violations;
        assert_eq!(violations[0].field, "ticket.subject");
        assert_eq!(details.error_info().unwrap().reason, "INVALID_ARGUMENT");
    }

    /// A server-reported error with a SQLSTATE, as PostgreSQL sends them.
    #[derive(Debug, thiserror::Error)]
    #[error("{0}")]
    struct Sqlstate(&'static str);

    impl sqlx::error::DatabaseError for Sqlstate {
        fn message(&self) -> &str {
            self.0
        }
        fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
            Some(self.0.into())
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> sqlx::error::ErrorKind {
            sqlx::error::ErrorKind::Other
        }
    }

    fn code_of(error: sqlx::Error) -> Code {
        Status::from(ApiError::from(error)).code()
    }

    #[test]
    fn a_database_that_cannot_be_reached_is_unavailable_not_internal() {
        let io = |kind| sqlx::Error::Io(std::io::Error::from(kind));
        for error in [
            io(std::io::ErrorKind::ConnectionRefused),
            io(std::io::ErrorKind::ConnectionReset),
            io(std::io::ErrorKind::UnexpectedEof),
            sqlx::Error::Protocol("unexpected end of stream".into()),
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
            sqlx::Error::Database(Box::new(Sqlstate("08006"))), // connection_failure
            sqlx::Error::Database(Box::new(Sqlstate("08P01"))), // protocol_violation
            sqlx::Error::Database(Box::new(Sqlstate("57P01"))), // admin_shutdown
            sqlx::Error::Database(Box::new(Sqlstate("57P02"))), // crash_shutdown
            sqlx::Error::Database(Box::new(Sqlstate("57P03"))), // cannot_connect_now
        ] {
            let described = error.to_string();
            assert_eq!(code_of(error), Code::Unavailable, "{described}");
        }
    }

    #[test]
    fn a_statement_cut_off_by_the_deadline_is_deadline_exceeded_and_other_errors_stay_internal() {
        assert_eq!(code_of(sqlx::Error::Database(Box::new(Sqlstate("57014")))), Code::DeadlineExceeded);
        assert_eq!(code_of(sqlx::Error::Database(Box::new(Sqlstate("42P01")))), Code::Internal); // undefined_table
        assert_eq!(code_of(sqlx::Error::RowNotFound), Code::Internal);
    }

    #[test]
    fn echoed_caller_text_is_bounded_so_the_status_fits_in_headers() {
        let huge = "ż".repeat(1 << 19);
        let status: Status = ApiError::not_found("ticket", huge.clone()).into();
        assert!(status.message().len() < 2 * MAX_STATUS_TEXT, "{} bytes", status.message().len());
        assert!(
            status.message().ends_with(&format!("({} bytes in all) not found", huge.len())),
            "says how long it was"
        );
        let details = status.get_error_details();
        assert!(details.error_info().unwrap().metadata["id"].len() < 2 * MAX_STATUS_TEXT);
        let status: Status = ApiError::invalid("filter", format!("unknown field `{huge}`")).into();
        let details = status.get_error_details();
        let violations = &details.bad_request().unwrap().field_violations;
        assert!(violations[0].description.len() < 2 * MAX_STATUS_TEXT);
        assert_eq!(bounded("short".into()), "short");
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let status: Status = ApiError::Internal(anyhow::anyhow!("password=hunter2")).into();
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("hunter2"));
    }
}
