//! Writes JSON strings N times, with Warden's escaping or serde_json's, for
//! `scripts/bench-escape.sh` to count instructions per call under callgrind.
//!
//! Usage: `json_escape ours|serde_json body|short N`

use std::hint::black_box;

/// Short strings as the recording and the audit write them: methods, paths, actions, masked
/// values.
const SHORT: [&str; 5] = [
    "GET",
    "/v1/items?page=2",
    "bench:items:read",
    "[redacted]",
    "prefers email, escalate to [redacted]",
];

/// A quote-dense JSON body like the HTTP benchmark's (about 1 KB), as a recording escapes it.
fn body() -> String {
    let people = [
        ("Ada Lovelace", "ada.lovelace@example.com", "London"),
        ("Grace Hopper", "grace.hopper@example.net", "Arlington"),
        ("Alan Turing", "alan.turing@example.co.uk", "Wilmslow"),
        ("Katherine Johnson", "k.johnson@example.org", "Hampton"),
        ("Edsger Dijkstra", "ewd@example.nl", "Nuenen"),
        ("Barbara Liskov", "liskov@example.com", "Boston"),
    ];
    let items: Vec<serde_json::Value> = people
        .iter()
        .zip(1001..)
        .map(|((name, email, city), id)| {
            serde_json::json!({
                "id": id, "name": name, "email": email, "city": city, "status": "active",
                "note": format!("forward to {email}, \"urgent\"\tif needed"),
            })
        })
        .collect();
    serde_json::json!({ "items": items, "count": people.len(), "next": null }).to_string()
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [who, input, n] = args.as_slice() else {
        return Err("usage: json_escape ours|serde_json body|short N".into());
    };
    let n: usize = n.parse().map_err(|e| format!("N: {e}"))?;
    let strings: Vec<String> = match input.as_str() {
        "body" => vec![body()],
        "short" => SHORT.iter().map(|s| (*s).to_owned()).collect(),
        other => return Err(format!("unknown input {other}: body or short")),
    };
    let ours = match who.as_str() {
        "ours" => true,
        "serde_json" => false,
        other => return Err(format!("unknown writer {other}: ours or serde_json")),
    };
    let mut out = Vec::with_capacity(8192);
    for _ in 0..n {
        out.clear();
        for s in &strings {
            if ours {
                warden_core::json_str::write_str(&mut out, black_box(s));
            } else {
                serde_json::to_writer(&mut out, black_box(s)).map_err(|e| e.to_string())?;
            }
        }
        black_box(&out);
    }
    Ok(())
}
