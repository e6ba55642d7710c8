//! The deployment contract in `contract/`, as the Rust side checks it: each function's binary reads
//! exactly the variables listed for it, and the DynamoDB schema the code creates is the one listed.

use std::collections::BTreeSet;

use serde_json::Value;
use settings::{ConfigError, Env};

/// The variable the log filter reads (in `startup`), outside every configuration type.
const LOG_FILTER: &str = "RUST_LOG";

pub fn load(file: &str) -> Value {
    let path = crate::workspace_root().join("contract").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// One function's entry in `contract/functions.json`.
pub struct FunctionContract {
    pub name: String,
    pub required: BTreeSet<String>,
    pub optional: BTreeSet<String>,
    pub calls: Vec<String>,
}

fn strings(value: &Value) -> Vec<String> {
    value.as_array().into_iter().flatten().filter_map(|v| v.as_str().map(String::from)).collect()
}

impl FunctionContract {
    pub fn load(name: &str) -> Self {
        let all = load("functions.json");
        let function = &all["functions"][name];
        assert!(function.is_object(), "contract/functions.json has no function {name:?}");
        let environment = &function["environment"];
        Self {
            name: name.to_owned(),
            required: strings(&environment["required"]).into_iter().collect(),
            optional: strings(&environment["optional"]).into_iter().collect(),
            calls: function["calls"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|call| call["operation"].as_str().map(String::from))
                .collect(),
        }
    }

    /// Checks that `build` reads exactly the listed variables (the log filter aside), succeeds when all
    /// are set (to `value_for(name)`), and fails naming each required one when it alone is missing.
    pub fn check_reads(
        &self,
        build: impl Fn(&Env) -> Result<(), ConfigError>,
        value_for: impl Fn(&str) -> String,
    ) {
        let listed: BTreeSet<String> =
            self.required.union(&self.optional).filter(|name| *name != LOG_FILTER).cloned().collect();
        let env_without = |missing: Option<&str>| {
            let pairs: Vec<(String, String)> = listed
                .iter()
                .filter(|name| Some(name.as_str()) != missing)
                .map(|name| (name.clone(), value_for(name)))
                .collect();
            Env::from_lookup(move |name| pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()))
        };

        let env = env_without(None);
        if let Err(error) = build(&env) {
            panic!("{}: the configuration fails with every listed variable set: {error}", self.name);
        }
        let asked: BTreeSet<String> = env.asked().into_iter().map(String::from).collect();
        assert_eq!(
            asked, listed,
            "{}: the variables the binary reads (left) differ from contract/functions.json (right)",
            self.name
        );
        for variable in &self.required {
            match build(&env_without(Some(variable))) {
                Ok(()) => panic!(
                    "{}: {variable} is listed as required, yet the binary starts without it",
                    self.name
                ),
                Err(error) => assert_eq!(error.variable, variable, "{}: {error}", self.name),
            }
        }
    }
}
