//! End-to-end tests across the crates live in `tests/`: the local stack with the driver, and the same
//! scenario with AWS's protocols on moto.
