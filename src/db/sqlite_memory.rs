//! SQLite's own memory, taken from the allocator the rest of the server uses.
//!
//! SQLite allocates with the C library's `malloc` unless told otherwise, and sqlx copies every
//! value of every row it reads into memory SQLite allocates. Reading a staff CSV of 100,000
//! signatures (25 columns) spent about a fifth of its CPU time in glibc's `malloc` and `free`
//! for those copies, much of it merging freed fragments (`malloc_consolidate`); with SQLite on
//! mimalloc, the allocator of the `signon` binary, the same export took 1.04-1.18 s instead of
//! 1.6-1.9 s (three runs each, alternated, on one 2-core machine).
//! SQLite's memory statistics are turned off at the same time: they take a global mutex on
//! every allocation, and nothing here reads them.

use std::ffi::{c_int, c_void};
use std::sync::Once;

use libmimalloc_sys::{mi_free, mi_malloc, mi_realloc, mi_usable_size};
use libsqlite3_sys::{
    SQLITE_CONFIG_MALLOC, SQLITE_CONFIG_MEMSTATUS, SQLITE_OK, sqlite3_config, sqlite3_mem_methods,
};

/// Hands SQLite's allocations to mimalloc, once per process and before its first connection:
/// SQLite accepts the setting only before it starts. Should something have started SQLite
/// already, it keeps its default allocator, which is slower and otherwise the same.
pub fn use_mimalloc() {
    static CONFIGURED: Once = Once::new();
    CONFIGURED.call_once(|| {
        let methods = sqlite3_mem_methods {
            xMalloc: Some(allocate),
            xFree: Some(release),
            xRealloc: Some(reallocate),
            xSize: Some(usable_size),
            xRoundup: Some(round_up),
            xInit: Some(start),
            xShutdown: Some(stop),
            pAppData: std::ptr::null_mut(),
        };
        // SAFETY: called once, by the first thread to open SQLite through `db::connect`, which
        // every other such opening waits for; SQLite copies `methods` before returning, and
        // refuses (rather than misbehaves) once it has started.
        let allocator =
            unsafe { sqlite3_config(SQLITE_CONFIG_MALLOC, &methods as *const sqlite3_mem_methods) };
        // SAFETY: as above; this option takes one int.
        let statistics = unsafe { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0 as c_int) };
        if allocator != SQLITE_OK || statistics != SQLITE_OK {
            tracing::debug!(
                allocator,
                statistics,
                "SQLite had started already and keeps its default memory settings"
            );
        }
    });
}

// SQLite never asks for zero or a negative number of bytes (`sqlite3Malloc` answers those
// itself), and never frees or resizes what it did not allocate through these functions.

unsafe extern "C" fn allocate(bytes: c_int) -> *mut c_void {
    // SAFETY: any size may be asked of mi_malloc; a failure is a null SQLite reports.
    unsafe { mi_malloc(bytes as usize) }
}

unsafe extern "C" fn release(memory: *mut c_void) {
    // SAFETY: `memory` came from `allocate` or `reallocate` (or is null, which mi_free ignores).
    unsafe { mi_free(memory) }
}

unsafe extern "C" fn reallocate(memory: *mut c_void, bytes: c_int) -> *mut c_void {
    // SAFETY: as for `release`; on failure the old block is left as it was, as SQLite expects.
    unsafe { mi_realloc(memory, bytes as usize) }
}

unsafe extern "C" fn usable_size(memory: *mut c_void) -> c_int {
    // SAFETY: as for `release`. The usable size may exceed what was asked, which SQLite allows
    // (and uses); it never exceeds an int, since no request does by more than a page.
    let bytes = unsafe { mi_usable_size(memory) };
    c_int::try_from(bytes).unwrap_or(c_int::MAX)
}

extern "C" fn round_up(bytes: c_int) -> c_int {
    // SQLite asks that sizes be multiples of 8; mimalloc's blocks are aligned at least so.
    bytes.saturating_add(7) & !7
}

extern "C" fn start(_: *mut c_void) -> c_int {
    SQLITE_OK
}

extern "C" fn stop(_: *mut c_void) {}
