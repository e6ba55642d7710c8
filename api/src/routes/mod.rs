//! One module per route; each contributes its handler to the OpenAPI router.

pub mod buckets;
pub mod dashboard;
pub mod docs;
pub mod health;
pub mod max;
pub mod plot;
pub mod presign;
pub mod window;
