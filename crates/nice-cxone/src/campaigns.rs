//! Campaigns (reporting groups) by name: `GET /campaigns`, every page, read once per run.
//!
//! v34 answers `{businessUnitId, totalRecords, campaigns: [{id, name, isActive,
//! lastUpdateTime, notes}]}` ("Updated in v33.0"); the older `campaignId`/`campaignName`
//! spelling (v30 and before) is read too, for a tenant pinned to an older `apiVersion`.
//!
//! A name matches exactly first; else a case-insensitive match is taken when it is the only
//! one (an assumption: NICE does not document how it compares campaign names, and two
//! campaigns differing only in case would otherwise be a guess).

use serde_json::{Map, Value};
use tenant::TenantError;

use crate::client::{CxoneTenant, LIST_CAMPAIGNS};
use crate::json::int_of;
use crate::list::ListKind;

pub(crate) const CAMPAIGNS: ListKind = ListKind {
    path: "campaigns",
    label: LIST_CAMPAIGNS,
    items: "campaigns",
    id: "id",
    name: "name",
    noun: "campaign",
};

/// One campaign's id and name, in the v34 spelling or the older one.
pub(crate) fn campaign_of(item: &Map<String, Value>) -> Option<(i64, String)> {
    let id = item
        .get("id")
        .or_else(|| item.get("campaignId"))
        .and_then(int_of)?;
    let name = item
        .get("name")
        .or_else(|| item.get("campaignName"))
        .and_then(Value::as_str)?;
    Some((id, name.to_string()))
}

/// The id of the campaign called `name`: an exact match, else the one case-insensitive
/// match. The error says what was found instead.
pub(crate) fn find(campaigns: &[(i64, String)], name: &str) -> Result<i64, String> {
    if let Some((id, _)) = campaigns.iter().find(|(_, n)| n == name) {
        return Ok(*id);
    }
    let folded: Vec<&(i64, String)> = campaigns
        .iter()
        .filter(|(_, n)| n.to_lowercase() == name.to_lowercase())
        .collect();
    match folded.as_slice() {
        [(id, _)] => Ok(*id),
        [] => Err(format!(
            "spec.cxone.campaign {name:?} is not a campaign of this tenant ({} campaigns read)",
            campaigns.len()
        )),
        many => Err(format!(
            "spec.cxone.campaign {name:?} matches {} campaigns that differ only in case ({}); \
             write the name exactly",
            many.len(),
            many.iter()
                .map(|(_, n)| format!("{n:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

impl CxoneTenant {
    /// The campaign id of `name` (the list is read once per run, every page).
    pub(crate) async fn campaign_id(&self, name: &str) -> Result<i64, TenantError> {
        let campaigns = self
            .campaigns()
            .get_or_try_init(|| async {
                let items = self.list_all(&CAMPAIGNS, &[]).await?;
                Ok::<_, TenantError>(items.iter().filter_map(campaign_of).collect())
            })
            .await?;
        find(campaigns, name).map_err(|reason| TenantError::Rejected {
            reasons: vec![reason],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_campaign_reads_in_the_v34_spelling_and_the_older_one() {
        let table = [
            (
                json!({"id": 12, "name": "Sales", "isActive": true}),
                Some((12, "Sales")),
            ),
            (
                json!({"campaignId": "7", "campaignName": "Old"}),
                Some((7, "Old")),
            ),
            (json!({"id": "x", "name": "Bad"}), None),
            (json!({"id": 3}), None),
        ];
        for (item, want) in table {
            let got = campaign_of(item.as_object().unwrap());
            assert_eq!(got, want.map(|(i, n)| (i, n.to_string())), "{item}");
        }
    }

    #[test]
    fn a_name_matches_exactly_first_then_by_case_when_unique() {
        let list: Vec<(i64, String)> = [
            (1, "Sales"),
            (2, "sales"),
            (3, "Support"),
            (4, "Billing EN"),
        ]
        .iter()
        .map(|(i, n)| (*i, n.to_string()))
        .collect();
        assert_eq!(find(&list, "Sales"), Ok(1));
        assert_eq!(find(&list, "sales"), Ok(2));
        assert_eq!(find(&list, "SUPPORT"), Ok(3));
        assert_eq!(find(&list, "billing en"), Ok(4));
        assert!(
            find(&list, "SALES")
                .unwrap_err()
                .contains("differ only in case")
        );
        assert!(
            find(&list, "Nope")
                .unwrap_err()
                .contains("is not a campaign")
        );
    }
}
