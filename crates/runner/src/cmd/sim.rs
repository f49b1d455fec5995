//! `cxqueues sim`: serve the simulated tenant until Ctrl-C. The simulator is the tenant
//! glue's to know ([`crate::tenant::sim::serve`]); this command only names it.

pub(crate) use crate::tenant::sim::serve::{SimArgs, run};
