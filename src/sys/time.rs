//! Times for people: milliseconds since the Unix epoch shown in the local
//! time zone (the system's, from the tz database; jiff).

/// `ms` since the Unix epoch as the local time: `14:03:07` today,
/// `2026-11-26 14:03:07` on another day.
pub fn local_time(ms: u64) -> String {
    let Ok(ts) = jiff::Timestamp::from_millisecond(i64::try_from(ms).unwrap_or(i64::MAX)) else {
        return format!("{ms} ms");
    };
    let tz = jiff::tz::TimeZone::system();
    let at = ts.to_zoned(tz.clone());
    let today = jiff::Timestamp::now().to_zoned(tz).date();
    if at.date() == today {
        at.strftime("%H:%M:%S").to_string()
    } else {
        at.strftime("%Y-%m-%d %H:%M:%S").to_string()
    }
}

/// `ms` since the Unix epoch as the local clock time `14:03:07`.
pub fn clock(ms: u64) -> String {
    jiff::Timestamp::from_millisecond(i64::try_from(ms).unwrap_or(i64::MAX)).map_or_else(
        |_| format!("{ms} ms"),
        |ts| {
            ts.to_zoned(jiff::tz::TimeZone::system())
                .strftime("%H:%M:%S")
                .to_string()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_local_clock_times() {
        let now = jiff::Timestamp::now().as_millisecond() as u64;
        let t = local_time(now);
        assert_eq!(t.len(), 8, "{t}");
        assert_eq!(t.matches(':').count(), 2);
        assert_eq!(clock(now), t);
        assert!(local_time(1_000_000_000_000).starts_with("2001-09-"));
    }
}
