//! Migrations embedded in the binary (a container ships no SQL files), one list per backend,
//! applied through sqlx's migrator so they are versioned, checksummed and locked.
use std::borrow::Cow;

use futures::future::BoxFuture;
use sqlx::{
    AnyPool,
    error::BoxDynError,
    migrate::{Migration, MigrationSource, MigrationType, Migrator},
};

use super::Backend;

#[derive(Debug, Clone, Copy)]
pub struct MigrationFile {
    pub version: i64,
    pub description: &'static str,
    pub sql: &'static str,
}

/// A service's migrations for each backend. Versions below 100 belong to frontline-shared.
#[derive(Debug, Clone)]
pub struct Migrations {
    pub sqlite: Cow<'static, [MigrationFile]>,
    pub postgres: Cow<'static, [MigrationFile]>,
}

impl Migrations {
    pub const fn new(sqlite: &'static [MigrationFile], postgres: &'static [MigrationFile]) -> Self {
        Self { sqlite: Cow::Borrowed(sqlite), postgres: Cow::Borrowed(postgres) }
    }

    /// These migrations followed by `next`'s.
    pub fn then(&self, next: &Migrations) -> Migrations {
        let join = |a: &[MigrationFile], b: &[MigrationFile]| Cow::Owned(a.iter().chain(b).copied().collect());
        Migrations { sqlite: join(&self.sqlite, &next.sqlite), postgres: join(&self.postgres, &next.postgres) }
    }

    pub(crate) async fn run(&self, backend: Backend, pool: &AnyPool) -> anyhow::Result<()> {
        let files = match backend {
            Backend::Sqlite => &self.sqlite,
            Backend::Postgres => &self.postgres,
        };
        let migrator = Migrator::new(Embedded(files.to_vec())).await.map_err(|e| anyhow::anyhow!(e))?;
        migrator.run(pool).await?;
        Ok(())
    }
}

#[derive(Debug)]
struct Embedded(Vec<MigrationFile>);

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(self) -> BoxFuture<'s, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async move {
            Ok(self
                .0
                .into_iter()
                .map(|file| {
                    Migration::new(
                        file.version,
                        Cow::Borrowed(file.description),
                        MigrationType::Simple,
                        Cow::Borrowed(file.sql),
                        false,
                    )
                })
                .collect())
        })
    }
}
