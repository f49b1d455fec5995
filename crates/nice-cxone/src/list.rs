//! Reading a whole list (`GET /skills`, `GET /campaigns`) by `skip`/`top` or `_links.next`,
//! refusing a list that does not hold together.
//!
//! A list that lies would otherwise page forever or map one id to two names: a page that
//! repeats an id already read, an id listed under two names, or a `_links.next` back to a page
//! already read is *inconsistent*. A skill renamed while we page can legitimately appear
//! twice, so the whole list is read once more before it is refused ([`CxoneTenant::list_all`]).
//! `totalRecords` (a number or a numeric string) only says whether to ask for another page;
//! it never makes us ask past an empty page.

use std::collections::{HashMap, HashSet};

use reqwest::{Method, Url};
use serde_json::{Map, Value};
use tenant::TenantError;
use tracing::warn;

use crate::client::CxoneTenant;
use crate::json::int_of;

/// A list that goes on for more pages than this is a tenant bug, not data.
const MAX_PAGES: u32 = 10_000;

/// Which list, and how its answer is shaped.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ListKind {
    /// The path under the API base.
    pub path: &'static str,
    /// The label of the request in counters and errors.
    pub label: &'static str,
    /// The wrapper of the items.
    pub items: &'static str,
    /// The id and name properties of an item.
    pub id: &'static str,
    pub name: &'static str,
    /// What one item is called in messages.
    pub noun: &'static str,
}

/// What has been read so far, to tell a consistent list from one that is not.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    names: HashMap<String, String>,
    urls: HashSet<String>,
}

impl Seen {
    /// Records one page of `kind`; the reason when it repeats what was read before.
    pub(crate) fn page(
        &mut self,
        kind: &ListKind,
        number: u32,
        items: &[Map<String, Value>],
    ) -> Result<(), String> {
        for item in items {
            let Some(id) = item.get(kind.id).map(id_key) else {
                continue;
            };
            let name = item
                .get(kind.name)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            match self.names.get(&id) {
                Some(before) if *before != name => {
                    return Err(format!(
                        "page {number} lists {} id {id} as {name:?}, an earlier page as {before:?}",
                        kind.noun
                    ));
                }
                Some(_) => {
                    return Err(format!(
                        "page {number} repeats {} id {id}, already listed",
                        kind.noun
                    ));
                }
                None => {
                    self.names.insert(id, name);
                }
            }
        }
        Ok(())
    }

    /// Records a `_links.next` about to be followed; the reason when it was read already.
    pub(crate) fn link(&mut self, url: &Url) -> Result<(), String> {
        if self.urls.insert(url.as_str().to_string()) {
            Ok(())
        } else {
            Err(format!(
                "_links.next points back to a page already read ({})",
                url.path()
            ))
        }
    }
}

/// An id as text, the same for `4711` and `"4711"`.
fn id_key(v: &Value) -> String {
    match int_of(v) {
        Some(n) => n.to_string(),
        None => match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        },
    }
}

/// `totalRecords`, as a number or a numeric string.
pub(crate) fn total_records(page: &Value) -> Option<u64> {
    int_of(page.get("totalRecords")?).and_then(|n| u64::try_from(n).ok())
}

/// The items of a list answer (`{<items>: […]}`).
pub(crate) fn items_of(body: &Value, wrapper: &str) -> Vec<Map<String, Value>> {
    body.get(wrapper)
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(|s| s.as_object().cloned()).collect())
        .unwrap_or_default()
}

/// One read of a list ended in an inconsistency, or in an error.
enum Read {
    Inconsistent(String),
    Failed(TenantError),
}

impl From<TenantError> for Read {
    fn from(e: TenantError) -> Self {
        Read::Failed(e)
    }
}

impl CxoneTenant {
    /// Every item of the list, read once more when it does not hold together, and refused
    /// when it does not hold together twice.
    pub(crate) async fn list_all(
        &self,
        kind: &ListKind,
        query: &[(&str, String)],
    ) -> Result<Vec<Map<String, Value>>, TenantError> {
        let first = match self.read_list(kind, query).await {
            Ok(items) => return Ok(items),
            Err(Read::Failed(e)) => return Err(e),
            Err(Read::Inconsistent(why)) => why,
        };
        warn!(list = kind.label, reason = %first, "inconsistent list; reading it once more");
        match self.read_list(kind, query).await {
            Ok(items) => Ok(items),
            Err(Read::Failed(e)) => Err(e),
            Err(Read::Inconsistent(why)) => Err(TenantError::transport_message(format!(
                "{}: the tenant's list does not hold together, twice in a row: {why}; \
                     nothing was planned from it",
                kind.label
            ))),
        }
    }

    async fn read_list(
        &self,
        kind: &ListKind,
        query: &[(&str, String)],
    ) -> Result<Vec<Map<String, Value>>, Read> {
        let top = self.config().page_size;
        let mut out = Vec::new();
        let mut seen = Seen::default();
        let mut skip: u64 = 0;
        let mut next: Option<Url> = None;
        for number in 1..=MAX_PAGES {
            let url = match next.take() {
                Some(u) => u,
                None => {
                    let mut q = query.to_vec();
                    q.push(("skip", skip.to_string()));
                    q.push(("top", top.to_string()));
                    self.api_url(&[kind.path], &q).await?
                }
            };
            let page = self.call(Method::GET, kind.label, url, None).await?;
            let items = items_of(&page, kind.items);
            seen.page(kind, number, &items)
                .map_err(Read::Inconsistent)?;
            let got = items.len() as u64;
            out.extend(items);
            skip += got;
            if got == 0 {
                return Ok(out);
            }
            if let Some(link) = page
                .pointer("/_links/next")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
            {
                let url = self.base().await?.join(link).map_err(|e| {
                    Read::Failed(TenantError::transport_message(format!(
                        "{}: unusable _links.next {link:?}: {e}",
                        kind.label
                    )))
                })?;
                if self.same_origin(&url).await? {
                    seen.link(&url).map_err(Read::Inconsistent)?;
                    next = Some(url);
                    continue;
                }
            }
            let more = match total_records(&page) {
                Some(t) => skip < t,
                None => got == u64::from(top),
            };
            if !more {
                return Ok(out);
            }
        }
        Err(Read::Failed(TenantError::transport_message(format!(
            "{}: more than {MAX_PAGES} pages; giving up",
            kind.label
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SKILLS: ListKind = ListKind {
        path: "skills",
        label: "GET /skills",
        items: "skills",
        id: "skillId",
        name: "skillName",
        noun: "skill",
    };

    fn items(v: Value) -> Vec<Map<String, Value>> {
        items_of(&json!({ "skills": v }), "skills")
    }

    #[test]
    fn a_page_that_repeats_an_id_or_renames_one_is_inconsistent() {
        let table = [
            (
                json!([{"skillId": 1, "skillName": "A"}]),
                json!([{"skillId": 2, "skillName": "B"}]),
                None,
            ),
            (
                json!([{"skillId": 1, "skillName": "A"}]),
                json!([{"skillId": "1", "skillName": "A"}]),
                Some("repeats skill id 1"),
            ),
            (
                json!([{"skillId": 1, "skillName": "A"}]),
                json!([{"skillId": 1, "skillName": "B"}]),
                Some("as \"B\", an earlier page as \"A\""),
            ),
            (
                json!([{"skillId": "sk-1", "skillName": "A"}]),
                json!([{"skillId": "sk-1", "skillName": "A"}]),
                Some("repeats skill id sk-1"),
            ),
        ];
        for (first, second, want) in table {
            let mut seen = Seen::default();
            seen.page(&SKILLS, 1, &items(first.clone())).unwrap();
            let got = seen.page(&SKILLS, 2, &items(second.clone())).err();
            match want {
                None => assert_eq!(got, None, "{first} {second}"),
                Some(w) => assert!(got.as_deref().unwrap_or_default().contains(w), "{got:?}"),
            }
        }
    }

    #[test]
    fn a_next_link_back_to_a_page_read_is_inconsistent() {
        let mut seen = Seen::default();
        let a = Url::parse("https://api.example/skills?skip=100").unwrap();
        let b = Url::parse("https://api.example/skills?skip=200").unwrap();
        assert!(seen.link(&a).is_ok());
        assert!(seen.link(&b).is_ok());
        assert!(seen.link(&a).unwrap_err().contains("already read"));
    }

    #[test]
    fn totals_may_come_as_strings() {
        let table = [
            (json!({"totalRecords": "101"}), Some(101)),
            (json!({"totalRecords": 7}), Some(7)),
            (json!({"totalRecords": "x"}), None),
            (json!({}), None),
        ];
        for (page, want) in table {
            assert_eq!(total_records(&page), want, "{page}");
        }
    }
}
