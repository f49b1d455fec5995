//! An in-process fake of the Kubernetes API's Lease endpoints (axum on loopback), for the
//! leader-election tests: `GET`, `POST` and `PUT` of `coordination.k8s.io/v1` Leases with
//! `resourceVersion` compare-and-swap. A `PUT` whose `metadata.resourceVersion` is not the
//! stored one is 409 Conflict, a `POST` of an existing Lease 409 AlreadyExists, a `GET` of a
//! missing one 404, each with a `Status` body as the API server sends it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

#[derive(Debug, Default)]
struct Store {
    leases: BTreeMap<(String, String), Value>,
    version: u64,
    /// Every write accepted, in order: (holder, leaseTransitions).
    writes: Vec<(String, i64)>,
    conflicts: u64,
}

/// The fake API server; stops when dropped.
#[derive(Debug, Clone)]
pub struct KubeFake {
    pub addr: SocketAddr,
    store: Arc<Mutex<Store>>,
    _stop: Arc<tokio::sync::oneshot::Sender<()>>,
}

fn status(code: StatusCode, reason: &str, message: &str) -> Response {
    (
        code,
        Json(json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "message": message, "reason": reason, "code": code.as_u16()
        })),
    )
        .into_response()
}

type Shared = Arc<Mutex<Store>>;

async fn get_lease(State(s): State<Shared>, Path((ns, name)): Path<(String, String)>) -> Response {
    let st = s.lock().unwrap();
    match st.leases.get(&(ns, name.clone())) {
        Some(l) => Json(l.clone()).into_response(),
        None => status(
            StatusCode::NOT_FOUND,
            "NotFound",
            &format!("leases.coordination.k8s.io \"{name}\" not found"),
        ),
    }
}

fn holder_and_term(lease: &Value) -> (String, i64) {
    (
        lease["spec"]["holderIdentity"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        lease["spec"]["leaseTransitions"].as_i64().unwrap_or(0),
    )
}

/// Stores `lease` under a new `resourceVersion` and records the write.
fn store(st: &mut Store, key: (String, String), mut lease: Value) -> Value {
    st.version += 1;
    lease["metadata"]["resourceVersion"] = json!(st.version.to_string());
    lease["metadata"]["namespace"] = json!(key.0);
    lease["apiVersion"] = json!("coordination.k8s.io/v1");
    lease["kind"] = json!("Lease");
    st.writes.push(holder_and_term(&lease));
    st.leases.insert(key, lease.clone());
    lease
}

async fn create_lease(
    State(s): State<Shared>,
    Path(ns): Path<String>,
    Json(lease): Json<Value>,
) -> Response {
    let mut st = s.lock().unwrap();
    let Some(name) = lease["metadata"]["name"].as_str().map(str::to_string) else {
        return status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid",
            "metadata.name is required",
        );
    };
    let key = (ns.clone(), name.clone());
    if st.leases.contains_key(&key) {
        st.conflicts += 1;
        return status(
            StatusCode::CONFLICT,
            "AlreadyExists",
            &format!("leases.coordination.k8s.io \"{name}\" already exists"),
        );
    }
    let lease = store(&mut st, key, lease);
    (StatusCode::CREATED, Json(lease)).into_response()
}

async fn replace_lease(
    State(s): State<Shared>,
    Path((ns, name)): Path<(String, String)>,
    Json(lease): Json<Value>,
) -> Response {
    let mut st = s.lock().unwrap();
    let key = (ns.clone(), name.clone());
    let Some(stored) = st.leases.get(&key) else {
        return status(
            StatusCode::NOT_FOUND,
            "NotFound",
            &format!("leases.coordination.k8s.io \"{name}\" not found"),
        );
    };
    let sent = lease["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default();
    if sent
        != stored["metadata"]["resourceVersion"]
            .as_str()
            .unwrap_or_default()
    {
        st.conflicts += 1;
        return status(
            StatusCode::CONFLICT,
            "Conflict",
            &format!(
                "Operation cannot be fulfilled on leases.coordination.k8s.io \"{name}\": the object has been modified; please apply your changes to the latest version and try again"
            ),
        );
    }
    let lease = store(&mut st, key, lease);
    Json(lease).into_response()
}

#[allow(dead_code, reason = "each test file uses some of these")]
impl KubeFake {
    /// Starts the fake on a free loopback port.
    pub async fn start() -> Self {
        let store: Shared = Arc::default();
        let app = Router::new()
            .route(
                "/apis/coordination.k8s.io/v1/namespaces/{ns}/leases/{name}",
                get(get_lease).put(replace_lease),
            )
            .route(
                "/apis/coordination.k8s.io/v1/namespaces/{ns}/leases",
                post(create_lease),
            )
            .with_state(store.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await;
        });
        Self {
            addr,
            store,
            _stop: Arc::new(tx),
        }
    }

    /// A kubeconfig that points at the fake (plain http on loopback, no credentials).
    pub fn kubeconfig(&self, namespace: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: http://{}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\n    namespace: {namespace}\ncurrent-context: fake\nusers:\n- name: fake\n  user: {{}}\n",
            self.addr
        )
    }

    /// The Lease as stored.
    pub fn lease(&self, namespace: &str, name: &str) -> Option<Value> {
        self.store
            .lock()
            .unwrap()
            .leases
            .get(&(namespace.to_string(), name.to_string()))
            .cloned()
    }

    /// Its holder (empty: released or free).
    pub fn holder(&self, namespace: &str, name: &str) -> Option<String> {
        self.lease(namespace, name).map(|l| holder_and_term(&l).0)
    }

    /// Every accepted write: (holder, term).
    pub fn writes(&self) -> Vec<(String, i64)> {
        self.store.lock().unwrap().writes.clone()
    }

    /// 409s answered.
    pub fn conflicts(&self) -> u64 {
        self.store.lock().unwrap().conflicts
    }
}
