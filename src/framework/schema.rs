//! Schemas as data: what attributes and nested blocks a provider, resource or data source
//! has, with their descriptions, plan modifiers and validators next to them.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

pub use crate::framework::plan::modifiers::PlanModifier;
use crate::framework::plan::modifiers::{
    self, AttributePlanModifier, AttributePlanRequest, SameString, SameStringMap, SameValue,
    SemanticEquality,
};
use crate::framework::types::Type;
use crate::framework::validators::Validator;
use crate::framework::value::Value;
use crate::proto::tfplugin5;

/// One attribute of a block.
#[derive(Clone)]
pub struct Attribute {
    /// Attribute name.
    pub name: String,
    /// Its type.
    pub ty: Type,
    /// Registry documentation.
    pub description: String,
    /// Must be set in configuration.
    pub required: bool,
    /// May be set in configuration.
    pub optional: bool,
    /// Set by the provider (alone, or when the configuration leaves it null).
    pub computed: bool,
    /// Redacted in Terraform's output.
    pub sensitive: bool,
    /// Never stored in state or plan (protocol 5.8).
    pub write_only: bool,
    /// Shown to users as deprecated.
    pub deprecated: bool,
    /// Plan behaviours, in the order they run.
    pub plan_modifiers: Vec<Arc<dyn AttributePlanModifier>>,
    /// When two spellings mean the same (applied at plan, after read and after apply).
    pub semantic_equality: Option<Arc<dyn SemanticEquality>>,
    /// Checks on known, non-null configuration values.
    pub validators: Vec<Arc<dyn Validator>>,
    /// Planned when the configuration leaves it null (makes the attribute optional+computed).
    pub default: Option<Value>,
}

impl fmt::Debug for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attribute")
            .field("name", &self.name)
            .field("ty", &self.ty)
            .field("required", &self.required)
            .field("optional", &self.optional)
            .field("computed", &self.computed)
            .field("sensitive", &self.sensitive)
            .field("write_only", &self.write_only)
            .field(
                "plan_modifiers",
                &self
                    .plan_modifiers
                    .iter()
                    .map(|m| m.description())
                    .collect::<Vec<_>>(),
            )
            .field(
                "semantic_equality",
                &self.semantic_equality.as_ref().map(|s| s.description()),
            )
            .field(
                "validators",
                &self
                    .validators
                    .iter()
                    .map(|v| v.description())
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Attribute {
    /// An attribute of any type; set required/optional/computed with the builders.
    pub fn new(name: impl Into<String>, ty: Type) -> Self {
        Self {
            name: name.into(),
            ty,
            description: String::new(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            write_only: false,
            deprecated: false,
            plan_modifiers: Vec::new(),
            semantic_equality: None,
            validators: Vec::new(),
            default: None,
        }
    }

    /// A string attribute.
    pub fn string(name: impl Into<String>) -> Self {
        Self::new(name, Type::String)
    }

    /// A boolean attribute.
    pub fn bool(name: impl Into<String>) -> Self {
        Self::new(name, Type::Bool)
    }

    /// A whole-number attribute (Terraform's type is `number`).
    pub fn int64(name: impl Into<String>) -> Self {
        Self::new(name, Type::Number)
    }

    /// A `list(string)` attribute.
    pub fn list_of_strings(name: impl Into<String>) -> Self {
        Self::new(name, Type::list_of_strings())
    }

    /// A `set(string)` attribute.
    pub fn set_of_strings(name: impl Into<String>) -> Self {
        Self::new(name, Type::set_of_strings())
    }

    /// A `map(string)` attribute.
    pub fn map_of_strings(name: impl Into<String>) -> Self {
        Self::new(name, Type::map_of_strings())
    }

    /// Sets the documentation.
    #[must_use]
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = d.into();
        self
    }

    /// Must be set in configuration.
    #[must_use]
    pub fn required(mut self) -> Self {
        self.required = true;
        self.optional = false;
        self
    }

    /// May be set in configuration.
    #[must_use]
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self.required = false;
        self
    }

    /// Set by the provider (combine with `optional()` for "configurable, else computed").
    #[must_use]
    pub fn computed(mut self) -> Self {
        self.computed = true;
        self
    }

    /// Redacted in Terraform's output (still stored in state).
    #[must_use]
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Never stored: planned and returned as null.
    #[must_use]
    pub fn write_only(mut self) -> Self {
        self.write_only = true;
        self
    }

    /// Marks the attribute deprecated.
    #[must_use]
    pub fn deprecated(mut self) -> Self {
        self.deprecated = true;
        self
    }

    /// Changing this attribute replaces the object.
    #[must_use]
    pub fn requires_replace(self) -> Self {
        self.plan_modifier(modifiers::RequiresReplace)
    }

    /// A change replaces the object when `condition` holds (it is asked only about changes).
    #[must_use]
    pub fn requires_replace_if(
        self,
        description: impl Into<String>,
        condition: impl Fn(&AttributePlanRequest<'_>) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.plan_modifier(modifiers::requires_replace_if(description, condition))
    }

    /// Keep the prior value instead of planning unknown on update.
    #[must_use]
    pub fn use_state_for_unknown(self) -> Self {
        self.plan_modifier(modifiers::UseStateForUnknown)
    }

    /// Adds a plan modifier (they run in the order added).
    #[must_use]
    pub fn plan_modifier(mut self, m: impl AttributePlanModifier + 'static) -> Self {
        self.plan_modifiers.push(Arc::new(m));
        self
    }

    /// Two strings mean the same when `same` says so: a respelled configuration plans no
    /// change, and read and apply keep the spelling Terraform holds.
    #[must_use]
    pub fn semantic_equality(self, same: fn(&str, &str) -> bool) -> Self {
        self.semantic_equality_with(SameString(same))
    }

    /// Two `map(string)` values mean the same when they have the same keys and `same` holds
    /// for each pair of values.
    #[must_use]
    pub fn semantic_equality_map(self, same: fn(&str, &str) -> bool) -> Self {
        self.semantic_equality_with(SameStringMap(same))
    }

    /// Two values mean the same when `equal(kept, new)` says so (see [`SemanticEquality`]).
    #[must_use]
    pub fn semantic_equality_fn(
        self,
        description: impl Into<String>,
        equal: impl Fn(&Value, &Value) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.semantic_equality_with(SameValue(description.into(), equal))
    }

    /// Any semantic equality.
    #[must_use]
    pub fn semantic_equality_with(mut self, eq: impl SemanticEquality + 'static) -> Self {
        self.semantic_equality = Some(Arc::new(eq));
        self
    }

    /// Adds a validator.
    #[must_use]
    pub fn validate(mut self, v: impl Validator + 'static) -> Self {
        self.validators.push(Arc::new(v));
        self
    }

    /// Planned when the configuration is null; makes the attribute optional and computed.
    #[must_use]
    pub fn default_value(mut self, v: Value) -> Self {
        self.default = Some(v);
        self.optional = true;
        self.required = false;
        self.computed = true;
        self
    }

    /// True if the attribute carries a plan modifier of this kind.
    pub fn has_modifier(&self, kind: PlanModifier) -> bool {
        self.plan_modifiers.iter().any(|m| m.kind() == Some(kind))
    }

    fn to_proto(&self) -> tfplugin5::schema::Attribute {
        tfplugin5::schema::Attribute {
            name: self.name.clone(),
            r#type: self.ty.to_json(),
            description: self.description.clone(),
            required: self.required,
            optional: self.optional,
            computed: self.computed,
            sensitive: self.sensitive,
            description_kind: description_kind(&self.description),
            deprecated: self.deprecated,
            write_only: self.write_only,
        }
    }
}

/// MARKDOWN when the description uses markdown (code spans, emphasis, links), else PLAIN, so
/// the registry and language servers render the backticks instead of printing them.
fn description_kind(description: &str) -> i32 {
    let markdown = ["`", "**", "]("].iter().any(|m| description.contains(m));
    if markdown {
        tfplugin5::StringKind::Markdown as i32
    } else {
        tfplugin5::StringKind::Plain as i32
    }
}

/// How a nested block appears in configuration and in values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NestingMode {
    /// At most one block; the value is an object or null.
    Single,
    /// A list of blocks.
    List,
    /// A set of blocks.
    Set,
    /// Labelled blocks; the value is a map by label.
    Map,
    /// Exactly one block whose absence means "all attributes null"; never null itself.
    Group,
}

/// A block type nested in a block.
#[derive(Debug, Clone)]
pub struct NestedBlock {
    /// The block type name used in configuration.
    pub type_name: String,
    /// Its content.
    pub block: Block,
    /// How it nests.
    pub nesting: NestingMode,
    /// Minimum number of blocks (List/Set).
    pub min_items: i64,
    /// Maximum number of blocks (List/Set), 0 for no limit.
    pub max_items: i64,
}

impl NestedBlock {
    /// A nested block with the given nesting mode.
    pub fn new(type_name: impl Into<String>, nesting: NestingMode, block: Block) -> Self {
        Self {
            type_name: type_name.into(),
            block,
            nesting,
            min_items: 0,
            max_items: 0,
        }
    }

    /// A `Single` nested block.
    pub fn single(type_name: impl Into<String>, block: Block) -> Self {
        Self::new(type_name, NestingMode::Single, block)
    }

    /// A `List` nested block.
    pub fn list(type_name: impl Into<String>, block: Block) -> Self {
        Self::new(type_name, NestingMode::List, block)
    }

    /// A `Set` nested block.
    pub fn set(type_name: impl Into<String>, block: Block) -> Self {
        Self::new(type_name, NestingMode::Set, block)
    }

    /// A `Map` nested block.
    pub fn map(type_name: impl Into<String>, block: Block) -> Self {
        Self::new(type_name, NestingMode::Map, block)
    }

    /// Sets the block's documentation.
    #[must_use]
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.block.description = d.into();
        self
    }

    /// Sets the minimum number of blocks.
    #[must_use]
    pub fn min_items(mut self, n: i64) -> Self {
        self.min_items = n;
        self
    }

    /// Sets the maximum number of blocks.
    #[must_use]
    pub fn max_items(mut self, n: i64) -> Self {
        self.max_items = n;
        self
    }

    /// The type of this block's value in its parent object.
    pub fn implied_type(&self) -> Type {
        let inner = self.block.implied_type();
        match self.nesting {
            NestingMode::Single | NestingMode::Group => inner,
            NestingMode::List => Type::List(Box::new(inner)),
            NestingMode::Set => Type::Set(Box::new(inner)),
            NestingMode::Map => Type::Map(Box::new(inner)),
        }
    }

    fn to_proto(&self) -> tfplugin5::schema::NestedBlock {
        use tfplugin5::schema::nested_block::NestingMode as P;
        let nesting = match self.nesting {
            NestingMode::Single => P::Single,
            NestingMode::List => P::List,
            NestingMode::Set => P::Set,
            NestingMode::Map => P::Map,
            NestingMode::Group => P::Group,
        };
        tfplugin5::schema::NestedBlock {
            type_name: self.type_name.clone(),
            block: Some(self.block.to_proto(0)),
            nesting: nesting as i32,
            min_items: self.min_items,
            max_items: self.max_items,
        }
    }
}

/// A block: attributes plus nested blocks.
#[derive(Debug, Clone, Default)]
pub struct Block {
    /// Registry documentation.
    pub description: String,
    /// Attributes, in declaration order.
    pub attributes: Vec<Attribute>,
    /// Nested block types.
    pub blocks: Vec<NestedBlock>,
    /// Shown to users as deprecated.
    pub deprecated: bool,
}

impl Block {
    /// An empty block with documentation.
    pub fn new(description: impl Into<String>) -> Self {
        Self {
            description: description.into(),
            ..Self::default()
        }
    }

    /// Adds an attribute (builder form).
    #[must_use]
    pub fn attribute(mut self, a: Attribute) -> Self {
        self.attributes.push(a);
        self
    }

    /// Adds a nested block type.
    #[must_use]
    pub fn block(mut self, b: NestedBlock) -> Self {
        self.blocks.push(b);
        self
    }

    /// Marks the block deprecated.
    #[must_use]
    pub fn deprecated(mut self) -> Self {
        self.deprecated = true;
        self
    }

    /// Looks an attribute up by name.
    pub fn get_attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// Looks a nested block type up by name.
    pub fn get_block(&self, type_name: &str) -> Option<&NestedBlock> {
        self.blocks.iter().find(|b| b.type_name == type_name)
    }

    /// The object type of this block's values.
    pub fn implied_type(&self) -> Type {
        let mut attrs: BTreeMap<String, Type> = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.ty.clone()))
            .collect();
        for b in &self.blocks {
            attrs.insert(b.type_name.clone(), b.implied_type());
        }
        Type::Object(attrs)
    }

    fn to_proto(&self, version: i64) -> tfplugin5::schema::Block {
        tfplugin5::schema::Block {
            version,
            attributes: self.attributes.iter().map(Attribute::to_proto).collect(),
            block_types: self.blocks.iter().map(NestedBlock::to_proto).collect(),
            description: self.description.clone(),
            description_kind: description_kind(&self.description),
            deprecated: self.deprecated,
        }
    }

    fn problems(&self, prefix: &str, out: &mut Vec<String>) {
        let mut seen = std::collections::BTreeSet::new();
        for a in &self.attributes {
            let name = format!("{prefix}{}", a.name);
            if !seen.insert(a.name.as_str()) {
                out.push(format!("{name}: declared twice"));
            }
            if a.description.trim().is_empty() {
                out.push(format!("{name}: missing description"));
            }
            if a.required && (a.computed || a.optional) {
                out.push(format!(
                    "{name}: required cannot be combined with optional or computed"
                ));
            }
            if !a.required && !a.optional && !a.computed {
                out.push(format!("{name}: must be required, optional or computed"));
            }
            if a.default.is_some() && !(a.optional && a.computed) {
                out.push(format!("{name}: a default needs optional+computed"));
            }
            if a.write_only && a.computed {
                out.push(format!("{name}: write-only attributes cannot be computed"));
            }
            if a.has_modifier(PlanModifier::UseStateForUnknown) && !a.computed {
                out.push(format!(
                    "{name}: use_state_for_unknown only applies to computed attributes"
                ));
            }
        }
        for b in &self.blocks {
            let name = format!("{prefix}{}", b.type_name);
            if !seen.insert(b.type_name.as_str()) {
                out.push(format!(
                    "{name}: name used by an attribute or another block"
                ));
            }
            if b.block.description.trim().is_empty() {
                out.push(format!("{name}: nested block missing description"));
            }
            b.block.problems(&format!("{name}."), out);
        }
    }
}

/// A versioned schema of a provider, resource or data source.
#[derive(Debug, Clone)]
pub struct Schema {
    /// State version; bump when stored state needs upgrading.
    pub version: i64,
    /// The top-level block.
    pub block: Block,
}

impl Schema {
    /// A schema.
    pub fn new(version: i64, block: Block) -> Self {
        Self { version, block }
    }

    /// The object type of values of this schema.
    pub fn implied_type(&self) -> Type {
        self.block.implied_type()
    }

    /// The protocol form (descriptions are plain text).
    pub fn to_proto(&self) -> tfplugin5::Schema {
        tfplugin5::Schema {
            version: self.version,
            block: Some(self.block.to_proto(self.version)),
        }
    }

    /// Authoring mistakes: missing descriptions, contradictory flags, duplicate names.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.block.problems("", &mut out);
        out
    }

    /// Test helper: panics listing every authoring mistake (see [`Schema::problems`]).
    pub fn check(&self) {
        let problems = self.problems();
        assert!(
            problems.is_empty(),
            "schema problems:\n  {}",
            problems.join("\n  ")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::validators;

    fn sample() -> Schema {
        Schema::new(
            1,
            Block::new("A thing.")
                .attribute(
                    Attribute::string("id")
                        .description("Identifier.")
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
                .attribute(
                    Attribute::int64("size")
                        .description("Size.")
                        .default_value(Value::int(3)),
                )
                .attribute(
                    Attribute::map_of_strings("tags")
                        .description("Tags.")
                        .optional(),
                )
                .block(NestedBlock::single(
                    "timeouts",
                    Block::new("Timeouts.")
                        .attribute(Attribute::string("create").description("c").optional()),
                )),
        )
    }

    #[test]
    fn builds_and_converts_to_proto() {
        let s = sample();
        s.check();
        let p = s.to_proto();
        assert_eq!(p.version, 1);
        let b = p.block.unwrap();
        assert_eq!(b.attributes.len(), 4);
        let size = b.attributes.iter().find(|a| a.name == "size").unwrap();
        assert!(size.optional && size.computed && !size.required);
        assert_eq!(size.r#type, b"\"number\"");
        assert_eq!(b.block_types[0].type_name, "timeouts");
        assert_eq!(
            b.block_types[0].nesting,
            tfplugin5::schema::nested_block::NestingMode::Single as i32
        );
        assert_eq!(b.description_kind, tfplugin5::StringKind::Plain as i32);
    }

    #[test]
    fn descriptions_with_markdown_are_marked_markdown() {
        assert_eq!(
            description_kind("Id derived from `display_name`."),
            tfplugin5::StringKind::Markdown as i32
        );
        assert_eq!(
            description_kind("See [the guide](https://example.org)."),
            tfplugin5::StringKind::Markdown as i32
        );
        assert_eq!(
            description_kind("Number of CA pods."),
            tfplugin5::StringKind::Plain as i32
        );
    }

    #[test]
    fn implied_type_includes_blocks() {
        let t = sample().implied_type();
        let Type::Object(attrs) = t else { panic!() };
        assert_eq!(attrs.len(), 5);
        assert_eq!(attrs["timeouts"], Type::object([("create", Type::String)]));
        assert_eq!(attrs["tags"], Type::map_of_strings());
        let l = NestedBlock::list(
            "x",
            Block::new("x").attribute(Attribute::bool("b").optional()),
        );
        assert_eq!(
            l.implied_type(),
            Type::List(Box::new(Type::object([("b", Type::Bool)])))
        );
    }

    #[test]
    fn problems_are_reported() {
        let s = Schema::new(
            0,
            Block::new("")
                .attribute(Attribute::string("a").required().computed())
                .attribute(Attribute::string("b").description("b"))
                .attribute(Attribute::string("b").description("b").optional()),
        );
        let p = s.problems();
        assert!(p.iter().any(|x| x == "a: missing description"), "{p:?}");
        assert!(
            p.iter().any(|x| x.starts_with("a: required cannot")),
            "{p:?}"
        );
        assert!(p.iter().any(|x| x.starts_with("b: must be")), "{p:?}");
        assert!(p.iter().any(|x| x == "b: declared twice"), "{p:?}");
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| s.check()));
        assert!(r.is_err());
    }
}
