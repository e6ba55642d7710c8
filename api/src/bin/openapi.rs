//! Prints the OpenAPI document: `cargo run -q -p api --bin openapi > openapi/openapi.json`.

fn main() {
    println!("{}", api::openapi().to_pretty_json().expect("the spec serializes"));
}
