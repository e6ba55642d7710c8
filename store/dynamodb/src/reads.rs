//! Consistent bulk reads: `BatchGetItem` of up to 100 keys a request, unprocessed keys read again.

use aws_sdk_dynamodb::types::KeysAndAttributes;
use domain::StoreError;

use crate::attributes::Item;
use crate::errors::OrStore;
use crate::retry::{Failure, MAX_ATTEMPTS, back_off, classify};

/// The most keys one `BatchGetItem` takes.
const KEYS_PER_REQUEST: usize = 100;

/// The items of `keys` that exist, each read strongly consistently (in no particular order). `context`
/// names what is read in a contention error.
pub(crate) async fn read_all(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    keys: Vec<Item>,
    context: &str,
) -> Result<Vec<Item>, StoreError> {
    let mut found = Vec::with_capacity(keys.len());
    for request_keys in keys.chunks(KEYS_PER_REQUEST) {
        let mut pending = KeysAndAttributes::builder()
            .set_keys(Some(request_keys.to_vec()))
            .consistent_read(true)
            .build()
            .or_store()?;
        let mut attempt = 0;
        loop {
            match client.batch_get_item().request_items(table, pending.clone()).send().await {
                Ok(output) => {
                    found
                        .extend(output.responses().and_then(|r| r.get(table)).into_iter().flatten().cloned());
                    match output.unprocessed_keys().and_then(|u| u.get(table)) {
                        Some(rest) if !rest.keys().is_empty() => pending = rest.clone(),
                        _ => break,
                    }
                }
                Err(error) => match classify(error) {
                    Failure::Fatal(error) => return Err(error).or_store(),
                    Failure::LostRace | Failure::Throttled => {}
                },
            }
            attempt += 1;
            if attempt >= MAX_ATTEMPTS {
                return Err(StoreError::Contention { bucket: context.to_owned(), attempts: MAX_ATTEMPTS });
            }
            back_off(attempt).await;
        }
    }
    Ok(found)
}
