//! Our request bodies against Genesys's published models
//! (`shared/vendors/specs/genesys-cloud-routing-queue.json`, from the official SDK): no
//! unknown property, no wrong type or enum value, no missing required field; and the exact
//! round trip of a queue holding every published property.

use std::path::PathBuf;

use genesys_cloud::wire::{ACW_WRAPUP_PROMPT, to_neutral, to_wire};
use serde_json::{Map, Value, json};
use tenant::{Queue, ServiceLevelTarget};

fn spec() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/vendors/specs/genesys-cloud-routing-queue.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn fixture() -> Map<String, Value> {
    let text = include_str!("fixtures/queue_all_properties.json");
    serde_json::from_str(text).unwrap()
}

/// The problems of `v` against definition `def` of the published models (the subset of
/// JSON Schema they use: `$ref`, `type`, `enum`, `properties`, `additionalProperties`,
/// `items`, `required`).
fn problems(defs: &Value, schema: &Value, v: &Value, at: &str, out: &mut Vec<String>) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/definitions/");
        return problems(defs, &defs[name], v, at, out);
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(v)
    {
        out.push(format!("{at}: {v} is not one of {allowed:?}"));
    }
    let ok = match schema.get("type").and_then(Value::as_str) {
        Some("string") => v.is_string(),
        Some("integer") => v.is_i64() || v.is_u64(),
        Some("number") => v.is_number(),
        Some("boolean") => v.is_boolean(),
        Some("array") => v.is_array(),
        Some("object") => v.is_object(),
        _ => true,
    };
    if !ok {
        out.push(format!("{at}: {v} is not of type {}", schema["type"]));
        return;
    }
    if let (Some(items), Some(list)) = (schema.get("items"), v.as_array()) {
        for (i, item) in list.iter().enumerate() {
            problems(defs, items, item, &format!("{at}[{i}]"), out);
        }
    }
    let Some(obj) = v.as_object() else { return };
    let props = schema.get("properties").and_then(Value::as_object);
    for key in schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if !obj.contains_key(key.as_str().unwrap_or_default()) {
            out.push(format!("{at}: missing required {key}"));
        }
    }
    for (k, child) in obj {
        match props.and_then(|p| p.get(k)) {
            Some(s) => problems(defs, s, child, &format!("{at}.{k}"), out),
            None => match schema.get("additionalProperties") {
                Some(Value::Bool(false)) => out.push(format!("{at}: unknown property {k}")),
                Some(s @ Value::Object(_)) => problems(defs, s, child, &format!("{at}.{k}"), out),
                _ => {}
            },
        }
    }
}

fn check(body: &Map<String, Value>, definition: &str) -> Vec<String> {
    let spec = spec();
    let defs = &spec["definitions"];
    let mut out = Vec::new();
    problems(
        defs,
        &json!({"$ref": format!("#/definitions/{definition}")}),
        &Value::Object(body.clone()),
        definition,
        &mut out,
    );
    out
}

fn published(mut obj: Map<String, Value>) -> Map<String, Value> {
    obj.remove("aPropertyTheModelDoesNotList");
    obj
}

#[test]
fn the_fixture_holds_every_published_queue_property_and_conforms_to_the_model() {
    let spec = spec();
    let all = spec["definitions"]["Queue"]["properties"]
        .as_object()
        .unwrap();
    let fixture = fixture();
    let missing: Vec<&String> = all.keys().filter(|k| !fixture.contains_key(*k)).collect();
    assert!(missing.is_empty(), "{missing:?}");
    assert_eq!(all.len(), 41);
    assert_eq!(check(&published(fixture), "Queue"), Vec::<String>::new());
}

#[test]
fn a_description_only_change_sends_every_other_property_back_byte_for_byte() {
    let read = fixture();
    let tenant::Listed::Queue(mut q) = genesys_cloud::wire::to_listed(read.clone()) else {
        panic!("the fixture reads")
    };
    q.description = Some("Changed".into());
    let body = to_wire(&q);
    assert_eq!(body["description"], "Changed");
    let rules = body["conditionalGroupRouting"]["rules"].as_array().unwrap();
    assert!(
        rules[0].get("queue").is_none(),
        "rule 1's queue is stripped"
    );
    for (key, was) in &read {
        if key == "description" || key == "conditionalGroupRouting" {
            continue;
        }
        assert_eq!(
            serde_json::to_string(&body[key]).unwrap(),
            serde_json::to_string(was).unwrap(),
            "{key}"
        );
    }
    let mut cgr = read["conditionalGroupRouting"].clone();
    cgr["rules"][0].as_object_mut().unwrap().remove("queue");
    assert_eq!(
        serde_json::to_string(&body["conditionalGroupRouting"]).unwrap(),
        serde_json::to_string(&cgr).unwrap()
    );
    let text = serde_json::to_string(&body).unwrap();
    for exact in [
        "\"percentage\":0.875",
        "\"durationMs\":20500",
        "\"timeoutMs\":45500",
    ] {
        assert!(text.contains(exact), "{exact}");
    }
    assert_eq!(
        check(&published(body), "QueueRequest"),
        Vec::<String>::new()
    );
}

#[test]
fn every_managed_field_written_conforms_to_the_request_models() {
    let mut q = to_neutral(fixture());
    q.service_level_target = Some(ServiceLevelTarget {
        threshold: model::Decimal::parse("7").unwrap(),
        time: model::Decimal::parse("20.5").unwrap(),
    });
    for (path, value) in [
        ("genesys.alertingTimeoutSeconds", json!(12)),
        (
            "genesys.serviceLevels.chat",
            json!({"threshold": 87.5, "time": 60.25}),
        ),
        (
            "genesys.serviceLevels.callback",
            json!({"threshold": 50, "time": 3600}),
        ),
        (
            "genesys.serviceLevels.email",
            json!({"threshold": 99.9, "time": 172800}),
        ),
        (
            "genesys.serviceLevels.message",
            json!({"threshold": 1, "time": 1.001}),
        ),
        ("genesys.skillEvaluationMethod", json!("ALL")),
        ("genesys.scoringMethod", json!("PriorityOnly")),
        (ACW_WRAPUP_PROMPT, json!("AGENT_REQUESTED")),
        ("genesys.acw.timeoutSeconds", json!(90.5)),
    ] {
        q.settings.insert(path.into(), value);
    }
    let put = to_wire(&q);
    assert_eq!(
        check(&published(put.clone()), "QueueRequest"),
        Vec::<String>::new()
    );
    let text = serde_json::to_string(&put).unwrap();
    assert!(
        text.contains("\"percentage\":0.07,\"durationMs\":20500"),
        "{text}"
    );
    assert!(text.contains("\"timeoutMs\":90500"), "{text}");
    assert_eq!(
        to_neutral(put).settings["genesys.serviceLevels.chat"],
        json!({"threshold": 87.5, "time": 60.25})
    );

    let mut new = Queue::named("New");
    new.description = Some("d".into());
    new.service_level_target = Some(ServiceLevelTarget::whole(80, 20));
    new.settings = q.settings.clone();
    let post = to_wire(&new);
    assert_eq!(check(&post, "CreateQueueRequest"), Vec::<String>::new());
}

#[test]
fn the_checker_itself_finds_unknown_properties_wrong_types_and_enums() {
    let bad =
        json!({"name": 5, "scoringMethod": "Fastest", "acwSettings": {"timeoutMs": 1.5, "x": 1}})
            .as_object()
            .unwrap()
            .clone();
    let found = check(&bad, "QueueRequest");
    assert_eq!(found.len(), 4, "{found:?}");
    let nameless = json!({"description": "d"}).as_object().unwrap().clone();
    assert_eq!(check(&nameless, "CreateQueueRequest").len(), 1);
}
