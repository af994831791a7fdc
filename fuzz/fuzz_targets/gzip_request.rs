#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    pastry_fuzz::checks::gzip_request(data);
});
