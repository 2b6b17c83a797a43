use super::*;
use chrono::{TimeZone, Utc};
use serde_json::json;
use warden_core::{AuditKind, Verdict};

fn jcs(value: &Value) -> Vec<u8> {
    serde_jcs::to_vec(value).unwrap()
}

fn ours(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_value(&mut out, value).unwrap();
    out
}

#[test]
fn values_match_serde_jcs_byte_for_byte() {
    let samples = [
        json!(null),
        json!(true),
        json!({"b": 1, "a": [1, 2.5, -3, "x"], "c": {"z": null, "y": false}}),
        json!({"€": 1, "\u{1F600}": 2, "\u{E000}": 3, "a": 4, "A": 5, "": 6}),
        json!(
            "quote \" backslash \\ slash / tab \t nl \n cr \r bs \u{8} ff \u{c} nul \u{0} us \u{1f} del \u{7f} é 😀"
        ),
        json!([
            0,
            -0.0,
            1e21,
            1e-7,
            123456789012345678u64,
            -9007199254740993i64,
            0.1,
            1.0,
            5e-324,
            1.7976931348623157e308
        ]),
        json!({"duration_ms": 0.123456, "rows": 1, "error": null, "tables": ["public.t"], "functions": []}),
        // Already in canonical order (written without sorting), also where UTF-16 and byte
        // order disagree.
        json!({"a": 1, "b": {"c": 2, "d": [{"x": null, "y": "z"}]}}),
        json!({"\u{1F600}": 1, "\u{E000}": 2}),
        json!({"\u{E000}": 1, "\u{1F600}": 2}),
        json!(u64::MAX),
        json!(i64::MIN),
    ];
    for sample in samples {
        assert_eq!(
            String::from_utf8(ours(&sample)).unwrap(),
            String::from_utf8(jcs(&sample)).unwrap(),
            "{sample}"
        );
    }
}

#[test]
fn every_control_character_is_escaped_as_serde_jcs_does() {
    let all: String = (0u8..0x80).map(char::from).collect();
    let value = json!({ all.clone(): all });
    assert_eq!(ours(&value), jcs(&value));
}

#[test]
fn events_match_serde_jcs_of_the_field_object() {
    let mut record = AuditRecord::new(AuditKind::Request);
    record.time = Utc.with_ymd_and_hms(2026, 11, 28, 17, 0, 0).unwrap();
    record.identity = Some("agent \"x\"".into());
    record.session = Some("0193-abc".into());
    record.action = Some("sql:read".into());
    record.verdict = Some(Verdict::Allow);
    record.rule = Some("role:reader/allow[0]".into());
    record.detail = json!({"rows": 3, "duration_ms": 1.25, "tables": ["public.accounts"]});
    for record in [record.clone(), AuditRecord::new(AuditKind::GatewayStart)] {
        let mut out = Vec::new();
        write_event(&mut out, 42, "node-a", &record).unwrap();
        let fields = json!({
            "seq": 42,
            "time": timestamp::format(&record.time),
            "node": "node-a",
            "kind": record.kind.as_str(),
            "identity": record.identity,
            "connection": record.connection,
            "session": record.session,
            "action": record.action,
            "verdict": record.verdict.map(|v| v.as_str()),
            "rule": record.rule,
            "detail": record.detail,
        });
        assert_eq!(
            String::from_utf8(out).unwrap(),
            String::from_utf8(jcs(&fields)).unwrap()
        );
    }
}

mod numbers {
    use super::super::{write_f64, write_millis, write_u64};
    use proptest::prelude::*;
    use std::time::Duration;

    fn text(write: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        write(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn integers_and_durations_at_the_edges() {
        for value in [0, 1, 9, 10, 1 << 53, (1 << 53) + 1, u64::MAX] {
            let fast = text(|out| {
                write_u64(out, value).unwrap();
            });
            #[allow(clippy::cast_precision_loss)]
            let slow = text(|out| write_f64(out, value as f64).unwrap());
            assert_eq!(fast, slow, "{value}");
        }
        for millis in [
            0.0,
            -0.0,
            0.000001,
            0.5,
            2.5,
            1e9,
            1e9 - 0.000001,
            1e-7,
            f64::MIN_POSITIVE,
        ] {
            let fast = text(|out| write_millis(out, millis).unwrap());
            let slow = text(|out| write_f64(out, millis).unwrap());
            assert_eq!(fast, slow, "{millis}");
        }
    }

    proptest! {
        #[test]
        fn integers_are_written_as_the_double_they_denote(value in any::<u64>()) {
            let fast = text(|out| { write_u64(out, value).unwrap(); });
            #[allow(clippy::cast_precision_loss)]
            let slow = text(|out| write_f64(out, value as f64).unwrap());
            prop_assert_eq!(fast, slow);
        }

        #[test]
        fn durations_are_written_as_the_double_they_denote(
            nanos in prop_oneof![0u64..10_000_000, 0u64..(1u64 << 53)],
            any_double in any::<f64>().prop_filter("finite", |v| v.is_finite()),
        ) {
            let millis = warden_core::elapsed::millis(Duration::from_nanos(nanos));
            for value in [millis, any_double, any_double.abs() % 1e9] {
                let fast = text(|out| write_millis(out, value).unwrap());
                let slow = text(|out| write_f64(out, value).unwrap());
                prop_assert_eq!(fast, slow);
            }
        }
    }
}
