//! Handing memory the run has freed back to the system between its phases.

/// Returns the pages the allocator holds free to the system. jemalloc keeps
/// freed pages for ten seconds before it returns them, longer than most
/// runs: what a run builds after its streaming state is gone (the merged
/// summary, the unpacked incidents) would otherwise come on top of that
/// state in the peak RSS, as fresh pages.
pub fn release_freed() {
    #[cfg(not(target_env = "msvc"))]
    // SAFETY: `arena.<i>.purge` (with `i` MALLCTL_ARENAS_ALL, 4096) reads and
    // writes no value: both pointers null, both lengths 0 (jemalloc(3)).
    unsafe {
        tikv_jemalloc_sys::mallctl(
            c"arena.4096.purge".as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        );
    }
}
