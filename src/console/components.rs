//! Calls on components of any type: read, list, edit the record, delete.
//!
//! Reads that must see the effect of a write use `cache=skip`: athena caches a
//! single GET for 30 s (and returns a deleted component's stale document in
//! that time), list-by-type for 2 minutes and list-by-tag for 30 s
//! (docs/dev/console-api.md#stale-read-after-delete, docs/dev/console-api.md#list-caches).

use std::time::{Duration, Instant};

use http::Method;
use serde_json::Value;
use tokio::time::sleep;

use super::client::{cancelled, decode, label, ConsoleClient, RetryMode};
use super::error::ConsoleError;
use super::models::{Component, ComponentList, EditComponentRequest, FabricVersions, GetOptions};

/// Pause between polls of [`ConsoleClient::wait_deleted`].
const DELETE_POLL_INTERVAL: Duration = Duration::from_secs(2);

impl ConsoleClient {
    /// GET /components/{id}. A missing component is [`ConsoleError::NotFound`]
    /// (`is_not_found()`), and so is athena's stale-after-delete answer
    /// (200 with `"ok":true`, `"doc":{…}`, `"type":null`).
    pub async fn get_component(
        &self,
        id: &str,
        opts: GetOptions,
    ) -> Result<Component, ConsoleError> {
        let url = self.api_url(&["components", id], &opts.query());
        let request = label(&Method::GET, &url);
        let (_, value): (_, Value) = self
            .call(Method::GET, url, None::<&()>, RetryMode::Standard)
            .await?;
        if is_stale_deleted(&value) {
            return Err(ConsoleError::NotFound {
                request,
                reason: Some("deleted".to_owned()),
                msg: "the component was deleted (the console returned its stale cached copy)"
                    .to_owned(),
            });
        }
        serde_json::from_value(value).map_err(|e| ConsoleError::Decode {
            request,
            detail: e.to_string(),
        })
    }

    /// GET /components?cache=skip: every component of this console.
    pub async fn list_components(&self) -> Result<Vec<Component>, ConsoleError> {
        self.list(&["components"]).await
    }

    /// GET /components/types/{type}?cache=skip. "None of this type" (HTTP 222)
    /// is an empty list.
    pub async fn list_components_by_type(
        &self,
        component_type: &str,
    ) -> Result<Vec<Component>, ConsoleError> {
        self.list(&["components", "types", component_type]).await
    }

    /// GET /components/tags/{tag}?cache=skip (case-insensitive on the console).
    /// "No match" (HTTP 222) is an empty list.
    pub async fn list_components_by_tag(&self, tag: &str) -> Result<Vec<Component>, ConsoleError> {
        self.list(&["components", "tags", tag]).await
    }

    /// GET /components?deployment_attrs=included&cache=skip: every component with what a
    /// single `deployment_attrs` GET shows (the list a refresh shares, snapshot.rs).
    pub async fn list_components_with_deployment(&self) -> Result<Vec<Component>, ConsoleError> {
        let url = self.api_url(
            &["components"],
            &[("deployment_attrs", "included"), ("cache", "skip")],
        );
        let (_, list): (_, ComponentList) = self
            .call(Method::GET, url, None::<&()>, RetryMode::Standard)
            .await?;
        Ok(list.components)
    }

    async fn list(&self, segments: &[&str]) -> Result<Vec<Component>, ConsoleError> {
        let url = self.api_url(segments, &[("cache", "skip")]);
        let (_, list): (_, ComponentList) = self
            .call(Method::GET, url, None::<&()>, RetryMode::Standard)
            .await?;
        Ok(list.components)
    }

    /// PUT /components/{type}/{id}: edits the console's record only (names,
    /// URLs, tags), never the deployment. `type_path` is e.g. `fabric-ca`.
    pub async fn edit_component(
        &self,
        type_path: &str,
        id: &str,
        req: &EditComponentRequest,
    ) -> Result<Component, ConsoleError> {
        let url = self.api_url(&["components", type_path, id], &[]);
        let (_, c) = self
            .call(Method::PUT, url, Some(req), RetryMode::Standard)
            .await?;
        Ok(c)
    }

    /// PUT /kubernetes/components/{type}/{id} with one deployment field (the console takes one
    /// per request: docs/dev/console-api.md#one-field-per-put).
    pub async fn update_deployment(
        &self,
        component_type: &str,
        id: &str,
        body: &(impl serde::Serialize + Sync),
    ) -> Result<(), ConsoleError> {
        let url = self.api_url(&["kubernetes", "components", component_type, id], &[]);
        self.call_raw(Method::PUT, url, Some(body), RetryMode::Standard)
            .await
            .map(|_| ())
    }

    /// DELETE /kubernetes/components/{id}: removes the deployment and the
    /// record. Already gone (404 from the console) is success.
    pub async fn delete_component(&self, id: &str) -> Result<(), ConsoleError> {
        let url = self.api_url(&["kubernetes", "components", id], &[]);
        self.delete_ignoring_missing(url).await
    }

    /// DELETE /components/{id}: removes the console's record only (for
    /// imported components). Already gone is success.
    pub async fn remove_component(&self, id: &str) -> Result<(), ConsoleError> {
        let url = self.api_url(&["components", id], &[]);
        self.delete_ignoring_missing(url).await
    }

    async fn delete_ignoring_missing(&self, url: url::Url) -> Result<(), ConsoleError> {
        match self
            .call_raw(Method::DELETE, url, None::<&()>, RetryMode::Standard)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Polls GET /components/{id}?cache=skip until the console says 404, for
    /// at most `timeout`.
    pub async fn wait_deleted(&self, id: &str, timeout: Duration) -> Result<(), ConsoleError> {
        let started = Instant::now();
        loop {
            let last = match self.get_component(id, GetOptions::fresh()).await {
                Err(e) if e.is_not_found() => return Ok(()),
                Err(e @ ConsoleError::Cancelled { .. }) => return Err(e),
                Err(e) => Some(e.to_string()),
                Ok(_) => None,
            };
            let elapsed = started.elapsed();
            if elapsed >= timeout {
                return Err(ConsoleError::WaitTimeout {
                    what: format!("component {id} to be deleted"),
                    waited: elapsed,
                    last,
                });
            }
            self.pause(DELETE_POLL_INTERVAL.min(timeout - elapsed), id)
                .await?;
        }
    }

    /// GET /kubernetes/fabric/versions: Fabric releases the deployer offers. Asked once per
    /// client (a plan checks every configured version against it).
    pub async fn fabric_versions(&self) -> Result<FabricVersions, ConsoleError> {
        self.inner
            .versions
            .get_or_try_init(|| async {
                let url = self.api_url(&["kubernetes", "fabric", "versions"], &[]);
                let request = label(&Method::GET, &url);
                let answer = self
                    .call_raw(Method::GET, url, None::<&()>, RetryMode::Standard)
                    .await?;
                decode(&request, &answer.body)
            })
            .await
            .cloned()
    }

    /// Sleeps unless cancelled.
    pub(crate) async fn pause(&self, d: Duration, what: &str) -> Result<(), ConsoleError> {
        tokio::select! {
            biased;
            _ = self.cancel.cancelled() => Err(cancelled(what)),
            _ = sleep(d) => Ok(()),
        }
    }
}

/// athena's cached copy of a just-deleted component (docs/dev/console-api.md#stale-read-after-delete).
pub(crate) fn is_stale_deleted(v: &Value) -> bool {
    let Some(obj) = v.as_object() else {
        return false;
    };
    obj.get("type").is_some_and(Value::is_null)
        && (obj.contains_key("doc") || obj.get("ok").and_then(Value::as_bool) == Some(true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::testutil::{component_json, recorded, test_client, FakeServer, Reply};

    #[test]
    fn the_recorded_stale_after_delete_answer_is_detected() {
        let r = recorded("delete.get-right-after");
        assert_eq!(r.status, 200);
        assert!(is_stale_deleted(&serde_json::from_str(&r.body).unwrap()));
        let live: Value = serde_json::from_str(&recorded("components.get.ca").body).unwrap();
        assert!(!is_stale_deleted(&live));
    }

    #[tokio::test]
    async fn reading_a_stale_deleted_component_is_not_found() {
        let r = recorded("delete.get-right-after");
        let server = FakeServer::start(move |_, _| Reply::Json(200, r.body.clone())).await;
        let err = test_client(&server)
            .get_component("org1ca_0", GetOptions::default())
            .await
            .unwrap_err();
        assert!(err.is_not_found(), "{err}");
    }

    #[tokio::test]
    async fn get_sends_the_requested_query_and_decodes() {
        let server = FakeServer::start(|_, _| {
            Reply::Json(200, component_json("org1ca", "Org1 CA", "fabric-ca"))
        })
        .await;
        let c = test_client(&server)
            .get_component(
                "org1ca",
                GetOptions {
                    deployment_attrs: true,
                    cache_skip: true,
                    ..GetOptions::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(c.id, "org1ca");
        assert_eq!(
            server.requests()[0].target,
            "/ak/api/v3/components/org1ca?deployment_attrs=included&cache=skip"
        );
    }

    #[tokio::test]
    async fn lists_treat_222_as_empty_and_skip_the_cache() {
        let r = recorded("components.list-by-type.empty.fabric-ca");
        let server = FakeServer::start(move |_, _| Reply::Json(222, r.body.clone())).await;
        let c = test_client(&server);
        assert!(c
            .list_components_by_type("fabric-ca")
            .await
            .unwrap()
            .is_empty());
        assert!(c.list_components_by_tag("tf").await.unwrap().is_empty());
        let targets: Vec<String> = server.requests().into_iter().map(|s| s.target).collect();
        assert_eq!(
            targets,
            [
                "/ak/api/v3/components/types/fabric-ca?cache=skip",
                "/ak/api/v3/components/tags/tf?cache=skip"
            ]
        );
    }

    #[tokio::test]
    async fn deleting_a_missing_component_succeeds_but_a_server_error_does_not() {
        let missing = recorded("components.get.missing");
        let server = FakeServer::start(move |_, _| Reply::Json(404, missing.body.clone())).await;
        let c = test_client(&server);
        c.delete_component("gone").await.unwrap();
        c.remove_component("gone").await.unwrap();
        assert_eq!(
            server.count("DELETE", "/ak/api/v3/kubernetes/components/gone"),
            1
        );
        assert_eq!(server.count("DELETE", "/ak/api/v3/components/gone"), 1);

        let failed = recorded("k8s.delete.imported-component");
        let server = FakeServer::start(move |_, _| Reply::Json(500, failed.body.clone())).await;
        let err = test_client(&server)
            .delete_component("org2msp")
            .await
            .unwrap_err();
        assert!(
            matches!(err, ConsoleError::Server { status: 500, .. }),
            "{err}"
        );
        // A route-level 404 is not "already gone".
        let server = FakeServer::start(|_, _| {
            Reply::Json(404, r#"{"statusCode":404,"msg":"route not found"}"#.into())
        })
        .await;
        assert!(test_client(&server).delete_component("x").await.is_err());
    }

    #[tokio::test]
    async fn wait_deleted_polls_with_cache_skip_until_404() {
        let missing = recorded("components.get.missing");
        let server = FakeServer::start(move |_, i| {
            if i < 1 {
                Reply::Json(200, component_json("org1ca", "Org1 CA", "fabric-ca"))
            } else {
                Reply::Json(404, missing.body.clone())
            }
        })
        .await;
        test_client(&server)
            .wait_deleted("org1ca", Duration::from_secs(10))
            .await
            .unwrap();
        let reqs = server.requests();
        assert_eq!(reqs.len(), 2);
        assert!(reqs
            .iter()
            .all(|r| r.target == "/ak/api/v3/components/org1ca?cache=skip"));
    }

    #[tokio::test]
    async fn wait_deleted_gives_up_after_its_timeout() {
        let server = FakeServer::start(|_, _| {
            Reply::Json(200, component_json("org1ca", "Org1 CA", "fabric-ca"))
        })
        .await;
        let err = test_client(&server)
            .wait_deleted("org1ca", Duration::from_millis(300))
            .await
            .unwrap_err();
        assert!(matches!(err, ConsoleError::WaitTimeout { .. }), "{err}");
        assert!(err.to_string().contains("component org1ca to be deleted"));
    }

    #[tokio::test]
    async fn edits_put_only_the_given_fields() {
        let r = recorded("edit.ca");
        let server = FakeServer::start(move |_, _| Reply::Json(200, r.body.clone())).await;
        let c = test_client(&server)
            .edit_component(
                "fabric-ca",
                "org1ca",
                &EditComponentRequest {
                    display_name: Some("Org1 CA (edited)".into()),
                    tags: Some(vec!["tf".into()]),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(c.display_name, "Org1 CA (edited)");
        let req = &server.requests()[0];
        assert_eq!(req.method, "PUT");
        assert_eq!(req.target, "/ak/api/v3/components/fabric-ca/org1ca");
        assert_eq!(
            req.body,
            r#"{"display_name":"Org1 CA (edited)","tags":["tf"]}"#
        );
    }

    #[tokio::test]
    async fn fabric_versions_decode_and_deployer_failures_are_server_errors() {
        let server = FakeServer::start(|_, _| {
            Reply::Json(
                200,
                r#"{"versions":{"ca":{"1.5.5-0":{"default":true,"version":"1.5.5-0","image":{}}}}}"#
                    .into(),
            )
        })
        .await;
        let v = test_client(&server).fabric_versions().await.unwrap();
        assert!(v.versions.ca.contains_key("1.5.5-0"));
        assert!(v.versions.peer.is_empty());
        let r = recorded("k8s.fabric-versions.deployer-unreachable");
        let server = FakeServer::start(move |_, _| Reply::Json(500, r.body.clone())).await;
        let err = test_client(&server).fabric_versions().await.unwrap_err();
        assert!(err.to_string().contains("ECONNREFUSED"), "{err}");
    }
}
