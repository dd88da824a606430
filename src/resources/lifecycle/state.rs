//! What component resources share between their plan and their state, beside the lifecycle
//! itself: planned values that must be known, changes, tags with the console's own, version and
//! sizing checks at plan, the unconfirmed-create mark in private state, and known planned values
//! kept after apply.

use std::collections::{BTreeMap, BTreeSet};

use crate::console::{FabricVersion, FabricVersionsByType};
use crate::framework::{AttributePath, Diagnostic, Diagnostics, Model, Private, Tf, TfValue};
use crate::resources::pem::{msp_certificate, same_certificate};
use crate::resources::semantic::{quantity, same_certificates};

/// A planned value that must be known when the change is applied (the plan guarantees it;
/// a provider bug otherwise).
pub fn required<T: Clone>(v: &Tf<T>, path: AttributePath) -> Result<T, Diagnostics> {
    v.known().cloned().ok_or_else(|| {
        Diagnostic::error(
            format!("{path} is not known"),
            format!("{path} must be known when the change is applied."),
        )
        .at(path)
        .into()
    })
}

/// A planned value that is known, set and different from the prior state.
pub fn changed<'a, T: PartialEq>(prior: &Tf<T>, planned: &'a Tf<T>) -> Option<&'a T> {
    planned.known().filter(|p| prior.known() != Some(*p))
}

/// What a tag may hold so that the console keeps it as given: athena lower-cases tags and
/// drops every other character (docs/dev/console-api.md#peer-and-orderer-records).
pub const TAG_PATTERN: &str = r"^[a-z0-9_+!@#$*?:,'-]+$";

/// `tags` of a component the console keeps as given: lowercase, at most 32 characters, only
/// [`TAG_PATTERN`]'s characters.
pub fn console_tags(a: crate::framework::Attribute) -> crate::framework::Attribute {
    use crate::framework::validators;
    a.validate(validators::each_string(validators::lowercase()))
        .validate(validators::each_string(validators::length_between(1, 32)))
        .validate(validators::each_string(validators::regex_matches(
            TAG_PATTERN,
            "may contain only lowercase letters, digits and -_+!@#$*?:,' (the console drops other characters)",
        )))
}

/// The user's tags from the console's: its own (system) tags dropped unless the user lists
/// them (dropping one the user lists would be a diff on every plan). No tags at all stays null
/// when the user never set any, so it is not drift.
pub fn user_tags(
    held: &Tf<BTreeSet<String>>,
    console: &[String],
    system: &[&str],
) -> Tf<BTreeSet<String>> {
    let wanted = held.known();
    let tags: BTreeSet<String> = console
        .iter()
        .filter(|t| !system.contains(&t.as_str()) || wanted.is_some_and(|w| w.contains(*t)))
        .cloned()
        .collect();
    if tags.is_empty() && held.is_null() {
        Tf::Null
    } else {
        Tf::Known(tags)
    }
}

/// The tag list an edit sends: an edit replaces the whole list and the console restores only
/// the type tag, so its other own tags (e.g. `ibm_saas`) now on the component are sent back.
pub fn tags_to_send(
    planned: &Tf<BTreeSet<String>>,
    current: &[String],
    system: &[&str],
) -> Vec<String> {
    let mut tags: Vec<String> = planned.known().into_iter().flatten().cloned().collect();
    for own in current {
        if system.contains(&own.as_str()) && !tags.contains(own) {
            tags.push(own.clone());
        }
    }
    tags
}

/// A configured version, the prior state's (`None` on create), the attribute's path, and
/// the versions' semantic equality.
pub type VersionCheck<'a> = (
    &'a Tf<String>,
    Option<&'a Tf<String>>,
    AttributePath,
    fn(&str, &str) -> bool,
);

/// At plan time: an error at the version's path when the console's deployer does not offer a
/// new or changed version (one cached GET /kubernetes/fabric/versions per provider instance;
/// `offered` picks this component type's list). A console that cannot say (import-only,
/// unreachable, not configured yet) is not second-guessed: the apply reports what it says.
pub async fn check_version(
    ctx: &crate::framework::ResourceContext,
    (config, prior, path, same): VersionCheck<'_>,
    offered: fn(&FabricVersionsByType) -> &BTreeMap<String, FabricVersion>,
    diags: &mut Diagnostics,
) {
    let Some(version) = config.known() else {
        return;
    };
    if prior.and_then(Tf::known).is_some_and(|p| same(p, version)) {
        return;
    }
    let Ok(console) = crate::clients::Clients::console(ctx) else {
        return;
    };
    let versions = match console.fabric_versions().await {
        Ok(v) => v,
        Err(e) => {
            tracing::debug!("cannot check the version at plan: {e}");
            return;
        }
    };
    let available: Vec<&String> = offered(&versions.versions).keys().collect();
    if available.is_empty() || available.iter().any(|v| same(v, version)) {
        return;
    }
    let list = available
        .iter()
        .map(|v| format!("{v:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    diags.push(
        Diagnostic::error(
            "Version not offered by this console",
            format!(
                "{path} = {version:?} is not a version the console at {} can deploy. It offers: {list}.",
                console.base_url().as_str().trim_end_matches('/')
            ),
        )
        .at(path),
    );
}

/// The console's sizing rules, at plan: limits only with requests (its `ResourceObject`),
/// and no request above its limit (Kubernetes refuses that). Errors at `path` (the requests).
pub fn check_sizing(
    requests: &Tf<BTreeMap<String, String>>,
    limits: &Tf<BTreeMap<String, String>>,
    path: AttributePath,
    diags: &mut Diagnostics,
) {
    if !limits.is_null() && requests.is_null() {
        let detail = format!(
            "The console only accepts limits together with requests: set {path} too (for \
             example the same values)."
        );
        diags.push(
            Diagnostic::error("Resource limits need resource requests", detail).at(path.clone()),
        );
    }
    let (Some(requests), Some(limits)) = (requests.known(), limits.known()) else {
        return;
    };
    for (key, request) in requests {
        let Some(limit) = limits.get(key) else {
            continue;
        };
        if let (Some(r), Some(l)) = (quantity(request), quantity(limit)) {
            if r > l {
                let detail = format!(
                    "{path}[{key:?}] = {request:?} is more than its limit {limit:?}; Kubernetes \
                     refuses a request above its limit."
                );
                diags.push(
                    Diagnostic::error("Resource request above its limit", detail).at(path.clone()),
                );
            }
        }
    }
}

/// The planned value of one field: the configuration's, else the export's (unknown while the
/// export is), else `default`.
pub fn pick<T: Clone, D>(
    config: &Tf<T>,
    export: Option<&Tf<D>>,
    from: impl Fn(&D) -> Option<T>,
    default: Tf<T>,
) -> Tf<T> {
    match config {
        Tf::Known(_) | Tf::Unknown => config.clone(),
        Tf::Null => match export {
            Some(Tf::Unknown) => Tf::Unknown,
            Some(Tf::Known(d)) => from(d).map(Tf::Known).unwrap_or(default),
            _ => default,
        },
    }
}

/// Errors at `path[i]` for each given certificate that is not a usable X.509 v3 PEM.
pub fn check_certificates(path: AttributePath, certs: &Tf<Vec<String>>, diags: &mut Diagnostics) {
    for (i, cert) in certs.known().into_iter().flatten().enumerate() {
        if let Err(e) = msp_certificate(cert) {
            let at = path.clone().index(i64::try_from(i).unwrap_or(i64::MAX));
            diags.push(Diagnostic::error("Unusable certificate", format!("{at} {e}.")).at(at));
        }
    }
}

/// An error at `path` when the given certificate is not a usable X.509 v3 PEM.
pub fn check_certificate(path: AttributePath, cert: &Tf<String>, diags: &mut Diagnostics) {
    if let Some(Err(e)) = cert.known().map(|c| msp_certificate(c)) {
        diags.push(Diagnostic::error("Unusable certificate", format!("{path} {e}.")).at(path));
    }
}

/// The planned value of a computed export that shows every stored field of a record: the
/// prior export while the plan changes nothing else (`unchanged`), unknown otherwise, even
/// when the engine kept the state's value (a drift repair plans back fields the configuration
/// leaves null, and the export must follow them).
pub fn export_unless_changed(unchanged: bool, prior: &Tf<String>) -> Tf<String> {
    if unchanged {
        prior.clone()
    } else {
        Tf::Unknown
    }
}

/// Each planned certificate list (second) equal in meaning to its kept one (first) takes the
/// kept spelling, so a respelling is no diff.
pub fn keep_equal_certificates<'a>(
    pairs: impl IntoIterator<Item = (&'a Tf<Vec<String>>, &'a mut Tf<Vec<String>>)>,
) {
    for (kept, planned) in pairs {
        if planned.is_known()
            && kept.is_known()
            && same_certificates(&kept.to_tf(), &planned.to_tf())
        {
            *planned = kept.clone();
        }
    }
}

/// Each planned certificate (second) equal in meaning to its kept one (first) takes the kept
/// spelling.
pub fn keep_equal_certificate<'a>(
    pairs: impl IntoIterator<Item = (&'a Tf<String>, &'a mut Tf<String>)>,
) {
    for (kept, planned) in pairs {
        if let (Some(k), Some(n)) = (kept.known(), planned.known()) {
            if same_certificate(k, n) {
                *planned = kept.clone();
            }
        }
    }
}

/// The private-state key that marks a create whose outcome was never confirmed.
const UNCONFIRMED: &str = "create_unconfirmed";

/// Records in the instance's private state that its create was never confirmed.
pub fn mark_unconfirmed(private: &mut Private) {
    private.set(UNCONFIRMED, true);
}

/// Whether the instance's create was never confirmed.
pub fn is_unconfirmed(private: &Private) -> bool {
    private.get::<bool>(UNCONFIRMED).unwrap_or(false)
}

/// Clears the mark once a read has settled the create (found it, or found it gone).
pub fn confirm(private: &mut Private) {
    private.remove(UNCONFIRMED);
}

/// `actual` with every value the plan already knew put back as planned: Terraform rejects an
/// apply result that differs from a known planned value. Write-only values stay null.
pub fn keep_planned<M: Model>(planned: &M, actual: M) -> M {
    let block = M::block();
    let plan = planned.to_value();
    let mut state = actual.to_value();
    let names = block
        .attributes
        .iter()
        .filter(|a| !a.write_only)
        .map(|a| a.name.as_str())
        .chain(block.blocks.iter().map(|b| b.type_name.as_str()));
    for name in names {
        let p = plan.get(name);
        if p.is_wholly_known() {
            state.set(name, p.clone());
        }
    }
    M::from_value(&state).unwrap_or(actual)
}
