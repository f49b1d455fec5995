//! Reading CXone's loosely typed JSON values: integers and booleans that may arrive as
//! strings, and where an error body keeps its reason. A leaf, shared by the client, the wire
//! mapping and the safe write's property table.

use serde_json::Value;

/// An integer that CXone may send as a number or a string.
pub(crate) fn int_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A boolean that CXone may send as a JSON boolean or a string.
pub(crate) fn bool_of(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Where a CXone error body gives its reason (`error_description`, `message`, `error`, or the
/// OAuth `errorDescription`), if it does. Raw server text: it is only ever shown through the
/// answer's redactor ([`said`]).
pub(crate) fn reason_of(body: &Value) -> Option<String> {
    if let Value::String(s) = body {
        return (!s.trim().is_empty()).then(|| s.trim().to_string());
    }
    ["error_description", "errorDescription", "message", "error"]
        .iter()
        .find_map(|k| match body.get(*k)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Value::Object(_) => reason_of(body.get(*k)?),
            _ => None,
        })
}
