//! The JSON Schemas: `schemas/` at the workspace root is `cxqueues schema`'s output, and an
//! outside validator (python `jsonschema`) agrees with `cxqueues validate` on the example
//! repository and the schema-level cases of the corpus.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root exists")
}

const REGENERATE: &str = "run `cargo run -p runner -- schema --out schemas` at the workspace root";

#[test]
fn the_checked_in_schemas_are_the_ones_the_model_generates() {
    let dir = workspace_root().join("schemas");
    for (name, generated) in model::schema::all() {
        let path = dir.join(name);
        let on_disk = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}; {REGENERATE}", path.display()));
        assert!(
            on_disk == generated,
            "schemas/{name} differs from the schema the model generates; {REGENERATE}"
        );
    }
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected: Vec<String> = model::schema::all()
        .into_iter()
        .map(|(n, _)| n.to_string())
        .collect();
    expected.sort();
    assert_eq!(
        names, expected,
        "schemas/ holds other files than the generated schemas; {REGENERATE}"
    );
}

#[test]
fn schema_out_writes_each_schema_into_the_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("new/schemas");
    let out = Command::new(env!("CARGO_BIN_EXE_cxqueues"))
        .args(["schema", "--out"])
        .arg(&out_dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    for (name, generated) in model::schema::all() {
        assert_eq!(
            std::fs::read_to_string(out_dir.join(name)).unwrap(),
            generated
        );
    }
}

#[test]
fn schema_without_out_prints_one_document_with_both_schemas_under_named_keys() {
    let out = Command::new(env!("CARGO_BIN_EXE_cxqueues"))
        .arg("schema")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let printed = String::from_utf8(out.stdout).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&printed).expect("one JSON document");
    let titles: Vec<&str> = ["queue", "tenant"]
        .iter()
        .map(|k| doc[k]["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["cxqueues Queue", "cxqueues Tenant"]);
    let only = Command::new(env!("CARGO_BIN_EXE_cxqueues"))
        .args(["schema", "--kind", "tenant"])
        .output()
        .unwrap();
    let tenant: serde_json::Value = serde_json::from_slice(&only.stdout).unwrap();
    assert_eq!(tenant["title"], "cxqueues Tenant");
}

/// `tests/schema_agreement.py` validates each document with python's `jsonschema` and
/// compares the verdict with `cxqueues validate --format json`, file by file.
#[test]
fn python_jsonschema_agrees_with_validate_on_the_example_and_the_schema_level_corpus() {
    let root = workspace_root();
    let out = Command::new("python3")
        .arg(root.join("tests/schema_agreement.py"))
        .arg(env!("CARGO_BIN_EXE_cxqueues"))
        .current_dir(&root)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run python3 ({e}); install Python 3 and `pip install jsonschema pyyaml`")
        });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "schema_agreement.py failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("files agree"),
        "no summary line:\n{stdout}\n{stderr}"
    );
}
