//! One module per command, each a thin caller of the shared pieces (the pipeline, the
//! tenant, the recorder, the output formats).

pub mod audit;
pub mod comment;
pub mod import;
pub mod optimize;
pub mod plan;
pub mod run;
pub mod schema;
pub mod sim;
pub mod validate;
pub mod webhooks;
