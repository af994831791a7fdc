//! The cookie-date algorithm of RFC 6265 section 5.1.1, to the letter: the
//! jar reads every `Expires` spelling browsers read, and ignores the
//! attribute when the algorithm fails.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `delimiter = %x09 / %x20-2F / %x3B-40 / %x5B-60 / %x7B-7E`.
fn is_delimiter(b: u8) -> bool {
    matches!(b, 0x09 | 0x20..=0x2F | 0x3B..=0x40 | 0x5B..=0x60 | 0x7B..=0x7E)
}

/// Up to `max` leading digits of `token` (at least `min`), their value and
/// the rest; `None` when there are fewer than `min`, or when the digits go
/// on past `max` (`1*2DIGIT` followed by a digit is no match).
fn digits(token: &[u8], min: usize, max: usize) -> Option<(u32, &[u8])> {
    let count = token.iter().take_while(|b| b.is_ascii_digit()).count();
    if count < min || count > max {
        return None;
    }
    let value = token[..count]
        .iter()
        .fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
    Some((value, &token[count..]))
}

/// `( non-digit *OCTET )` or nothing: what may follow a number.
fn ends_number(rest: &[u8]) -> bool {
    rest.first().is_none_or(|b| !b.is_ascii_digit())
}

/// `time = hms-time ( non-digit *OCTET )`, `hms-time = time-field ":"
/// time-field ":" time-field`, `time-field = 1*2DIGIT`.
fn time(token: &[u8]) -> Option<(u32, u32, u32)> {
    let (hour, rest) = digits(token, 1, 2)?;
    let rest = rest.strip_prefix(b":")?;
    let (minute, rest) = digits(rest, 1, 2)?;
    let rest = rest.strip_prefix(b":")?;
    let (second, rest) = digits(rest, 1, 2)?;
    ends_number(rest).then_some((hour, minute, second))
}

/// `day-of-month = 1*2DIGIT ( non-digit *OCTET )`.
fn day_of_month(token: &[u8]) -> Option<u32> {
    let (day, rest) = digits(token, 1, 2)?;
    ends_number(rest).then_some(day)
}

/// `month = ( "jan" / … / "dec" ) *OCTET`, case-insensitively.
fn month(token: &[u8]) -> Option<u32> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    let prefix = token.get(..3)?;
    MONTHS
        .iter()
        .position(|m| prefix.eq_ignore_ascii_case(&m[..]))
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// `year = 2*4DIGIT ( non-digit *OCTET )`.
fn year(token: &[u8]) -> Option<u32> {
    let (year, rest) = digits(token, 2, 4)?;
    ends_number(rest).then_some(year)
}

/// Days in `month` of `year` (proleptic Gregorian).
fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a civil date (H. Hinnant's algorithm).
fn days_from_civil(year: u32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses a cookie date (RFC 6265 section 5.1.1): `None` when the
/// algorithm fails, in which case the `Expires` attribute is ignored.
///
/// The tokens are the runs of non-delimiters; each is tried, in order, as
/// a time, a day of month, a month and a year, the first of those not yet
/// found that it matches. Two-digit years 70–99 are 1970–1999 and 00–69
/// are 2000–2069; the date fails when a part is missing, the day is not
/// 1–31, the year is before 1601, the hour above 23, the minute or second
/// above 59, or the day does not exist in that month.
pub(crate) fn parse_cookie_date(input: &[u8]) -> Option<SystemTime> {
    let mut found_time = None;
    let mut found_day = None;
    let mut found_month = None;
    let mut found_year = None;
    for token in input.split(|&b| is_delimiter(b)).filter(|t| !t.is_empty()) {
        if found_time.is_none()
            && let Some(hms) = time(token)
        {
            found_time = Some(hms);
        } else if found_day.is_none()
            && let Some(day) = day_of_month(token)
        {
            found_day = Some(day);
        } else if found_month.is_none()
            && let Some(m) = month(token)
        {
            found_month = Some(m);
        } else if found_year.is_none()
            && let Some(y) = year(token)
        {
            found_year = Some(y);
        }
    }
    let (hour, minute, second) = found_time?;
    let (day, month, mut year) = (found_day?, found_month?, found_year?);
    if (70..=99).contains(&year) {
        year += 1900;
    } else if year <= 69 {
        year += 2000;
    }
    if !(1..=31).contains(&day) || year < 1601 || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    if day > days_in_month(year, month) {
        return None;
    }
    let secs =
        days_from_civil(year, month, day) * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    let offset = Duration::from_secs(secs.unsigned_abs());
    if secs >= 0 {
        UNIX_EPOCH.checked_add(offset)
    } else {
        // Before 1970: the earliest time the platform holds, at worst.
        Some(UNIX_EPOCH.checked_sub(offset).unwrap_or(UNIX_EPOCH))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seconds since the epoch of a cookie date, negative before 1970.
    fn secs(input: &str) -> Option<i64> {
        parse_cookie_date(input.as_bytes()).map(|t| match t.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap(),
            Err(e) => -i64::try_from(e.duration().as_secs()).unwrap(),
        })
    }

    /// 1994-11-06 08:49:37 UTC.
    const RFC_EXAMPLE: i64 = 784_111_777;

    #[test]
    fn the_three_http_date_spellings_parse() {
        for input in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(secs(input), Some(RFC_EXAMPLE), "{input}");
        }
    }

    #[test]
    fn tokens_may_come_in_any_order() {
        for input in [
            "08:49:37 1994 Nov 06",
            "Nov 1994 06 08:49:37",
            "1994 08:49:37 06 Nov",
            "06 08:49:37 Nov 1994",
        ] {
            assert_eq!(secs(input), Some(RFC_EXAMPLE), "{input}");
        }
    }

    #[test]
    fn every_delimiter_separates_tokens() {
        // %x09 / %x20-2F / %x3B-40 / %x5B-60 / %x7B-7E, each byte of them.
        let delimiters = (0x09..=0x09)
            .chain(0x20..=0x2F)
            .chain(0x3B..=0x40)
            .chain(0x5B..=0x60)
            .chain(0x7B..=0x7E);
        for d in delimiters {
            let d = char::from(d);
            let input = format!("{d}06{d}Nov{d}1994{d}08:49:37{d}");
            assert_eq!(secs(&input), Some(RFC_EXAMPLE), "delimiter {d:?}");
        }
    }

    #[test]
    fn non_delimiters_join_tokens() {
        // ":" and control bytes are non-delimiters: "06:Nov" is one token,
        // read as the day of month, so no month is found and the date fails.
        assert_eq!(secs("06:Nov 1994 08:49:37"), None);
        assert_eq!(secs("06\u{1}Nov 1994 08:49:37"), None);
        // A byte above 0x7F does not split either, but the month only
        // reads three letters and the day only needs a non-digit after it.
        assert_eq!(
            parse_cookie_date(b"06\xff Nov\xff 1994 08:49:37"),
            parse_cookie_date(b"06 Nov 1994 08:49:37")
        );
    }

    #[test]
    fn day_of_month_is_one_or_two_digits_then_a_non_digit() {
        assert_eq!(secs("6 Nov 1994 08:49:37"), Some(RFC_EXAMPLE));
        assert_eq!(secs("06th Nov 1994 08:49:37"), Some(RFC_EXAMPLE));
        // Three digits is no day of month: it reads as the year, and the
        // date lacks a day.
        assert_eq!(secs("006 Nov 1994 08:49:37"), None);
    }

    #[test]
    fn month_is_its_first_three_letters_in_any_case() {
        assert_eq!(secs("06 NOVEMBER 1994 08:49:37"), Some(RFC_EXAMPLE));
        assert_eq!(secs("06 nOvXYZ 1994 08:49:37"), Some(RFC_EXAMPLE));
        assert_eq!(secs("06 No 1994 08:49:37"), None);
        assert_eq!(secs("06 Nvo 1994 08:49:37"), None);
        let months = [
            "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        ];
        let mut previous = None;
        for m in months {
            let at = secs(&format!("01 {m} 2000 00:00:00")).unwrap();
            assert!(previous.is_none_or(|p| at > p), "{m}");
            previous = Some(at);
        }
    }

    #[test]
    fn year_is_two_to_four_digits_then_a_non_digit() {
        assert_eq!(secs("06 Nov 1994GMT 08:49:37"), Some(RFC_EXAMPLE));
        // One digit is a day of month, not a year: the year is missing.
        assert_eq!(secs("Nov 6 4 08:49:37"), None);
        // Five digits match nothing.
        assert_eq!(secs("06 Nov 19940 08:49:37"), None);
    }

    #[test]
    fn two_digit_years_70_to_99_are_19xx_and_0_to_69_are_20xx() {
        assert_eq!(secs("01 Jan 70 00:00:00"), Some(0));
        assert_eq!(secs("31 Dec 99 23:59:59"), Some(946_684_799));
        assert_eq!(secs("01 Jan 00 00:00:00"), Some(946_684_800));
        // 2069-12-31T23:59:59Z.
        assert_eq!(secs("31 Dec 69 23:59:59"), Some(3_155_759_999));
        // Three digits are taken as they are, and fail the 1601 check.
        assert_eq!(secs("01 Jan 100 00:00:00"), None);
    }

    #[test]
    fn time_is_three_fields_of_one_or_two_digits() {
        assert_eq!(secs("06 Nov 1994 8:49:37"), Some(RFC_EXAMPLE));
        assert_eq!(secs("06 Nov 1994 08:49:37.123"), Some(RFC_EXAMPLE));
        assert_eq!(secs("06 Nov 1994 08:49:37Z"), Some(RFC_EXAMPLE));
        assert_eq!(secs("06 Nov 1994 08:49"), None);
        assert_eq!(secs("06 Nov 1994 008:49:37"), None);
        assert_eq!(secs("06 Nov 1994 08:49:370"), None);
    }

    #[test]
    fn the_first_matching_token_wins_and_later_ones_are_ignored() {
        // The first time is taken; "09:00:00" no longer matches a time, and
        // is no day, month or year either.
        assert_eq!(secs("06 Nov 1994 08:49:37 09:00:00"), Some(RFC_EXAMPLE));
        // "07" is tried as a day (taken), then "06" is the year 2006.
        assert!(secs("07 Nov 2006 08:49:37").is_some());
        assert_eq!(secs("07 06 Nov 08:49:37"), secs("07 Nov 2006 08:49:37"));
    }

    #[test]
    fn missing_parts_fail() {
        assert_eq!(secs("Nov 1994 08:49:37"), None);
        assert_eq!(secs("06 1994 08:49:37"), None);
        assert_eq!(secs("06 Nov 08:49:37"), None);
        assert_eq!(secs("06 Nov 1994"), None);
        assert_eq!(secs(""), None);
        assert_eq!(secs("garbage"), None);
    }

    #[test]
    fn out_of_range_parts_fail() {
        assert_eq!(secs("00 Nov 1994 08:49:37"), None);
        assert_eq!(secs("32 Dec 1994 08:49:37"), None);
        assert_eq!(secs("06 Nov 1600 08:49:37"), None);
        assert_eq!(secs("06 Nov 1994 24:00:00"), None);
        assert_eq!(secs("06 Nov 1994 23:60:00"), None);
        assert_eq!(secs("06 Nov 1994 23:59:60"), None);
        assert_eq!(
            secs("06 Nov 1994 23:59:59"),
            Some(RFC_EXAMPLE + 15 * 3600 + 10 * 60 + 22)
        );
    }

    #[test]
    fn dates_that_do_not_exist_fail() {
        assert_eq!(secs("30 Feb 2000 00:00:00"), None);
        assert_eq!(secs("31 Apr 2000 00:00:00"), None);
        assert_eq!(secs("29 Feb 1900 00:00:00"), None);
        assert!(secs("29 Feb 2000 00:00:00").is_some());
        assert!(secs("29 Feb 2024 00:00:00").is_some());
    }

    #[test]
    fn the_oldest_and_newest_dates_parse() {
        assert!(secs("01 Jan 1601 00:00:00").is_some_and(|s| s < 0));
        assert_eq!(secs("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert!(secs("31 Dec 9999 23:59:59").is_some());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn the_parser_is_total(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
            let _ = parse_cookie_date(&bytes);
        }

        #[test]
        fn every_valid_date_round_trips(y in 1601u32..=9999, m in 1u32..=12, d in 1u32..=28, h in 0u32..24, mi in 0u32..60, s in 0u32..60) {
            const NAMES: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
            let text = format!("{d:02} {} {y} {h:02}:{mi:02}:{s:02}", NAMES[m as usize - 1]);
            let expected = days_from_civil(y, m, d) * 86_400 + i64::from(h * 3600 + mi * 60 + s);
            proptest::prop_assert_eq!(secs(&text), Some(expected));
        }
    }
}
