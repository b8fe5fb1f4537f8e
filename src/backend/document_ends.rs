//! How documents write when a relation ends: an RFC 3339 string (`"2026-12-31T18:00:00Z"`),
//! and in TOML also a bare offset date-time (`2026-12-31T18:00:00Z`, unquoted), which is how
//! a person writes one there. A date-time without an offset is refused: it names no instant.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// One instant, as a document writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Instant(OffsetDateTime);

impl Serialize for Instant {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = self.0.format(&Rfc3339).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }
}

impl<'de> Deserialize<'de> for Instant {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // `toml::Value` reads a JSON string as well as a TOML date-time.
        let text = match toml::Value::deserialize(d)? {
            toml::Value::String(s) => s,
            toml::Value::Datetime(t) if t.offset.is_some() && t.date.is_some() => t.to_string(),
            toml::Value::Datetime(t) => {
                return Err(D::Error::custom(format!(
                    "{t} names no instant; give the date, the time and an offset, e.g. \
                     2026-12-31T18:00:00Z"
                )));
            }
            other => {
                return Err(D::Error::custom(format!(
                    "expected an RFC 3339 instant such as \"2026-12-31T18:00:00Z\", found {}",
                    other.type_str()
                )));
            }
        };
        OffsetDateTime::parse(&text, &Rfc3339)
            .map(Instant)
            .map_err(|e| {
                D::Error::custom(format!(
                    "'{text}' is not an RFC 3339 instant ({e}); write e.g. 2026-12-31T18:00:00Z"
                ))
            })
    }
}

/// `#[serde(with = …)]` for an optional end (`expires_at`).
pub(super) mod optional {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Option<OffsetDateTime>, s: S) -> Result<S::Ok, S::Error> {
        v.map(Instant).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        Ok(Option::<Instant>::deserialize(d)?.map(|i| i.0))
    }
}

/// `#[serde(with = …)]` for the ends of named relations (`role_ends`: role → end).
pub(super) mod by_name {
    use super::*;

    pub fn serialize<S: Serializer>(
        v: &BTreeMap<String, OffsetDateTime>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_map(v.iter().map(|(k, t)| (k, Instant(*t))))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, OffsetDateTime>, D::Error> {
        let m = BTreeMap::<String, Instant>::deserialize(d)?;
        Ok(m.into_iter().map(|(k, i)| (k, i.0)).collect())
    }
}
