//! Values that remember where in the YAML they came from.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, SchemaGenerator};
use std::marker::PhantomData;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A 1-based line and column in a source file. `0:0` means unknown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Loc {
    pub line: u32,
    pub column: u32,
}

impl Loc {
    pub const UNKNOWN: Loc = Loc { line: 0, column: 0 };

    pub fn new(line: u32, column: u32) -> Self {
        Self { line, column }
    }

    pub fn is_known(&self) -> bool {
        self.line > 0
    }

    pub(crate) fn from_saphyr(l: serde_saphyr::Location) -> Self {
        Self {
            line: u32::try_from(l.line()).unwrap_or(u32::MAX),
            column: u32::try_from(l.column()).unwrap_or(u32::MAX),
        }
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A value and the place it was written. Compares, hashes and serializes as the value alone.
#[derive(Clone, Default)]
pub struct Spanned<T> {
    pub value: T,
    pub loc: Loc,
}

impl<T> Spanned<T> {
    pub fn new(value: T, loc: Loc) -> Self {
        Self { value, loc }
    }

    /// A value made in code, with no source location.
    pub fn unlocated(value: T) -> Self {
        Self {
            value,
            loc: Loc::UNKNOWN,
        }
    }

    pub fn get(&self) -> &T {
        &self.value
    }
}

impl<T: fmt::Debug> fmt::Debug for Spanned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}@{}", self.value, self.loc)
    }
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: Eq> Eq for Spanned<T> {}

/// The newtype-struct name by which a [`Spanned`] asks the YAML tree reader (`yaml::node`)
/// for its place: that reader answers with a map of line, column and value.
pub(crate) const SPANNED: &str = "$cxqueues::Spanned";

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Located<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Located<T> {
            type Value = Spanned<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value")
            }
            /// Any other deserializer: serde-saphyr's own (the direct read of `yaml::fast`)
            /// gives the place through its `Spanned`; others give the value, unlocated.
            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                deserializer: D,
            ) -> Result<Self::Value, D::Error> {
                serde_saphyr::Spanned::<T>::deserialize(deserializer)
                    .map(|s| Spanned::new(s.value, Loc::from_saphyr(s.referenced)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let (mut line, mut column) = (0, 0);
                while let Some(key) = map.next_key::<u8>()? {
                    match key {
                        0 => line = map.next_value()?,
                        1 => column = map.next_value()?,
                        _ => {
                            let value = map.next_value()?;
                            return Ok(Spanned::new(value, Loc::new(line, column)));
                        }
                    }
                }
                Err(de::Error::missing_field("value"))
            }
        }
        deserializer.deserialize_newtype_struct(SPANNED, Located(PhantomData))
    }
}

impl<T: Serialize> Serialize for Spanned<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(serializer)
    }
}

impl<T: JsonSchema> JsonSchema for Spanned<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}
