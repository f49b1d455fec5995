//! Helpers shared by the router tests: build a router over a seed, get tokens, send requests.
#![allow(dead_code)]

use axum::{
    Router,
    body::{Body, to_bytes},
    http::{HeaderMap, Method, Request, StatusCode, header},
};
use serde_json::{Value, json};
use sim::{Faults, Seed, SimState};
use tower::ServiceExt;

pub struct App {
    pub state: SimState,
    pub router: Router,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl App {
    pub fn new(seed: Seed, faults: Faults) -> Self {
        let state = SimState::new(seed, faults).expect("valid seed");
        let router = sim::router(state.clone());
        Self { state, router }
    }

    pub async fn send(
        &self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = match body {
            Some(b) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    /// Posts a raw form to the token endpoint.
    pub async fn token_form(&self, form: &str, extra: &[(&str, &str)]) -> Reply {
        self.post_form("/oauth2/token", form, extra).await
    }

    /// Posts a raw form to `uri`.
    pub async fn post_form(&self, uri: &str, form: &str, extra: &[(&str, &str)]) -> Reply {
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        let req = req.body(Body::from(form.to_owned())).unwrap();
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        Reply {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    /// A token of the default client, with `scope` if given.
    pub async fn token(&self, scope: Option<&str>) -> String {
        let client = self.state.client();
        let mut form = format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            client.client_id, client.client_secret
        );
        if let Some(s) = scope {
            form.push_str("&scope=");
            form.push_str(&s.replace(' ', "+"));
        }
        let reply = self.token_form(&form, &[]).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        reply.body["access_token"].as_str().unwrap().to_owned()
    }

    /// A request with a bearer token.
    pub async fn call(
        &self,
        token: &str,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Reply {
        let auth = format!("Bearer {token}");
        let mut all = vec![("authorization", auth.as_str())];
        all.extend_from_slice(headers);
        self.send(method, uri, &all, body).await
    }

    pub fn id_of(&self, name: &str) -> String {
        self.state.queue_by_name(name).expect("queue exists")["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// Two skills, three queues (A overflows to B), license 60.
pub fn small_seed() -> Seed {
    Seed::from_value(json!({
        "skills": ["language:en", "billing"],
        "queues": [
            {"name": "A", "description": "first", "overflow": {"target": "B", "waitTime": 60},
             "skillRequirements": [{"skill": "billing", "proficiency": "expert"}],
             "wrapUp": {"codes": ["x"]}},
            {"name": "B"},
            {"name": "C", "division": {"id": "div-7", "name": "Sales"}},
        ],
        "license": {"maxWaiters": 60},
    }))
    .unwrap()
}

/// A valid queue body for POST/PUT.
pub fn queue_body(name: &str) -> Value {
    json!({
        "name": name,
        "description": "made by a test",
        "skillRequirements": [{"skill": "language:en", "proficiency": "advanced", "required": true}],
        "serviceLevelTarget": {"threshold": 80, "time": 20},
        "overflow": null,
        "maxWaitTime": 300,
        "maxWaiters": 20,
    })
}
