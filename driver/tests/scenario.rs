//! The scenario's steps, their text and JSON forms, validation, and the totals each step should leave.

use driver::report::bytes;
use driver::scenario::{MAX_KEY_BYTES, classic_steps};
use driver::{Expectation, Scenario, Step, StepReport, Totals};

fn totals(size_bytes: u64, object_count: u64) -> Totals {
    Totals { size_bytes, object_count }
}

fn expected_after_each(expectation: &mut Expectation, scenario: &Scenario) -> Vec<Totals> {
    scenario.steps().iter().map(|step| expectation.apply(step)).collect()
}

#[test]
fn classic_scenario_on_an_empty_bucket_gives_18_27_0_2() {
    let scenario = Scenario::classic();
    let steps: Vec<_> = scenario.steps().iter().map(|s| (s.action(), s.key(), s.size_bytes())).collect();
    assert_eq!(
        steps,
        [
            ("put", "assignment1.txt", Some(18)),
            ("put", "assignment1.txt", Some(27)),
            ("delete", "assignment1.txt", None),
            ("put", "assignment2.txt", Some(2)),
        ]
    );
    let mut expectation = Expectation::new(&scenario);
    assert_eq!(expectation.totals(), totals(0, 0));
    assert_eq!(
        expected_after_each(&mut expectation, &scenario),
        [totals(18, 1), totals(27, 1), totals(0, 0), totals(2, 1)]
    );
}

#[test]
fn baseline_includes_existing_objects_but_not_plots() {
    let scenario = Scenario::classic();
    let mut expectation = Expectation::new(&scenario);
    expectation.observe("other.bin", 1000);
    expectation.observe("plots/plot.png", 54321);
    expectation.observe("assignment1.txt", 5);
    assert_eq!(expectation.totals(), totals(1005, 2));
    // The overwrite replaces the existing 5 bytes; the delete removes the 27.
    assert_eq!(
        expected_after_each(&mut expectation, &scenario),
        [totals(1018, 2), totals(1027, 2), totals(1000, 1), totals(1002, 2)]
    );
}

#[test]
fn deleting_a_missing_key_changes_nothing() {
    let scenario = Scenario::new("", vec![Step::delete("ghost"), Step::delete("ghost")]).unwrap();
    let mut expectation = Expectation::new(&scenario);
    expectation.observe("a", 3);
    assert_eq!(expected_after_each(&mut expectation, &scenario), [totals(3, 1), totals(3, 1)]);
}

#[test]
fn prefix_goes_before_every_key() {
    let scenario = Scenario::new("runs/7/", classic_steps()).unwrap();
    let keys: Vec<_> = scenario.steps().iter().map(Step::key).collect();
    assert_eq!(
        keys,
        [
            "runs/7/assignment1.txt",
            "runs/7/assignment1.txt",
            "runs/7/assignment1.txt",
            "runs/7/assignment2.txt"
        ]
    );
    // A prefixed scenario only counts the bucket's other objects in its baseline.
    let mut expectation = Expectation::new(&scenario);
    expectation.observe("assignment1.txt", 18);
    assert_eq!(expected_after_each(&mut expectation, &scenario).last(), Some(&totals(20, 2)));
}

#[test]
fn step_text_form_parses() {
    assert_eq!("put:a.txt=hello".parse::<Step>(), Ok(Step::put("a.txt", "hello")));
    assert_eq!("put:a.txt=".parse::<Step>(), Ok(Step::put("a.txt", "")));
    assert_eq!("put:a.txt=x=y".parse::<Step>(), Ok(Step::put("a.txt", "x=y")));
    assert_eq!("put:dir/a b.txt=two words".parse::<Step>(), Ok(Step::put("dir/a b.txt", "two words")));
    assert_eq!("delete:a.txt".parse::<Step>(), Ok(Step::delete("a.txt")));
    assert_eq!("delete:a:b".parse::<Step>(), Ok(Step::delete("a:b")));
    for step in [Step::put("k", "v=w"), Step::delete("k")] {
        assert_eq!(step.to_string().parse::<Step>(), Ok(step));
    }
}

#[test]
fn step_text_form_refuses_malformed_steps() {
    let error = |text: &str| text.parse::<Step>().unwrap_err();
    assert_eq!(error("a.txt"), "expected put:KEY=BODY or delete:KEY, got \"a.txt\"");
    assert_eq!(error("put:a.txt"), "expected put:KEY=BODY or delete:KEY: put needs KEY=BODY");
    assert_eq!(error("move:a.txt"), "expected put:KEY=BODY or delete:KEY: unknown action \"move\"");
    assert_eq!(error("PUT:a=b"), "expected put:KEY=BODY or delete:KEY: unknown action \"PUT\"");
}

#[test]
fn step_json_form() {
    let steps: Vec<Step> =
        serde_json::from_str(r#"[{"put": {"key": "a.txt", "body": "hello"}}, {"delete": "a.txt"}]"#).unwrap();
    assert_eq!(steps, [Step::put("a.txt", "hello"), Step::delete("a.txt")]);
    assert_eq!(
        serde_json::to_value(&steps).unwrap(),
        serde_json::json!([{"put": {"key": "a.txt", "body": "hello"}}, {"delete": "a.txt"}])
    );
    for bad in
        [r#"{"put": {"key": "a"}}"#, r#"{"put": {"key": "a", "body": "b", "size": 1}}"#, r#"{"copy": "a"}"#]
    {
        assert!(serde_json::from_str::<Step>(bad).is_err(), "{bad}");
    }
}

#[test]
fn scenario_validation() {
    let error = |prefix: &str, steps: Vec<Step>| Scenario::new(prefix, steps).unwrap_err().to_string();
    assert_eq!(error("", vec![]), "invalid steps: there must be at least one step");
    assert_eq!(
        error("", vec![Step::put("a", "1"), Step::delete("")]),
        "invalid step 2 (delete:): the key must not be empty"
    );
    // An empty key stays refused with a prefix: the prefix alone is not the step's key.
    assert_eq!(error("p/", vec![Step::put("", "1")]), "invalid step 1 (put:=1): the key must not be empty");
    assert_eq!(
        error("", vec![Step::put("plots/x.png", "1")]),
        "invalid step 1 (put:plots/x.png=1): the key \"plots/x.png\" lies under plots/, which holds the plot and is not tracked"
    );
    assert!(error("plo", vec![Step::delete("ts/x")]).contains("lies under plots/"));
    assert!(error("plots/", vec![Step::delete("x")]).contains("lies under plots/"));
    assert_eq!(
        error("", vec![Step::delete("k".repeat(MAX_KEY_BYTES + 1))]),
        format!(
            "invalid step 1 (delete:{}): the key with its prefix is 1025 bytes; S3 allows 1024",
            "k".repeat(1025)
        )
    );
    assert!(error(&"p".repeat(1000), vec![Step::delete("k".repeat(25))]).contains("1025 bytes"));
    assert_eq!(
        error(&"p".repeat(1024), vec![Step::delete("k")]),
        "invalid prefix: must be shorter than 1024 bytes"
    );
    // Multi-byte characters count in bytes.
    assert!(Scenario::new("", vec![Step::delete("é".repeat(512))]).is_ok());
    assert!(Scenario::new("", vec![Step::delete("é".repeat(513))]).is_err());
    // A key merely containing plots/ is fine.
    assert!(Scenario::new("", vec![Step::delete("my/plots/x")]).is_ok());
}

#[test]
fn step_report_fields() {
    let report = StepReport::new(&Step::delete("a"), totals(7, 2));
    assert_eq!(
        serde_json::to_value(&report).unwrap(),
        serde_json::json!({"action": "delete", "key": "a", "size_bytes": null,
                           "expected_bucket_size_bytes": 7, "expected_object_count": 2})
    );
}

#[test]
fn sizes_read_exactly() {
    assert_eq!(bytes(0), "0 B");
    assert_eq!(bytes(1023), "1023 B");
    assert_eq!(bytes(1536), "1536 B (1.5 KiB)");
    assert_eq!(bytes(5 * 1024 * 1024), "5242880 B (5 MiB)");
}
