//! Names and limits more than one binary relies on, each stated once.

/// Keys under this prefix never change the tracked size: the api stores its plots here.
pub const PLOTS_PREFIX: &str = "plots/";

/// Where the api stores the latest plot of the default bucket.
pub const LATEST_PLOT_KEY: &str = "plots/plot.png";

/// The longest window a plot or a history read covers: 31 days.
pub const MAX_WINDOW_SECONDS: u32 = 31 * 24 * 3600;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_plot_is_under_the_plots_prefix() {
        assert!(LATEST_PLOT_KEY.starts_with(PLOTS_PREFIX));
    }
}
