//! A YAML document as a tree of located values, and the serde `Deserializer` that reads the
//! typed documents from that tree.
//!
//! Reading through the tree, rather than straight from the parser, does two things:
//! - **strict typing, YAML 1.2 core schema:** a quoted `"60"`, `yes`/`no`/`on`/`off` and
//!   `3_00` are strings, and a string is never read as a number or a boolean (nor a number as a
//!   string), so what the JSON Schema rejects is rejected here too, at the value;
//! - **unknown fields do not stop a document:** every unknown field of every mapping read as a
//!   struct is recorded, and the document is still read without it, so that its other problems
//!   (a range, a cycle) are found in the same run.

use std::cell::RefCell;
use std::fmt;

use serde::de::value::{StrDeserializer, U8Deserializer, U32Deserializer};
use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess,
    Visitor,
};

use super::YamlError;
use crate::spanned::SPANNED;
use crate::{Loc, Rule};

/// A YAML value as the core schema types it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// A value and where it was written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    pub value: Value,
    pub loc: Loc,
}

impl Node {
    /// Removes the value at `loc` (a mapping entry whose value is there, or a list item), so
    /// that the rest of the document can be read without it: `Some` with the entry's key
    /// (empty for a list item) when one was found.
    pub(crate) fn remove_at(&mut self, loc: Loc) -> Option<String> {
        match &mut self.value {
            Value::Map(entries) => {
                if let Some(i) = entries.iter().position(|(_, v)| v.loc == loc) {
                    let (key, _) = entries.remove(i);
                    return Some(Reader::key_text(&key).unwrap_or_default());
                }
                entries.iter_mut().find_map(|(_, v)| v.remove_at(loc))
            }
            Value::Seq(items) => {
                if let Some(i) = items.iter().position(|v| v.loc == loc) {
                    items.remove(i);
                    return Some(String::new());
                }
                items.iter_mut().find_map(|v| v.remove_at(loc))
            }
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = serde_saphyr::Spanned::<Value>::deserialize(deserializer)?;
        Ok(Node {
            value: s.value,
            loc: Loc::from_saphyr(s.referenced),
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AnyValue;
        impl<'de> Visitor<'de> for AnyValue {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_none<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
                Value::deserialize(d)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
                Ok(Value::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
                Ok(Value::Int(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
                Ok(Value::Int(v.into()))
            }
            fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
                Ok(Value::Int(v))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
                Ok(Value::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Value, E> {
                Ok(Value::Str(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Value, E> {
                Ok(Value::Str(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Value::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
                while let Some(key) = map.next_key()? {
                    entries.push((key, map.next_value()?));
                }
                Ok(Value::Map(entries))
            }
        }
        deserializer.deserialize_any(AnyValue)
    }
}

/// What went wrong reading a typed value from a [`Node`]: a [`YamlError`] once it has its place.
#[derive(Debug)]
pub(crate) struct ReadError {
    message: String,
    loc: Option<Loc>,
    hint: Option<String>,
    /// Worded here (a wrong type) rather than by serde, which [`super::classify`] rewords.
    worded: bool,
}

impl ReadError {
    fn at(mut self, loc: Loc) -> Self {
        self.loc.get_or_insert(loc);
        self
    }

    pub(crate) fn into_yaml(self) -> YamlError {
        let loc = self.loc.unwrap_or_default();
        if self.worded {
            YamlError {
                rule: Rule::Parse,
                loc,
                message: self.message,
                hint: self.hint,
            }
        } else {
            super::classify(&self.message, loc)
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ReadError {}

impl de::Error for ReadError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ReadError {
            message: msg.to_string(),
            loc: None,
            hint: None,
            worded: false,
        }
    }
}

/// Reads `node` as a `T`. Unknown fields are pushed onto `unknown` and skipped.
pub(crate) fn read<T: de::DeserializeOwned>(
    node: &Node,
    unknown: &RefCell<Vec<YamlError>>,
) -> Result<T, YamlError> {
    T::deserialize(Reader { node, unknown }).map_err(|e: ReadError| e.at(node.loc).into_yaml())
}

/// A short description of a value, for "found …".
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Int(i) => format!("the integer {i}"),
        Value::Float(x) => format!("the number {x}"),
        Value::Str(s) if s.chars().count() > 40 => {
            format!("the string {:?}…", s.chars().take(40).collect::<String>())
        }
        Value::Str(s) => format!("the string {s:?}"),
        Value::Seq(_) => "a list".into(),
        Value::Map(_) => "a mapping".into(),
    }
}

/// The expected kinds of value, with the hint for a near miss.
#[derive(Clone, Copy)]
enum Expected {
    Integer,
    Number,
    Boolean,
    String,
    List,
    Mapping,
    Null,
}

impl Expected {
    fn words(self) -> &'static str {
        match self {
            Expected::Integer => "an integer",
            Expected::Number => "a number",
            Expected::Boolean => "a boolean (true or false)",
            Expected::String => "a string",
            Expected::List => "a list",
            Expected::Mapping => "a mapping (key: value)",
            Expected::Null => "nothing (null)",
        }
    }

    /// How to write what was meant, when the value looks like a near miss.
    fn hint(self, found: &Value) -> Option<String> {
        match (self, found) {
            (Expected::Integer | Expected::Number, Value::Str(s)) => {
                let t = s.trim();
                let digits = t.trim_start_matches(['-', '+']);
                if digits.len() > 1
                    && digits.starts_with('0')
                    && digits.bytes().all(|b| b.is_ascii_digit())
                {
                    let sign = if t.starts_with('-') { "-" } else { "" };
                    let bare = digits.trim_start_matches('0');
                    Some(format!(
                        "a leading zero makes the value text (it was octal in YAML 1.1): write {sign}{}",
                        if bare.is_empty() { "0" } else { bare }
                    ))
                } else if t.parse::<f64>().is_ok() {
                    Some(format!(
                        "write the number without quotes: {t} (a quoted value is text)"
                    ))
                } else if t.contains('_') && t.replace('_', "").parse::<f64>().is_ok() {
                    Some(format!(
                        "YAML 1.2 numbers have no `_` separators: write {}",
                        t.replace('_', "")
                    ))
                } else {
                    None
                }
            }
            (Expected::Integer, Value::Float(x)) if x.fract() == 0.0 => Some(format!(
                "write a whole number without a leading zero, a fraction or an exponent, e.g. {x}"
            )),
            (Expected::Boolean, Value::Str(s)) => {
                let meant = match s.trim().to_ascii_lowercase().as_str() {
                    "true" | "yes" | "y" | "on" => "true",
                    "false" | "no" | "n" | "off" => "false",
                    _ => return None,
                };
                Some(format!(
                    "write {meant} (YAML 1.2 reads `{s}` as text, and a quoted value is text)"
                ))
            }
            (Expected::String, Value::Int(_) | Value::Float(_) | Value::Bool(_)) => {
                Some("quote the value to make it text, e.g. \"2024\"".into())
            }
            _ => None,
        }
    }
}

fn wrong_type(node: &Node, expected: Expected) -> ReadError {
    ReadError {
        message: format!(
            "wrong type: expected {}, found {}",
            expected.words(),
            describe(&node.value)
        ),
        loc: Some(node.loc),
        hint: expected.hint(&node.value),
        worded: true,
    }
}

/// Reads typed values from a [`Node`].
#[derive(Clone, Copy)]
struct Reader<'a> {
    node: &'a Node,
    unknown: &'a RefCell<Vec<YamlError>>,
}

impl<'a> Reader<'a> {
    fn child(self, node: &'a Node) -> Self {
        Reader {
            node,
            unknown: self.unknown,
        }
    }

    fn int<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        let loc = self.node.loc;
        match &self.node.value {
            Value::Int(i) => match (i64::try_from(*i), u64::try_from(*i)) {
                (Ok(v), _) => visitor.visit_i64(v),
                (_, Ok(v)) => visitor.visit_u64(v),
                _ => visitor.visit_i128(*i),
            }
            .map_err(|e: ReadError| e.at(loc)),
            _ => Err(wrong_type(self.node, Expected::Integer)),
        }
    }

    fn string<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        match &self.node.value {
            Value::Str(s) => visitor
                .visit_str(s)
                .map_err(|e: ReadError| e.at(self.node.loc)),
            _ => Err(wrong_type(self.node, Expected::String)),
        }
    }

    fn seq<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        match &self.node.value {
            Value::Seq(items) => visitor
                .visit_seq(Items {
                    reader: self,
                    items: items.iter(),
                })
                .map_err(|e: ReadError| e.at(self.node.loc)),
            _ => Err(wrong_type(self.node, Expected::List)),
        }
    }

    fn unit<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        match &self.node.value {
            Value::Null => visitor
                .visit_unit()
                .map_err(|e: ReadError| e.at(self.node.loc)),
            _ => Err(wrong_type(self.node, Expected::Null)),
        }
    }

    /// The field name a mapping key spells, when it is a plain scalar.
    fn key_text(key: &Node) -> Option<String> {
        match &key.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(x) => Some(x.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Null => Some("null".into()),
            Value::Seq(_) | Value::Map(_) => None,
        }
    }

    fn record_unknown(self, key: &Node, fields: &'static [&'static str]) {
        let known: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
        let err = match Self::key_text(key) {
            Some(name) => super::unknown_field(&name, &known, key.loc),
            None => YamlError {
                rule: Rule::UnknownField,
                loc: key.loc,
                message: format!("{} is not a field name", describe(&key.value)),
                hint: Some(format!("known fields: {}", known.join(", "))),
            },
        };
        self.unknown.borrow_mut().push(err);
    }
}

macro_rules! forward_int {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
            self.int(visitor)
        }
    )*};
}

macro_rules! forward_string {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
            self.string(visitor)
        }
    )*};
}

impl<'de> Deserializer<'de> for Reader<'_> {
    type Error = ReadError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        let loc = self.node.loc;
        match &self.node.value {
            Value::Null => visitor.visit_unit().map_err(|e: ReadError| e.at(loc)),
            Value::Bool(b) => visitor.visit_bool(*b).map_err(|e: ReadError| e.at(loc)),
            Value::Int(_) => self.int(visitor),
            Value::Float(x) => visitor.visit_f64(*x).map_err(|e: ReadError| e.at(loc)),
            Value::Str(_) => self.string(visitor),
            Value::Seq(_) => self.seq(visitor),
            Value::Map(_) => self.deserialize_map(visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        match &self.node.value {
            Value::Bool(b) => visitor
                .visit_bool(*b)
                .map_err(|e: ReadError| e.at(self.node.loc)),
            _ => Err(wrong_type(self.node, Expected::Boolean)),
        }
    }

    forward_int! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        let x = match &self.node.value {
            Value::Int(i) => *i as f64,
            Value::Float(x) => *x,
            _ => return Err(wrong_type(self.node, Expected::Number)),
        };
        visitor
            .visit_f64(x)
            .map_err(|e: ReadError| e.at(self.node.loc))
    }

    forward_string! {
        deserialize_char deserialize_str deserialize_string deserialize_bytes
        deserialize_byte_buf deserialize_identifier
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        match &self.node.value {
            Value::Null => visitor
                .visit_none()
                .map_err(|e: ReadError| e.at(self.node.loc)),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        self.unit(visitor)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        self.unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        if name == SPANNED {
            visitor.visit_map(Located {
                reader: self,
                next: 0,
            })
        } else {
            visitor.visit_newtype_struct(self)
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        self.seq(visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        self.seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        self.seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        match &self.node.value {
            Value::Map(entries) => visitor
                .visit_map(Entries {
                    reader: self,
                    entries: entries.iter(),
                    fields: None,
                    value: None,
                })
                .map_err(|e: ReadError| e.at(self.node.loc)),
            _ => Err(wrong_type(self.node, Expected::Mapping)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        let Value::Map(entries) = &self.node.value else {
            return Err(wrong_type(self.node, Expected::Mapping));
        };
        // Every unknown field of this mapping, before any value is read: a wrong value later
        // in the mapping must not hide them.
        for (key, _) in entries {
            if !Self::key_text(key).is_some_and(|k| fields.contains(&k.as_str())) {
                self.record_unknown(key, fields);
            }
        }
        visitor
            .visit_map(Entries {
                reader: self,
                entries: entries.iter(),
                fields: Some(fields),
                value: None,
            })
            .map_err(|e: ReadError| e.at(self.node.loc))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        match &self.node.value {
            Value::Str(s) => {
                let unit: StrDeserializer<'_, ReadError> = s.as_str().into_deserializer();
                visitor
                    .visit_enum(unit)
                    .map_err(|e: ReadError| e.at(self.node.loc))
            }
            _ => Err(wrong_type(self.node, Expected::String)),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        visitor.visit_unit()
    }
}

struct Items<'a> {
    reader: Reader<'a>,
    items: std::slice::Iter<'a, Node>,
}

impl<'de> SeqAccess<'de> for Items<'_> {
    type Error = ReadError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ReadError> {
        match self.items.next() {
            Some(node) => seed
                .deserialize(self.reader.child(node))
                .map(Some)
                .map_err(|e| e.at(node.loc)),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Entries<'a> {
    reader: Reader<'a>,
    entries: std::slice::Iter<'a, (Node, Node)>,
    /// For a struct: the known fields; the others were recorded and are skipped.
    fields: Option<&'static [&'static str]>,
    value: Option<&'a Node>,
}

impl<'de> MapAccess<'de> for Entries<'_> {
    type Error = ReadError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ReadError> {
        for (key, value) in self.entries.by_ref() {
            if let Some(fields) = self.fields
                && !Reader::key_text(key).is_some_and(|k| fields.contains(&k.as_str()))
            {
                continue;
            }
            self.value = Some(value);
            return seed.deserialize(self.reader.child(key)).map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, ReadError> {
        let value = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("a value was read before its key"))?;
        // An error made about this value (by a `deserialize_with`, say) is placed at it.
        seed.deserialize(self.reader.child(value))
            .map_err(|e| e.at(value.loc))
    }
}

/// The map a [`crate::Spanned`] reads: key 0 the line, 1 the column, 2 the value.
struct Located<'a> {
    reader: Reader<'a>,
    next: u8,
}

impl<'de> MapAccess<'de> for Located<'_> {
    type Error = ReadError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ReadError> {
        if self.next > 2 {
            return Ok(None);
        }
        let key: U8Deserializer<ReadError> = self.next.into_deserializer();
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, ReadError> {
        let loc = self.reader.node.loc;
        let which = self.next;
        self.next += 1;
        match which {
            0 => seed.deserialize(IntoDeserializer::<ReadError>::into_deserializer(loc.line)),
            1 => {
                let column: U32Deserializer<ReadError> = loc.column.into_deserializer();
                seed.deserialize(column)
            }
            _ => seed.deserialize(self.reader),
        }
    }
}
