//! Metric names of the store, in one place.

/// Duration of one group commit's write + fdatasync, in seconds.
pub const WAL_SYNC_SECONDS: &str = "twinisle_wal_sync_seconds";
/// Bytes appended to the write-ahead log.
pub const WAL_BYTES: &str = "twinisle_wal_bytes_total";
/// Group commits (one fdatasync each).
pub const WAL_GROUP_COMMITS: &str = "twinisle_wal_group_commits_total";
/// Entity changes committed (creations, updates, deletions).
pub const ENTITY_CHANGES: &str = "twinisle_entity_changes_total";
/// Duration of writing one snapshot, in seconds.
pub const SNAPSHOT_SECONDS: &str = "twinisle_snapshot_seconds";
