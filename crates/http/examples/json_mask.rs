//! Masks one JSON document N times, for counting the instructions of the JSON masking pass
//! under valgrind: `json_mask FILE DETECTORS N` (detectors comma-separated or `all`; strategy
//! `redact`). `scripts/bench-json-mask.sh` runs it. It prints the masked document once, so two
//! builds can be checked for the same output.

use std::hint::black_box;

use warden_config::{MaskProfile, MaskStrategy};
use warden_mask::{Entity, Masker};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [file, detectors, n] = args.as_slice() else {
        return Err("usage: json_mask FILE DETECTORS N".into());
    };
    let body = std::fs::read(file)?;
    let n: usize = n.parse()?;
    let detectors = match detectors.as_str() {
        "all" => Entity::NAMES.iter().map(|n| (*n).to_owned()).collect(),
        list => list.split(',').map(str::to_owned).collect(),
    };
    let profile = MaskProfile {
        detectors,
        strategy: MaskStrategy::Redact,
        columns: Vec::new(),
    };
    let masker = Masker::new(&profile, b"bench-key")?;
    let mut last = None;
    for _ in 0..n {
        last = warden_http::mask_json_document(black_box(&body), &masker);
    }
    let last = last.ok_or("not a JSON document")?;
    let text = last.masked.unwrap_or(body);
    println!(
        "well_formed={} {}",
        last.well_formed,
        String::from_utf8_lossy(&text)
    );
    Ok(())
}
