//! The Common Log Format timestamp, in UTC.

use std::fmt::Write;
use std::time::{SystemTime, UNIX_EPOCH};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Writes `[10/Oct/2000:13:55:36 +0000]`.
pub(crate) fn write_clf_date(out: &mut String, at: SystemTime) {
    let secs = at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    let _ = write!(
        out,
        "[{day:02}/{}/{year:04}:{:02}:{:02}:{:02} +0000]",
        MONTHS[(month - 1) as usize],
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    );
}

/// Days since 1970-01-01 to (year, month, day), after Howard Hinnant's
/// `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn date(secs: u64) -> String {
        let mut out = String::new();
        write_clf_date(&mut out, UNIX_EPOCH + Duration::from_secs(secs));
        out
    }

    #[test]
    fn known_dates() {
        assert_eq!(date(0), "[01/Jan/1970:00:00:00 +0000]");
        assert_eq!(date(971_186_136), "[10/Oct/2000:13:55:36 +0000]");
        assert_eq!(date(951_782_400), "[29/Feb/2000:00:00:00 +0000]");
        assert_eq!(date(1_796_291_350), "[03/Dec/2026:09:49:10 +0000]");
        assert_eq!(date(4_107_542_399), "[28/Feb/2100:23:59:59 +0000]");
    }
}
