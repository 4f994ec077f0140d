//! Paging of lists: `limit` (default 100, at most 1000) and `offset`.

/// The default page size.
pub const DEFAULT_LIMIT: u64 = 100;
/// The largest page size.
pub const MAX_LIMIT: u64 = 1000;

/// The page asked for, with defaults applied; the API's validators have already refused
/// a `limit` outside 1 to 1000.
pub fn page(limit: Option<u64>, offset: Option<u64>) -> (u64, u64) {
    (
        limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT),
        offset.unwrap_or(0),
    )
}
