use crate::BucketName;

/// A bucket's tracked size and object count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Totals {
    pub size_bytes: u64,
    pub object_count: u64,
}

/// The bucket's totals at one instant: one row of the size history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Sample {
    pub bucket: BucketName,
    /// Epoch milliseconds; unique per bucket.
    pub ts_ms: i64,
    pub size_bytes: u64,
    pub object_count: u64,
}

impl Sample {
    pub fn totals(&self) -> Totals {
        Totals { size_bytes: self.size_bytes, object_count: self.object_count }
    }
}

/// The samples of a time window, oldest first, and the last sample before it (the size the window opens with).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Window {
    pub carry_in: Option<Sample>,
    pub samples: Vec<Sample>,
}
