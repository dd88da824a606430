//! The generic Terraform provider framework: values and their wire codecs, schemas,
//! diagnostics, validators, the plan engine and the tfplugin5 gRPC service.
//!
//! Nothing here knows about blockchains: resources plug in through the [`Resource`],
//! [`DataSource`] and [`Provider`] traits and never see msgpack, gRPC or the handshake.

pub mod codec;
pub mod diagnostics;
pub mod duration;
pub mod model;
pub mod path;
pub mod plan;
pub mod private;
pub mod resource;
pub mod schema;
pub mod server;
pub mod timeouts;
pub mod typed;
pub mod types;
pub mod validators;
pub mod value;

pub use codec::{
    decode_dynamic_value, decode_json, decode_json_lenient, decode_msgpack, encode_dynamic_value,
    encode_json, encode_msgpack, CodecError,
};
pub use diagnostics::{Diagnostic, Diagnostics, Severity};
pub use duration::{format_go_duration, parse_go_duration, DurationError};
pub use model::{BlockValue, Model, ModelError, ModelErrorKind, Tf, TfValue};
pub use path::{AttributePath, PathStep};
pub use plan::modifiers::{
    AttributePlanModifier, AttributePlanRequest, AttributePlanResponse, SemanticEquality,
};
pub use plan::{plan_resource_change, PlannedChange};
pub use private::Private;
pub use resource::{
    ApplyError, DataSource, PlanContext, Provider, ProviderData, Resource, ResourceContext,
};
pub use schema::{Attribute, Block, NestedBlock, NestingMode, PlanModifier, Schema};
pub use server::ProviderServer;
pub use timeouts::{timeout_for, timeouts_block, TimeoutOp, Timeouts, TimeoutsModel};
pub use typed::{
    typed, typed_data_source, CreatePlan, CreateRequest, DataSourceAdapter, DeleteRequest,
    ModelPlan, ReadRequest, TypedAdapter, TypedDataSource, TypedResource, UpdateRequest,
};
pub use types::Type;
pub use validators::Validator;
pub use value::{Number, Refinements, Value};
