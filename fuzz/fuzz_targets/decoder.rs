//! Frames (one link type, a sequence of frames with time steps) through one `Decoder`,
//! so IP fragment and TCP reassembly state carries across frames. See `src/lib.rs` for
//! the input format and the invariants checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(input) = hearsay_fuzz::split_frames(data) {
        hearsay_fuzz::run_decoder(&input);
    }
});
