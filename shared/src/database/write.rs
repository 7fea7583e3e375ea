//! A write transaction whose commit returns only once the data is on disk.
use std::{
    ops::{Deref, DerefMut},
    sync::Arc,
};

use sqlx::{Any, AnyConnection, Transaction};

use super::group_commit::GroupCommit;

/// A write transaction (from [`super::Database::begin`]). Statements run on it as on the
/// connection it derefs to; rolled back when dropped uncommitted.
pub struct Write {
    transaction: Transaction<'static, Any>,
    group_commit: Option<Arc<GroupCommit>>,
}

impl Write {
    pub(super) fn new(transaction: Transaction<'static, Any>, group_commit: Option<Arc<GroupCommit>>) -> Self {
        Self { transaction, group_commit }
    }

    /// Commits, and returns once the transaction is durable: on SQLite, after an fsync of the
    /// log it shares with the callers who committed alongside it.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.transaction.commit().await?;
        if let Some(group_commit) = self.group_commit {
            group_commit.durable().await.map_err(sqlx::Error::Io)?;
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.transaction.rollback().await
    }
}

impl Deref for Write {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.transaction
    }
}

impl DerefMut for Write {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.transaction
    }
}
