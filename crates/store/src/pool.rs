//! What both databases do alike around their pool: connect, apply the embedded migrations,
//! remember where they are (never with a password) for logs and errors, and close.

use sqlx::migrate::{Migrate, Migrator};
use sqlx::pool::{Pool, PoolOptions};
use sqlx::{Connection, Database};

use crate::error::StoreError;

/// A connected, migrated pool and where it points.
#[derive(Debug)]
pub(crate) struct Db<DB: Database> {
    pub(crate) pool: Pool<DB>,
    location: String,
}

impl<DB: Database> Db<DB>
where
    DB::Connection: Migrate,
{
    /// Connects with `pool` and `options`, then brings the schema up to date with `migrator`.
    /// A connection failure becomes `connect_error(location, e)`: SQLite and PostgreSQL explain
    /// it differently (a file to check, a server to reach).
    pub(crate) async fn open(
        pool: PoolOptions<DB>,
        options: <DB::Connection as Connection>::Options,
        migrator: &Migrator,
        location: String,
        connect_error: fn(String, sqlx::Error) -> StoreError,
    ) -> Result<Self, StoreError> {
        let pool = pool
            .connect_with(options)
            .await
            .map_err(|source| connect_error(location.clone(), source))?;
        migrator
            .run(&pool)
            .await
            .map_err(|source| StoreError::Migrate { location: location.clone(), source })?;
        Ok(Db { pool, location })
    }
}

impl<DB: Database> Db<DB> {
    /// Where this store keeps its data, without any password (for logs and error messages).
    pub(crate) fn location(&self) -> &str {
        &self.location
    }

    /// Closes every connection, waiting for running operations; for a clean shutdown.
    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }
}
