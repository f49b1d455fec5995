//! Every body the adapter and the simulator's CXone face exchange, checked against NICE's
//! published v34 schemas (`specs/`, a copy of `shared/vendors/specs/nice-cxone/`).
//!
//! A recording proxy sits between the adapter and the simulator; the adapter lists, reads,
//! creates (with a campaign from the second campaigns page, inactive), updates (as read and
//! changed-only), deactivates and refreshes its token through it. Each request and reply is
//! then validated with the `jsonschema` crate: no unknown property where the schema closes
//! the object, no wrong type, no wrong wrapper, no value out of range.
//!
//! One defect of the published GET schema is patched before use: `acwTypeId` is typed
//! `integer` with the enum `["1", "2", "3"]` (strings), which no value can satisfy; the enum is
//! read as the integers 1–3.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use nice_cxone::{Config, CxoneTenant, WriteStyle};
use serde_json::{Value, json};
use sim::{Faults, Seed, SeedCampaign};
use tenant::{Queue, Tenant};

/// One request and its answer, as they crossed the proxy.
#[derive(Clone, Debug)]
struct Exchange {
    method: String,
    path: String,
    query: Option<String>,
    request: Vec<u8>,
    status: u16,
    reply: Vec<u8>,
}

#[derive(Clone)]
struct Proxy {
    upstream: String,
    http: reqwest::Client,
    log: Arc<Mutex<Vec<Exchange>>>,
}

async fn forward(State(p): State<Proxy>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let pq = parts.uri.path_and_query().map_or("/", |x| x.as_str());
    let mut out = p
        .http
        .request(parts.method.clone(), format!("{}{pq}", p.upstream));
    for (k, v) in &parts.headers {
        out = out.header(k, v);
    }
    let answer = out.body(bytes.clone()).send().await.unwrap();
    let status = answer.status();
    let headers = answer.headers().clone();
    let reply = answer.bytes().await.unwrap();
    p.log.lock().unwrap().push(Exchange {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        request: bytes.to_vec(),
        status: status.as_u16(),
        reply: reply.to_vec(),
    });
    let mut r = Response::builder().status(status);
    for (k, v) in &headers {
        r = r.header(k, v);
    }
    r.body(Body::from(reply)).unwrap()
}

/// Starts the proxy in front of `upstream`; its base URL and log.
async fn proxy(upstream: String) -> (String, Arc<Mutex<Vec<Exchange>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    // Building an adapter installs the process's TLS crypto provider, which the proxy's own
    // reqwest client needs too.
    CxoneTenant::new(Config::new("k", "s", "c", "cs")).unwrap();
    let state = Proxy {
        upstream,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        log: log.clone(),
    };
    let app = Router::new().fallback(forward).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), log)
}

fn spec(name: &str) -> Value {
    let path = format!("{}/specs/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The GET skill schema, with `acwTypeId`'s impossible enum read as integers (see above).
fn get_skill_schema() -> Value {
    let mut s = spec("get-skill.response.schema.json")["schema"].clone();
    let acw = &mut s["properties"]["acwTypeId"];
    assert_eq!(
        acw["enum"],
        json!(["1", "2", "3"]),
        "the published defect changed"
    );
    acw["enum"] = json!([1, 2, 3]);
    s
}

/// Every way `instance` breaks `schema`.
fn problems(schema: &Value, instance: &Value) -> Vec<String> {
    let v = jsonschema::validator_for(schema).expect("a valid schema");
    v.iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// A query string's parameters, each checked against a `{name: {type}}` table.
fn query_problems(table: &Value, query: Option<&str>) -> Vec<String> {
    let url = reqwest::Url::parse(&format!("http://x/?{}", query.unwrap_or_default())).unwrap();
    let mut out = Vec::new();
    for (k, v) in url.query_pairs() {
        match table.get(k.as_ref()).and_then(|p| p["type"].as_str()) {
            None => out.push(format!("query parameter {k} is not published")),
            Some("integer") if v.parse::<i64>().is_err() => {
                out.push(format!("query parameter {k}={v} is not an integer"));
            }
            Some("boolean") if v.parse::<bool>().is_err() => {
                out.push(format!("query parameter {k}={v} is not a boolean"));
            }
            _ => {}
        }
    }
    if let Some(min) = table.pointer("/top/minimum").and_then(Value::as_i64)
        && let Some((_, top)) = url.query_pairs().find(|(k, _)| k == "top")
    {
        let top: i64 = top.parse().unwrap_or(0);
        if !(min..=100).contains(&top) {
            out.push(format!("top={top} is outside {min}–100"));
        }
    }
    out
}

/// The form of a token request as a JSON object of strings.
fn form_object(body: &[u8]) -> Value {
    let url = reqwest::Url::parse(&format!("http://x/?{}", String::from_utf8_lossy(body))).unwrap();
    Value::Object(
        url.query_pairs()
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect(),
    )
}

/// The published checks of one exchange, and the name of the operation it was.
fn check(x: &Exchange) -> (&'static str, Vec<String>) {
    let json = |b: &[u8]| -> Value { serde_json::from_slice(b).unwrap_or(Value::Null) };
    let reply = json(&x.reply);
    let path = x.path.trim_start_matches("/inContactAPI/services/v34.0");
    let mut out = Vec::new();
    let op = match (x.method.as_str(), path) {
        ("POST", "/auth/token") => {
            let s = spec("auth-token.schema.json");
            out.extend(problems(&s["request"], &form_object(&x.request)));
            out.extend(problems(&s["reply"], &reply));
            "POST /auth/token"
        }
        ("GET", "/.well-known/cxone-configuration") => {
            let s = spec("cxone-configuration.schema.json");
            out.extend(problems(&s["reply"], &reply));
            "GET /.well-known/cxone-configuration"
        }
        ("GET", "/skills") => {
            let s = spec("get-skills.query.json");
            out.extend(query_problems(&s["query"], x.query.as_deref()));
            out.extend(problems(&s["reply"], &reply));
            let item = get_skill_schema();
            for skill in reply["skills"].as_array().into_iter().flatten() {
                out.extend(problems(&item, skill));
            }
            "GET /skills"
        }
        ("GET", "/campaigns") => {
            let s = spec("get-campaigns.schema.json");
            out.extend(query_problems(&s["query"], x.query.as_deref()));
            out.extend(problems(&s["reply"], &reply));
            "GET /campaigns"
        }
        ("POST", "/skills") => {
            out.extend(problems(
                &spec("post-skills.request.schema.json")["schema"],
                &json(&x.request),
            ));
            out.extend(problems(
                &spec("post-skills.response.schema.json")["schema"],
                &reply,
            ));
            "POST /skills"
        }
        ("GET", p) if p.starts_with("/skills/") => {
            out.extend(problems(&get_skill_schema(), &reply));
            "GET /skills/{id}"
        }
        ("PUT", p) if p.starts_with("/skills/") => {
            out.extend(problems(
                &spec("put-skill.request.schema.json")["schema"],
                &json(&x.request),
            ));
            out.extend(problems(
                &spec("put-skill.response.schema.json")["schema"],
                &reply,
            ));
            "PUT /skills/{id}"
        }
        _ => {
            out.push("an operation outside the published API".into());
            "unknown"
        }
    };
    if !(200..300).contains(&x.status) {
        out.push(format!("answered HTTP {}", x.status));
    }
    (op, out)
}

fn seed() -> Seed {
    let campaigns = 150;
    Seed {
        queues: (0..7)
            .map(|i| sim::full_cxone_skill(&format!("Sales EN (Tier {i})"), i, campaigns))
            .collect(),
        cxone_campaigns: (1..=campaigns as i64)
            .map(|id| SeedCampaign {
                id,
                name: format!("Campaign {id}"),
            })
            .collect(),
        ..Seed::default()
    }
}

fn config(issuer: &str, style: WriteStyle) -> Config {
    let c = sim::DEMO_CLIENT_ID;
    let mut cfg = Config::new(
        sim::CXONE_ACCESS_KEY_ID,
        sim::CXONE_ACCESS_KEY_SECRET,
        c,
        sim::DEMO_CLIENT_SECRET,
    );
    cfg.issuer = issuer.to_string();
    cfg.requests_per_second = 1000.0;
    cfg.page_size = 3;
    cfg.lag = tenant::Backoff::doubling(Duration::from_millis(100), Duration::from_millis(400));
    cfg.write_style = style;
    cfg
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_body_the_adapter_and_the_simulator_exchange_conforms_to_the_published_schemas() {
    let sim = sim::Sim::start(seed(), Faults::none().with_token_lifetime_secs(2)).unwrap();
    let (issuer, log) = proxy(sim.base_url()).await;
    let safe = CxoneTenant::new(config(&issuer, WriteStyle::AsRead)).unwrap();
    let partial = CxoneTenant::new(config(&issuer, WriteStyle::ChangedOnly)).unwrap();

    let listed = safe.list_queues().await.unwrap();
    assert_eq!(listed.len(), 7);
    let first = listed[0].clone();
    let id = first.id.clone().unwrap();

    // A safe update (read, then every writable property back) and a partial one.
    let base = safe.get_queue(&id).await.unwrap();
    let mut want = base.clone();
    want.description = Some("Changed by cxqueues".into());
    want.settings.insert("cxone.priority.max".into(), json!(7));
    safe.update_queue(&id, &base, &want, None).await.unwrap();
    let mut again = want.clone();
    again.service_level_target = Some(tenant::ServiceLevelTarget {
        threshold: 90u32.into(),
        time: 7200u32.into(),
    });
    partial
        .update_queue(&id, &want, &again, None)
        .await
        .unwrap();

    // A new skill with a campaign from the second page, declared inactive.
    let mut new = Queue::named("Chat EN (new)");
    new.settings.insert("cxone.mediaType".into(), json!("chat"));
    new.settings
        .insert("cxone.campaign".into(), json!("campaign 140"));
    new.settings.insert("cxone.active".into(), json!(false));
    new.settings
        .insert("cxone.shortAbandon.thresholdSeconds".into(), json!(300));
    let created = safe.create_queue(&new).await.unwrap();
    let created_id = created.id.clone().unwrap();
    // A batch item the tenant refuses (the name is taken): answered 200 with the reason.
    let mut taken = Queue::named(first.name.clone());
    taken
        .settings
        .insert("cxone.mediaType".into(), json!("voice"));
    assert!(partial.create_queue(&taken).await.is_err());

    // Tombstones, both ways, after the token has expired once (the refresh grant).
    tokio::time::sleep(Duration::from_millis(2100)).await;
    safe.delete_queue(&listed[1].id.clone().unwrap(), None)
        .await
        .unwrap();
    partial
        .delete_queue(&listed[2].id.clone().unwrap(), None)
        .await
        .unwrap();

    let after = safe.get_queue(&created_id).await.unwrap();
    assert_eq!(after.settings["cxone.active"], json!(false));
    assert_eq!(after.passthrough["campaignId"], json!(140));

    let exchanges = log.lock().unwrap().clone();
    let mut seen = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for x in &exchanges {
        let (op, problems) = check(x);
        seen.insert(op);
        for p in problems {
            failures.push(format!("{} {}: {p}", x.method, x.path));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let expected = [
        "GET /.well-known/cxone-configuration",
        "GET /campaigns",
        "GET /skills",
        "GET /skills/{id}",
        "POST /auth/token",
        "POST /skills",
        "PUT /skills/{id}",
    ];
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), expected);
    let grants: Vec<String> = exchanges
        .iter()
        .filter(|x| x.path == "/auth/token")
        .map(|x| {
            form_object(&x.request)["grant_type"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert!(grants.iter().any(|g| g == "refresh_token"), "{grants:?}");
}

#[test]
fn the_copied_specs_are_the_shared_ones() {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/vendors/specs/nice-cxone");
    let Ok(entries) = std::fs::read_dir(&shared) else {
        return; // a clone without the shared contract: the copy is the reference
    };
    for e in entries {
        let e = e.unwrap();
        let ours = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("specs")
                .join(e.file_name()),
        )
        .unwrap_or_default();
        assert_eq!(
            ours,
            std::fs::read(e.path()).unwrap(),
            "{:?}",
            e.file_name()
        );
    }
}
