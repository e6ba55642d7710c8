//! Names and limits more than one binary relies on, each stated once.

/// Keys under this prefix never change the tracked size: the api stores its plots here.
pub const PLOTS_PREFIX: &str = "plots/";

/// Where the api stores the latest plot of the default bucket.
pub const LATEST_PLOT_KEY: &str = "plots/plot.png";

/// Where the api stores each rendered plot, under a name that identifies what it shows; a lifecycle rule
/// of the stack's bucket expires them after a day.
pub const PLOT_RENDERS_PREFIX: &str = "plots/renders/";

/// How long the DynamoDB ledger remembers a removed key (its tombstone, expired by TTL), to refuse older
/// events of it. An event older than this may find its key forgotten, so the tracker does not apply it
/// blindly: it parks it, and reconcile settles the key from the bucket. Longer than the events queue keeps
/// a message (4 days), so only an event redriven late from the dead-letter queue is ever parked.
pub const TOMBSTONE_LIFETIME: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

/// The longest window a plot or a history read covers: 31 days.
pub const MAX_WINDOW_SECONDS: u32 = 31 * 24 * 3600;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_plot_is_under_the_plots_prefix() {
        assert!(LATEST_PLOT_KEY.starts_with(PLOTS_PREFIX));
        assert!(PLOT_RENDERS_PREFIX.starts_with(PLOTS_PREFIX));
    }
}
