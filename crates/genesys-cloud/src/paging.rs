//! How a paged Genesys list (`pageSize`, `pageNumber`) ends, and when its pages are not to be
//! believed.
//!
//! - The list ends at `pageCount` when the page says it; without one, at an empty page or a
//!   page shorter than its own `pageSize` (or the size asked for). A short page before
//!   `pageCount` does not end it: a server may serve fewer per page than asked.
//! - A page that repeats an id already seen, or gives a seen id another name, makes the
//!   listing inconsistent: a list serving the same page forever is refused at page 2, and a
//!   later page cannot put someone else's queue under our name. The caller lists once more
//!   before refusing (a queue renamed while we page legitimately shows twice).

use std::collections::HashMap;

use serde_json::Value;

/// One listing's progress.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    /// Ids seen so far, with the name each had.
    seen: HashMap<String, String>,
}

/// What one page tells about the list.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Next {
    More,
    Done,
}

fn id_of(v: &Value) -> Option<String> {
    match v.get("id")? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Listing {
    /// Takes page `number` (1-based) of `entities`; `Err` says why the pages disagree.
    pub(crate) fn take(
        &mut self,
        number: u32,
        entities: &[Value],
        page_count: Option<u64>,
        page_size: Option<u64>,
        asked: u32,
    ) -> Result<Next, String> {
        for e in entities {
            let Some(id) = id_of(e) else { continue };
            let name = e
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            match self.seen.get(&id) {
                Some(first) if *first != name => {
                    return Err(format!(
                        "page {number} lists id {id} as {name:?}, which an earlier page listed as {first:?}"
                    ));
                }
                Some(_) => {
                    return Err(format!(
                        "page {number} repeats id {id}, already listed on an earlier page"
                    ));
                }
                None => {
                    self.seen.insert(id, name);
                }
            }
        }
        let done = match page_count {
            Some(count) => u64::from(number) >= count || entities.is_empty(),
            None => {
                let size = page_size.filter(|s| *s > 0).unwrap_or(u64::from(asked));
                entities.is_empty() || (entities.len() as u64) < size
            }
        };
        Ok(if done { Next::Done } else { Next::More })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn page(ids: &[(&str, &str)]) -> Vec<Value> {
        ids.iter()
            .map(|(id, name)| json!({"id": id, "name": name}))
            .collect()
    }

    #[test]
    fn a_list_ends_at_page_count_and_a_short_page_before_it_does_not_end_it() {
        /// pageCount, pageSize, entities on the page, page number, what it means.
        type Case = (Option<u64>, Option<u64>, usize, u32, Next);
        let table: [Case; 6] = [
            (Some(3), Some(100), 100, 1, Next::More),
            (Some(3), Some(500), 100, 1, Next::More),
            (Some(3), Some(500), 100, 3, Next::Done),
            (None, Some(100), 100, 1, Next::More),
            (None, None, 499, 1, Next::Done),
            (Some(3), None, 0, 2, Next::Done),
        ];
        for (count, size, n, number, want) in table {
            let entities: Vec<Value> = (0..n)
                .map(|i| json!({"id": format!("{number}-{i}"), "name": format!("q{number}-{i}")}))
                .collect();
            let got = Listing::default()
                .take(number, &entities, count, size, 500)
                .unwrap();
            assert_eq!(got, want, "{count:?} {size:?} {n} {number}");
        }
    }

    #[test]
    fn a_page_that_repeats_the_ids_of_an_earlier_one_is_refused_at_page_2() {
        let mut l = Listing::default();
        let p = page(&[("a", "A"), ("b", "B")]);
        assert_eq!(
            l.take(1, &p, Some(1_000_000_000), Some(2), 2),
            Ok(Next::More)
        );
        let err = l.take(2, &p, Some(1_000_000_000), Some(2), 2).unwrap_err();
        assert!(err.contains("page 2 repeats id a"), "{err}");
    }

    #[test]
    fn a_later_page_giving_a_seen_id_another_name_is_refused() {
        let mut l = Listing::default();
        l.take(1, &page(&[("a", "Ours")]), Some(2), Some(1), 1)
            .unwrap();
        let err = l
            .take(2, &page(&[("a", "Theirs")]), Some(2), Some(1), 1)
            .unwrap_err();
        assert!(
            err.contains("\"Theirs\"") && err.contains("\"Ours\""),
            "{err}"
        );
    }
}
