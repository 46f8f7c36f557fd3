//! Activities the team documents: a backup window "daily at 00:58 UTC", a job on `cron(0 2 ? * THU *)`, a load test
//! announced for "2025-02-05, 10:47 UTC". An alarm whose trouble starts just as one of them starts, or within the
//! whole of a window announced for a date ("2026-09-24, 08:00-18:00 UTC"), may be that activity doing what it does.

use std::ops::Range;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};

/// How long after a documented start its activity may still be ramping up when the trouble starts.
const RAMP_MINUTES: i64 = 20;
/// How early the trouble may seem to start (a metric's datapoint covers its minute, clocks differ).
const EARLY_MINUTES: i64 = 2;
/// Words that make a time of day a recurring schedule rather than a one-off mention.
const RECURRENCE_WORDS: [&str; 9] =
    ["daily", "nightly", "weekly", "every", "window", "schedule", "scheduled", "cron", "each"];

/// The sentence of `texts` that documents an activity starting at most `RAMP_MINUTES` before `time` (or just
/// after it), if any.
pub fn documented_start(texts: &[&str], time: DateTime<Utc>) -> Option<String> {
    texts
        .iter()
        .flat_map(|text| text.split(['\n', '.']).filter(|s| !s.trim().is_empty()))
        .find(|sentence| starts_in(sentence).iter().any(|start| start.covers(time)))
        .map(|sentence| sentence.trim().to_string())
}

/// A documented start: a time of day, on some weekdays (all when empty), or on one announced date; an announced
/// window may say when it ends too.
#[derive(Debug, PartialEq)]
struct Start {
    at: NaiveTime,
    weekdays: Vec<Weekday>,
    date: Option<NaiveDate>,
    until: Option<NaiveTime>,
}

impl Start {
    fn covers(&self, time: DateTime<Utc>) -> bool {
        // The start on the day of `time`, the day before and the day after (a window that opens near midnight).
        (-1..=1).any(|days| {
            let Some(start) =
                (time.date_naive() + Duration::days(days)).and_time(self.at).and_local_timezone(Utc).single()
            else {
                return false;
            };
            let lead = time - start;
            // An announced window lasts until it says it ends (past midnight when it ends earlier in the day).
            let lasts = self.until.map_or(Duration::minutes(RAMP_MINUTES), |until| {
                let span = until - self.at;
                if span < Duration::zero() { span + Duration::days(1) } else { span }
            });
            lead >= Duration::minutes(-EARLY_MINUTES)
                && lead <= lasts.max(Duration::minutes(RAMP_MINUTES))
                && (self.weekdays.is_empty() || self.weekdays.contains(&start.weekday()))
                && self.date.is_none_or(|date| start.date_naive() == date)
        })
    }
}

/// The starts a sentence documents: its cron expressions, its UTC times of day when it speaks of a recurrence, and
/// its UTC times on the dates it gives (an announced load test "2025-02-05, 10:47–11:48 UTC").
fn starts_in(sentence: &str) -> Vec<Start> {
    let lower = sentence.to_ascii_lowercase();
    let mut starts: Vec<Start> =
        lower.match_indices("cron(").filter_map(|(at, _)| cron(&lower[at + 5..])).flatten().collect();
    if !sentence.contains("UTC") {
        return starts;
    }
    let recurring = lower.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| RECURRENCE_WORDS.contains(&w));
    let dates: Vec<Option<NaiveDate>> =
        if recurring { vec![None] } else { dates_in(sentence).into_iter().map(Some).collect() };
    for date in dates {
        starts.extend(times_of_day(sentence).into_iter().map(|(at, _)| Start {
            at,
            weekdays: Vec::new(),
            date,
            until: None,
        }));
        // A window announced for a date ("2026-09-24, 08:00-18:00 UTC") covers all of it.
        if date.is_some() {
            let windows = windows_of_day(sentence).into_iter();
            starts.extend(windows.map(|(at, until)| Start { at, weekdays: Vec::new(), date, until: Some(until) }));
        }
    }
    starts
}

/// The ISO dates (`2025-02-05`) a text gives.
fn dates_in(text: &str) -> Vec<NaiveDate> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '-'))
        .filter_map(|token| NaiveDate::parse_from_str(token, "%Y-%m-%d").ok())
        .collect()
}

/// The starts of an EventBridge cron expression (`0 2 ? * THU *`: minutes, hours, day of month, month, day of
/// week, year), from the text after `cron(`; none for what it cannot read.
fn cron(text: &str) -> Option<Vec<Start>> {
    let fields: Vec<&str> = text.split(')').next()?.split_whitespace().collect();
    let [minutes, hours, _, _, days, ..] = fields.as_slice() else { return None };
    let minutes = values(minutes, 0..=59)?;
    let hours = values(hours, 0..=23)?;
    let weekdays = weekdays(days)?;
    Some(
        hours
            .iter()
            .flat_map(|&h| minutes.iter().map(move |&m| (h, m)))
            .filter_map(|(h, m)| {
                NaiveTime::from_hms_opt(h, m, 0).map(|at| Start {
                    at,
                    weekdays: weekdays.clone(),
                    date: None,
                    until: None,
                })
            })
            .collect(),
    )
}

/// The numbers a cron field lists (`5`, `0,30`, `8-10`, `*`), within `range`.
fn values(field: &str, range: std::ops::RangeInclusive<u32>) -> Option<Vec<u32>> {
    if field == "*" {
        return Some(range.collect());
    }
    let mut out = Vec::new();
    for part in field.split(',') {
        match part.split_once('-') {
            Some((from, to)) => out.extend(from.parse::<u32>().ok()?..=to.parse::<u32>().ok()?),
            None => out.push(part.parse().ok()?),
        }
    }
    out.retain(|v| range.contains(v));
    (!out.is_empty()).then_some(out)
}

/// The weekdays of a cron day-of-week field (`?` and `*` for all, `MON-FRI`, `THU`, `2,4`; 1 is Sunday).
fn weekdays(field: &str) -> Option<Vec<Weekday>> {
    if matches!(field, "?" | "*") {
        return Some(Vec::new());
    }
    const NAMES: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    const DAYS: [Weekday; 7] =
        [Weekday::Sun, Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat];
    let index = |name: &str| {
        NAMES
            .iter()
            .position(|n| *n == name)
            .or_else(|| name.parse::<usize>().ok().filter(|d| (1..=7).contains(d)).map(|d| d - 1))
    };
    let mut out = Vec::new();
    for part in field.split(',') {
        let (from, to) = part.split_once('-').unwrap_or((part, part));
        let (from, to) = (index(from)?, index(to)?);
        out.extend(DAYS.get(from..=to)?);
    }
    Some(out)
}

/// The spans of the day a text gives as two `HH:MM` times joined by a dash or "to" (`08:00-18:00`, `10:47–11:48`).
fn windows_of_day(text: &str) -> Vec<(NaiveTime, NaiveTime)> {
    times_of_day(text)
        .windows(2)
        .filter(|pair| {
            let between = text[pair[0].1.end..pair[1].1.start].trim();
            matches!(between, "-" | "–" | "—") || between.eq_ignore_ascii_case("to")
        })
        .map(|pair| (pair[0].0, pair[1].0))
        .collect()
}

/// The `HH:MM` times of day a text gives, each with where it is written.
fn times_of_day(text: &str) -> Vec<(NaiveTime, Range<usize>)> {
    let time = |token: &str| {
        let (hours, minutes) = token.split_once(':')?;
        if minutes.len() != 2 || hours.is_empty() || hours.len() > 2 {
            return None;
        }
        NaiveTime::from_hms_opt(hours.parse().ok()?, minutes.parse().ok()?, 0)
    };
    let mut times = Vec::new();
    let mut token_start = None;
    // A space past the end closes the last token.
    for (at, c) in text.char_indices().chain([(text.len(), ' ')]) {
        match (c.is_ascii_digit() || c == ':', token_start) {
            (true, None) => token_start = Some(at),
            (false, Some(start)) => {
                times.extend(time(&text[start..at]).map(|t| (t, start..at)));
                token_start = None;
            }
            _ => {}
        }
    }
    times
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn an_announced_window_on_a_date_covers_that_date_only() {
        let plan = "# Load test LT-7\n**When:** 2025-02-05, 10:47–11:48 UTC (announced in #eng).";
        let found = documented_start(&[plan], at("2025-02-05T10:52:00Z"));
        assert_eq!(found.as_deref(), Some("**When:** 2025-02-05, 10:47–11:48 UTC (announced in #eng)"));
        assert_eq!(documented_start(&[plan], at("2025-02-06T10:52:00Z")), None, "another day");
        assert_eq!(documented_start(&["Deployed 10:47 UTC by the team"], at("2025-02-05T10:52:00Z")), None);
        // The whole window it announces, not just its first minutes.
        let test = "Northgate will run the penetration test on **2026-09-24, 08:00-18:00 UTC**.";
        assert!(documented_start(&[test], at("2026-09-24T14:16:00Z")).is_some());
        assert_eq!(documented_start(&[test], at("2026-09-24T18:40:00Z")), None, "after it ended");
        assert!(documented_start(&[plan], at("2025-02-05T11:40:00Z")).is_some());
    }

    #[test]
    fn a_daily_window_in_utc_covers_trouble_that_starts_as_it_opens() {
        let architecture = "The API uses the database orders-db. Automated backups run daily in the backup window \
            00:58 UTC. A job runs every minute.";
        let found = documented_start(&[architecture], at("2024-03-07T01:03:00Z"));
        assert_eq!(found.as_deref(), Some("Automated backups run daily in the backup window 00:58 UTC"));
        assert_eq!(documented_start(&[architecture], at("2024-03-07T02:10:00Z")), None, "long after it opened");
        assert_eq!(documented_start(&[architecture], at("2024-03-07T00:40:00Z")), None, "before it opened");
        let one_off = "The database was migrated at 00:58 UTC last year.";
        assert_eq!(documented_start(&[one_off], at("2024-03-07T01:00:00Z")), None, "not a recurrence");
    }

    #[test]
    fn a_cron_schedule_covers_its_own_weekday_and_hour_only() {
        let runbook = "# Weekly ETL\n- Schedule: EventBridge rule `weekly-etl`, `cron(0 2 ? * THU *)` (UTC)";
        // 2025-02-20 is a Thursday.
        assert!(documented_start(&[runbook], at("2025-02-20T02:04:00Z")).is_some());
        assert_eq!(documented_start(&[runbook], at("2025-02-21T02:04:00Z")), None, "a Friday");
        assert_eq!(documented_start(&[runbook], at("2025-02-20T05:00:00Z")), None, "hours later");
        let twice = "cron(15,45 8-9 * * ? *)";
        assert!(documented_start(&[twice], at("2025-02-21T09:50:00Z")).is_some());
        assert_eq!(documented_start(&["cron(nonsense)"], at("2025-02-21T09:50:00Z")), None);
    }
}
