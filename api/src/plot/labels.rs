pub use domain::human_bytes;

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
