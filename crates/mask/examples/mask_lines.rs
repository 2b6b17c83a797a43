//! Runs the masking engine over JSON lines, or measures its throughput.
//!
//! `mask_lines < in.jsonl`: each input line is `{"text": "..."}`; each output line is
//! `{"findings": [{"entity": "email", "start": 4, "end": 20, "byte_start": 4, "byte_end": 20}]}`
//! with `start`/`end` in Unicode code points (Python string indices) and `byte_*` in UTF-8
//! bytes, every detector enabled. A line that is not such JSON gets
//! `{"findings": [], "error": "..."}` so output lines stay aligned with input lines.
//!
//! `mask_lines --bench FILE`: masks FILE with every detector and the redact strategy on one
//! thread, five times per mode, and prints the median throughput (MB = 10^6 bytes).
//! `--detectors email,card` limits either mode to some detectors.

use std::io::{BufRead, Write};
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use warden_mask::{
    ColumnRef, Entity, MaskProfile, MaskStrategy, MaskedValue, Masker, StreamMasker,
};

#[derive(Deserialize)]
struct Input {
    text: String,
}

#[derive(Serialize)]
struct Hit {
    entity: &'static str,
    start: usize,
    end: usize,
    byte_start: usize,
    byte_end: usize,
}

#[derive(Serialize)]
struct Output {
    findings: Vec<Hit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut detectors: Vec<String> = Entity::NAMES.iter().map(|n| (*n).to_owned()).collect();
    if let Some(i) = args.iter().position(|a| a == "--detectors") {
        let list = args
            .get(i + 1)
            .ok_or("--detectors needs a comma-separated list")?;
        detectors = list.split(',').map(str::to_owned).collect();
        args.drain(i..i + 2);
    }
    let profile = MaskProfile {
        detectors,
        strategy: MaskStrategy::Redact,
        columns: Vec::new(),
    };
    let masker = Masker::new(&profile, b"bench-key")?;
    match args.as_slice() {
        [flag, file] if flag == "--bench" => bench(masker, file),
        [] => lines(&masker),
        _ => Err(
            "usage: mask_lines [--detectors a,b] [--bench FILE] (JSON lines on stdin otherwise)"
                .into(),
        ),
    }
}

fn lines(masker: &Masker) -> Result<(), Box<dyn std::error::Error>> {
    let stdin = std::io::stdin();
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    for line in stdin.lock().lines() {
        let line = line?;
        let output = match serde_json::from_str::<Input>(&line) {
            Ok(input) => Output {
                findings: hits(masker, &input.text),
                error: None,
            },
            Err(e) => Output {
                findings: Vec::new(),
                error: Some(e.to_string()),
            },
        };
        serde_json::to_writer(&mut stdout, &output)?;
        stdout.write_all(b"\n")?;
    }
    stdout.flush()?;
    Ok(())
}

fn hits(masker: &Masker, text: &str) -> Vec<Hit> {
    let char_index = |byte: usize| text[..byte].chars().count();
    masker
        .findings(text)
        .into_iter()
        .map(|f| Hit {
            entity: f.entity.as_str(),
            start: char_index(f.span.start),
            end: char_index(f.span.end),
            byte_start: f.span.start,
            byte_end: f.span.end,
        })
        .collect()
}

fn bench(masker: Masker, file: &str) -> Result<(), Box<dyn std::error::Error>> {
    let data = std::fs::read(file)?;
    let masker = Arc::new(masker);
    let mb = data.len() as f64 / 1e6;
    println!(
        "file: {file}, {:.2} MB, {} lines",
        mb,
        data.split(|&c| c == b'\n').count()
    );
    let text = std::str::from_utf8(&data)?;
    println!("findings: {}", masker.findings(text).len());
    let run = |name: &str, f: &dyn Fn() -> usize| {
        let mut rates: Vec<f64> = (0..5)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(f());
                mb / start.elapsed().as_secs_f64()
            })
            .collect();
        rates.sort_by(f64::total_cmp);
        println!("{name:<34} {:>8.1} MB/s (median of 5)", rates[2]);
    };
    run("mask_text, whole file", &|| masker.mask_text(text).len());
    run("mask_text, line by line", &|| {
        text.lines().map(|l| masker.mask_text(l).len()).sum()
    });
    let fields: Vec<&[u8]> = data
        .split(|&c| c == b'\n' || c == b',')
        .filter(|f| !f.is_empty())
        .collect();
    let plan = masker.plan(ColumnRef::name("value"));
    run("mask_planned, per comma field", &|| {
        fields
            .iter()
            .map(|f| match masker.mask_planned(plan, f) {
                MaskedValue::Replaced(v) => v.len(),
                _ => f.len(),
            })
            .sum()
    });
    println!(
        "  ({} fields, {:.0} bytes each on average)",
        fields.len(),
        data.len() as f64 / fields.len() as f64
    );
    run("findings, whole file", &|| masker.findings(text).len());
    run("StreamMasker, 64 KiB chunks", &|| {
        let mut stream = StreamMasker::new(masker.clone());
        let mut out = Vec::with_capacity(data.len() + 4096);
        for chunk in data.chunks(64 * 1024) {
            stream.push_into(chunk, &mut out);
        }
        stream.finish_into(&mut out);
        out.len()
    });
    run("StreamMasker, 4 KiB chunks", &|| {
        let mut stream = StreamMasker::new(masker.clone());
        let mut out = Vec::with_capacity(data.len() + 4096);
        for chunk in data.chunks(4 * 1024) {
            stream.push_into(chunk, &mut out);
        }
        stream.finish_into(&mut out);
        out.len()
    });
    Ok(())
}
