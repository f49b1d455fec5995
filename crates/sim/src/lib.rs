//! A simulated CXone tenant: a stateful axum app that serves the whole wire contract of
//! `shared/spec/cxone-api.md` and is the reference for how the tenant behaves.
//!
//! - OAuth 2.0 client credentials at `POST /oauth2/token` (form or HTTP Basic client auth),
//!   per-token scopes, expiring tokens ([`Faults::token_lifetime_secs`]).
//! - Routing queues (`/api/v2/routing/queues`, paged list, GET/PUT/POST/DELETE with
//!   versions, `ETag`/`If-Match`, server-side validation listing every reason) and skills.
//! - Fault injection ([`Faults`]): random or scripted 429/503 with `Retry-After`, a real rate
//!   limit, latency, short tokens, dropped connections (also after a write was applied) and a
//!   [`RivalAdmin`] who edits a queue between a client's read and write.
//! - Counters by endpoint and status ([`Stats`]) and `/_sim/*` admin endpoints.
//!
//! ```no_run
//! # async fn demo() -> Result<(), sim::SimError> {
//! use sim::{Faults, Seed, Sim};
//! let sim = Sim::start(Seed::demo(), Faults::default().with_rate_429(0.1))?;
//! let base = sim.base_url(); // http://127.0.0.1:PORT
//! let creds = sim.client(); // cxqueues-demo / demo-secret
//! # let _ = (base, creds);
//! sim.shutdown().await
//! # }
//! ```
//!
//! The simulator follows the contract where a real tenant is lax too: it does not check
//! overflow cycles, and a `PUT` replaces the whole queue (fields left out are erased, fields
//! it does not know are stored as given).

mod api;
mod cxone;
mod cxone_skill;
mod error;
mod faults;
mod genesys;
mod seed;
mod server;
mod state;
mod stats;
mod tenant;
mod time;
pub mod traffic;
mod wire;

pub use api::{METRICS_PATH, QUEUES_PATH, SKILLS_PATH, TOKEN_PATH, router};
pub use cxone::{CXONE_ACCESS_KEY_ID, CXONE_ACCESS_KEY_SECRET, LIST_LAG};
pub use cxone_skill::CXONE_TENANT_ID;
pub use cxone_skill::full_cxone_skill;
pub use error::SimError;
pub use faults::{Faults, RetryAfterFormat, RivalAdmin};
pub use genesys::{GENESYS_PREFIX, GenesysLag};
pub use seed::{
    ALL_SCOPES, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, License, SCOPE_OVERFLOW_VIEW,
    SCOPE_QUEUE_UPDATE, SCOPE_QUEUE_VIEW, SCOPE_SKILL_VIEW, Seed, SeedCampaign, SeedOverflow,
    SeedQueue, SeedSkill, ServiceLevelTarget, SimClient, SkillRequirement,
};
pub use server::{Sim, SimHandle, serve};
pub use state::SimState;
pub use stats::Stats;
