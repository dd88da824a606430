//! What the two MSP record resources share (`blockchain_msp`, built from the organization's CA,
//! and `blockchain_msp_import`, another organization's definition): the definition a console
//! MSP record holds, read from a record or an export and written as an import or edit body, and
//! the record lifecycle of a model that holds one (POST /components/msp, PUT
//! /components/msp/{id}, DELETE /components/{id}: docs/dev/console-api.md#msp-records).
//!
//! Every stored field is compared on read, so an edit on the console shows as drift and the next
//! apply edits it back in place (`msp_id` too: it is editable on an MSP record).

use std::collections::BTreeSet;

use serde_json::{Map, Value as Json};

use crate::console::{Component, EditComponentRequest};
use crate::framework::{Model, Tf};
use crate::resources::lifecycle::{self, Naming};
use crate::resources::pem::{console_b64, msp_certificate, pem_text};
use crate::resources::records::{RecordModel, RecordResource};

/// The console's own tag on every MSP record (docs/dev/console-api.md#tags).
pub const SYSTEM_TAGS: [&str; 1] = ["msp"];
/// athena's `invalid_msp_id` rule (validation-regex.json), as a whitelist.
pub const MSP_ID_PATTERN: &str = r"^[A-Za-z0-9.-]+$";

/// MSP records in the shared naming rule (docs/dev/identity.md#the-rule).
pub const MSP: Naming = Naming {
    component_type: "msp",
    noun: "MSP",
    id_prefix: "msp",
};

/// The definition an MSP record holds (certificates as canonical PEM text).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MspDefinition {
    pub display_name: Option<String>,
    pub msp_id: Option<String>,
    pub root_certs: Vec<String>,
    pub intermediate_certs: Vec<String>,
    pub admins: Vec<String>,
    pub tls_root_certs: Vec<String>,
    pub tls_intermediate_certs: Vec<String>,
    /// The NodeOU settings as JSON text, as the record holds them.
    pub fabric_node_ous: Option<String>,
    pub host_url: Option<String>,
}

/// The certificate lists of a definition, by the console's field names (the models' attribute
/// names too).
pub const CERT_LISTS: [&str; 5] = [
    "root_certs",
    "intermediate_certs",
    "admins",
    "tls_root_certs",
    "tls_intermediate_certs",
];

impl MspDefinition {
    /// The certificate list the console calls `field` (empty for another name).
    pub fn certs(&self, field: &str) -> &[String] {
        match field {
            "root_certs" => &self.root_certs,
            "intermediate_certs" => &self.intermediate_certs,
            "admins" => &self.admins,
            "tls_root_certs" => &self.tls_root_certs,
            "tls_intermediate_certs" => &self.tls_intermediate_certs,
            _ => &[],
        }
    }

    fn certs_mut(&mut self, field: &str) -> Option<&mut Vec<String>> {
        match field {
            "root_certs" => Some(&mut self.root_certs),
            "intermediate_certs" => Some(&mut self.intermediate_certs),
            "admins" => Some(&mut self.admins),
            "tls_root_certs" => Some(&mut self.tls_root_certs),
            "tls_intermediate_certs" => Some(&mut self.tls_intermediate_certs),
            _ => None,
        }
    }

    /// From a console document or an export of one. `strict`: a certificate that is not a
    /// usable X.509 v3 PEM is an error (an export); otherwise it is kept as given (what the
    /// console holds must show as it is).
    pub fn from_doc(doc: &Map<String, Json>, strict: bool) -> Result<Self, String> {
        let text = |k: &str| doc.get(k).and_then(Json::as_str).map(str::to_owned);
        let mut d = MspDefinition {
            display_name: text("display_name").or_else(|| text("name")),
            msp_id: text("msp_id"),
            fabric_node_ous: doc
                .get("fabric_node_ous")
                .filter(|v| !v.is_null())
                .map(Json::to_string),
            host_url: text("host_url"),
            ..Default::default()
        };
        for field in CERT_LISTS {
            let Some(value) = doc.get(field).filter(|v| !v.is_null()) else {
                continue;
            };
            let Some(items) = value.as_array() else {
                return Err(format!("`{field}` is not a list of certificates"));
            };
            let mut certs = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let given = item.as_str().unwrap_or_default();
                match msp_certificate(given) {
                    Ok(pem) => certs.push(pem),
                    Err(e) if strict => return Err(format!("`{field}[{i}]` {e}")),
                    Err(_) => certs.push(pem_text(given)),
                }
            }
            if let Some(slot) = d.certs_mut(field) {
                *slot = certs;
            }
        }
        Ok(d)
    }

    /// An MSP export (JSON text), checked: an object of type `msp` (when it says) with usable
    /// certificates.
    pub fn from_export(text: &str) -> Result<Self, String> {
        let json: Json =
            serde_json::from_str(text).map_err(|e| format!("is not valid JSON: {e}"))?;
        let Some(doc) = json.as_object() else {
            return Err("is not a JSON object".to_owned());
        };
        match doc.get("type").and_then(Json::as_str) {
            None | Some("msp") | Some("msp-external") => {}
            Some(other) => {
                return Err(format!(
                    "is the export of a {other}, not of an MSP (its `type` is {other:?})"
                ))
            }
        }
        Self::from_doc(doc, true)
    }

    /// A console record as the definition it holds, and the record as JSON (for its export).
    pub fn from_record(c: &Component) -> (Self, Json) {
        let doc = serde_json::to_value(c).unwrap_or_default();
        let d = doc
            .as_object()
            .map(|o| Self::from_doc(o, false).unwrap_or_default())
            .unwrap_or_default();
        (d, doc)
    }

    /// The record fields (not the name or tags) that `include` names, in the console's form:
    /// certificates as base64 of their PEM text, the NodeOU settings as JSON, null for an
    /// unset NodeOU setting or host URL (an edit clears them so).
    pub fn record_fields(&self, include: impl Fn(&str) -> bool) -> Map<String, Json> {
        let mut out = Map::new();
        if include("msp_id") {
            if let Some(id) = &self.msp_id {
                out.insert("msp_id".into(), Json::String(id.clone()));
            }
        }
        for field in CERT_LISTS {
            if include(field) {
                out.insert(field.into(), Json::Array(console_certs(self.certs(field))));
            }
        }
        if include("fabric_node_ous") {
            let ous = self
                .fabric_node_ous
                .as_deref()
                .and_then(|s| serde_json::from_str::<Json>(s).ok())
                .unwrap_or(Json::Null);
            out.insert("fabric_node_ous".into(), ous);
        }
        if include("host_url") {
            let url = self
                .host_url
                .clone()
                .map(Json::String)
                .unwrap_or(Json::Null);
            out.insert("host_url".into(), url);
        }
        out
    }

    /// POST /components/msp: what apollo's MSP import sends (`MspRestApi.importMSP`), without
    /// the fields it would leave undefined (no NodeOUs, no host URL; empty lists too unless
    /// `empty_lists`: the console's own MSP panel sends them), with the tags.
    pub fn import_body(&self, tags: &Tf<BTreeSet<String>>, empty_lists: bool) -> Json {
        let mut body = self.record_fields(|_| true);
        body.retain(|k, v| match v {
            Json::Null => false,
            Json::Array(a) => empty_lists || k == "root_certs" || !a.is_empty(),
            _ => true,
        });
        body.insert(
            "display_name".into(),
            Json::String(self.display_name.clone().unwrap_or_default()),
        );
        if let Some(tags) = tags.known() {
            body.insert("tags".into(), serde_json::json!(tags));
        }
        Json::Object(body)
    }
}

/// The console's form of a certificate list: base64 of each canonical PEM.
fn console_certs(certs: &[String]) -> Vec<Json> {
    certs
        .iter()
        .map(|pem| {
            Json::String(console_b64(
                &msp_certificate(pem).unwrap_or_else(|_| pem.clone()),
            ))
        })
        .collect()
}

/// The edit from `prior` to `planned`: the display name and each stored field that differs,
/// the tags when they differ.
pub fn record_edit(
    prior: &MspDefinition,
    planned: &MspDefinition,
    prior_tags: &Tf<BTreeSet<String>>,
    planned_tags: &Tf<BTreeSet<String>>,
) -> EditComponentRequest {
    let differs = |field: &str| -> bool {
        match field {
            "msp_id" => planned.msp_id.is_some() && prior.msp_id != planned.msp_id,
            "fabric_node_ous" => prior.fabric_node_ous != planned.fabric_node_ous,
            "host_url" => prior.host_url != planned.host_url,
            list => prior.certs(list) != planned.certs(list),
        }
    };
    let display_name = planned
        .display_name
        .clone()
        .filter(|n| prior.display_name.as_ref() != Some(n));
    EditComponentRequest {
        display_name,
        tags: (prior_tags != planned_tags)
            .then(|| lifecycle::tags_to_send(planned_tags, &[], &SYSTEM_TAGS)),
        fields: planned.record_fields(differs),
        ..EditComponentRequest::default()
    }
}

/// The parts of [`MspRecord`] every model with the definition's attributes (`display_name`,
/// `msp_id`, the five certificate lists, `fabric_node_ous`, `host_url`, `tags`)
/// implements alike; used inside the model's `impl MspRecord`.
macro_rules! msp_record_fields {
    () => {
        fn tags(&self) -> &Tf<std::collections::BTreeSet<String>> {
            &self.tags
        }

        fn definition(&self) -> $crate::resources::msp_definition::MspDefinition {
            let list = |l: &Tf<Vec<String>>| l.known().cloned().unwrap_or_default();
            $crate::resources::msp_definition::MspDefinition {
                display_name: self.display_name.known().cloned(),
                msp_id: self.msp_id.known().cloned(),
                root_certs: list(&self.root_certs),
                intermediate_certs: list(&self.intermediate_certs),
                admins: list(&self.admins),
                tls_root_certs: list(&self.tls_root_certs),
                tls_intermediate_certs: list(&self.tls_intermediate_certs),
                fabric_node_ous: self.fabric_node_ous.known().cloned(),
                host_url: self.host_url.known().cloned(),
            }
        }
    };
}
pub(crate) use msp_record_fields;

/// A resource model that holds one MSP record (its id and name as [`RecordModel`] gives them).
pub trait MspRecord: Model + RecordModel {
    /// The user's tags.
    fn tags(&self) -> &Tf<BTreeSet<String>>;
    /// Whether an import sends empty certificate lists rather than leaving them out.
    fn sends_empty_lists() -> bool {
        false
    }
    /// The definition this (planned or prior) model holds.
    fn definition(&self) -> MspDefinition;
    /// The state of the record `c`; `base` (plan or prior state) supplies what the console
    /// does not keep and whether the user manages tags.
    fn live_state(base: &Self, c: &Component) -> Self;
}

/// Every MSP record model's part in the shared record CRUD (`records`).
impl<M: MspRecord> RecordResource for M {
    const NAMING: Naming = MSP;
    fn import_body(&self) -> Json {
        self.definition()
            .import_body(self.tags(), M::sends_empty_lists())
    }
    fn record_edit(prior: &Self, planned: &Self) -> EditComponentRequest {
        record_edit(
            &prior.definition(),
            &planned.definition(),
            prior.tags(),
            planned.tags(),
        )
    }
    fn record_state(base: &Self, c: &Component) -> Self {
        <M as MspRecord>::live_state(base, c)
    }
}
