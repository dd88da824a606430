use std::collections::BTreeMap;
use std::sync::Mutex;

use tokio_util::sync::CancellationToken;

use super::*;
use crate::framework::model::TfValue;

crate::tf_model! {
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct WidgetModel {
        pub id: Tf<String> => |a| a.computed().use_state_for_unknown().description("Id."),
        pub name: Tf<String> => |a| a.required().description("Name."),
        pub token: Tf<String> => |a| a.required().write_only().description("Token."),
        pub url: Tf<String> => |a| a.computed().description("URL."),
    }
}

/// Widgets by id, standing in for an API.
#[derive(Default)]
struct Widgets {
    store: Mutex<BTreeMap<String, WidgetModel>>,
}

#[async_trait]
impl TypedResource for Widgets {
    type Model = WidgetModel;

    fn type_name(&self) -> &'static str {
        "test_widget"
    }

    fn description(&self) -> String {
        "A widget.".into()
    }

    fn validate_config(&self, config: &WidgetModel, diags: &mut Diagnostics) {
        if config.name.as_str() == Some("forbidden") {
            diags.attribute_error(crate::attr!(WidgetModel, name), "Bad name", "no");
        }
    }

    fn validate_create(&self, plan: &CreatePlan<'_, WidgetModel>, diags: &mut Diagnostics) {
        plan.require(
            crate::attr!(WidgetModel, token),
            &plan.config.token,
            "create the widget",
            diags,
        );
    }

    async fn modify_plan(&self, _ctx: &ResourceContext, plan: ModelPlan<'_, WidgetModel>) {
        if plan.prior.is_none() {
            plan.planned.url = Tf::Known(format!(
                "https://{}",
                plan.config.name.as_str().unwrap_or_default()
            ));
            plan.private.set("planned_by", "modify_plan");
        }
    }

    async fn create(
        &self,
        _ctx: &ResourceContext,
        req: CreateRequest<'_, WidgetModel>,
    ) -> Result<WidgetModel, ApplyError<WidgetModel>> {
        let name = req.planned.name.as_str().unwrap_or_default().to_string();
        let mut state = req.planned;
        state.id = Tf::Known(format!("w-{name}"));
        req.private.set("create_unconfirmed", true);
        if name == "lost" {
            return Err(ApplyError::partial(
                Diagnostic::error("lost", "the answer was lost"),
                state,
            ));
        }
        req.private.remove("create_unconfirmed");
        self.store
            .lock()
            .unwrap()
            .insert(format!("w-{name}"), state.clone());
        Ok(state)
    }

    async fn read(
        &self,
        _ctx: &ResourceContext,
        req: ReadRequest<'_, WidgetModel>,
    ) -> Result<Option<WidgetModel>, Diagnostics> {
        req.private.remove("create_unconfirmed");
        let id = req.state.id.as_str().unwrap_or_default().to_string();
        Ok(self.store.lock().unwrap().get(&id).cloned())
    }

    async fn update(
        &self,
        _ctx: &ResourceContext,
        req: UpdateRequest<'_, WidgetModel>,
    ) -> Result<WidgetModel, ApplyError<WidgetModel>> {
        Ok(req.planned)
    }

    async fn delete(
        &self,
        _ctx: &ResourceContext,
        req: DeleteRequest<'_, WidgetModel>,
    ) -> Result<(), Diagnostics> {
        let id = req.prior.id.as_str().unwrap_or_default().to_string();
        self.store.lock().unwrap().remove(&id);
        Ok(())
    }

    async fn import(
        &self,
        _ctx: &ResourceContext,
        id: &str,
        private: &mut Private,
    ) -> Result<WidgetModel, Diagnostics> {
        private.set("imported", true);
        Ok(WidgetModel {
            id: id.into(),
            ..WidgetModel::default()
        })
    }
}

fn ctx() -> ResourceContext {
    ResourceContext::new(None, CancellationToken::new())
}

fn widget(name: &str, token: Tf<String>) -> WidgetModel {
    WidgetModel {
        id: Tf::Unknown,
        name: name.into(),
        token,
        url: Tf::Unknown,
    }
}

#[tokio::test]
async fn crud_receives_and_returns_models() {
    let r = TypedAdapter(Widgets::default());
    let schema = Resource::schema(&r);
    schema.check();
    assert_eq!(schema.block.description, "A widget.");
    assert_eq!(schema.block.attributes.len(), 4);

    let config = widget("a", "t0ken".into()).to_value();
    let mut planned = WidgetModel {
        token: Tf::Null,
        ..widget("a", Tf::Null)
    }
    .to_value();
    let c = ctx();
    let mut rr = Vec::new();
    let mut diags = Diagnostics::new();
    Resource::modify_plan(
        &r,
        &c,
        PlanContext {
            prior: &Value::Null,
            config: &config,
            planned: &mut planned,
            requires_replace: &mut rr,
            diagnostics: &mut diags,
        },
    )
    .await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(planned.get("url").as_str(), Some("https://a"));
    assert!(
        planned.get("id").is_unknown(),
        "untouched fields keep the engine's plan"
    );
    assert_eq!(
        c.private().get::<String>("planned_by").as_deref(),
        Some("modify_plan")
    );

    let c = ctx();
    let state = Resource::create(&r, &c, &planned, &config).await.unwrap();
    assert_eq!(state.get("id").as_str(), Some("w-a"));
    assert!(c.private().is_empty());
    let read = Resource::read(&r, &ctx(), &state).await.unwrap().unwrap();
    assert_eq!(read, state);
    Resource::delete(&r, &ctx(), &state).await.unwrap();
    assert!(Resource::read(&r, &ctx(), &state).await.unwrap().is_none());

    let c = ctx();
    let imported = Resource::import(&r, &c, "w-x").await.unwrap();
    assert_eq!(imported.get("id").as_str(), Some("w-x"));
    assert!(imported.get("name").is_null());
    assert_eq!(c.private().get::<bool>("imported"), Some(true));
}

#[tokio::test]
async fn a_failed_create_keeps_its_partial_model_and_private_state() {
    let r = TypedAdapter(Widgets::default());
    let config = widget("lost", "t0ken".into()).to_value();
    let planned = widget("lost", Tf::Null).to_value();
    let c = ctx();
    let err = Resource::create(&r, &c, &planned, &config)
        .await
        .unwrap_err();
    assert!(err.diagnostics.has_errors());
    let partial = err.partial_state.unwrap();
    assert_eq!(partial.get("id").as_str(), Some("w-lost"));
    assert_eq!(c.private().get::<bool>("create_unconfirmed"), Some(true));
    // A later read that finds it clears the mark.
    let c = ctx().with_private(c.private());
    let _ = Resource::read(&r, &c, &partial).await.unwrap();
    assert!(c.private().is_empty());
}

#[test]
fn validation_hooks_see_models() {
    let r = TypedAdapter(Widgets::default());
    let mut diags = Diagnostics::new();
    Resource::validate_config(&r, &widget("forbidden", Tf::Unknown).to_value(), &mut diags);
    assert_eq!(diags.iter().next().unwrap().summary, "Bad name");

    let planned = widget("a", Tf::Null).to_value();
    let mut diags = Diagnostics::new();
    let null_token = widget("a", Tf::Null).to_value();
    Resource::validate_create(&r, &null_token, &planned, false, &mut diags);
    let d = diags.iter().next().unwrap();
    assert!(d.summary.contains("token is null"), "{}", d.summary);
    assert_eq!(d.attribute, Some(AttributePath::attribute("token")));

    // Unknown at plan is fine for a create, not for a replacement.
    let unknown_token = widget("a", Tf::Unknown).to_value();
    let mut diags = Diagnostics::new();
    Resource::validate_create(&r, &unknown_token, &planned, false, &mut diags);
    assert!(diags.is_empty());
    Resource::validate_create(&r, &unknown_token, &planned, true, &mut diags);
    let d = diags.iter().next().unwrap();
    assert!(d.detail.contains("not known until apply"), "{}", d.detail);
    assert!(!d.detail.contains("null"), "{}", d.detail);
}

#[tokio::test]
async fn values_that_do_not_fit_the_model_are_reported_at_their_path() {
    let r = TypedAdapter(Widgets::default());
    let mut bad = widget("a", Tf::Null).to_value();
    bad.set("name", Value::int(3));
    let err = Resource::read(&r, &ctx(), &bad).await.unwrap_err();
    let d = err.iter().next().unwrap();
    assert_eq!(d.summary, "Unexpected current state");
    assert_eq!(d.attribute, Some(AttributePath::attribute("name")));
    assert!(WidgetModel::from_tf(&bad, &AttributePath::root()).is_err());
}
