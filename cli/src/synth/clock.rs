//! Timestamp formatting for the simulator: the handful of UTC layouts AWS services print, without a date library.

/// Calendar fields of an epoch-millisecond instant (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub millis: u32,
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

pub fn civil(epoch_ms: i64) -> Civil {
    let days = epoch_ms.div_euclid(86_400_000);
    let in_day = epoch_ms.rem_euclid(86_400_000);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        hour: (in_day / 3_600_000) as u32,
        minute: (in_day / 60_000 % 60) as u32,
        second: (in_day / 1000 % 60) as u32,
        millis: (in_day % 1000) as u32,
    }
}

/// Epoch milliseconds of a UTC calendar date at midnight.
pub fn epoch_ms_of_date(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) * 86_400_000
}

/// `2025-06-08T13:55:01.317Z`
pub fn iso_ms(epoch_ms: i64) -> String {
    let c = civil(epoch_ms);
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", c.year, c.month, c.day, c.hour, c.minute, c.second, c.millis)
}

/// `2025-06-08T13:55:01Z`
pub fn iso_s(epoch_ms: i64) -> String {
    let c = civil(epoch_ms);
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", c.year, c.month, c.day, c.hour, c.minute, c.second)
}

/// `2025-06-08T15:43:32.021+0000`, the layout of CloudWatch alarm state timestamps.
pub fn alarm_ts(epoch_ms: i64) -> String {
    let c = civil(epoch_ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+0000",
        c.year, c.month, c.day, c.hour, c.minute, c.second, c.millis
    )
}

/// `08/06/25 15:41:00`, the layout of datapoints in an alarm's reason text.
pub fn alarm_reason_ts(epoch_ms: i64) -> String {
    let c = civil(epoch_ms);
    format!("{:02}/{:02}/{:02} {:02}:{:02}:{:02}", c.day, c.month, c.year % 100, c.hour, c.minute, c.second)
}

/// `08/Jun/2025:13:55:01 +0000`, API Gateway's `$context.requestTime`.
pub fn clf(epoch_ms: i64) -> String {
    let c = civil(epoch_ms);
    let month = MONTHS[(c.month as usize).saturating_sub(1) % 12];
    format!("{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000", c.day, month, c.year, c.hour, c.minute, c.second)
}

/// `2025/06/08`, the date prefix of Lambda log stream names.
pub fn date_path(epoch_ms: i64) -> String {
    let c = civil(epoch_ms);
    format!("{:04}/{:02}/{:02}", c.year, c.month, c.day)
}

/// `2025-09-22 12:32:02.197` (log4j / logback default pattern).
pub fn space_ms(epoch_ms: i64) -> String {
    let c = civil(epoch_ms);
    format!("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}", c.year, c.month, c.day, c.hour, c.minute, c.second, c.millis)
}

/// `2025-09-22 12:32:02,197+0000` (Powertools for Python).
pub fn powertools(epoch_ms: i64) -> String {
    let c = civil(epoch_ms);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02},{:03}+0000",
        c.year, c.month, c.day, c.hour, c.minute, c.second, c.millis
    )
}

/// `Jun 9, 2025, 3:41:10 AM`, the way CloudTrail renders some dates inside response elements.
pub fn console_date(epoch_ms: i64) -> String {
    let c = civil(epoch_ms);
    let month = MONTHS[(c.month as usize).saturating_sub(1) % 12];
    let (hour12, meridiem) = match c.hour {
        0 => (12, "AM"),
        1..=11 => (c.hour, "AM"),
        12 => (12, "PM"),
        _ => (c.hour - 12, "PM"),
    };
    format!("{month} {}, {}, {hour12}:{:02}:{:02} {meridiem}", c.day, c.year, c.minute, c.second)
}

/// `14:20`, for the human-written parts (Slack descriptions, notes).
pub fn hh_mm(epoch_ms: i64) -> String {
    let c = civil(epoch_ms);
    format!("{:02}:{:02}", c.hour, c.minute)
}

/// `2025-06-08`
pub fn ymd(epoch_ms: i64) -> String {
    let c = civil(epoch_ms);
    format!("{:04}-{:02}-{:02}", c.year, c.month, c.day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_a_known_instant() {
        // 2025-06-08T13:55:01.281Z, a timestamp from a recorded bundle.
        let ms = 1_749_390_901_281;
        assert_eq!(iso_ms(ms), "2025-06-08T13:55:01.281Z");
        assert_eq!(clf(ms), "08/Jun/2025:13:55:01 +0000");
        assert_eq!(date_path(ms), "2025/06/08");
        assert_eq!(alarm_reason_ts(ms), "08/06/25 13:55:01");
        assert_eq!(console_date(ms), "Jun 8, 2025, 1:55:01 PM");
    }

    #[test]
    fn date_round_trips() {
        for (y, m, d) in [(2024, 2, 29), (2025, 12, 31), (2026, 1, 1)] {
            let c = civil(epoch_ms_of_date(y, m, d) + 3_723_004);
            assert_eq!((c.year, c.month, c.day, c.hour, c.minute, c.second, c.millis), (y, m, d, 1, 2, 3, 4));
        }
    }
}
