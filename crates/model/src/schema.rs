//! The JSON Schemas of the two documents, generated from the Rust types.
//!
//! `cxqueues schema --out schemas/` writes them; editors pick them up through the
//! `# yaml-language-server: $schema=…` modeline at the top of each file.

use schemars::generate::SchemaSettings;

use crate::{QueueDoc, TenantDoc};

/// File name and pretty JSON text of each schema, in a stable order.
pub fn all() -> Vec<(&'static str, String)> {
    vec![
        ("queue.schema.json", render::<QueueDoc>("queue.schema.json")),
        (
            "tenant.schema.json",
            render::<TenantDoc>("tenant.schema.json"),
        ),
    ]
}

/// The names of the fields whose value is a number or a boolean, in either document: where
/// a quoted `"60"` or `"true"` is a wrong type (`yaml::fast` must not read it directly).
pub(crate) fn typed_fields() -> &'static std::collections::HashSet<String> {
    static FIELDS: std::sync::OnceLock<std::collections::HashSet<String>> =
        std::sync::OnceLock::new();
    FIELDS.get_or_init(|| {
        fn walk(v: &serde_json::Value, out: &mut std::collections::HashSet<String>) {
            match v {
                serde_json::Value::Object(m) => {
                    if let Some(serde_json::Value::Object(props)) = m.get("properties") {
                        for (name, prop) in props {
                            let typed = |t: &serde_json::Value| {
                                matches!(t.as_str(), Some("integer" | "number" | "boolean"))
                            };
                            let is_typed = match prop.get("type") {
                                Some(serde_json::Value::Array(ts)) => ts.iter().any(typed),
                                Some(t) => typed(t),
                                None => false,
                            };
                            if is_typed {
                                out.insert(name.clone());
                            }
                        }
                    }
                    m.values().for_each(|v| walk(v, out));
                }
                serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
                _ => {}
            }
        }
        let mut out = std::collections::HashSet::new();
        for (_, text) in all() {
            let v: serde_json::Value = serde_json::from_str(&text).expect("a schema is JSON");
            walk(&v, &mut out);
        }
        out
    })
}

fn render<T: schemars::JsonSchema>(file: &str) -> String {
    let generator = SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<T>();
    schema.insert(
        "$id".into(),
        format!("https://cxqueues.dev/schemas/{file}").into(),
    );
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema is JSON");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_schema_has_ranges_defaults_and_no_unknown_fields() {
        let (_, text) = &all()[0];
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(v["additionalProperties"], false);
        let defs = &v["definitions"];
        assert_eq!(
            defs["QueueSpec"]["properties"]["maxWaiters"]["maximum"],
            100
        );
        assert_eq!(
            defs["OverflowDoc"]["properties"]["enabled"]["default"],
            true
        );
        assert_eq!(
            defs["SkillRequirementDoc"]["properties"]["required"]["default"],
            true
        );
    }
}
