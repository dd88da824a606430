//! Certificate Authority calls: create (through the deployer), update one
//! field, import an existing CA's record.
//!
//! **Never a duplicate, never an orphan.** Creates always send an explicit
//! `id` (derived from `display_name` the way the console would, made unique
//! against the current list). When the answer to a create is lost or a 5xx
//! arrives, the client reads `GET /components/{id}?cache=skip`: a component
//! with that id, display name and type is adopted; a 404 makes a new POST safe;
//! a 409 on a later attempt is resolved the same way.

use http::Method;

use super::client::{ConsoleClient, RetryMode};
use super::create::{CreateError, Expected};
use super::error::ConsoleError;
use super::models::{CaUpdate, Component, CreateCaRequest, ImportCaRequest};

/// Component type of CAs, in bodies and routes.
const CA_TYPE: &str = "fabric-ca";
/// Most suffixes tried when making a derived id unique.
const MAX_SUFFIX: usize = 10_000;

/// Shortest and longest id the console accepts (OAS3 `component_id`: 3 to 64 characters,
/// docs/dev/console-api.md#ids-derived-from-display-names).
const ID_MIN: usize = 3;
const ID_MAX: usize = 64;
/// Room kept for the `_<n>` suffix that makes a clashing id unique.
const SUFFIX_ROOM: usize = 6;

/// The id the console derives from a display name (docs/dev/console-api.md#ids-derived-from-display-names):
/// lower-cased, only `[a-z0-9]` kept. An id must match `^[a-z][a-z0-9_-]+$` and have 3 to 64
/// characters, so when the result does not start with a letter or is too short, `prefix`
/// (e.g. `"ca"`) is put in front (and repeated while it is still too short), and a long one is
/// cut to leave room for a suffix.
pub fn derive_component_id(display_name: &str, prefix: &str) -> String {
    let base: String = display_name
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        .collect();
    let starts_with_letter = base.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    let mut id = if starts_with_letter && base.len() >= ID_MIN {
        base
    } else {
        format!("{prefix}{base}")
    };
    while id.len() < ID_MIN {
        id.push_str(prefix);
    }
    id.truncate(ID_MAX - SUFFIX_ROOM);
    id
}

/// True when `id` is acceptable to the console as an explicit id.
pub fn is_valid_component_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && (ID_MIN..=ID_MAX).contains(&id.len())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// `base` if free, else the first free `base_0`, `base_1`, … (as the console
/// itself suffixes clashing ids).
pub(crate) fn unique_id<'a>(
    base: &str,
    taken: impl IntoIterator<Item = &'a str> + Clone,
) -> String {
    let is_taken = |candidate: &str| taken.clone().into_iter().any(|t| t == candidate);
    if !is_taken(base) {
        return base.to_owned();
    }
    (0..MAX_SUFFIX)
        .map(|n| format!("{base}_{n}"))
        .find(|c| !is_taken(c))
        .unwrap_or_else(|| format!("{base}_{MAX_SUFFIX}"))
}

impl ConsoleClient {
    /// POST /kubernetes/components/fabric-ca: deploys a CA. Sends an explicit
    /// id (derived when `req.id` is `None`) and resolves lost answers and 5xx
    /// by reading back, so a retry never creates a second CA. A 200 means the
    /// CA's Kubernetes resources exist, not that it serves yet: poll
    /// [`ConsoleClient::wait_ca_ready`].
    pub async fn create_ca(&self, req: &CreateCaRequest) -> Result<Component, ConsoleError> {
        let mut body = req.clone();
        let id = match &req.id {
            Some(id) => id.clone(),
            None => self.free_id(&req.display_name).await?,
        };
        body.id = Some(id.clone());
        self.create_component(
            &["kubernetes", "components", CA_TYPE],
            &body,
            &Expected {
                id: &id,
                display_name: &req.display_name,
                component_type: CA_TYPE,
            },
        )
        .await
        .map_err(CreateError::into_console_error)
    }

    /// POST /components/fabric-ca: imports an existing CA's record, with the
    /// same explicit-id and read-back rules as [`ConsoleClient::create_ca`].
    pub async fn import_ca(&self, req: &ImportCaRequest) -> Result<Component, ConsoleError> {
        let mut body = req.clone();
        let id = match &req.id {
            Some(id) => id.clone(),
            None => self.free_id(&req.display_name).await?,
        };
        body.id = Some(id.clone());
        self.create_component(
            &["components", CA_TYPE],
            &body,
            &Expected {
                id: &id,
                display_name: &req.display_name,
                component_type: CA_TYPE,
            },
        )
        .await
        .map_err(CreateError::into_console_error)
    }

    /// PUT /kubernetes/components/fabric-ca/{id} with exactly one field.
    pub async fn update_ca(&self, id: &str, update: CaUpdate) -> Result<Component, ConsoleError> {
        let url = self.api_url(&["kubernetes", "components", CA_TYPE, id], &[]);
        tracing::debug!(id, field = update.field_name(), "updating CA");
        let (_, c) = self
            .call(Method::PUT, url, Some(&update), RetryMode::Standard)
            .await?;
        Ok(c)
    }

    /// A derived id not used by any component of this console.
    async fn free_id(&self, display_name: &str) -> Result<String, ConsoleError> {
        self.free_ca_id(display_name, &[]).await
    }

    /// The id the console would derive for a new CA named `display_name`, made unique against
    /// this console's components and `also_taken` (ids a caller already tried). Callers that
    /// choose the id up front can record it before creating, so an uncertain create is never lost.
    pub async fn free_ca_id(
        &self,
        display_name: &str,
        also_taken: &[String],
    ) -> Result<String, ConsoleError> {
        let base = derive_component_id(display_name, "ca");
        let existing = self.list_components().await?;
        Ok(unique_id(
            &base,
            existing
                .iter()
                .map(|c| c.id.as_str())
                .chain(also_taken.iter().map(String::as_str)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_derive_from_display_names_like_the_console() {
        // Recorded: "Org1 CA" -> org1ca, "Peer0 Org1" -> peer0org1, "Org1 MSP" -> org1msp.
        assert_eq!(derive_component_id("Org1 CA", "ca"), "org1ca");
        assert_eq!(derive_component_id("Peer0 Org1", "ca"), "peer0org1");
        assert_eq!(derive_component_id("Org1 MSP", "ca"), "org1msp");
        assert_eq!(
            derive_component_id("Org1 CA (edited)", "ca"),
            "org1caedited"
        );
        assert_eq!(derive_component_id("my_ca-2!", "ca"), "myca2");
        assert_eq!(derive_component_id("Ünïcode CA", "ca"), "ncodeca");
        // Must start with a letter and have two characters at least.
        assert_eq!(derive_component_id("1st CA", "ca"), "ca1stca");
        assert_eq!(derive_component_id("X", "ca"), "cax");
        // Shorter than the console's 3 characters: prefixed until long enough.
        assert_eq!(derive_component_id("AB", "ca"), "caab");
        assert_eq!(derive_component_id("!!!", "ca"), "caca");
        assert_eq!(derive_component_id("日本語のCA", "ca"), "caca");
        // At most 64 with room for a suffix.
        assert_eq!(derive_component_id(&"a".repeat(64), "ca").len(), 58);
        for name in [
            "Org1 CA",
            "1st CA",
            "X",
            "",
            "  ",
            "ÄÖÜ",
            "AB",
            "---",
            &"😀".repeat(64),
        ] {
            assert!(
                is_valid_component_id(&derive_component_id(name, "ca")),
                "{name}"
            );
        }
    }

    #[test]
    fn explicit_id_rule_matches_the_console_regex() {
        for ok in ["org1ca", "org1ca_0", "a-b", "caa"] {
            assert!(is_valid_component_id(ok), "{ok}");
        }
        for bad in ["NewCA", "1ca", "a", "", "a b", "_ca", "ca!", "ca"] {
            assert!(!is_valid_component_id(bad), "{bad}");
        }
    }

    #[test]
    fn clashing_ids_get_suffixes_like_the_console() {
        // Recorded: org1ca taken -> org1ca_0, then org1ca_1.
        assert_eq!(unique_id("org1ca", ["peer0org1"]), "org1ca");
        assert_eq!(unique_id("org1ca", ["org1ca"]), "org1ca_0");
        assert_eq!(unique_id("org1ca", ["org1ca", "org1ca_0"]), "org1ca_1");
        assert_eq!(unique_id("org1ca", ["org1ca", "org1ca_1"]), "org1ca_0");
    }

    #[test]
    fn update_bodies_carry_exactly_one_field() {
        let body = serde_json::to_value(CaUpdate::Replicas(2)).unwrap();
        assert_eq!(body, serde_json::json!({"replicas": 2}));
        let body = serde_json::to_value(CaUpdate::Version("1.5.8".into())).unwrap();
        assert_eq!(body, serde_json::json!({"version": "1.5.8"}));
        let body = serde_json::to_value(CaUpdate::ConfigOverride(
            serde_json::json!({"ca": {"cfg": {}}}),
        ))
        .unwrap();
        assert_eq!(
            body,
            serde_json::json!({"config_override": {"ca": {"cfg": {}}}})
        );
        assert!(!format!(
            "{:?}",
            CaUpdate::ConfigOverride(serde_json::json!({"pass": "pw1"}))
        )
        .contains("pw1"));
    }

    mod live {
        use super::*;
        use crate::console::models::{ImportCaMsp, ImportMspCa, ImportMspComponent};
        use crate::console::testutil::{
            component_json, recorded, test_client, FakeServer, Reply, Seen,
        };
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;

        const CREATE: &str = "/ak/api/v3/kubernetes/components/fabric-ca";

        fn request() -> CreateCaRequest {
            CreateCaRequest {
                display_name: "Org1 CA".into(),
                config_override: serde_json::json!({"ca": {"registry": {"maxenrollments": -1,
                    "identities": [{"name": "admin", "pass": "adminpw", "type": "client"}]}}}),
                ..Default::default()
            }
        }

        /// A console where `org1ca` is taken, so the create must use `org1ca_0`.
        /// `post(n)` answers the n-th POST; `get(n)` the n-th read-back of org1ca_0.
        async fn console(
            post: impl Fn(usize) -> Reply + Send + Sync + 'static,
            get: impl Fn(usize) -> Reply + Send + Sync + 'static,
        ) -> FakeServer {
            let posts = Arc::new(AtomicUsize::new(0));
            let gets = Arc::new(AtomicUsize::new(0));
            FakeServer::start(move |req: &Seen, _| {
                match (req.method.as_str(), req.target.as_str()) {
                    ("GET", "/ak/api/v3/components?cache=skip") => Reply::Json(
                        200,
                        format!(
                            r#"{{"components":[{}]}}"#,
                            component_json("org1ca", "Org1 CA", "fabric-ca")
                        ),
                    ),
                    ("POST", CREATE) => post(posts.fetch_add(1, Ordering::SeqCst)),
                    ("GET", "/ak/api/v3/components/org1ca_0?cache=skip") => {
                        get(gets.fetch_add(1, Ordering::SeqCst))
                    }
                    other => panic!("unexpected request {other:?}"),
                }
            })
            .await
        }

        fn created() -> Reply {
            Reply::Json(200, component_json("org1ca_0", "Org1 CA", "fabric-ca"))
        }

        fn missing() -> Reply {
            Reply::Json(404, recorded("delete.get-right-after.cache-skip").body)
        }

        fn posted_ids(server: &FakeServer) -> Vec<String> {
            server
                .requests()
                .iter()
                .filter(|r| r.method == "POST")
                .map(|r| {
                    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
                    v["id"].as_str().unwrap().to_owned()
                })
                .collect()
        }

        #[tokio::test]
        async fn a_lost_create_answer_is_resolved_by_adopting_what_the_console_made() {
            let server = console(|_| Reply::Drop, |_| created()).await;
            let c = test_client(&server).create_ca(&request()).await.unwrap();
            assert_eq!(c.id, "org1ca_0");
            assert_eq!(
                posted_ids(&server),
                ["org1ca_0"],
                "exactly one POST, explicit id"
            );
        }

        #[tokio::test]
        async fn a_lost_create_that_did_not_happen_is_sent_again_with_the_same_id() {
            let server = console(
                |n| if n == 0 { Reply::Drop } else { created() },
                |_| missing(),
            )
            .await;
            let c = test_client(&server).create_ca(&request()).await.unwrap();
            assert_eq!(c.id, "org1ca_0");
            assert_eq!(posted_ids(&server), ["org1ca_0", "org1ca_0"]);
        }

        #[tokio::test]
        async fn a_409_after_a_resend_adopts_our_own_earlier_create() {
            let conflict = recorded("import.msp.explicit-id.conflict").body;
            let server = console(
                move |n| {
                    if n == 0 {
                        Reply::Drop
                    } else {
                        Reply::Json(409, conflict.clone())
                    }
                },
                |n| if n == 0 { missing() } else { created() },
            )
            .await;
            let c = test_client(&server).create_ca(&request()).await.unwrap();
            assert_eq!(c.display_name, "Org1 CA");
            assert_eq!(posted_ids(&server).len(), 2);
        }

        #[tokio::test]
        async fn a_409_after_a_resend_while_our_create_is_still_invisible_is_uncertain() {
            // The console still holds our first POST (deployer working): the resend gets the
            // deployer's 409 and the component is not readable yet.
            let server = console(
                |n| {
                    if n == 0 {
                        Reply::Drop
                    } else {
                        Reply::Json(409, r#"{"statusCode":409,"msg":{"message":"component org1ca0 already exists"}}"#.into())
                    }
                },
                |_| missing(),
            )
            .await;
            let err = test_client(&server)
                .create_ca(&request())
                .await
                .unwrap_err();
            assert!(
                matches!(err, ConsoleError::Ambiguous { .. }),
                "must be uncertain, not a conflict that makes the caller pick another id: {err}"
            );
            assert_eq!(posted_ids(&server), ["org1ca_0", "org1ca_0"]);
        }

        #[tokio::test]
        async fn a_gateway_error_is_checked_before_resending() {
            let server = console(
                |n| {
                    if n == 0 {
                        Reply::Json(504, String::new())
                    } else {
                        created()
                    }
                },
                |_| missing(),
            )
            .await;
            test_client(&server).create_ca(&request()).await.unwrap();
            assert_eq!(server.count("GET", "/ak/api/v3/components/org1ca_0"), 1);
            assert_eq!(posted_ids(&server).len(), 2);
        }

        #[tokio::test]
        async fn a_deployer_failure_is_reported_without_resending() {
            let failed = recorded("k8s.create-ca.valid.deployer-unreachable").body;
            let server = console(move |_| Reply::Json(500, failed.clone()), |_| missing()).await;
            let err = test_client(&server)
                .create_ca(&request())
                .await
                .unwrap_err();
            assert!(
                matches!(err, ConsoleError::Server { status: 500, .. }),
                "{err}"
            );
            assert!(err.to_string().contains("ECONNREFUSED"));
            assert_eq!(posted_ids(&server).len(), 1);
        }

        #[tokio::test]
        async fn an_id_held_by_another_component_is_a_conflict_not_an_adoption() {
            let server = console(
                |_| Reply::Drop,
                |_| {
                    Reply::Json(
                        200,
                        component_json("org1ca_0", "Someone else", "fabric-peer"),
                    )
                },
            )
            .await;
            let err = test_client(&server)
                .create_ca(&request())
                .await
                .unwrap_err();
            assert!(err.is_conflict(), "{err}");
            assert!(err
                .to_string()
                .contains("already belongs to another component"));
            assert_eq!(posted_ids(&server).len(), 1);
        }

        #[tokio::test]
        async fn an_import_only_console_fails_fast_with_a_clear_message() {
            let body = recorded("k8s.import-only.create-ca").body;
            let server = console(move |_| Reply::Json(503, body.clone()), |_| missing()).await;
            let err = test_client(&server)
                .create_ca(&request())
                .await
                .unwrap_err();
            assert!(err.is_import_only(), "{err}");
            assert_eq!(posted_ids(&server).len(), 1);
            assert_eq!(server.count("GET", "/ak/api/v3/components/org1ca_0"), 0);
        }

        #[tokio::test]
        async fn an_explicit_id_skips_the_listing_and_bad_requests_are_final() {
            let bad = recorded("import.ca.invalid.empty-body").body;
            let server = FakeServer::start(move |_, _| Reply::Json(400, bad.clone())).await;
            let mut req = request();
            req.id = Some("myca".into());
            let err = test_client(&server).create_ca(&req).await.unwrap_err();
            assert_eq!(err.status(), Some(400));
            let reqs = server.requests();
            assert_eq!(reqs.len(), 1);
            assert_eq!(reqs[0].target, CREATE);
            assert!(reqs[0]
                .body
                .starts_with(r#"{"display_name":"Org1 CA","id":"myca","config_override""#));
        }

        #[tokio::test]
        async fn update_puts_one_field_and_import_posts_to_the_record_route() {
            let server = FakeServer::start(|req, _| match req.method.as_str() {
                "GET" => Reply::Json(200, r#"{"components":[]}"#.into()),
                _ => Reply::Json(200, component_json("org1ca", "Org1 CA", "fabric-ca")),
            })
            .await;
            let c = test_client(&server);
            c.update_ca("org1ca", CaUpdate::Version("1.5.8".into()))
                .await
                .unwrap();
            let imported = c
                .import_ca(&ImportCaRequest {
                    display_name: "Org1 CA".into(),
                    api_url: "https://127.0.0.1:7054".into(),
                    msp: ImportCaMsp {
                        ca: ImportMspCa {
                            name: "ca".into(),
                            root_certs: None,
                        },
                        tlsca: ImportMspCa {
                            name: "tlsca".into(),
                            root_certs: None,
                        },
                        component: ImportMspComponent {
                            tls_cert: "LS0t".into(),
                        },
                    },
                    ..Default::default()
                })
                .await
                .unwrap();
            assert_eq!(imported.id, "org1ca");
            let reqs = server.requests();
            assert_eq!(reqs[0].method, "PUT");
            assert_eq!(
                reqs[0].target,
                "/ak/api/v3/kubernetes/components/fabric-ca/org1ca"
            );
            assert_eq!(reqs[0].body, r#"{"version":"1.5.8"}"#);
            assert_eq!(reqs[2].target, "/ak/api/v3/components/fabric-ca");
            assert!(
                reqs[2].body.contains(r#""id":"org1ca""#),
                "{}",
                reqs[2].body
            );
        }
    }
}
