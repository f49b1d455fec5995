//! The tenant's data: queues, skills, clients, tokens, license — and the contract's rules.
//!
//! Everything here is synchronous and runs under one lock held by [`SimState`](crate::SimState).

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    fmt,
    time::Duration,
};

use serde_json::{Map, Value, json};
use tokio::time::Instant;

use crate::{
    License, Seed, SimClient, SimError,
    seed::{SeedOverflow, SeedQueue, SeedSkill},
    time::now_rfc3339,
};

/// Fields the server owns and ignores in request bodies.
pub(crate) const SERVER_OWNED: [&str; 4] = ["id", "version", "dateModified", "modifiedBy"];
/// The proficiency levels a skill requirement may name.
pub(crate) const PROFICIENCIES: [&str; 4] = ["beginner", "intermediate", "advanced", "expert"];
/// The most skill requirements a queue may carry.
pub(crate) const MAX_SKILL_REQUIREMENTS: usize = 10;

/// An error the API answers with (other than the OAuth token endpoint's own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ApiError {
    Unauthorized,
    MissingScope(&'static str),
    NotFound,
    PreconditionRequired,
    Conflict(u64),
    NameTaken,
    BadRequest(Vec<String>),
}

/// A page request, already validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Page {
    pub number: u64,
    pub size: u64,
}

impl Page {
    /// Parses `pageNumber`/`pageSize` (defaults 1 and 25; size 1–500, number ≥ 1).
    pub fn parse(number: Option<&str>, size: Option<&str>) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let number = match number {
            None => 1,
            Some(text) => match text.trim().parse::<u64>() {
                Ok(n) if n >= 1 => n,
                _ => {
                    errors.push(format!(
                        "pageNumber: must be an integer from 1 (got {text:?})"
                    ));
                    1
                }
            },
        };
        let size = match size {
            None => 25,
            Some(text) => match text.trim().parse::<u64>() {
                Ok(n) if (1..=500).contains(&n) => n,
                _ => {
                    errors.push(format!(
                        "pageSize: must be an integer from 1 to 500 (got {text:?})"
                    ));
                    25
                }
            },
        };
        if errors.is_empty() {
            Ok(Self { number, size })
        } else {
            Err(ApiError::BadRequest(errors))
        }
    }

    /// The serialized envelope for one page of `items` (the whole list, in order), built from
    /// borrowed entries so that a page of 500 queues is not deep-copied.
    pub(crate) fn envelope<'a, I>(self, total: usize, items: I) -> Vec<u8>
    where
        I: Iterator<Item = &'a Value>,
    {
        #[derive(serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Envelope<'a> {
            entities: Vec<&'a Value>,
            page_number: u64,
            page_size: u64,
            total: u64,
            page_count: u64,
        }
        let total = total as u64;
        let skip = usize::try_from(self.number.saturating_sub(1).saturating_mul(self.size))
            .unwrap_or(usize::MAX);
        let take = usize::try_from(self.size).unwrap_or(usize::MAX);
        let envelope = Envelope {
            entities: items.skip(skip).take(take).collect(),
            page_number: self.number,
            page_size: self.size,
            total,
            page_count: total.div_ceil(self.size),
        };
        // Serializing JSON values into memory cannot fail.
        serde_json::to_vec(&envelope).unwrap_or_default()
    }
}

/// An issued access token.
#[derive(Clone)]
pub(crate) struct Token {
    pub client_id: String,
    pub scopes: Vec<String>,
    pub expires_at: Instant,
}

/// The outcome of a token request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenError {
    InvalidClient,
    UnsupportedGrantType,
    InvalidRequest(String),
}

pub(crate) struct Tenant {
    /// Queues by insertion sequence (the listing order).
    queues: BTreeMap<u64, Value>,
    by_id: HashMap<String, u64>,
    by_name: HashMap<String, u64>,
    next_seq: u64,
    skills: Vec<Value>,
    skill_names: HashSet<String>,
    license: License,
    clients: Vec<SimClient>,
    tokens: HashMap<String, Token>,
    home_division: Value,
    /// NICE CXone campaigns: id and name.
    cxone_campaigns: Vec<(i64, String)>,
}

impl fmt::Debug for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Counts only: tokens and client secrets are credentials.
        f.debug_struct("Tenant")
            .field("queues", &self.queues.len())
            .field("skills", &self.skills.len())
            .field("clients", &self.clients.len())
            .field("tokens", &self.tokens.len())
            .field("license", &self.license)
            .finish()
    }
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl Tenant {
    /// Builds a tenant from a seed, checking every queue with the API's rules (except the
    /// license limit: a seed may describe a tenant whose license was lowered later).
    pub fn from_seed(seed: Seed) -> Result<Self, SimError> {
        let mut errors = Vec::new();
        let mut tenant = Self {
            queues: BTreeMap::new(),
            by_id: HashMap::new(),
            by_name: HashMap::new(),
            next_seq: 1,
            skills: Vec::new(),
            skill_names: HashSet::new(),
            license: seed.license,
            clients: seed.effective_clients(),
            tokens: HashMap::new(),
            home_division: json!({"id": new_id(), "name": "Home"}),
            cxone_campaigns: if seed.cxone_campaigns.is_empty() {
                vec![
                    (1, "Default".into()),
                    (2, "Sales".into()),
                    (3, "Support".into()),
                ]
            } else {
                seed.cxone_campaigns
                    .iter()
                    .map(|c| (c.id, c.name.clone()))
                    .collect()
            },
        };
        let mut client_ids = HashSet::new();
        for client in &tenant.clients {
            if !client_ids.insert(client.client_id.clone()) {
                errors.push(format!(
                    "clients: duplicate clientId {:?}",
                    client.client_id
                ));
            }
        }
        let mut skill_ids = HashSet::new();
        for skill in &seed.skills {
            let (name, id, state) = match skill {
                SeedSkill::Name(name) => (name.clone(), new_id(), "active".to_owned()),
                SeedSkill::Full { name, id, state } => (
                    name.clone(),
                    id.clone().unwrap_or_else(new_id),
                    state.clone().unwrap_or_else(|| "active".to_owned()),
                ),
            };
            if name.is_empty() {
                errors.push("skills: a skill has an empty name".to_owned());
            }
            if !tenant.skill_names.insert(name.clone()) {
                errors.push(format!("skills: duplicate skill {name:?}"));
            }
            if !skill_ids.insert(id.clone()) {
                errors.push(format!("skills: duplicate skill id {id:?}"));
            }
            tenant
                .skills
                .push(json!({"id": id, "name": name, "state": state}));
        }

        // First pass: ids and names, so overflow targets can point forwards.
        let ids: Vec<String> = seed
            .queues
            .iter()
            .map(|q| q.id.clone().unwrap_or_else(new_id))
            .collect();
        let mut name_to_id = HashMap::new();
        let mut seen_ids = HashSet::new();
        for (q, id) in seed.queues.iter().zip(&ids) {
            if !seen_ids.insert(id.clone()) {
                errors.push(format!("queues: duplicate id {id:?}"));
            }
            if name_to_id.insert(q.name.clone(), id.clone()).is_some() {
                errors.push(format!("queues: duplicate name {:?}", q.name));
            }
        }
        if !errors.is_empty() {
            return Err(SimError::InvalidSeed(errors));
        }
        let mut objects = Vec::with_capacity(seed.queues.len());
        for (q, id) in seed.queues.into_iter().zip(ids) {
            match seed_queue_to_object(q, &id, &name_to_id, &tenant.home_division) {
                Ok(obj) => objects.push((id, obj)),
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(SimError::InvalidSeed(errors));
        }
        let known: HashSet<&str> = objects.iter().map(|(id, _)| id.as_str()).collect();
        for (id, obj) in &objects {
            let name = obj.get("name").and_then(Value::as_str).unwrap_or_default();
            for reason in tenant.check(obj, Some(id), false, &|t| known.contains(t)) {
                errors.push(format!("queue {name:?}: {reason}"));
            }
        }
        if !errors.is_empty() {
            return Err(SimError::InvalidSeed(errors));
        }
        for (id, obj) in objects {
            tenant.insert(id, obj);
        }
        Ok(tenant)
    }

    fn insert(&mut self, id: String, obj: Map<String, Value>) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let name = obj
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        self.by_id.insert(id, seq);
        self.by_name.insert(name, seq);
        self.queues.insert(seq, Value::Object(obj));
    }

    // ---- reading ----

    pub fn all_queues(&self) -> Vec<Value> {
        self.queues.values().cloned().collect()
    }

    pub fn queue(&self, id: &str) -> Option<&Value> {
        self.by_id.get(id).and_then(|seq| self.queues.get(seq))
    }

    /// Every queue with its listing sequence number (1, 2, …; never reused).
    pub fn numbered(&self) -> impl Iterator<Item = (u64, &Value)> {
        self.queues.iter().map(|(seq, q)| (*seq, q))
    }

    /// The queue with this sequence number.
    pub fn at_seq(&self, seq: u64) -> Option<&Value> {
        self.queues.get(&seq)
    }

    pub fn queue_by_name(&self, name: &str) -> Option<&Value> {
        self.by_name.get(name).and_then(|seq| self.queues.get(seq))
    }

    /// One page of queues, serialized.
    pub fn list_queues(&self, page: Page) -> Vec<u8> {
        page.envelope(self.queues.len(), self.queues.values())
    }

    /// One page of traffic figures (`traffic.rs`), one per queue in queue order, serialized.
    pub fn list_metrics(&self, page: Page, interval_seconds: u32) -> Vec<u8> {
        let figures: Vec<Value> = self
            .queues
            .values()
            .map(|q| crate::traffic::figures(q, interval_seconds))
            .collect();
        page.envelope(figures.len(), figures.iter())
    }

    /// One page of skills, serialized.
    pub fn list_skills(&self, page: Page) -> Vec<u8> {
        page.envelope(self.skills.len(), self.skills.iter())
    }

    pub fn skills(&self) -> Vec<Value> {
        self.skills.clone()
    }

    /// The NICE CXone campaigns, id and name.
    pub fn cxone_campaigns(&self) -> &[(i64, String)] {
        &self.cxone_campaigns
    }

    pub fn license(&self) -> License {
        self.license
    }

    pub fn set_license(&mut self, license: License) {
        self.license = license;
    }

    pub fn clients(&self) -> &[SimClient] {
        &self.clients
    }

    pub fn has_client(&self, client_id: &str, client_secret: &str) -> bool {
        self.clients
            .iter()
            .any(|c| c.client_id == client_id && c.client_secret == client_secret)
    }

    // ---- tokens ----

    /// Client-credentials grant. `scope` is the requested scope list (space separated), if any.
    pub fn issue_token(
        &mut self,
        grant_type: Option<&str>,
        client_id: Option<&str>,
        client_secret: Option<&str>,
        scope: Option<&str>,
        lifetime: Duration,
    ) -> Result<(String, Token), TokenError> {
        let (Some(client_id), Some(client_secret)) = (client_id, client_secret) else {
            return Err(TokenError::InvalidClient);
        };
        let client = self
            .clients
            .iter()
            .find(|c| c.client_id == client_id && c.client_secret == client_secret)
            .ok_or(TokenError::InvalidClient)?;
        match grant_type {
            None => return Err(TokenError::InvalidRequest("grant_type is required".into())),
            Some("client_credentials") => {}
            Some(_) => return Err(TokenError::UnsupportedGrantType),
        }
        let allowed = client.allowed_scopes();
        let scopes: Vec<String> = match scope {
            None => allowed,
            Some(requested) => {
                let mut granted: Vec<String> = Vec::new();
                for s in requested.split_whitespace() {
                    if allowed.iter().any(|a| a == s) && !granted.iter().any(|g| g == s) {
                        granted.push(s.to_owned());
                    }
                }
                granted
            }
        };
        let now = Instant::now();
        if self.tokens.len() >= 10_000 {
            self.tokens.retain(|_, t| t.expires_at > now);
        }
        let token = Token {
            client_id: client.client_id.clone(),
            scopes,
            expires_at: now + lifetime,
        };
        let value = format!("sim-{}", uuid::Uuid::new_v4().simple());
        self.tokens.insert(value.clone(), token.clone());
        Ok((value, token))
    }

    /// Checks a bearer token for a scope; answers the client id it was issued to.
    pub fn authorize(&self, bearer: Option<&str>, scope: &'static str) -> Result<String, ApiError> {
        let token = bearer
            .and_then(|b| self.tokens.get(b))
            .filter(|t| t.expires_at > Instant::now())
            .ok_or(ApiError::Unauthorized)?;
        if token.scopes.iter().any(|s| s == scope) {
            Ok(token.client_id.clone())
        } else {
            Err(ApiError::MissingScope(scope))
        }
    }

    // ---- writing ----

    /// `POST /api/v2/routing/queues`.
    pub fn create(&mut self, body: Value, actor: &str) -> Result<Value, ApiError> {
        let Value::Object(body) = body else {
            return Err(ApiError::BadRequest(vec![
                "body: must be a JSON object".into(),
            ]));
        };
        let id = new_id();
        let mut obj = normalize(body, &id);
        if !obj.contains_key("division") {
            obj.insert("division".into(), self.home_division.clone());
        }
        // Like a real tenant, a create fills in defaults for the fields it leaves out.
        for (field, default) in [
            ("skillRequirements", serde_json::json!([])),
            (
                "serviceLevelTarget",
                serde_json::json!({"threshold": 80, "time": 20}),
            ),
            ("overflow", Value::Null),
            ("maxWaitTime", serde_json::json!(300)),
            ("maxWaiters", serde_json::json!(10)),
        ] {
            if obj
                .get(field)
                .is_none_or(|v| v.is_null() && field != "overflow")
            {
                obj.insert(field.into(), default);
            }
        }
        let mut errors = self.check(&obj, Some(&id), true, &|t| self.by_id.contains_key(t));
        let name = obj
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let taken = self.by_name.contains_key(&name);
        if taken && errors.is_empty() {
            return Err(ApiError::NameTaken);
        }
        if taken {
            errors.push(format!("name: a queue named {name:?} already exists"));
        }
        if !errors.is_empty() {
            return Err(ApiError::BadRequest(errors));
        }
        stamp(&mut obj, 1, actor);
        self.insert(id, obj.clone());
        Ok(Value::Object(obj))
    }

    /// The current version of a queue, or 404.
    pub fn version_of(&self, id: &str) -> Result<u64, ApiError> {
        self.queue(id).map(version_of).ok_or(ApiError::NotFound)
    }

    /// `PUT /api/v2/routing/queues/{id}` after the If-Match header has been parsed.
    pub fn update(
        &mut self,
        id: &str,
        if_match: u64,
        body: Value,
        actor: &str,
    ) -> Result<Value, ApiError> {
        let seq = *self.by_id.get(id).ok_or(ApiError::NotFound)?;
        let current = version_of(&self.queues[&seq]);
        if if_match != current {
            return Err(ApiError::Conflict(current));
        }
        let Value::Object(body) = body else {
            return Err(ApiError::BadRequest(vec![
                "body: must be a JSON object".into(),
            ]));
        };
        let mut obj = normalize(body, id);
        let mut errors = self.check(&obj, Some(id), true, &|t| self.by_id.contains_key(t));
        let name = obj
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if self.by_name.get(&name).is_some_and(|s| *s != seq) {
            errors.push(format!("name: a queue named {name:?} already exists"));
        }
        if !errors.is_empty() {
            return Err(ApiError::BadRequest(errors));
        }
        stamp(&mut obj, current + 1, actor);
        self.replace(seq, obj.clone());
        Ok(Value::Object(obj))
    }

    /// `DELETE /api/v2/routing/queues/{id}` after the If-Match header has been parsed.
    pub fn delete(&mut self, id: &str, if_match: u64) -> Result<(), ApiError> {
        let seq = *self.by_id.get(id).ok_or(ApiError::NotFound)?;
        let current = version_of(&self.queues[&seq]);
        if if_match != current {
            return Err(ApiError::Conflict(current));
        }
        let referrers: Vec<String> = self
            .queues
            .iter()
            .filter(|(s, q)| **s != seq && overflow_target(q) == Some(id))
            .map(|(_, q)| q["name"].as_str().unwrap_or_default().to_owned())
            .collect();
        if !referrers.is_empty() {
            return Err(ApiError::BadRequest(
                referrers
                    .into_iter()
                    .map(|n| format!("queue {n:?} overflows to this queue"))
                    .collect(),
            ));
        }
        let removed = self.queues.remove(&seq).unwrap_or_default();
        self.by_id.remove(id);
        if let Some(name) = removed.get("name").and_then(Value::as_str) {
            self.by_name.remove(name);
        }
        Ok(())
    }

    /// A write by someone else, right now: sets `field` (a top-level name, or a dotted path
    /// such as `serviceLevelTarget.threshold`) on the queue named (or with id) `key`, bumps its
    /// version and stamps `modifiedBy`. Not validated, like an edit in an admin UI.
    pub fn edit(
        &mut self,
        key: &str,
        field: &str,
        value: Value,
        actor: &str,
    ) -> Result<Value, SimError> {
        let seq = self
            .by_name
            .get(key)
            .or_else(|| self.by_id.get(key))
            .copied()
            .ok_or_else(|| SimError::QueueNotFound(key.to_owned()))?;
        self.edit_seq(seq, field, value, actor)
    }

    /// [`Tenant::edit`] of the queue with this id.
    pub fn edit_id(
        &mut self,
        id: &str,
        field: &str,
        value: Value,
        actor: &str,
    ) -> Result<Value, SimError> {
        let seq = *self
            .by_id
            .get(id)
            .ok_or_else(|| SimError::QueueNotFound(id.to_owned()))?;
        self.edit_seq(seq, field, value, actor)
    }

    fn edit_seq(
        &mut self,
        seq: u64,
        field: &str,
        value: Value,
        actor: &str,
    ) -> Result<Value, SimError> {
        let top = field.split('.').next().unwrap_or_default();
        if top.is_empty() || SERVER_OWNED[..2].contains(&top) {
            return Err(SimError::EditRefused(format!(
                "field {field:?} cannot be edited"
            )));
        }
        if field == "name" {
            let Some(new_name) = value.as_str() else {
                return Err(SimError::EditRefused("name must be a string".into()));
            };
            if self.by_name.get(new_name).is_some_and(|s| *s != seq) {
                return Err(SimError::EditRefused(format!(
                    "a queue named {new_name:?} already exists"
                )));
            }
        }
        let Some(Value::Object(mut obj)) = self.queues.get(&seq).cloned() else {
            return Err(SimError::QueueNotFound(format!("#{seq}")));
        };
        let version = obj.get("version").and_then(Value::as_u64).unwrap_or(1) + 1;
        set_path(&mut obj, field, value);
        stamp(&mut obj, version, actor);
        self.replace(seq, obj.clone());
        Ok(Value::Object(obj))
    }

    fn replace(&mut self, seq: u64, obj: Map<String, Value>) {
        if let Some(old) = self.queues.get(&seq)
            && let Some(old_name) = old.get("name").and_then(Value::as_str)
            && self.by_name.get(old_name) == Some(&seq)
        {
            self.by_name.remove(old_name);
        }
        let name = obj
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        self.by_name.insert(name, seq);
        self.queues.insert(seq, Value::Object(obj));
    }

    // ---- validation ----

    /// Every reason `obj` (already normalized, with `id`) breaks the contract, except a
    /// duplicate name. `exists` tells whether a queue id exists.
    pub fn check(
        &self,
        obj: &Map<String, Value>,
        self_id: Option<&str>,
        check_license: bool,
        exists: &dyn Fn(&str) -> bool,
    ) -> Vec<String> {
        let mut errors = Vec::new();
        // name
        match obj.get("name") {
            Some(Value::String(name)) => {
                let len = name.chars().count();
                if !(1..=64).contains(&len) {
                    errors.push(format!("name: must be 1 to 64 characters (got {len})"));
                } else if name.trim().is_empty() {
                    errors.push("name: must not be blank".into());
                }
            }
            Some(_) => errors.push("name: must be a string".into()),
            None => errors.push("name: required".into()),
        }
        // description
        match obj.get("description") {
            None | Some(Value::Null) => {}
            Some(Value::String(d)) => {
                let len = d.chars().count();
                if len > 512 {
                    errors.push(format!(
                        "description: must be at most 512 characters (got {len})"
                    ));
                }
            }
            Some(_) => errors.push("description: must be a string".into()),
        }
        // skillRequirements
        match obj.get("skillRequirements") {
            None | Some(Value::Null) => {}
            Some(Value::Array(reqs)) => self.check_skills(reqs, &mut errors),
            Some(_) => errors.push("skillRequirements: must be an array".into()),
        }
        // serviceLevelTarget
        match obj.get("serviceLevelTarget") {
            Some(Value::Object(slt)) => {
                int_in(
                    slt.get("threshold"),
                    "serviceLevelTarget.threshold",
                    0,
                    100,
                    &mut errors,
                );
                int_in(
                    slt.get("time"),
                    "serviceLevelTarget.time",
                    1,
                    300,
                    &mut errors,
                );
            }
            None | Some(Value::Null) => errors.push("serviceLevelTarget: required".into()),
            Some(_) => errors.push("serviceLevelTarget: must be an object".into()),
        }
        // overflow
        match obj.get("overflow") {
            None | Some(Value::Null) => {}
            Some(Value::Object(o)) => check_overflow(o, self_id, exists, &mut errors),
            Some(_) => errors.push("overflow: must be an object or null".into()),
        }
        int_in(obj.get("maxWaitTime"), "maxWaitTime", 10, 600, &mut errors);
        if let Some(n) = int_in(obj.get("maxWaiters"), "maxWaiters", 1, 100, &mut errors)
            && check_license
            && n > self.license.max_waiters
        {
            errors.push(format!(
                "maxWaiters: {n} is above the licensed maximum of {}",
                self.license.max_waiters
            ));
        }
        errors
    }

    fn check_skills(&self, reqs: &[Value], errors: &mut Vec<String>) {
        if reqs.len() > MAX_SKILL_REQUIREMENTS {
            errors.push(format!(
                "skillRequirements: at most {MAX_SKILL_REQUIREMENTS} allowed (got {})",
                reqs.len()
            ));
        }
        let mut seen = HashSet::new();
        for (i, req) in reqs.iter().enumerate() {
            let Value::Object(req) = req else {
                errors.push(format!("skillRequirements[{i}]: must be an object"));
                continue;
            };
            match req.get("skill") {
                Some(Value::String(skill)) => {
                    if !self.skill_names.contains(skill) {
                        errors.push(format!(
                            "skillRequirements[{i}].skill: unknown skill {skill:?}"
                        ));
                    } else if !seen.insert(skill.as_str()) {
                        errors.push(format!(
                            "skillRequirements[{i}].skill: duplicate skill {skill:?}"
                        ));
                    }
                }
                Some(_) => errors.push(format!("skillRequirements[{i}].skill: must be a string")),
                None => errors.push(format!("skillRequirements[{i}].skill: required")),
            }
            match req.get("proficiency") {
                Some(Value::String(p)) if PROFICIENCIES.contains(&p.as_str()) => {}
                Some(other) => errors.push(format!(
                    "skillRequirements[{i}].proficiency: must be one of {} (got {other})",
                    PROFICIENCIES.join(", ")
                )),
                None => errors.push(format!("skillRequirements[{i}].proficiency: required")),
            }
            match req.get("required") {
                None | Some(Value::Bool(_)) => {}
                Some(_) => errors.push(format!(
                    "skillRequirements[{i}].required: must be a boolean"
                )),
            }
        }
    }
}

fn check_overflow(
    o: &Map<String, Value>,
    self_id: Option<&str>,
    exists: &dyn Fn(&str) -> bool,
    errors: &mut Vec<String>,
) {
    let enabled = match o.get("enabled") {
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            errors.push("overflow.enabled: must be a boolean".into());
            true
        }
        None => {
            errors.push("overflow.enabled: required".into());
            true
        }
    };
    match o.get("targetId") {
        Some(Value::String(target)) => {
            if Some(target.as_str()) == self_id {
                errors.push("overflow.targetId: a queue cannot overflow to itself".into());
            } else if !exists(target) {
                errors.push(format!("overflow.targetId: no queue has id {target:?}"));
            }
        }
        None | Some(Value::Null) => {
            if enabled {
                errors.push("overflow.targetId: required when overflow is enabled".into());
            }
        }
        Some(_) => errors.push("overflow.targetId: must be a string".into()),
    }
    match o.get("waitTime") {
        None | Some(Value::Null) if !enabled => {}
        value => {
            int_in(value, "overflow.waitTime", 30, 600, errors);
        }
    }
}

/// Checks an integer field is present and within `lo..=hi`; answers it when it is an integer.
fn int_in(
    value: Option<&Value>,
    field: &str,
    lo: i64,
    hi: i64,
    errors: &mut Vec<String>,
) -> Option<i64> {
    match value {
        None | Some(Value::Null) => {
            errors.push(format!("{field}: required"));
            None
        }
        Some(v) => match v.as_i64() {
            Some(n) => {
                if !(lo..=hi).contains(&n) {
                    errors.push(format!("{field}: must be between {lo} and {hi} (got {n})"));
                }
                Some(n)
            }
            None => {
                errors.push(format!("{field}: must be an integer (got {v})"));
                None
            }
        },
    }
}

/// The `version` of a stored queue.
pub(crate) fn version_of(queue: &Value) -> u64 {
    queue.get("version").and_then(Value::as_u64).unwrap_or(1)
}

fn overflow_target(queue: &Value) -> Option<&str> {
    queue.get("overflow")?.get("targetId")?.as_str()
}

/// Drops server-owned fields from a request body and puts `id` first.
fn normalize(body: Map<String, Value>, id: &str) -> Map<String, Value> {
    let mut obj = Map::with_capacity(body.len() + 4);
    obj.insert("id".into(), Value::String(id.to_owned()));
    for (k, v) in body {
        if !SERVER_OWNED.contains(&k.as_str()) {
            obj.insert(k, v);
        }
    }
    obj
}

/// Sets the server-owned trailer: version, dateModified, modifiedBy.
fn stamp(obj: &mut Map<String, Value>, version: u64, actor: &str) {
    obj.insert("version".into(), json!(version));
    obj.insert("dateModified".into(), json!(now_rfc3339()));
    obj.insert("modifiedBy".into(), json!(actor));
}

fn set_path(obj: &mut Map<String, Value>, path: &str, value: Value) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop().unwrap_or_default();
    let mut cur = obj;
    for part in parts {
        let slot = cur
            .entry(part.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        let Value::Object(next) = slot else {
            return;
        };
        cur = next;
    }
    cur.insert(last.to_owned(), value);
}

/// Turns a seeded queue into the stored JSON object (validated afterwards).
fn seed_queue_to_object(
    q: SeedQueue,
    id: &str,
    name_to_id: &HashMap<String, String>,
    home_division: &Value,
) -> Result<Map<String, Value>, String> {
    let mut obj = Map::new();
    obj.insert("id".into(), json!(id));
    obj.insert("name".into(), json!(q.name));
    if let Some(d) = q.description {
        obj.insert("description".into(), json!(d));
    }
    obj.insert(
        "skillRequirements".into(),
        serde_json::to_value(&q.skill_requirements).unwrap_or_default(),
    );
    obj.insert(
        "serviceLevelTarget".into(),
        serde_json::to_value(q.service_level_target).unwrap_or_default(),
    );
    let overflow = match q.overflow {
        None => Value::Null,
        Some(SeedOverflow {
            enabled,
            target_id,
            target,
            wait_time,
        }) => {
            let target_id = match (target_id, target) {
                (Some(tid), _) => Some(tid),
                (None, Some(name)) => Some(name_to_id.get(&name).cloned().ok_or_else(|| {
                    format!(
                        "queue {:?}: overflow.target: no queue named {name:?}",
                        q.name
                    )
                })?),
                (None, None) => None,
            };
            json!({"enabled": enabled, "targetId": target_id, "waitTime": wait_time})
        }
    };
    obj.insert("overflow".into(), overflow);
    obj.insert("maxWaitTime".into(), json!(q.max_wait_time));
    obj.insert("maxWaiters".into(), json!(q.max_waiters));
    obj.insert(
        "division".into(),
        q.division.unwrap_or_else(|| home_division.clone()),
    );
    let mut version = 1;
    let mut date = None;
    let mut by = None;
    for (k, v) in q.extra {
        match k.as_str() {
            "version" => version = v.as_u64().filter(|v| *v >= 1).unwrap_or(1),
            "dateModified" => date = Some(v),
            "modifiedBy" => by = Some(v),
            "id" => {}
            _ => {
                obj.insert(k, v);
            }
        }
    }
    stamp(&mut obj, version, "seed");
    if let Some(date) = date {
        obj.insert("dateModified".into(), date);
    }
    if let Some(by) = by {
        obj.insert("modifiedBy".into(), by);
    }
    Ok(obj)
}

/// The rival admin, if one is due for queue `id`, edits it now: between the client's read
/// and the write being handled.
pub(crate) fn rival_strikes(
    st: &crate::SimState,
    tenant: &mut Tenant,
    id: &str,
) -> Result<(), ApiError> {
    let name = tenant
        .queue(id)
        .ok_or(ApiError::NotFound)?
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let turn = st.fault_state().rival_turn(&name, id);
    if let Some((field, value, rival)) = turn {
        match tenant.edit_id(id, &field, value, &rival) {
            Ok(_) => st.stats_mut().rival_edits += 1,
            Err(e) => tracing::warn!("rival admin edit refused: {e}"),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::SkillRequirement;

    fn tenant() -> Tenant {
        let seed = Seed::from_value(json!({
            "skills": ["language:en", "billing"],
            "queues": [
                {"name": "A", "overflow": {"target": "B", "waitTime": 60}},
                {"name": "B"},
            ],
            "license": {"maxWaiters": 50},
        }))
        .unwrap();
        Tenant::from_seed(seed).unwrap()
    }

    fn body(name: &str) -> Value {
        json!({
            "name": name,
            "skillRequirements": [{"skill": "language:en", "proficiency": "advanced", "required": true}],
            "serviceLevelTarget": {"threshold": 80, "time": 20},
            "overflow": null,
            "maxWaitTime": 300,
            "maxWaiters": 20,
        })
    }

    #[test]
    fn seeded_overflow_target_by_name_becomes_a_target_id() {
        let t = tenant();
        let b_id = t.queue_by_name("B").unwrap()["id"].clone();
        assert_eq!(t.queue_by_name("A").unwrap()["overflow"]["targetId"], b_id);
    }

    #[test]
    fn seeded_queue_without_a_division_gets_the_home_division() {
        let t = tenant();
        let division = &t.queue_by_name("B").unwrap()["division"];
        assert_eq!(division["name"], "Home");
        assert!(division["id"].as_str().is_some_and(|s| !s.is_empty()));
    }

    #[test]
    fn seed_with_unknown_skill_and_missing_target_is_refused_with_every_reason() {
        let seed = Seed {
            skills: vec!["x".into()],
            queues: vec![SeedQueue {
                skill_requirements: vec![SkillRequirement {
                    skill: "nope".into(),
                    proficiency: "guru".into(),
                    required: true,
                }],
                max_wait_time: 5,
                ..SeedQueue::named("A")
            }],
            ..Seed::default()
        };
        let Err(SimError::InvalidSeed(errors)) = Tenant::from_seed(seed) else {
            panic!("seed accepted");
        };
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("unknown skill \"nope\"")));
        assert!(errors.iter().any(|e| e.contains("proficiency")));
        assert!(errors.iter().any(|e| e.contains("maxWaitTime")));
    }

    #[test]
    fn seed_with_duplicate_queue_names_is_refused() {
        let seed = Seed {
            queues: vec![SeedQueue::named("A"), SeedQueue::named("A")],
            ..Seed::default()
        };
        assert!(matches!(
            Tenant::from_seed(seed),
            Err(SimError::InvalidSeed(_))
        ));
    }

    #[test]
    fn seed_may_hold_a_queue_above_the_license() {
        let seed = Seed {
            queues: vec![SeedQueue {
                max_waiters: 90,
                ..SeedQueue::named("A")
            }],
            license: License { max_waiters: 50 },
            ..Seed::default()
        };
        let t = Tenant::from_seed(seed).unwrap();
        assert_eq!(t.queue_by_name("A").unwrap()["maxWaiters"], 90);
    }

    #[test]
    fn create_ignores_server_owned_fields_and_starts_at_version_one() {
        let mut t = tenant();
        let mut b = body("C");
        b["id"] = json!("mine");
        b["version"] = json!(42);
        b["modifiedBy"] = json!("me");
        let q = t.create(b, "client-1").unwrap();
        assert_ne!(q["id"], "mine");
        assert_eq!(q["version"], 1);
        assert_eq!(q["modifiedBy"], "client-1");
        assert_eq!(q["division"]["name"], "Home");
        assert_eq!(t.all_queues().len(), 3);
    }

    #[test]
    fn create_with_only_a_taken_name_is_name_taken_but_with_other_errors_is_bad_request() {
        let mut t = tenant();
        assert_eq!(t.create(body("A"), "c"), Err(ApiError::NameTaken));
        let mut b = body("A");
        b["maxWaitTime"] = json!(1);
        let Err(ApiError::BadRequest(errors)) = t.create(b, "c") else {
            panic!("accepted");
        };
        assert_eq!(errors.len(), 2, "{errors:?}");
    }

    #[test]
    fn update_checks_version_then_body_and_bumps_version() {
        let mut t = tenant();
        let id = t.queue_by_name("B").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(t.update(&id, 5, body("B"), "c"), Err(ApiError::Conflict(1)));
        let q = t.update(&id, 1, body("B2"), "c").unwrap();
        assert_eq!(q["version"], 2);
        assert!(t.queue_by_name("B").is_none());
        assert_eq!(t.queue_by_name("B2").unwrap()["id"], json!(id));
    }

    #[test]
    fn update_renaming_onto_another_queue_is_bad_request() {
        let mut t = tenant();
        let id = t.queue_by_name("B").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let Err(ApiError::BadRequest(errors)) = t.update(&id, 1, body("A"), "c") else {
            panic!("accepted");
        };
        assert!(errors[0].contains("already exists"), "{errors:?}");
    }

    #[test]
    fn float_numbers_are_not_integers() {
        let mut t = tenant();
        let mut b = body("C");
        b["maxWaitTime"] = json!(30.5);
        let Err(ApiError::BadRequest(errors)) = t.create(b, "c") else {
            panic!("accepted");
        };
        assert!(errors[0].contains("must be an integer"), "{errors:?}");
    }

    #[test]
    fn duplicate_skill_in_requirements_is_reported() {
        let mut t = tenant();
        let mut b = body("C");
        b["skillRequirements"] = json!([
            {"skill": "billing", "proficiency": "expert"},
            {"skill": "billing", "proficiency": "beginner"},
        ]);
        let Err(ApiError::BadRequest(errors)) = t.create(b, "c") else {
            panic!("accepted");
        };
        assert_eq!(
            errors,
            vec!["skillRequirements[1].skill: duplicate skill \"billing\""]
        );
    }

    #[test]
    fn edit_with_a_dotted_path_sets_a_nested_field_and_bumps_version() {
        let mut t = tenant();
        let q = t
            .edit("A", "serviceLevelTarget.threshold", json!(55), "rival")
            .unwrap();
        assert_eq!(q["serviceLevelTarget"]["threshold"], 55);
        assert_eq!(q["serviceLevelTarget"]["time"], 20);
        assert_eq!(q["version"], 2);
        assert_eq!(q["modifiedBy"], "rival");
        assert!(t.edit("A", "version", json!(9), "rival").is_err());
        assert!(matches!(
            t.edit("nope", "x", json!(1), "r"),
            Err(SimError::QueueNotFound(_))
        ));
    }

    #[test]
    fn edit_renaming_a_queue_moves_the_name_index() {
        let mut t = tenant();
        t.edit("B", "name", json!("B-renamed"), "rival").unwrap();
        assert!(t.queue_by_name("B").is_none());
        assert!(t.queue_by_name("B-renamed").is_some());
        assert!(t.edit("A", "name", json!("B-renamed"), "rival").is_err());
    }

    #[test]
    fn page_parse_rejects_zero_and_too_large_and_garbage() {
        assert_eq!(
            Page::parse(None, None),
            Ok(Page {
                number: 1,
                size: 25
            })
        );
        assert!(Page::parse(None, Some("0")).is_err());
        assert!(Page::parse(None, Some("501")).is_err());
        assert!(Page::parse(Some("0"), None).is_err());
        assert!(Page::parse(Some("x"), Some("10")).is_err());
        assert_eq!(
            Page::parse(Some("3"), Some("500")),
            Ok(Page {
                number: 3,
                size: 500
            })
        );
    }

    #[test]
    fn token_scope_is_the_intersection_of_requested_and_allowed() {
        let seed = Seed {
            clients: vec![
                SimClient::new("c", "s").with_scopes(&["routing:queue:view", "routing:skill:view"]),
            ],
            ..Seed::default()
        };
        let mut t = Tenant::from_seed(seed).unwrap();
        let life = Duration::from_secs(60);
        let (_, tok) = t
            .issue_token(
                Some("client_credentials"),
                Some("c"),
                Some("s"),
                Some("routing:queue:update routing:queue:view"),
                life,
            )
            .unwrap();
        assert_eq!(tok.scopes, vec!["routing:queue:view"]);
        let (_, all) = t
            .issue_token(Some("client_credentials"), Some("c"), Some("s"), None, life)
            .unwrap();
        assert_eq!(all.scopes.len(), 2);
        assert_eq!(
            t.issue_token(
                Some("client_credentials"),
                Some("c"),
                Some("bad"),
                None,
                life
            )
            .err(),
            Some(TokenError::InvalidClient)
        );
        assert_eq!(
            t.issue_token(Some("password"), Some("c"), Some("s"), None, life)
                .err(),
            Some(TokenError::UnsupportedGrantType)
        );
    }
}
