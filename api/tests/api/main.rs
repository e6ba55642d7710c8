//! The api's tests: one binary, one module per concern, each test with its own world (`helpers::spawn`).

mod buckets;
mod dashboard;
mod docs;
mod errors;
mod helpers;
mod openapi_sync;
mod render;
mod routes;
mod series;
