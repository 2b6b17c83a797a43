use super::*;
use chrono::TimeZone;

#[test]
fn stored_form_has_six_digits_and_z() {
    let t = Utc.with_ymd_and_hms(2026, 5, 6, 7, 8, 9).unwrap();
    assert_eq!(format(&t), "2026-05-06T07:08:09.000000Z");
    let t = t + chrono::Duration::nanoseconds(123_456_789);
    assert_eq!(format(&t), "2026-05-06T07:08:09.123456Z");
}

#[test]
fn parse_round_trips_and_rejects_other_forms() {
    let text = "2026-05-06T07:08:09.123456Z";
    assert_eq!(format(&parse(text).unwrap()), text);
    assert!(parse("2026-05-06T07:08:09Z").is_err());
    assert!(parse("2026-05-06T09:08:09.123456+02:00").is_err());
    assert!(parse("yesterday").is_err());
}

#[test]
fn text_order_is_time_order() {
    let a = Utc.with_ymd_and_hms(2026, 5, 6, 7, 8, 9).unwrap();
    let b = a + chrono::Duration::microseconds(1);
    let c = a + chrono::Duration::days(400);
    assert!(format(&a) < format(&b));
    assert!(format(&b) < format(&c));
}

mod written {
    use super::*;
    use proptest::prelude::*;

    fn quoted(time: &DateTime<Utc>) -> String {
        let mut out = Vec::new();
        write_quoted(&mut out, time);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_leap_second_and_a_five_digit_year_are_written_as_chrono_writes_them() {
        let leap = DateTime::from_timestamp(1_483_228_799, 1_500_000_000).unwrap();
        let far = Utc.with_ymd_and_hms(12_345, 1, 2, 3, 4, 5).unwrap();
        let early = Utc.with_ymd_and_hms(-5, 1, 2, 3, 4, 5).unwrap();
        for time in [leap, far, early] {
            assert_eq!(quoted(&time), format!("\"{}\"", format(&time)));
        }
    }

    proptest! {
        #[test]
        fn written_in_place_as_formatted(
            seconds in -70_000_000_000i64..300_000_000_000,
            nanos in 0u32..1_000_000_000,
        ) {
            let time = DateTime::from_timestamp(seconds, nanos).unwrap();
            prop_assert_eq!(quoted(&time), format!("\"{}\"", format(&time)));
        }
    }
}
