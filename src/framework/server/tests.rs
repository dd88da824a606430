use std::sync::Mutex;

use async_trait::async_trait;

use super::*;
use crate::framework::codec::{decode_msgpack, encode_dynamic_value};
use crate::framework::resource::ApplyError;
use crate::framework::schema::Attribute;
use crate::framework::timeouts::{timeouts_block, TimeoutOp, Timeouts};
use crate::framework::validators;

/// Remote objects by id, standing in for an API.
#[derive(Default)]
struct Remote(Mutex<BTreeMap<String, Value>>);

struct Thing {
    remote: Arc<Remote>,
}

#[async_trait]
impl Resource for Thing {
    fn type_name(&self) -> &'static str {
        "test_thing"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            1,
            Block::new("A test thing.")
                .attribute(
                    Attribute::string("id")
                        .description("Id.")
                        .computed()
                        .use_state_for_unknown(),
                )
                .attribute(
                    Attribute::string("name")
                        .description("Name.")
                        .required()
                        .requires_replace()
                        .validate(validators::not_empty()),
                )
                .attribute(Attribute::string("size").description("Size.").optional())
                .attribute(
                    Attribute::string("secret")
                        .description("Secret.")
                        .optional()
                        .write_only(),
                )
                .block(timeouts_block(&[TimeoutOp::Create], &Timeouts::default())),
        )
    }

    fn validate_config(&self, config: &Value, diags: &mut Diagnostics) {
        if config.get("size").as_str() == Some("huge")
            && config.get("name").as_str() == Some("tiny")
        {
            diags.attribute_error(
                AttributePath::attribute("size"),
                "Conflict",
                "tiny things cannot be huge",
            );
        }
    }

    async fn create(
        &self,
        ctx: &ResourceContext,
        planned: &Value,
        _config: &Value,
    ) -> Result<Value, ApplyError> {
        let prefix = ctx.provider_data::<String>()?;
        let name = planned.get("name").as_str().unwrap_or_default().to_string();
        let mut state = planned.clone();
        state.set("id", Value::string(format!("{prefix}-{name}")));
        // Echo the secret back to prove the server nulls write-only attributes.
        state.set("secret", Value::string("s3cret"));
        if name == "bad" {
            state.set("size", Value::string("changed-by-api"));
        }
        if name == "partial" {
            return Err(ApplyError::partial(
                Diagnostic::error("not ready", "timed out"),
                state,
            ));
        }
        self.remote
            .0
            .lock()
            .unwrap()
            .insert(format!("{prefix}-{name}"), state.clone());
        Ok(state)
    }

    async fn read(
        &self,
        _ctx: &ResourceContext,
        current: &Value,
    ) -> Result<Option<Value>, Diagnostics> {
        let id = current.get("id").as_str().unwrap_or_default();
        Ok(self.remote.0.lock().unwrap().get(id).cloned())
    }

    async fn update(
        &self,
        _ctx: &ResourceContext,
        _prior: &Value,
        planned: &Value,
        _config: &Value,
    ) -> Result<Value, ApplyError> {
        Ok(planned.clone())
    }

    async fn delete(&self, _ctx: &ResourceContext, prior: &Value) -> Result<(), Diagnostics> {
        if prior.get("name").as_str() == Some("forget") {
            return Err(Diagnostic::warning("kept remotely", "only forgotten").into());
        }
        let id = prior.get("id").as_str().unwrap_or_default();
        match self.remote.0.lock().unwrap().remove(id) {
            Some(_) => Ok(()),
            None => Err(Diagnostic::error("delete failed", "no such object").into()),
        }
    }

    async fn import(&self, _ctx: &ResourceContext, id: &str) -> Result<Value, Diagnostics> {
        Ok(Value::object(
            [("id".to_string(), Value::string(id))].into(),
        ))
    }
}

struct Lookup;

#[async_trait]
impl DataSource for Lookup {
    fn type_name(&self) -> &'static str {
        "test_lookup"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new("Lookup.")
                .attribute(Attribute::string("key").description("Key.").required())
                .attribute(Attribute::string("value").description("Value.").computed()),
        )
    }

    async fn read(&self, _ctx: &ResourceContext, config: &Value) -> Result<Value, Diagnostics> {
        let mut v = config.clone();
        v.set("value", Value::string("found"));
        Ok(v)
    }
}

struct TestProvider {
    remote: Arc<Remote>,
}

#[async_trait]
impl Provider for TestProvider {
    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new("Test provider.").attribute(
                Attribute::string("endpoint")
                    .description("Endpoint.")
                    .optional()
                    .validate(validators::url_with_scheme(&["https"])),
            ),
        )
    }

    async fn configure(&self, _config: &Value, _tf: &str) -> Result<ProviderData, Diagnostics> {
        Ok(Arc::new(String::from("p")))
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(Thing {
            remote: self.remote.clone(),
        })]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![Arc::new(Lookup)]
    }
}

fn server() -> ProviderServer<TestProvider> {
    ProviderServer::new(TestProvider {
        remote: Arc::new(Remote::default()),
    })
}

async fn configured() -> ProviderServer<TestProvider> {
    let s = server();
    let cfg = Value::object([("endpoint".to_string(), Value::Null)].into());
    let resp = s
        .configure(Request::new(tfplugin5::configure::Request {
            terraform_version: "1.11.4".into(),
            config: Some(encode_dynamic_value(&cfg, &s.provider_type).unwrap()),
            client_capabilities: None,
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty());
    s
}

fn thing_type(s: &ProviderServer<TestProvider>) -> Type {
    s.resources["test_thing"].ty.clone()
}

fn dv(s: &ProviderServer<TestProvider>, v: &Value) -> Option<tfplugin5::DynamicValue> {
    Some(encode_dynamic_value(v, &thing_type(s)).unwrap())
}

fn value(s: &ProviderServer<TestProvider>, dv: &Option<tfplugin5::DynamicValue>) -> Value {
    decode_msgpack(&dv.as_ref().unwrap().msgpack, &thing_type(s)).unwrap()
}

fn thing(id: Option<&str>, name: &str, size: Option<&str>, timeouts: Value) -> Value {
    Value::object(
        [
            (
                "id".to_string(),
                Value::string_or_null(id.map(str::to_string)),
            ),
            ("name".to_string(), Value::string(name)),
            (
                "size".to_string(),
                Value::string_or_null(size.map(str::to_string)),
            ),
            ("secret".to_string(), Value::string("pw")),
            ("timeouts".to_string(), timeouts),
        ]
        .into(),
    )
}

fn summaries(d: &[tfplugin5::Diagnostic]) -> Vec<String> {
    d.iter().map(|d| d.summary.clone()).collect()
}

/// What Terraform plans when creating `cfg`: the id unknown, the write-only secret null.
fn planned_create(cfg: &Value) -> Value {
    let mut planned = cfg.clone();
    planned.set("id", Value::unknown());
    planned.set("secret", Value::Null);
    planned
}

async fn validate(
    s: &ProviderServer<TestProvider>,
    config: Option<tfplugin5::DynamicValue>,
) -> tfplugin5::validate_resource_type_config::Response {
    s.validate_resource_type_config(Request::new(
        tfplugin5::validate_resource_type_config::Request {
            type_name: "test_thing".into(),
            config,
            client_capabilities: None,
        },
    ))
    .await
    .unwrap()
    .into_inner()
}

async fn plan(
    s: &ProviderServer<TestProvider>,
    prior: &Value,
    proposed: &Value,
    config: &Value,
    prior_private: &[u8],
) -> tfplugin5::plan_resource_change::Response {
    s.plan_resource_change(Request::new(tfplugin5::plan_resource_change::Request {
        type_name: "test_thing".into(),
        prior_state: dv(s, prior),
        proposed_new_state: dv(s, proposed),
        config: dv(s, config),
        prior_private: prior_private.to_vec(),
        ..Default::default()
    }))
    .await
    .unwrap()
    .into_inner()
}

async fn apply(
    s: &ProviderServer<TestProvider>,
    prior: &Value,
    planned: &Value,
    config: &Value,
) -> tfplugin5::apply_resource_change::Response {
    s.apply_resource_change(Request::new(tfplugin5::apply_resource_change::Request {
        type_name: "test_thing".into(),
        prior_state: dv(s, prior),
        planned_state: dv(s, planned),
        config: dv(s, config),
        planned_private: b"pp".to_vec(),
        provider_meta: None,
    }))
    .await
    .unwrap()
    .into_inner()
}

async fn upgrade(
    s: &ProviderServer<TestProvider>,
    version: i64,
    raw_state: tfplugin5::RawState,
) -> tfplugin5::upgrade_resource_state::Response {
    s.upgrade_resource_state(Request::new(tfplugin5::upgrade_resource_state::Request {
        type_name: "test_thing".into(),
        version,
        raw_state: Some(raw_state),
    }))
    .await
    .unwrap()
    .into_inner()
}

/// Stored state as Terraform 0.12 and later write it.
fn json_state(json: &[u8]) -> tfplugin5::RawState {
    tfplugin5::RawState {
        json: json.to_vec(),
        flatmap: Default::default(),
    }
}

#[tokio::test]
async fn schema_lists_everything_with_capabilities() {
    let s = server();
    let resp = s
        .get_schema(Request::new(tfplugin5::get_provider_schema::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert!(resp.provider.is_some());
    let thing = &resp.resource_schemas["test_thing"];
    assert_eq!(thing.version, 1);
    let names: Vec<_> = thing
        .block
        .as_ref()
        .unwrap()
        .attributes
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["id", "name", "size", "secret"]);
    assert!(resp.data_source_schemas.contains_key("test_lookup"));
    let caps = resp.server_capabilities.unwrap();
    assert!(caps.plan_destroy && caps.get_provider_schema_optional);
    let meta = s
        .get_metadata(Request::new(tfplugin5::get_metadata::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(meta.resources[0].type_name, "test_thing");
    assert_eq!(meta.data_sources[0].type_name, "test_lookup");
}

#[tokio::test]
async fn validate_reports_paths_inside_nested_blocks() {
    let s = server();
    let timeouts = Value::object([("create".to_string(), Value::string("soon"))].into());
    let cfg = thing(None, "", Some("huge"), timeouts);
    let resp = validate(&s, dv(&s, &cfg)).await;
    let paths: Vec<String> = resp
        .diagnostics
        .iter()
        .map(|d| AttributePath::from_proto(d.attribute.as_ref().unwrap()).to_string())
        .collect();
    assert_eq!(paths, ["name", "timeouts.create"]);
    // Unknown values are not validated; resource checks still run.
    let mut cfg = thing(None, "tiny", Some("huge"), Value::Null);
    cfg.set("secret", Value::unknown());
    let resp = validate(&s, dv(&s, &cfg)).await;
    assert_eq!(summaries(&resp.diagnostics), ["Conflict"]);
    // Provider config validators run in PrepareProviderConfig.
    let pcfg = Value::object([("endpoint".to_string(), Value::string("http://x"))].into());
    let resp = s
        .prepare_provider_config(Request::new(tfplugin5::prepare_provider_config::Request {
            config: Some(encode_dynamic_value(&pcfg, &s.provider_type).unwrap()),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resp.diagnostics.len(), 1);
    assert!(resp.prepared_config.is_some());
}

#[tokio::test]
async fn unknown_type_is_a_diagnostic() {
    let s = server();
    let resp = s
        .read_resource(Request::new(tfplugin5::read_resource::Request {
            type_name: "nope".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(summaries(&resp.diagnostics), ["Unknown resource type"]);
}

#[tokio::test]
async fn every_undecodable_value_and_unknown_kind_is_reported() {
    let s = configured().await;
    let garbage = Some(tfplugin5::DynamicValue {
        msgpack: vec![0x85, 0x01],
        json: vec![],
    });
    let cfg = thing(None, "a", None, Value::Null);
    let resp = s
        .plan_resource_change(Request::new(tfplugin5::plan_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: garbage.clone(),
            proposed_new_state: dv(&s, &cfg),
            config: garbage,
            prior_private: b"priv".to_vec(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        summaries(&resp.diagnostics),
        ["Invalid prior state", "Invalid configuration"]
    );
    assert!(resp.planned_state.is_none());
    assert_eq!(resp.planned_private, b"priv");
    let resp = s
        .validate_data_source_config(Request::new(
            tfplugin5::validate_data_source_config::Request {
                type_name: "nope".into(),
                config: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(summaries(&resp.diagnostics), ["Unknown data source type"]);
    assert!(resp.diagnostics[0]
        .detail
        .contains("no data source type named \"nope\""));
}

#[tokio::test]
async fn plan_create_marks_computed_unknown_and_nulls_write_only() {
    let s = configured().await;
    let cfg = thing(None, "a", None, Value::Null);
    let resp = plan(&s, &Value::Null, &cfg, &cfg, b"priv").await;
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let planned = value(&s, &resp.planned_state);
    assert!(planned.get("id").is_unknown());
    assert!(planned.get("secret").is_null());
    assert_eq!(planned.get("name").as_str(), Some("a"));
    assert_eq!(resp.planned_private, b"priv");
    assert!(resp.requires_replace.is_empty());
}

#[tokio::test]
async fn plan_update_with_replace_returns_paths() {
    let s = configured().await;
    let prior = thing(Some("p-a"), "a", None, Value::Null);
    let mut prior_stored = prior.clone();
    prior_stored.set("secret", Value::Null);
    let cfg = thing(None, "b", None, Value::Null);
    let mut proposed = cfg.clone();
    proposed.set("id", Value::string("p-a"));
    let resp = plan(&s, &prior_stored, &proposed, &cfg, b"").await;
    assert_eq!(resp.requires_replace.len(), 1);
    assert_eq!(
        AttributePath::from_proto(&resp.requires_replace[0]).to_string(),
        "name"
    );
    assert!(value(&s, &resp.planned_state).get("id").is_unknown());
}

#[tokio::test]
async fn apply_create_read_delete_and_read_gone() {
    let s = configured().await;
    let cfg = thing(None, "a", Some("m"), Value::Null);
    let resp = apply(&s, &Value::Null, &planned_create(&cfg), &cfg).await;
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let state = value(&s, &resp.new_state);
    assert_eq!(state.get("id").as_str(), Some("p-a"));
    assert!(state.get("secret").is_null(), "write-only never stored");
    assert_eq!(resp.private, b"pp");

    let read = |st: Value| {
        let s = &s;
        async move {
            s.read_resource(Request::new(tfplugin5::read_resource::Request {
                type_name: "test_thing".into(),
                current_state: dv(s, &st),
                private: b"kept".to_vec(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner()
        }
    };
    let r = read(state.clone()).await;
    assert_eq!(value(&s, &r.new_state).get("id").as_str(), Some("p-a"));
    assert_eq!(r.private, b"kept");

    let del = apply(&s, &state, &Value::Null, &Value::Null).await;
    assert!(del.diagnostics.is_empty());
    assert_eq!(value(&s, &del.new_state), Value::Null);
    let r = read(state.clone()).await;
    assert_eq!(
        r.new_state.as_ref().unwrap().msgpack,
        vec![0xc0],
        "gone → null"
    );

    // A failed delete keeps the object in state.
    let del = apply(&s, &state, &Value::Null, &Value::Null).await;
    assert_eq!(summaries(&del.diagnostics), ["delete failed"]);
    assert_eq!(value(&s, &del.new_state).get("id").as_str(), Some("p-a"));
}

#[tokio::test]
async fn a_delete_with_only_warnings_removes_the_object_and_warns() {
    let s = configured().await;
    let cfg = thing(None, "forget", None, Value::Null);
    let created = apply(&s, &Value::Null, &planned_create(&cfg), &cfg).await;
    let state = value(&s, &created.new_state);
    let del = apply(&s, &state, &Value::Null, &Value::Null).await;
    assert_eq!(summaries(&del.diagnostics), ["kept remotely"]);
    assert_eq!(value(&s, &del.new_state), Value::Null);
}

#[tokio::test]
async fn apply_detects_inconsistent_result() {
    let s = configured().await;
    let cfg = thing(None, "bad", Some("m"), Value::Null);
    let resp = apply(&s, &Value::Null, &planned_create(&cfg), &cfg).await;
    assert_eq!(
        summaries(&resp.diagnostics),
        ["Provider produced inconsistent result after apply"]
    );
    let d = &resp.diagnostics[0];
    assert!(d.detail.contains("size"), "{}", d.detail);
    assert_eq!(
        AttributePath::from_proto(d.attribute.as_ref().unwrap()).to_string(),
        "size"
    );
}

#[tokio::test]
async fn apply_error_returns_partial_state() {
    let s = configured().await;
    let cfg = thing(None, "partial", None, Value::Null);
    let resp = apply(&s, &Value::Null, &planned_create(&cfg), &cfg).await;
    assert_eq!(summaries(&resp.diagnostics), ["not ready"]);
    let state = value(&s, &resp.new_state);
    assert_eq!(state.get("id").as_str(), Some("p-partial"));
    assert!(state.get("secret").is_null());
}

#[tokio::test]
async fn apply_without_configure_explains() {
    let s = server();
    let cfg = thing(None, "a", None, Value::Null);
    let mut planned = cfg.clone();
    planned.set("id", Value::unknown());
    let resp = apply(&s, &Value::Null, &planned, &cfg).await;
    assert_eq!(summaries(&resp.diagnostics), ["provider not configured"]);
    assert_eq!(value(&s, &resp.new_state), Value::Null);
}

#[tokio::test]
async fn import_returns_one_resource() {
    let s = configured().await;
    let resp = s
        .import_resource_state(Request::new(tfplugin5::import_resource_state::Request {
            type_name: "test_thing".into(),
            id: "p-x".into(),
            client_capabilities: None,
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty());
    assert_eq!(resp.imported_resources.len(), 1);
    let r = &resp.imported_resources[0];
    assert_eq!(r.type_name, "test_thing");
    let v = value(&s, &r.state);
    assert_eq!(v.get("id").as_str(), Some("p-x"));
    assert!(v.get("name").is_null());
}

#[tokio::test]
async fn upgrade_from_json_drops_removed_attributes() {
    let s = server();
    let raw = br#"{"id":"p-a","name":"a","legacy_field":true,"secret":"leaked","timeouts":{"create":"5m"}}"#;
    let resp = upgrade(&s, 1, json_state(raw)).await;
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let v = value(&s, &resp.upgraded_state);
    assert_eq!(v.get("id").as_str(), Some("p-a"));
    assert!(v.get("size").is_null());
    assert!(v.get("secret").is_null());
    assert_eq!(v.get("timeouts").get("create").as_str(), Some("5m"));
    // Flatmap and newer versions are errors, but upgraded_state is always set.
    let flatmap = tfplugin5::RawState {
        json: vec![],
        flatmap: [("id".into(), "x".into())].into(),
    };
    let resp = upgrade(&s, 0, flatmap).await;
    assert_eq!(summaries(&resp.diagnostics), ["Unsupported legacy state"]);
    assert!(resp.upgraded_state.is_some());
    let resp = upgrade(&s, 7, json_state(raw)).await;
    assert_eq!(
        summaries(&resp.diagnostics),
        ["Resource state from a newer provider"]
    );
}

#[tokio::test]
async fn data_source_read_and_stop() {
    let s = configured().await;
    let ty = s.data_sources["test_lookup"].ty.clone();
    let cfg = Value::object(
        [
            ("key".to_string(), Value::string("k")),
            ("value".to_string(), Value::Null),
        ]
        .into(),
    );
    let resp = s
        .read_data_source(Request::new(tfplugin5::read_data_source::Request {
            type_name: "test_lookup".into(),
            config: Some(encode_dynamic_value(&cfg, &ty).unwrap()),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let v = decode_msgpack(&resp.state.unwrap().msgpack, &ty).unwrap();
    assert_eq!(v.get("value").as_str(), Some("found"));

    let token = s.context().cancelled();
    assert!(!token.is_cancelled());
    s.stop(Request::new(tfplugin5::stop::Request {}))
        .await
        .unwrap();
    assert!(token.is_cancelled());
}

#[tokio::test]
async fn unsupported_rpcs_answer_with_diagnostics() {
    let s = server();
    let m = s
        .move_resource_state(Request::new(
            tfplugin5::move_resource_state::Request::default(),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(m.diagnostics.len(), 1);
    let f = s
        .call_function(Request::new(tfplugin5::call_function::Request {
            name: "f".into(),
            arguments: vec![],
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(f.error.is_some());
    let g = s
        .get_functions(Request::new(tfplugin5::get_functions::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert!(g.functions.is_empty());
    let e = s
        .open_ephemeral_resource(Request::new(
            tfplugin5::open_ephemeral_resource::Request::default(),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(e.diagnostics.len(), 1);
    // Garbage input is a diagnostic, not a panic.
    let garbage = tfplugin5::DynamicValue {
        msgpack: vec![0x85, 0x01],
        json: vec![],
    };
    let resp = validate(&s, Some(garbage)).await;
    assert_eq!(summaries(&resp.diagnostics), ["Invalid configuration"]);
}

#[test]
fn validator_diagnostics_never_repeat_a_sensitive_value() {
    let block = Block::new("b")
        .attribute(
            Attribute::string("password")
                .optional()
                .sensitive()
                .description("secret")
                .validate(validators::regex_matches(
                    "^[a-z]+$",
                    "lowercase letters only",
                )),
        )
        .attribute(
            Attribute::string("name")
                .optional()
                .description("public")
                .validate(validators::regex_matches(
                    "^[a-z]+$",
                    "lowercase letters only",
                )),
        );
    let value = Value::object(
        [
            ("password".to_string(), Value::string("Hunter2!")),
            ("name".to_string(), Value::string("Bob")),
        ]
        .into(),
    );
    let mut diags = Diagnostics::new();
    validate_block(&block, &value, &AttributePath::root(), &mut diags);
    let texts: Vec<String> = diags
        .iter()
        .map(|d| format!("{} {}", d.summary, d.detail))
        .collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(texts.iter().all(|t| !t.contains("Hunter2!")), "{texts:?}");
    assert!(
        texts
            .iter()
            .any(|t| t.contains("not shown") && t.contains("lowercase letters only")),
        "{texts:?}"
    );
    // A non-sensitive value is still quoted, which helps the user.
    assert!(texts.iter().any(|t| t.contains("\"Bob\"")), "{texts:?}");
}
