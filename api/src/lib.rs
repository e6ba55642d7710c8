//! The Plot service: an Axum app that reads the size history, renders and stores the plot, presigns it,
//! and documents itself with OpenAPI (utoipa) and Swagger UI.
//!
//! [`Application::build`] is the one way to build it (the Lambda binary, the local stack and the tests all
//! use it): [`app`] builds the router from [`routes`], [`state`] holds what is built once at start, [`tracked`] says which buckets are served,
//! [`error`] maps every failure to HTTP in one place, [`plot`] renders PNGs, and [`serve`] runs the app
//! over HTTP.

pub mod app;
mod application;
pub mod error;
mod params;
pub mod plot;
mod points;
mod routes;
pub mod serve;
pub mod state;
pub mod tracked;
mod views;

pub use app::openapi;
pub use application::Application;
pub use state::{ApiConfig, AppState};
pub use tracked::TrackedBuckets;
