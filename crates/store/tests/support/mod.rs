//! Helpers shared by the store's integration tests.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use plasma_store::{NewDelivery, SqliteStore, Timestamp};

/// A fixed starting time; tests move it forward by hand.
pub const T0: Timestamp = 1_800_000_000_000;

/// A database file in the temp directory, removed (with its WAL and shared-memory files) on drop.
///
/// A file rather than `sqlite::memory:` so that several pooled connections, and several stores,
/// see the same database.
pub struct TempDb {
    pub path: PathBuf,
}

impl TempDb {
    pub fn new(name: &str) -> TempDb {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let file = format!("plasma-store-{name}-{}-{nanos}-{n}.db", std::process::id());
        TempDb { path: std::env::temp_dir().join(file) }
    }

    pub fn path_str(&self) -> &str {
        self.path.to_str().unwrap()
    }

    pub async fn open(&self) -> SqliteStore {
        SqliteStore::open(self.path_str()).await.unwrap()
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut name = self.path.clone().into_os_string();
            name.push(suffix);
            let _ = std::fs::remove_file(name);
        }
    }
}

/// A delivery with a recognisable body.
pub fn delivery(id: &str) -> NewDelivery {
    NewDelivery {
        id: id.to_owned(),
        event: "pull_request".to_owned(),
        action: Some("opened".to_owned()),
        repository: Some("plasma/engine".to_owned()),
        installation: Some(42),
        received_at: T0,
        body: format!("{{\"delivery\":\"{id}\"}}").into_bytes(),
    }
}
