//! Typed data sources: a read that receives its configuration as a [`Model`] and returns the
//! model filled in, the data-source counterpart of [`TypedResource`](super::TypedResource).
//!
//! [`DataSourceAdapter`] implements the Value-based [`DataSource`] for a [`TypedDataSource`]:
//! it decodes the configuration into the model (a mismatch is reported at its attribute path)
//! and encodes the answer back; the server then checks it as it checks every read (no unknowns
//! may remain).

use std::sync::Arc;

use async_trait::async_trait;

use crate::framework::diagnostics::Diagnostics;
use crate::framework::model::Model;
use crate::framework::resource::{DataSource, ResourceContext};
use crate::framework::schema::{Block, Schema};
use crate::framework::value::Value;

use super::decode;

/// A data source type whose read works on its [`Model`].
#[async_trait]
pub trait TypedDataSource: Send + Sync + 'static {
    /// The configuration and the result of the data source: arguments (required or optional)
    /// and what the read fills in (computed).
    type Model: Model;

    /// The Terraform type name, e.g. `blockchain_component`.
    fn type_name(&self) -> &'static str;
    /// Registry documentation of the data source.
    fn description(&self) -> String;
    /// The schema: the model's block with this data source's description. Override it to give
    /// one model two schemas (e.g. the same fields as arguments in one type and as results in
    /// another); the model only decodes values, it does not care which are configurable.
    fn schema(&self) -> Schema {
        let block = Block {
            description: self.description(),
            ..Self::Model::block()
        };
        Schema::new(0, block)
    }
    /// Cross-attribute checks beyond the schema validators, at validate time (before any call
    /// reaches an API). `config` may hold unknowns: a value known only after apply cannot be
    /// judged yet. Report problems at their attribute paths (`attr!`).
    fn validate_config(&self, _config: &Self::Model, _diags: &mut Diagnostics) {}
    /// Reads the data. `config` holds the configured arguments (all known: Terraform defers the
    /// read to apply while any is unknown); the result must hold no unknowns, and should keep
    /// the configured arguments as they were given.
    async fn read(
        &self,
        ctx: &ResourceContext,
        config: Self::Model,
    ) -> Result<Self::Model, Diagnostics>;
}

/// Serves a [`TypedDataSource`] as a Value-based [`DataSource`].
pub struct DataSourceAdapter<D>(pub D);

/// Registers a typed data source:
/// `fn data_sources() -> Vec<Arc<dyn DataSource>> { vec![typed_data_source(Versions)] }`.
pub fn typed_data_source<D: TypedDataSource>(data_source: D) -> Arc<dyn DataSource> {
    Arc::new(DataSourceAdapter(data_source))
}

#[async_trait]
impl<D: TypedDataSource> DataSource for DataSourceAdapter<D> {
    fn type_name(&self) -> &'static str {
        self.0.type_name()
    }

    fn schema(&self) -> Schema {
        self.0.schema()
    }

    fn validate_config(&self, config: &Value, diags: &mut Diagnostics) {
        match decode::<D::Model>(config, "configuration") {
            Ok(config) => self.0.validate_config(&config, diags),
            Err(d) => {
                diags.extend(d);
            }
        }
    }

    async fn read(&self, ctx: &ResourceContext, config: &Value) -> Result<Value, Diagnostics> {
        let config = decode::<D::Model>(config, "configuration")?;
        self.0.read(ctx, config).await.map(|m| m.to_value())
    }
}

#[cfg(test)]
mod tests;
