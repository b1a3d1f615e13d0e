//! Allocator tuning for the binaries that run a node on mimalloc (`hearsayd`, and
//! `hearsay-bench`, which measures what a node does).
//!
//! mimalloc returns freed memory to the OS 1 s after it was freed (its `purge_delay`).
//! A snapshot bootstrap frees a 32 MiB batch's buffers and allocates the next batch's a
//! few hundred milliseconds later, from threads that come and go: with the default, a
//! 10M-record bootstrap took ~140,000 page faults (~940 of them 2 MiB pages zeroed
//! anew), 5-9% of its CPU; with a 60 s delay, ~1,000. A node keeps what it freed for a
//! minute and then gives it back, so an idle node still shrinks.
//!
//! ```no_run
//! // First thing in main, before the threads start:
//! hearsay_node::alloc::keep_freed_memory();
//! ```
#![allow(unsafe_code)]

use libmimalloc_sys::{mi_option_get, mi_option_set, mi_option_t};

/// `mi_option_purge_delay`: its place in mimalloc v3's `mi_option_e` (libmimalloc-sys
/// names no constant for it).
const PURGE_DELAY: mi_option_t = 15;
/// mimalloc v3's default for it, checked before it is changed: in another mimalloc
/// (v2's default is 10 ms) the option at that place may not be the purge delay.
const V3_DEFAULT_MS: std::ffi::c_long = 1000;
/// How long freed memory is kept for reuse before it goes back to the OS.
pub const KEEP_FREED_MS: std::ffi::c_long = 60_000;

/// Keeps freed memory for [`KEEP_FREED_MS`] instead of mimalloc's 1 s. Does nothing if
/// `MIMALLOC_PURGE_DELAY` is set (the operator's choice wins) or the allocator is not
/// the mimalloc v3 this was measured with. Returns whether it changed the setting.
pub fn keep_freed_memory() -> bool {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return false;
    }
    // SAFETY: mimalloc's option calls take and return plain integers and are safe to
    // call from any thread at any time; an index past its options is ignored by it.
    unsafe {
        if mi_option_get(PURGE_DELAY) != V3_DEFAULT_MS {
            return false;
        }
        mi_option_set(PURGE_DELAY, KEEP_FREED_MS);
        mi_option_get(PURGE_DELAY) == KEEP_FREED_MS
    }
}

#[cfg(test)]
mod tests {
    /// Fails when a mimalloc upgrade moves or re-defaults the purge delay, so that the
    /// setting is looked at again rather than silently skipped.
    #[test]
    fn the_purge_delay_is_where_it_was_measured() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        assert!(super::keep_freed_memory());
        // Once set, a second call sees a value that is not the default and leaves it.
        assert!(!super::keep_freed_memory());
    }
}
