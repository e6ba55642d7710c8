//! Delivery as S3 may do it on a bad day: late, out of order and more than once.
//!
//! The delivery task holds back a small batch of notifications, then delivers them shuffled, about 30% of
//! them twice. The tracker must end with the same totals as with orderly delivery.

use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;

/// The most notifications held back at once.
const MAX_BATCH: usize = 16;
/// How long a batch waits for its next notification before it is delivered as it is; short, so a quiet
/// endpoint still settles promptly.
const LINGER: Duration = Duration::from_millis(20);
/// The share of notifications delivered twice.
const DUPLICATE_RATE: f64 = 0.3;

/// Adds to `batch` (which holds the first notification) up to a random batch size, for as long as more
/// arrive within [`LINGER`] of each other.
pub(crate) async fn gather<T>(receiver: &mut UnboundedReceiver<T>, batch: &mut Vec<T>) {
    gather_up_to(receiver, batch, fastrand::usize(1..=MAX_BATCH)).await;
}

async fn gather_up_to<T>(receiver: &mut UnboundedReceiver<T>, batch: &mut Vec<T>, size: usize) {
    while batch.len() < size {
        match tokio::time::timeout(LINGER, receiver.recv()).await {
            Ok(Some(item)) => batch.push(item),
            Ok(None) | Err(_) => break,
        }
    }
}

/// Every item at least once, some twice, in a random order.
pub(crate) fn scramble<T>(batch: &[T]) -> Vec<&T> {
    let mut order: Vec<&T> = Vec::with_capacity(batch.len() * 2);
    for item in batch {
        order.push(item);
        if fastrand::f64() < DUPLICATE_RATE {
            order.push(item);
        }
    }
    fastrand::shuffle(&mut order);
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_is_kept_and_some_are_repeated() {
        let batch: Vec<u32> = (0..1000).collect();
        let order = scramble(&batch);
        let mut seen = vec![0_u32; batch.len()];
        for item in &order {
            seen[**item as usize] += 1;
        }
        assert!(seen.iter().all(|count| (1..=2).contains(count)));
        let repeated = order.len() - batch.len();
        assert!((200..400).contains(&repeated), "{repeated} repeated");
        assert_ne!(order.iter().map(|item| **item).collect::<Vec<_>>(), batch, "not shuffled");
    }

    #[tokio::test]
    async fn a_batch_stops_growing_when_the_channel_is_quiet() {
        let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
        sender.send(2).expect("send");
        sender.send(3).expect("send");
        let mut batch = vec![1];
        gather_up_to(&mut receiver, &mut batch, 10).await;
        assert_eq!(batch, [1, 2, 3], "everything pending, then nothing more within the linger");
    }

    #[tokio::test]
    async fn a_batch_stops_at_its_size() {
        let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
        for item in 2..=9 {
            sender.send(item).expect("send");
        }
        let mut batch = vec![1];
        gather_up_to(&mut receiver, &mut batch, 4).await;
        assert_eq!(batch, [1, 2, 3, 4]);
        assert_eq!(receiver.try_recv().ok(), Some(5), "the rest waits for the next batch");
    }
}
