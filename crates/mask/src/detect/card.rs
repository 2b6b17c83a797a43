//! Payment card numbers: 13–19 digits, issuer prefix and length, Luhn check.

use super::Span;
use super::numeric::{collect_digits, groups, left_ok, prefix_value, right_ok};
use crate::text::Text;

/// A card number starting at the digit run at `s`.
///
/// Either one run of 13–19 digits, or groups joined by one repeated space or dash: all groups
/// of four but the last (1–4 digits), or Amex/Diners `4-6-5` / `4-6-4`. The number must not
/// continue a longer digit sequence, must carry a known issuer prefix with a length that issuer
/// uses, and must pass the Luhn check.
pub(crate) fn at(text: &Text<'_>, s: usize) -> Option<Span> {
    let first = text.digits_end(s) - s;
    let (end, sep) = if (13..=19).contains(&first) {
        (s + first, None)
    } else if first == 4 {
        let second = text.digits_end(s + 5) - (s + 5);
        if second != 4 && second != 6 {
            return None;
        }
        let g = groups(text, s, b" -", 19)?;
        let lens = &g.lens[..g.count];
        let fours = g.count >= 4
            && lens[..g.count - 1].iter().all(|&l| l == 4)
            && (1..=4).contains(&lens[g.count - 1]);
        if !(fours || lens == [4, 6, 5] || lens == [4, 6, 4]) {
            return None;
        }
        (g.end, g.sep)
    } else {
        return None;
    };
    if !left_ok(text, s, sep) || !right_ok(text, end, sep) {
        return None;
    }
    let mut digits = [0u8; 19];
    let n = collect_digits(text, s, end, &mut digits);
    let digits = &digits[..n];
    (issuer_accepts(digits) && luhn(digits)).then_some(s..end)
}

/// Whether a known issuer uses this prefix with this length.
fn issuer_accepts(d: &[u8]) -> bool {
    let n = d.len();
    let p2 = prefix_value(d, 2);
    let p3 = prefix_value(d, 3);
    let p4 = prefix_value(d, 4);
    let visa = d[0] == 4 && matches!(n, 13 | 16 | 19);
    let mastercard = ((51..=55).contains(&p2) || (2221..=2720).contains(&p4)) && n == 16;
    let amex = (p2 == 34 || p2 == 37) && n == 15;
    let discover = (p4 == 6011 || p2 == 65 || (644..=649).contains(&p3)) && (16..=19).contains(&n);
    let jcb = (3528..=3589).contains(&p4) && (16..=19).contains(&n);
    let diners =
        ((300..=305).contains(&p3) || matches!(p2, 36 | 38 | 39)) && (14..=19).contains(&n);
    let unionpay = p2 == 62 && (16..=19).contains(&n);
    visa || mastercard || amex || discover || jcb || diners || unionpay
}

/// The Luhn (mod 10) check.
pub(crate) fn luhn(d: &[u8]) -> bool {
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            let x = u32::from(x);
            if i % 2 == 1 {
                let y = x * 2;
                if y > 9 { y - 9 } else { y }
            } else {
                x
            }
        })
        .sum();
    sum.is_multiple_of(10)
}
