//! Frames → decoder → parser, as a sensor runs them: every DNS payload the decoder finds
//! is parsed below and above the resolver (zone cuts learned across payloads) and
//! checked. Same input format as `decoder`; see `src/lib.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(input) = hearsay_fuzz::split_frames(data) {
        let payloads = hearsay_fuzz::run_decoder(&input);
        hearsay_fuzz::run_pipeline(&payloads);
    }
});
