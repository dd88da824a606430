//! A typed resource driven through the gRPC service: the plan pipeline, private state, state
//! upgraders and the validation that keeps a replacement from destroying what it cannot recreate.

use std::sync::Mutex;

use async_trait::async_trait;

use super::*;
use crate::framework::codec::{decode_msgpack, encode_dynamic_value};
use crate::framework::model::{Model, Tf};
use crate::framework::resource::ApplyError;
use crate::framework::typed::{
    typed, typed_data_source, CreatePlan, CreateRequest, DeleteRequest, ReadRequest,
    TypedDataSource, TypedResource, UpdateRequest,
};

/// A toy version rule: `1.5.5` and `1.5.5-0` name the same release.
fn same_release(a: &str, b: &str) -> bool {
    a.trim_end_matches("-0") == b.trim_end_matches("-0")
}

crate::tf_model! {
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Settings {
        pub mode: Tf<String> => |a| a.optional().description("Mode."),
        pub checksum: Tf<String> => |a| a.computed().description("Checksum."),
    }
}

crate::tf_model! {
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct BoxModel {
        pub id: Tf<String> => |a| a.computed().use_state_for_unknown().description("Id."),
        pub name: Tf<String> => |a| a.required().description("Name."),
        pub version: Tf<String> => |a| a
            .optional()
            .computed()
            .use_state_for_unknown()
            .semantic_equality(same_release)
            .description("Version."),
        pub size: Tf<String> => |a| a.optional().requires_replace().description("Size."),
        pub token: Tf<String> => |a| a.required().sensitive().write_only().description("Token."),
        pub url: Tf<String> => |a| a.computed().description("URL."),
        pub settings: Tf<Settings> => block |b| b.description("Settings."),
    }
}

/// Boxes by id; the API spells versions with a `-0` build suffix.
#[derive(Default)]
struct Boxes {
    store: Mutex<BTreeMap<String, BoxModel>>,
}

impl Boxes {
    fn stored(&self, planned: BoxModel) -> BoxModel {
        let name = planned.name.as_str().unwrap_or_default().to_string();
        let version = match planned.version.as_str() {
            Some(v) if !v.ends_with("-0") => format!("{v}-0"),
            Some(v) => v.to_string(),
            None => "1.0.0-0".to_string(),
        };
        BoxModel {
            id: Tf::Known(format!("b-{name}")),
            version: version.into(),
            url: Tf::Known(format!("https://{name}")),
            token: Tf::Null,
            settings: planned.settings.clone().map(|s| Settings {
                checksum: "c0ffee".into(),
                ..s
            }),
            ..planned
        }
    }
}

#[async_trait]
impl TypedResource for Boxes {
    type Model = BoxModel;

    fn type_name(&self) -> &'static str {
        "test_box"
    }

    fn description(&self) -> String {
        "A box.".into()
    }

    fn schema_version(&self) -> i64 {
        2
    }

    fn validate_create(&self, plan: &CreatePlan<'_, BoxModel>, diags: &mut Diagnostics) {
        plan.require(
            crate::attr!(BoxModel, token),
            &plan.config.token,
            "create the box",
            diags,
        );
    }

    async fn create(
        &self,
        _ctx: &ResourceContext,
        req: CreateRequest<'_, BoxModel>,
    ) -> Result<BoxModel, ApplyError<BoxModel>> {
        let state = self.stored(req.planned);
        if state.name.as_str() == Some("lost") {
            // The answer never came: record that the create is unconfirmed.
            req.private.set("create_unconfirmed", true);
            return Err(ApplyError::partial(
                Diagnostic::error("create not confirmed", "the answer was lost"),
                BoxModel {
                    id: state.id,
                    name: state.name,
                    ..BoxModel::default()
                },
            ));
        }
        let id = state.id.as_str().unwrap_or_default().to_string();
        self.store.lock().unwrap().insert(id, state.clone());
        Ok(state)
    }

    async fn read(
        &self,
        _ctx: &ResourceContext,
        req: ReadRequest<'_, BoxModel>,
    ) -> Result<Option<BoxModel>, Diagnostics> {
        let id = req.state.id.as_str().unwrap_or_default().to_string();
        let found = self.store.lock().unwrap().get(&id).cloned();
        if found.is_some() {
            req.private.remove("create_unconfirmed");
        }
        Ok(found)
    }

    async fn update(
        &self,
        _ctx: &ResourceContext,
        req: UpdateRequest<'_, BoxModel>,
    ) -> Result<BoxModel, ApplyError<BoxModel>> {
        let state = self.stored(req.planned);
        let id = state.id.as_str().unwrap_or_default().to_string();
        self.store.lock().unwrap().insert(id, state.clone());
        Ok(state)
    }

    async fn delete(
        &self,
        _ctx: &ResourceContext,
        req: DeleteRequest<'_, BoxModel>,
    ) -> Result<(), Diagnostics> {
        let id = req.prior.id.as_str().unwrap_or_default().to_string();
        if req.prior.size.as_str() == Some("kept") {
            // Gone from Terraform's view, but what was done instead is said.
            return Err(Diagnostic::warning("box kept", "archived instead").into());
        }
        if req.prior.size.as_str() == Some("stuck") {
            return Err(Diagnostic::error("box stuck", "still there").into());
        }
        self.store.lock().unwrap().remove(&id);
        Ok(())
    }

    /// v0 called `name` `title`; v1 had no `version` and kept it in `release`.
    fn upgrade_state(
        &self,
        from_version: i64,
        mut state: serde_json::Value,
    ) -> Result<serde_json::Value, Diagnostics> {
        let Some(obj) = state.as_object_mut() else {
            return Err(Diagnostic::error("bad state", "not an object").into());
        };
        match from_version {
            0 => {
                let title = obj.remove("title").unwrap_or_default();
                obj.insert("name".into(), title);
            }
            1 => {
                let release = obj.remove("release").unwrap_or_default();
                obj.insert("version".into(), release);
            }
            v => return Err(Diagnostic::error("no upgrader", format!("from {v}")).into()),
        }
        Ok(state)
    }
}

struct BoxProvider;

#[async_trait]
impl Provider for BoxProvider {
    fn schema(&self) -> Schema {
        Schema::new(0, Block::new("Box provider."))
    }

    async fn configure(&self, _config: &Value, _tf: &str) -> Result<ProviderData, Diagnostics> {
        Ok(Arc::new(()))
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![typed(Boxes::default())]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![typed_data_source(BoxLookup)]
    }
}

crate::tf_model! {
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct BoxLookupModel {
        pub name: Tf<String> => |a| a.required().description("Name."),
        pub url: Tf<String> => |a| a.computed().description("URL."),
    }
}

/// Finds a box's URL by name; the name `forbidden` is refused at validate.
struct BoxLookup;

#[async_trait]
impl TypedDataSource for BoxLookup {
    type Model = BoxLookupModel;

    fn type_name(&self) -> &'static str {
        "test_box_lookup"
    }

    fn description(&self) -> String {
        "Looks a box up.".into()
    }

    fn validate_config(&self, config: &BoxLookupModel, diags: &mut Diagnostics) {
        if config.name.as_str() == Some("forbidden") {
            diags.attribute_error(crate::attr!(BoxLookupModel, name), "Bad name", "no");
        }
    }

    async fn read(
        &self,
        _ctx: &ResourceContext,
        config: BoxLookupModel,
    ) -> Result<BoxLookupModel, Diagnostics> {
        let url = format!("https://boxes/{}", config.name.as_str().unwrap_or_default());
        Ok(BoxLookupModel {
            url: Tf::Known(url),
            ..config
        })
    }
}

fn box_type() -> Type {
    BoxModel::block().implied_type()
}

fn dv(m: &BoxModel) -> Option<tfplugin5::DynamicValue> {
    dv_value(&m.to_value())
}

fn dv_value(v: &Value) -> Option<tfplugin5::DynamicValue> {
    Some(encode_dynamic_value(v, &box_type()).unwrap())
}

fn model(dv: &Option<tfplugin5::DynamicValue>) -> BoxModel {
    let v = decode_msgpack(&dv.as_ref().unwrap().msgpack, &box_type()).unwrap();
    BoxModel::from_value(&v).unwrap()
}

fn config(name: &str, version: Option<&str>, size: &str, token: Tf<String>) -> BoxModel {
    BoxModel {
        name: name.into(),
        version: Tf::from_option(version.map(str::to_string)),
        size: size.into(),
        token,
        ..BoxModel::default()
    }
}

/// Terraform's proposal: the configuration, with prior values where it leaves computed ones null.
fn proposed(prior: &BoxModel, config: &BoxModel) -> BoxModel {
    BoxModel {
        id: prior.id.clone(),
        version: config.version.clone().or_known(prior.version.clone()),
        url: prior.url.clone(),
        ..config.clone()
    }
}

async fn validate(s: &ProviderServer<BoxProvider>, v: &Value) -> Vec<tfplugin5::Diagnostic> {
    s.validate_resource_type_config(Request::new(
        tfplugin5::validate_resource_type_config::Request {
            type_name: "test_box".into(),
            config: dv_value(v),
            client_capabilities: None,
        },
    ))
    .await
    .unwrap()
    .into_inner()
    .diagnostics
}

async fn plan(
    s: &ProviderServer<BoxProvider>,
    prior: Option<&BoxModel>,
    config: &BoxModel,
) -> tfplugin5::plan_resource_change::Response {
    let proposed = prior.map_or_else(|| config.clone(), |p| proposed(p, config));
    s.plan_resource_change(Request::new(tfplugin5::plan_resource_change::Request {
        type_name: "test_box".into(),
        prior_state: prior.map_or_else(|| dv_value(&Value::Null), dv),
        proposed_new_state: dv(&proposed),
        config: dv(config),
        ..Default::default()
    }))
    .await
    .unwrap()
    .into_inner()
}

async fn apply(
    s: &ProviderServer<BoxProvider>,
    prior: Option<&BoxModel>,
    planned: &Option<tfplugin5::DynamicValue>,
    config: &BoxModel,
) -> tfplugin5::apply_resource_change::Response {
    s.apply_resource_change(Request::new(tfplugin5::apply_resource_change::Request {
        type_name: "test_box".into(),
        prior_state: prior.map_or_else(|| dv_value(&Value::Null), dv),
        planned_state: planned.clone(),
        config: dv(config),
        planned_private: Vec::new(),
        provider_meta: None,
    }))
    .await
    .unwrap()
    .into_inner()
}

async fn read(
    s: &ProviderServer<BoxProvider>,
    state: &BoxModel,
    private: &[u8],
) -> tfplugin5::read_resource::Response {
    s.read_resource(Request::new(tfplugin5::read_resource::Request {
        type_name: "test_box".into(),
        current_state: dv(state),
        private: private.to_vec(),
        ..Default::default()
    }))
    .await
    .unwrap()
    .into_inner()
}

fn errors(d: &[tfplugin5::Diagnostic]) -> Vec<(String, String)> {
    d.iter()
        .map(|d| {
            let path = d
                .attribute
                .as_ref()
                .map(|p| AttributePath::from_proto(p).to_string())
                .unwrap_or_default();
            (d.summary.clone(), path)
        })
        .collect()
}

/// Creates `b-a` with version `1.5.5` configured; returns the state and the config.
async fn created(s: &ProviderServer<BoxProvider>) -> (BoxModel, BoxModel) {
    let cfg = config("a", Some("1.5.5"), "s", "t0ken".into());
    let p = plan(s, None, &cfg).await;
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    let a = apply(s, None, &p.planned_state, &cfg).await;
    assert!(a.diagnostics.is_empty(), "{:?}", a.diagnostics);
    (model(&a.new_state), cfg)
}

#[tokio::test]
async fn apply_and_read_keep_the_spelling_terraform_holds() {
    let s = ProviderServer::new(BoxProvider);
    let (state, cfg) = created(&s).await;
    // The API answered 1.5.5-0; the planned 1.5.5 stands, so Terraform sees no inconsistency.
    assert_eq!(state.version.as_str(), Some("1.5.5"));
    assert_eq!(state.url.as_str(), Some("https://a"));
    assert!(state.token.is_null(), "write-only never stored");
    let r = read(&s, &state, b"").await;
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    assert_eq!(model(&r.new_state), state, "no drift from a respelling");
    // The next plan is a no-op, and so is one that respells the version.
    for version in ["1.5.5", "1.5.5-0"] {
        let cfg = BoxModel {
            version: version.into(),
            ..cfg.clone()
        };
        let p = plan(&s, Some(&state), &cfg).await;
        assert!(p.requires_replace.is_empty());
        assert_eq!(model(&p.planned_state), state, "{version}");
    }
}

#[tokio::test]
async fn a_real_change_updates_and_a_replacing_one_unknowns_computed() {
    let s = ProviderServer::new(BoxProvider);
    let (state, cfg) = created(&s).await;
    let upgrade = BoxModel {
        version: "1.6.0".into(),
        ..cfg.clone()
    };
    let p = plan(&s, Some(&state), &upgrade).await;
    assert!(p.requires_replace.is_empty());
    let planned = model(&p.planned_state);
    assert_eq!(planned.version.as_str(), Some("1.6.0"));
    assert!(
        planned.url.is_unknown(),
        "computed without use_state changes"
    );
    assert_eq!(planned.id, state.id);

    let bigger = BoxModel {
        size: "l".into(),
        ..cfg.clone()
    };
    let p = plan(&s, Some(&state), &bigger).await;
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    assert_eq!(p.requires_replace.len(), 1);
    let planned = model(&p.planned_state);
    assert!(planned.id.is_unknown() && planned.url.is_unknown());
}

#[tokio::test]
async fn a_delete_with_warnings_only_removes_the_object_and_shows_them() {
    let s = ProviderServer::new(BoxProvider);
    for (size, gone, summary) in [("kept", true, "box kept"), ("stuck", false, "box stuck")] {
        let cfg = config("d", None, size, "t0ken".into());
        let p = plan(&s, None, &cfg).await;
        let state = model(&apply(&s, None, &p.planned_state, &cfg).await.new_state);
        let a = apply(&s, Some(&state), &dv_value(&Value::Null), &cfg).await;
        assert_eq!(errors(&a.diagnostics)[0].0, summary);
        let new_state = decode_msgpack(&a.new_state.unwrap().msgpack, &box_type()).unwrap();
        assert_eq!(new_state.is_null(), gone, "{size}");
    }
}

#[tokio::test]
async fn an_unconfirmed_create_is_recorded_in_private_state() {
    let s = ProviderServer::new(BoxProvider);
    let cfg = config("lost", None, "s", "t0ken".into());
    let p = plan(&s, None, &cfg).await;
    let a = apply(&s, None, &p.planned_state, &cfg).await;
    assert_eq!(errors(&a.diagnostics)[0].0, "create not confirmed");
    let partial = model(&a.new_state);
    assert_eq!(partial.id.as_str(), Some("b-lost"));
    let private = Private::from_bytes(&a.private);
    assert_eq!(private.get::<bool>("create_unconfirmed"), Some(true));
    // Still not there: the mark stays, bytes unchanged.
    let r = read(&s, &partial, &a.private).await;
    assert_eq!(r.private, a.private);
    // Foreign private bytes pass through untouched when the resource does not change them.
    let r = read(&s, &partial, b"\x01opaque").await;
    assert_eq!(r.private, b"\x01opaque");
}

#[tokio::test]
async fn validate_refuses_null_required_and_configured_read_only_attributes() {
    let s = ProviderServer::new(BoxProvider);
    let good = config("a", None, "s", "t0ken".into());
    assert!(validate(&s, &good.to_value()).await.is_empty());
    // An unknown write-only value is fine at validate.
    let unknown = config("a", None, "s", Tf::Unknown);
    assert!(validate(&s, &unknown.to_value()).await.is_empty());

    let null_token = config("a", None, "s", Tf::Null);
    let d = validate(&s, &null_token.to_value()).await;
    assert_eq!(
        errors(&d),
        [(
            "Missing Configuration for Required Attribute".to_string(),
            "token".to_string()
        )]
    );
    assert!(d[0].detail.contains("null"), "{}", d[0].detail);

    let read_only = BoxModel {
        id: "myid".into(),
        url: Tf::Unknown,
        settings: Tf::Known(Settings {
            mode: "fast".into(),
            checksum: "forged".into(),
        }),
        ..good
    };
    let d = validate(&s, &read_only.to_value()).await;
    assert_eq!(
        errors(&d),
        [
            (
                "Invalid Configuration for Read-Only Attribute".to_string(),
                "id".to_string()
            ),
            (
                "Invalid Configuration for Read-Only Attribute".to_string(),
                "url".to_string()
            ),
            (
                "Invalid Configuration for Read-Only Attribute".to_string(),
                "settings.checksum".to_string()
            ),
        ]
    );
}

#[tokio::test]
async fn a_replacement_that_could_not_create_stops_at_plan() {
    let s = ProviderServer::new(BoxProvider);
    let (state, cfg) = created(&s).await;
    // As after an import with generated configuration: the token is null.
    let imported = BoxModel {
        token: Tf::Null,
        ..cfg.clone()
    };
    let p = plan(&s, Some(&state), &imported).await;
    assert!(
        p.diagnostics.is_empty(),
        "an update needs no token: {:?}",
        p.diagnostics
    );
    let replace = BoxModel {
        size: "l".into(),
        ..imported
    };
    let p = plan(&s, Some(&state), &replace).await;
    let d = errors(&p.diagnostics);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].1, "token");
    assert!(p.diagnostics[0].detail.contains("is null"));
    assert!(!p.diagnostics[0].detail.contains("not known"));

    let unknown = BoxModel {
        size: "l".into(),
        token: Tf::Unknown,
        ..cfg.clone()
    };
    let p = plan(&s, Some(&state), &unknown).await;
    assert!(p.diagnostics[0].detail.contains("not known until apply"));
    // A create with a token unknown until apply is fine.
    let fresh = config("b", None, "s", Tf::Unknown);
    let p = plan(&s, None, &fresh).await;
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    let fresh = config("b", None, "s", Tf::Null);
    let p = plan(&s, None, &fresh).await;
    assert_eq!(errors(&p.diagnostics)[0].1, "token");
}

#[tokio::test]
async fn state_upgrades_one_version_at_a_time() {
    let s = ProviderServer::new(BoxProvider);
    let upgrade = |version: i64, json: &'static str| {
        let s = &s;
        async move {
            s.upgrade_resource_state(Request::new(tfplugin5::upgrade_resource_state::Request {
                type_name: "test_box".into(),
                version,
                raw_state: Some(tfplugin5::RawState {
                    json: json.as_bytes().to_vec(),
                    flatmap: Default::default(),
                }),
            }))
            .await
            .unwrap()
            .into_inner()
        }
    };
    let r = upgrade(0, r#"{"id":"b-a","title":"a","release":"1.4.0"}"#).await;
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let m = model(&r.upgraded_state);
    assert_eq!(
        (m.id.as_str(), m.name.as_str(), m.version.as_str()),
        (Some("b-a"), Some("a"), Some("1.4.0"))
    );
    let r = upgrade(1, r#"{"id":"b-a","name":"a","release":"1.4.1"}"#).await;
    assert_eq!(model(&r.upgraded_state).version.as_str(), Some("1.4.1"));
    let r = upgrade(2, r#"{"id":"b-a","name":"a","version":"2"}"#).await;
    assert_eq!(model(&r.upgraded_state).version.as_str(), Some("2"));
    let r = upgrade(0, "[]").await;
    assert_eq!(errors(&r.diagnostics)[0].0, "bad state");
    let r = upgrade(0, "{nope").await;
    assert_eq!(errors(&r.diagnostics)[0].0, "Cannot read stored state");
}

#[tokio::test]
async fn a_typed_data_source_validates_at_attribute_paths_and_reads_its_model() {
    let s = ProviderServer::new(BoxProvider);
    let ty = BoxLookupModel::block().implied_type();
    let dv = |m: &BoxLookupModel| Some(encode_dynamic_value(&m.to_value(), &ty).unwrap());
    let validate = |m: BoxLookupModel| {
        let s = &s;
        let config = dv(&m);
        async move {
            s.validate_data_source_config(Request::new(
                tfplugin5::validate_data_source_config::Request {
                    type_name: "test_box_lookup".into(),
                    config,
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .diagnostics
        }
    };
    let named = |name: &str| BoxLookupModel {
        name: name.into(),
        url: Tf::Null,
    };
    assert!(validate(named("a")).await.is_empty());
    assert_eq!(
        errors(&validate(named("forbidden")).await),
        [("Bad name".to_string(), "name".to_string())]
    );
    let configured_url = BoxLookupModel {
        url: "https://mine".into(),
        ..named("a")
    };
    assert_eq!(
        errors(&validate(configured_url).await),
        [(
            "Invalid Configuration for Read-Only Attribute".to_string(),
            "url".to_string()
        )]
    );

    let resp = s
        .read_data_source(Request::new(tfplugin5::read_data_source::Request {
            type_name: "test_box_lookup".into(),
            config: dv(&named("a")),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let v = decode_msgpack(&resp.state.unwrap().msgpack, &ty).unwrap();
    let read = BoxLookupModel::from_value(&v).unwrap();
    assert_eq!(read.url.as_str(), Some("https://boxes/a"));
    assert_eq!(read.name.as_str(), Some("a"));
}
