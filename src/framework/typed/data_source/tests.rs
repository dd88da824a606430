use std::collections::BTreeMap;

use tokio_util::sync::CancellationToken;

use super::*;
use crate::framework::diagnostics::Diagnostic;
use crate::framework::model::Tf;
use crate::framework::path::AttributePath;
use crate::framework::schema::Attribute;

crate::tf_model! {
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct ColourModel {
        pub id: Tf<String> => |a| a.optional().computed().description("Id."),
        pub name: Tf<String> => |a| a.optional().computed().description("Name."),
        pub hex: Tf<String> => |a| a.computed().description("Hex code."),
        pub shades: Tf<Vec<String>> => |a| a.computed().description("Shades."),
    }
}

/// Colours by id and by name, standing in for an API.
struct Colours(BTreeMap<&'static str, (&'static str, &'static str)>);

impl Colours {
    fn new() -> Self {
        Self(BTreeMap::from([
            ("c1", ("red", "#ff0000")),
            ("c2", ("green", "#00ff00")),
            ("c3", ("green", "#008000")),
        ]))
    }
}

#[async_trait]
impl TypedDataSource for Colours {
    type Model = ColourModel;

    fn type_name(&self) -> &'static str {
        "test_colour"
    }

    fn description(&self) -> String {
        "A colour.".into()
    }

    /// Exactly one of `id` and `name`; an unknown one cannot be judged yet.
    fn validate_config(&self, config: &ColourModel, diags: &mut Diagnostics) {
        if config.id.is_unknown() || config.name.is_unknown() {
            return;
        }
        match (config.id.is_null(), config.name.is_null()) {
            (false, false) => {
                diags.attribute_error(crate::attr!(ColourModel, name), "Both", "one only");
            }
            (true, true) => {
                diags.attribute_error(crate::attr!(ColourModel, id), "Neither", "one please");
            }
            _ => {}
        }
    }

    async fn read(
        &self,
        _ctx: &ResourceContext,
        config: ColourModel,
    ) -> Result<ColourModel, Diagnostics> {
        let found: Vec<_> = self
            .0
            .iter()
            .filter(|(id, (name, _))| {
                config.id.as_str() == Some(**id) || config.name.as_str() == Some(*name)
            })
            .collect();
        match found.as_slice() {
            [(id, (name, hex))] => Ok(ColourModel {
                id: Tf::Known((*id).to_string()),
                name: Tf::Known((*name).to_string()),
                hex: Tf::Known((*hex).to_string()),
                shades: Tf::Known(vec![format!("light {name}")]),
            }),
            [] => Err(Diagnostic::error("Not found", "no such colour")
                .at(crate::attr!(ColourModel, id))
                .into()),
            _ => Err(Diagnostic::error("Ambiguous", "several colours")
                .at(crate::attr!(ColourModel, name))
                .into()),
        }
    }
}

fn ctx() -> ResourceContext {
    ResourceContext::new(None, CancellationToken::new())
}

fn by(id: Tf<String>, name: Tf<String>) -> Value {
    ColourModel {
        id,
        name,
        ..ColourModel::default()
    }
    .to_value()
}

fn only(diags: &Diagnostics) -> &Diagnostic {
    assert_eq!(diags.len(), 1, "{diags:?}");
    diags.iter().next().unwrap()
}

#[test]
fn the_schema_is_the_models_block_with_the_description() {
    let ds = typed_data_source(Colours::new());
    let schema = ds.schema();
    assert_eq!(schema.version, 0);
    assert_eq!(schema.block.description, "A colour.");
    assert_eq!(
        schema.implied_type(),
        ColourModel::block().implied_type(),
        "the attributes are the model's"
    );
    assert_eq!(ds.type_name(), "test_colour");
}

#[test]
fn validation_sees_the_model_and_reports_at_attribute_paths() {
    let ds = DataSourceAdapter(Colours::new());
    let mut diags = Diagnostics::new();
    DataSource::validate_config(&ds, &by("c1".into(), "red".into()), &mut diags);
    let d = only(&diags);
    assert_eq!(d.summary, "Both");
    assert_eq!(d.attribute, Some(AttributePath::attribute("name")));

    let mut diags = Diagnostics::new();
    DataSource::validate_config(&ds, &by(Tf::Null, Tf::Null), &mut diags);
    assert_eq!(only(&diags).attribute, Some(AttributePath::attribute("id")));

    // Unknown until apply: nothing to say yet.
    let mut diags = Diagnostics::new();
    DataSource::validate_config(&ds, &by("c1".into(), Tf::Unknown), &mut diags);
    assert!(diags.is_empty(), "{diags:?}");
    DataSource::validate_config(&ds, &by(Tf::Null, "red".into()), &mut diags);
    assert!(diags.is_empty(), "{diags:?}");
}

#[test]
fn a_configuration_that_does_not_fit_the_model_is_reported_at_its_path() {
    let ds = DataSourceAdapter(Colours::new());
    let mut bad = by(Tf::Null, "red".into());
    bad.set("hex", Value::int(7));
    let mut diags = Diagnostics::new();
    DataSource::validate_config(&ds, &bad, &mut diags);
    let d = only(&diags);
    assert_eq!(d.summary, "Unexpected configuration");
    assert_eq!(d.attribute, Some(AttributePath::attribute("hex")));
}

#[tokio::test]
async fn read_decodes_the_configuration_and_encodes_the_model() {
    let ds = DataSourceAdapter(Colours::new());
    let v = DataSource::read(&ds, &ctx(), &by(Tf::Null, "red".into()))
        .await
        .unwrap();
    assert_eq!(v.get("id").as_str(), Some("c1"));
    assert_eq!(v.get("hex").as_str(), Some("#ff0000"));
    assert_eq!(
        v.get("shades").as_strings(),
        Some(vec!["light red".to_string()])
    );
    let decoded = ColourModel::from_value(&v).unwrap();
    assert_eq!(decoded.name.as_str(), Some("red"));

    let err = DataSource::read(&ds, &ctx(), &by(Tf::Null, "green".into()))
        .await
        .unwrap_err();
    let d = only(&err);
    assert_eq!(d.summary, "Ambiguous");
    assert_eq!(d.attribute, Some(AttributePath::attribute("name")));

    let err = DataSource::read(&ds, &ctx(), &by("c9".into(), Tf::Null))
        .await
        .unwrap_err();
    assert_eq!(only(&err).attribute, Some(AttributePath::attribute("id")));

    let mut bad = by("c1".into(), Tf::Null);
    bad.set("shades", Value::string("not a list"));
    let err = DataSource::read(&ds, &ctx(), &bad).await.unwrap_err();
    let d = only(&err);
    assert_eq!(d.summary, "Unexpected configuration");
    assert_eq!(d.attribute, Some(AttributePath::attribute("shades")));
}

/// One model, two schemas: the override changes what is configurable, not how values decode.
struct ColourList;

#[async_trait]
impl TypedDataSource for ColourList {
    type Model = ColourModel;

    fn type_name(&self) -> &'static str {
        "test_colours"
    }

    fn description(&self) -> String {
        "Colours.".into()
    }

    fn schema(&self) -> Schema {
        let mut block = ColourModel::block();
        block.description = self.description();
        for a in &mut block.attributes {
            if a.name == "name" {
                *a = Attribute::string("name").required().description("Name.");
            }
        }
        Schema::new(0, block)
    }

    async fn read(
        &self,
        _ctx: &ResourceContext,
        config: ColourModel,
    ) -> Result<ColourModel, Diagnostics> {
        Ok(ColourModel {
            hex: Tf::Known("#000000".into()),
            shades: Tf::Known(Vec::new()),
            id: Tf::Known("c0".into()),
            ..config
        })
    }
}

#[tokio::test]
async fn a_data_source_may_give_its_model_another_schema() {
    let ds = typed_data_source(ColourList);
    let schema = ds.schema();
    let name = schema
        .block
        .attributes
        .iter()
        .find(|a| a.name == "name")
        .unwrap();
    assert!(name.required && !name.computed);
    assert_eq!(schema.block.description, "Colours.");
    let v = ds
        .read(&ctx(), &by(Tf::Null, "black".into()))
        .await
        .unwrap();
    assert_eq!(v.get("name").as_str(), Some("black"));
    assert_eq!(v.get("hex").as_str(), Some("#000000"));
}
