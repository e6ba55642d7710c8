use chrono::{DateTime, Utc};

pub use domain::human_bytes;

/// A tick label: seconds for short windows, the date too for windows longer than a day.
pub fn clock_time(ms: i64, span_ms: i64) -> String {
    let Some(time) = DateTime::<Utc>::from_timestamp_millis(ms) else { return String::new() };
    if span_ms > 86_400_000 {
        time.format("%m-%d %H:%M").to_string()
    } else if span_ms > 600_000 {
        time.format("%H:%M").to_string()
    } else {
        time.format("%H:%M:%S").to_string()
    }
}

/// `10 s`, `5 min`, `1 h`, `31 d`, as exact as the value allows.
pub fn duration(seconds: u64) -> String {
    match seconds {
        s if s % 86_400 == 0 => format!("{} d", s / 86_400),
        s if s % 3_600 == 0 => format!("{} h", s / 3_600),
        s if s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_named_in_round_units() {
        assert_eq!(duration(10), "10 s");
        assert_eq!(duration(60), "1 min");
        assert_eq!(duration(3_600), "1 h");
        assert_eq!(duration(2_678_400), "31 d");
    }
}
