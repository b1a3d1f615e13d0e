//! One DNS message through the parser below the resolver and above it (learning zone
//! cuts), checking every observation. See `src/lib.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    hearsay_fuzz::run_parse(data, 1_700_000_000);
});
