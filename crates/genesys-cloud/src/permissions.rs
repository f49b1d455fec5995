//! The Genesys permission each call needs, so that a 403 names the one that is missing
//! (the published permissions of `shared/vendors/specs/genesys-cloud-routing-queue.json`;
//! skill groups' are the Platform API's `routing:skillGroup:*`).

/// The permission `endpoint` (`"GET /api/v2/routing/queues"`, …) needs, if we know it.
pub(crate) fn needed_by(endpoint: &str) -> Option<&'static str> {
    let (method, path) = endpoint.split_once(' ')?;
    let path = path.trim_end_matches("/{id}");
    Some(match (method, path) {
        ("GET", "/api/v2/routing/queues") => "routing:queue:view",
        ("POST", "/api/v2/routing/queues") => "routing:queue:add",
        ("PUT", "/api/v2/routing/queues") => "routing:queue:edit",
        ("DELETE", "/api/v2/routing/queues") => "routing:queue:delete",
        ("GET", "/api/v2/routing/skills") => "routing:skill:view",
        ("GET", "/api/v2/routing/skillgroups") => "routing:skillGroup:view",
        ("POST", "/api/v2/routing/skillgroups") => "routing:skillGroup:add",
        ("PATCH", "/api/v2/routing/skillgroups") => "routing:skillGroup:edit",
        ("DELETE", "/api/v2/routing/skillgroups") => "routing:skillGroup:delete",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_call_names_the_permission_it_needs() {
        let table = [
            ("GET /api/v2/routing/queues", Some("routing:queue:view")),
            (
                "GET /api/v2/routing/queues/{id}",
                Some("routing:queue:view"),
            ),
            ("POST /api/v2/routing/queues", Some("routing:queue:add")),
            (
                "PUT /api/v2/routing/queues/{id}",
                Some("routing:queue:edit"),
            ),
            (
                "DELETE /api/v2/routing/queues/{id}",
                Some("routing:queue:delete"),
            ),
            ("GET /api/v2/routing/skills", Some("routing:skill:view")),
            (
                "PATCH /api/v2/routing/skillgroups/{id}",
                Some("routing:skillGroup:edit"),
            ),
            ("POST /oauth/token", None),
        ];
        for (endpoint, want) in table {
            assert_eq!(needed_by(endpoint), want, "{endpoint}");
        }
    }
}
