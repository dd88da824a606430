//! The conventional `timeouts { create = "30m" }` nested block.
//!
//! Timeouts are not a protocol concept: they are ordinary optional strings in Go duration
//! syntax, read from the plan (create/update) or the state (read/delete).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::framework::duration::{format_go_duration, parse_go_duration};
use crate::framework::model::{expect_object, Model, ModelError, Tf, TfValue};
use crate::framework::path::AttributePath;
use crate::framework::schema::{Attribute, Block, NestedBlock};
use crate::framework::types::Type;
use crate::framework::validators::positive_go_duration;
use crate::framework::value::Value;

/// The block's type name.
pub const TIMEOUTS_BLOCK: &str = "timeouts";

/// An operation that can have a timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutOp {
    /// Creating the object (including waiting until it is ready).
    Create,
    /// Reading the object.
    Read,
    /// Updating the object.
    Update,
    /// Deleting the object.
    Delete,
}

impl TimeoutOp {
    /// The attribute name inside the block.
    pub fn name(self) -> &'static str {
        match self {
            TimeoutOp::Create => "create",
            TimeoutOp::Read => "read",
            TimeoutOp::Update => "update",
            TimeoutOp::Delete => "delete",
        }
    }
}

/// Default durations per operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Default for create.
    pub create: Duration,
    /// Default for read.
    pub read: Duration,
    /// Default for update.
    pub update: Duration,
    /// Default for delete.
    pub delete: Duration,
}

impl Timeouts {
    /// The same default for every operation.
    pub fn uniform(d: Duration) -> Self {
        Self {
            create: d,
            read: d,
            update: d,
            delete: d,
        }
    }

    /// The default for one operation.
    pub fn get(&self, op: TimeoutOp) -> Duration {
        match op {
            TimeoutOp::Create => self.create,
            TimeoutOp::Read => self.read,
            TimeoutOp::Update => self.update,
            TimeoutOp::Delete => self.delete,
        }
    }
}

impl Default for Timeouts {
    /// Twenty minutes, the customary Terraform default.
    fn default() -> Self {
        Self::uniform(Duration::from_secs(20 * 60))
    }
}

/// The `timeouts` block offering `ops`, each attribute documenting its default.
pub fn timeouts_block(ops: &[TimeoutOp], defaults: &Timeouts) -> NestedBlock {
    let mut block = Block::new(
        "Time limits for operations, as Go duration strings such as \"30s\", \"20m\" or \"1h30m\".",
    );
    for op in ops {
        block = block.attribute(
            Attribute::string(op.name())
                .optional()
                .description(format!(
                    "How long to wait for {} to finish. Default: {}.",
                    op.name(),
                    format_go_duration(defaults.get(*op))
                ))
                .validate(positive_go_duration()),
        );
    }
    NestedBlock::single(TIMEOUTS_BLOCK, block)
}

/// The timeout for `op` configured in a plan or state object, or `default` when it is
/// null, unknown or unparsable (validation has already reported unparsable values).
pub fn timeout_for(state_or_plan: &Value, op: TimeoutOp, default: Duration) -> Duration {
    state_or_plan
        .get(TIMEOUTS_BLOCK)
        .get(op.name())
        .as_str()
        .and_then(|s| parse_go_duration(s).ok())
        .filter(|d| !d.is_zero())
        .unwrap_or(default)
}

/// The `timeouts` block of a typed model: the configured duration strings by operation name,
/// holding exactly the operations the block offers. As a model field:
/// `pub timeouts: Tf<TimeoutsModel> => block |_| timeouts_block(&[TimeoutOp::Create], &DEFAULTS)`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimeoutsModel(pub BTreeMap<String, Tf<String>>);

impl TimeoutsModel {
    /// The timeout configured for `op`, or `default` when it is null, unknown or unparsable
    /// (validation has already reported unparsable values).
    pub fn get(&self, op: TimeoutOp, default: Duration) -> Duration {
        self.0
            .get(op.name())
            .and_then(Tf::as_str)
            .and_then(|s| parse_go_duration(s).ok())
            .filter(|d| !d.is_zero())
            .unwrap_or(default)
    }
}

impl Tf<TimeoutsModel> {
    /// The timeout configured for `op`; `default` when the block is absent.
    pub fn get(&self, op: TimeoutOp, default: Duration) -> Duration {
        self.known().map_or(default, |t| t.get(op, default))
    }
}

impl TfValue for TimeoutsModel {
    fn tf_type() -> Type {
        Self::block().implied_type()
    }
    fn from_tf(v: &Value, path: &AttributePath) -> Result<Self, ModelError> {
        expect_object(v, path)?;
        let attrs = v.as_map().into_iter().flatten();
        attrs
            .map(|(k, item)| {
                let t = Tf::<String>::from_tf(item, &path.clone().attr(k.clone()))?;
                Ok((k.clone(), t))
            })
            .collect::<Result<_, _>>()
            .map(TimeoutsModel)
    }
    fn to_tf(&self) -> Value {
        Value::Object(self.0.iter().map(|(k, v)| (k.clone(), v.to_tf())).collect())
    }
}

impl Model for TimeoutsModel {
    /// Every operation with the customary defaults; a resource offers its own with
    /// [`timeouts_block`] in the field's builder.
    fn block() -> Block {
        let all = [
            TimeoutOp::Create,
            TimeoutOp::Read,
            TimeoutOp::Update,
            TimeoutOp::Delete,
        ];
        timeouts_block(&all, &Timeouts::default()).block
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::schema::NestingMode;
    use std::collections::BTreeMap;

    #[test]
    fn block_documents_defaults() {
        let b = timeouts_block(
            &[TimeoutOp::Create, TimeoutOp::Delete],
            &Timeouts::default(),
        );
        assert_eq!(b.type_name, "timeouts");
        assert_eq!(b.nesting, NestingMode::Single);
        assert_eq!(b.block.attributes.len(), 2);
        let c = b.block.get_attribute("create").unwrap();
        assert!(c.optional && !c.computed);
        assert!(
            c.description.contains("Default: 20m0s"),
            "{}",
            c.description
        );
        assert_eq!(c.validators.len(), 1);
    }

    #[test]
    fn reads_configured_values_or_default() {
        let default = Duration::from_secs(60);
        let t: BTreeMap<String, Value> = [
            ("create".to_string(), Value::string("5m")),
            ("delete".to_string(), Value::unknown()),
            ("update".to_string(), Value::string("soon")),
        ]
        .into();
        let v = Value::object([("timeouts".to_string(), Value::object(t))].into());
        assert_eq!(
            timeout_for(&v, TimeoutOp::Create, default),
            Duration::from_secs(300)
        );
        assert_eq!(timeout_for(&v, TimeoutOp::Delete, default), default);
        assert_eq!(timeout_for(&v, TimeoutOp::Update, default), default);
        assert_eq!(timeout_for(&v, TimeoutOp::Read, default), default);
        assert_eq!(timeout_for(&Value::Null, TimeoutOp::Read, default), default);

        let typed =
            Tf::<TimeoutsModel>::from_tf(&v.get("timeouts").clone(), &AttributePath::root())
                .unwrap();
        for op in [
            TimeoutOp::Create,
            TimeoutOp::Delete,
            TimeoutOp::Update,
            TimeoutOp::Read,
        ] {
            assert_eq!(
                typed.get(op, default),
                timeout_for(&v, op, default),
                "{op:?}"
            );
        }
        assert_eq!(typed.to_tf(), v.get("timeouts").clone());
        assert_eq!(
            Tf::<TimeoutsModel>::Null.get(TimeoutOp::Create, default),
            default
        );
        assert_eq!(TimeoutsModel::block().attributes.len(), 4);
    }
}
