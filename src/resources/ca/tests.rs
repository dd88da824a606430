//! `blockchain_ca` unit tests: the schema, the create body, the updates, the state mapping.

use super::*;
use crate::framework::{Model, Provider as _, Resource as _, Severity, TypedAdapter, Value};
use crate::resources::lifecycle::required;
use crate::resources::lifecycle::Lifecycle;
use crate::resources::pem::{decode_b64_pem, pem_text};
use crate::resources::test_util::{s, smap, string_set as strings};
use serde_json::json;

/// From the fixture exchange `import.ca` (seq 49).
const CA_ROOT_B64: &str = concat!(
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUNaakNDQWd5Z0F3SUJBZ0lVR2cwV1Jzc3dkaUFRQkdrYmEx",
    "WXFKWHVTcW5rd0NnWUlLb1pJemowRUF3SXcKY0RFTE1Ba0dBMVVFQmhNQ1ZWTXhGekFWQmdOVkJBZ01EazV2Y25S",
    "b0lFTmhjbTlzYVc1aE1ROHdEUVlEVlFRSApEQVpFZFhKb1lXMHhHVEFYQmdOVkJBb01FRzl5WnpFdVpYaGhiWEJz",
    "WlM1amIyMHhIREFhQmdOVkJBTU1FMk5oCkxtOXlaekV1WlhoaGJYQnNaUzVqYjIwd0hoY05Nall4TVRJMk1UZzBP",
    "VEkyV2hjTk5ERXhNVEl5TVRnME9USTIKV2pCd01Rc3dDUVlEVlFRR0V3SlZVekVYTUJVR0ExVUVDQXdPVG05eWRH",
    "Z2dRMkZ5YjJ4cGJtRXhEekFOQmdOVgpCQWNNQmtSMWNtaGhiVEVaTUJjR0ExVUVDZ3dRYjNKbk1TNWxlR0Z0Y0d4",
    "bExtTnZiVEVjTUJvR0ExVUVBd3dUClkyRXViM0puTVM1bGVHRnRjR3hsTG1OdmJUQlpNQk1HQnlxR1NNNDlBZ0VH",
    "Q0NxR1NNNDlBd0VIQTBJQUJPTnUKa1BWb2ZHS3NoRnliaXhEUEVWYVNvZGRqU05WS0lSa0V5NFNqa3VMbDN1K0p0",
    "NmI0Q2FxeFQvTGZoamlxY3FmRgo2Y0cxZzgvQ0k1V056RXl5ZHdlamdZTXdnWUF3SHdZRFZSMGpCQmd3Rm9BVUsz",
    "Z0xlVmdxSklrY2k4TVNRSmJICmorSG1XTzh3RHdZRFZSMFRBUUgvQkFVd0F3RUIvekFPQmdOVkhROEJBZjhFQkFN",
    "Q0FhWXdIUVlEVlIwbEJCWXcKRkFZSUt3WUJCUVVIQXdJR0NDc0dBUVVGQndNQk1CMEdBMVVkRGdRV0JCUXJlQXQ1",
    "V0Nva2lSeUx3eEpBbHNlUAo0ZVpZN3pBS0JnZ3Foa2pPUFFRREFnTklBREJGQWlBR1pNbGsrdUxsV1ZlcUMxTGQ4",
    "ZENTUXFjWWdXNnpZWHlrCnk1Z253SCtWa3dJaEFLdjhlaGJ3MjVuaTRxMXNPQ00vdmxZVmhieDlzZDV6eDlNT24r",
    "ZUU0QzBMCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K",
);
/// From the fixture exchange `import.ca` (seq 49).
const TLSCA_ROOT_B64: &str = concat!(
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUNiVENDQWhLZ0F3SUJBZ0lVV0lJSUltMDBsVU1CQldLUExI",
    "S295aFVTUTdBd0NnWUlLb1pJemowRUF3SXcKY3pFTE1Ba0dBMVVFQmhNQ1ZWTXhGekFWQmdOVkJBZ01EazV2Y25S",
    "b0lFTmhjbTlzYVc1aE1ROHdEUVlEVlFRSApEQVpFZFhKb1lXMHhHVEFYQmdOVkJBb01FRzl5WnpFdVpYaGhiWEJz",
    "WlM1amIyMHhIekFkQmdOVkJBTU1GblJzCmMyTmhMbTl5WnpFdVpYaGhiWEJzWlM1amIyMHdIaGNOTWpZeE1USTJN",
    "VGcwT1RJMldoY05OREV4TVRJeU1UZzAKT1RJMldqQnpNUXN3Q1FZRFZRUUdFd0pWVXpFWE1CVUdBMVVFQ0F3T1Rt",
    "OXlkR2dnUTJGeWIyeHBibUV4RHpBTgpCZ05WQkFjTUJrUjFjbWhoYlRFWk1CY0dBMVVFQ2d3UWIzSm5NUzVsZUdG",
    "dGNHeGxMbU52YlRFZk1CMEdBMVVFCkF3d1dkR3h6WTJFdWIzSm5NUzVsZUdGdGNHeGxMbU52YlRCWk1CTUdCeXFH",
    "U000OUFnRUdDQ3FHU000OUF3RUgKQTBJQUJJenhIWkd3WWV5OStzVUhqMURhZ2pZRllodVRmT1d5d3ZobEhiU1Uy",
    "Q1J5czA3SnZ1cDFZbkttK2RrMApPRFZZN1ArRCtZUXhxZUlzSXBvU1VvRnQwQnlqZ1lNd2dZQXdId1lEVlIwakJC",
    "Z3dGb0FVVFRQVGZpeXphY3FDCityaVBVVGkyV3JZbWtsUXdEd1lEVlIwVEFRSC9CQVV3QXdFQi96QU9CZ05WSFE4",
    "QkFmOEVCQU1DQWFZd0hRWUQKVlIwbEJCWXdGQVlJS3dZQkJRVUhBd0lHQ0NzR0FRVUZCd01CTUIwR0ExVWREZ1FX",
    "QkJSTk05TitMTE5weW9MNgp1STlST0xaYXRpYVNWREFLQmdncWhrak9QUVFEQWdOSkFEQkdBaUVBdUdwVTgvV3ZX",
    "UG54VU4zR1ByVGZrbGdjCkhCdXdXMUxvSDd0TXZxZSt5S0FDSVFDL0dNRmdRN3VSRjV2Q3BTbGVXSWoyeG4xMXF6",
    "OVhQRXQrZTE1RU1rT20KMUE9PQotLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tCg==",
);
/// From the fixture exchange `import.ca` (seq 49).
const TLS_CERT_B64: &str = concat!(
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUNqakNDQWpXZ0F3SUJBZ0lSQUx0Tm0vZThGT0owZk01bTFT",
    "MTNLNGN3Q2dZSUtvWkl6ajBFQXdJd2N6RUwKTUFrR0ExVUVCaE1DVlZNeEZ6QVZCZ05WQkFnTURrNXZjblJvSUVO",
    "aGNtOXNhVzVoTVE4d0RRWURWUVFIREFaRQpkWEpvWVcweEdUQVhCZ05WQkFvTUVHOXlaekV1WlhoaGJYQnNaUzVq",
    "YjIweEh6QWRCZ05WQkFNTUZuUnNjMk5oCkxtOXlaekV1WlhoaGJYQnNaUzVqYjIwd0hoY05Nall4TVRJMk1UZzBP",
    "VEkyV2hjTk16WXhNVEl6TVRnME9USTIKV2pCck1Rc3dDUVlEVlFRR0V3SlZVekVYTUJVR0ExVUVDQXdPVG05eWRH",
    "Z2dRMkZ5YjJ4cGJtRXhGREFTQmdOVgpCQW9NQzBoNWNHVnliR1ZrWjJWeU1ROHdEUVlEVlFRTERBWkdZV0p5YVdN",
    "eEhEQWFCZ05WQkFNTUUyTmhMbTl5Clp6RXVaWGhoYlhCc1pTNWpiMjB3V1RBVEJnY3Foa2pPUFFJQkJnZ3Foa2pP",
    "UFFNQkJ3TkNBQVN5TG5GS1BYdzEKRytlNXltM3V5TUtFZjJka3h6VFh2Z3hiSE02bWd0bllkcFFSRmU2NjJJZ3Uw",
    "VzhJN2hHM2UwV1BCZm9OKzEzUwp1djhLRy9jaW5PVnVvNEd4TUlHdU1Bd0dBMVVkRXdFQi93UUNNQUF3RGdZRFZS",
    "MFBBUUgvQkFRREFnV2dNQjBHCkExVWRKUVFXTUJRR0NDc0dBUVVGQndNQkJnZ3JCZ0VGQlFjREFqQWRCZ05WSFE0",
    "RUZnUVU2VjYrV0kzU1dNNEIKZXlpb3NIbHhwVitSc0NVd0h3WURWUjBqQkJnd0ZvQVVUVFBUZml5emFjcUMrcmlQ",
    "VVRpMldyWW1rbFF3THdZRApWUjBSQkNnd0pvSVRZMkV1YjNKbk1TNWxlR0Z0Y0d4bExtTnZiWUlKYkc5allXeG9i",
    "M04waHdSL0FBQUJNQW9HCkNDcUdTTTQ5QkFNQ0EwY0FNRVFDSUhFRHFIeE9mNWVNeTh0SkJRNCtOMXVycTkxZHFI",
    "V09tai84Nm12bFJvc0YKQWlCanJBUUhSTkJxdmJDR3c3STFpWVBoOEhFajlEK2ZEM1IyVnltVXR2RUhGQT09Ci0t",
    "LS0tRU5EIENFUlRJRklDQVRFLS0tLS0K",
);

/// A CA as GET /components/{id}?deployment_attrs=included&cache=skip returns it for a CA the
/// console deployed (docs/dev/console-api.md: `CaResponse` plus the deployment attributes), with the
/// certificates of the recorded `import.ca` exchange.
fn console_json() -> serde_json::Value {
    json!({
        "api_url": "https://org1ca-ca.apps.example.org:443",
        "config_override": {
            "ca": {"registry": {"identities": [
                {"name": "admin", "pass": "[redacted]", "type": "client"}
            ], "maxenrollments": -1}}
        },
        "dep_component_id": "org1ca",
        "display_name": "Org1 CA",
        "hsm": {"pkcs11endpoint": "tcp://hsm.example.org:2347"},
        "id": "org1ca",
        "location": "ibm_saas",
        "msp": {
            "ca": {"name": "ca", "root_certs": [CA_ROOT_B64]},
            "component": {"tls_cert": TLS_CERT_B64},
            "tlsca": {"name": "tlsca", "root_certs": [TLSCA_ROOT_B64]}
        },
        "operations_url": "https://org1ca-operations.apps.example.org:443",
        "region": null,
        "replicas": 1,
        "resources": {"ca": {
            "limits": {"cpu": "200m", "memory": "256Mi"},
            "requests": {"cpu": "100m", "memory": "128Mi"}
        }},
        "scheme_version": "v1",
        "storage": {"ca": {"class": "default", "size": "1Gi"}},
        "tags": ["fabric-ca", "ibm_saas", "org1", "tf"],
        "timestamp": 1_795_719_421_942_i64,
        "type": "fabric-ca",
        "version": "1.5.5-0",
        "zone": "dal10"
    })
}

fn component() -> Component {
    serde_json::from_value(console_json()).unwrap()
}

fn component_with(edit: impl FnOnce(&mut serde_json::Value)) -> Component {
    let mut j = console_json();
    edit(&mut j);
    serde_json::from_value(j).unwrap()
}

fn timeouts(create: &str) -> Tf<TimeoutsModel> {
    Tf::Known(TimeoutsModel(BTreeMap::from([
        ("create".to_string(), s(create)),
        ("update".to_string(), Tf::Null),
        ("delete".to_string(), Tf::Null),
    ])))
}

fn named(name: &str) -> CaModel {
    CaModel {
        display_name: s(name),
        ..CaModel::default()
    }
}

fn with_admin(mut m: CaModel) -> CaModel {
    m.admin_enroll_id = s("admin");
    m.admin_enroll_secret = s("adminpw");
    m
}

fn body(planned: &CaModel) -> serde_json::Value {
    create_body(planned, &with_admin(planned.clone())).unwrap()
}

fn pem_of(b64: &str) -> String {
    String::from_utf8(decode_b64_pem(b64).unwrap()).unwrap()
}

fn assert_certificate_pem(pem: &str) {
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\nMII"), "{pem}");
    assert!(pem.ends_with("-----END CERTIFICATE-----\n"), "{pem}");
}

fn schema() -> crate::framework::Schema {
    CaResource.schema()
}

// ---- schema ----

#[test]
fn schema_passes_the_framework_checks() {
    schema().check();
    TypedAdapter(CaResource).schema().check();
}

#[test]
fn the_model_and_the_schema_are_one_declaration() {
    // Every model field is an attribute or block of the schema and back: a round trip through
    // the schema's value type loses nothing.
    let m = live_state(&named("x"), &component());
    let v = m.to_value();
    crate::framework::encode_msgpack(&v, &schema().implied_type()).expect("conforms to the schema");
    assert_eq!(CaModel::from_value(&v).unwrap(), m);
}

#[test]
fn admin_credentials_are_write_only_and_sensitive() {
    let schema = schema();
    for name in ["admin_enroll_id", "admin_enroll_secret"] {
        let a = schema.block.get_attribute(name).unwrap();
        assert!(a.write_only, "{name} write_only");
        assert!(a.sensitive, "{name} sensitive");
        assert!(a.required && !a.computed, "{name} required, not computed");
    }
    let others: Vec<&str> = schema
        .block
        .attributes
        .iter()
        .filter(|a| a.write_only && !a.name.starts_with("admin_enroll_"))
        .map(|a| a.name.as_str())
        .collect();
    assert!(others.is_empty(), "unexpected write-only: {others:?}");
}

#[test]
fn schema_covers_every_configurable_attribute_and_timeouts() {
    let schema = schema();
    for attr in [
        "display_name",
        "zone",
        "region",
        "version",
        "replicas",
        "resource_requests",
        "resource_limits",
        "storage_size",
        "storage_class",
        "hsm_pkcs11_endpoint",
        "tags",
        "config_override",
    ] {
        let a = schema
            .block
            .get_attribute(attr)
            .unwrap_or_else(|| panic!("{attr} missing"));
        assert!(a.required || a.optional, "{attr} must be settable");
    }
    let t = schema.block.get_block("timeouts").unwrap();
    for op in ["create", "update", "delete"] {
        assert!(t.block.get_attribute(op).is_some(), "timeouts.{op}");
    }
    // Immutable on the console: storage and region replace the CA.
    for attr in [
        "storage_size",
        "storage_class",
        "region",
        "hsm_pkcs11_endpoint",
    ] {
        let a = schema.block.get_attribute(attr).unwrap();
        assert!(
            a.has_modifier(crate::framework::PlanModifier::RequiresReplace),
            "{attr} requires replace"
        );
    }
}

#[test]
fn resource_is_registered_under_its_type_name() {
    assert_eq!(CaResource.type_name(), "blockchain_ca");
    let provider = crate::provider::BlockchainProvider::new();
    assert!(provider
        .resources()
        .iter()
        .any(|r| r.type_name() == "blockchain_ca"));
}

/// A Postgres override for `ca` only: `tlsca` takes a copy of it (as the console does).
const POSTGRES_CA: &str = r#"{"ca": {"db": {"type": "postgres", "datasource": "host=db port=5432 user=u password=db-secret dbname=ca sslmode=verify-full"}}}"#;

fn with_override(replicas: Tf<i64>, text: Option<&str>) -> CaModel {
    CaModel {
        replicas,
        config_override: text.map_or(Tf::Null, s),
        ..CaModel::default()
    }
}

fn validated(m: &CaModel) -> Diagnostics {
    let mut d = Diagnostics::new();
    CaResource.validate_config(m, &mut d);
    d
}

#[test]
fn several_replicas_without_postgres_for_both_cas_fail_at_plan_at_replicas() {
    let sqlite = r#"{"ca": {"db": {"type": "sqlite3", "datasource": "ca.db"}}}"#;
    let ca_only =
        r#"{"ca": {"db": {"type": "postgres", "datasource": "x"}}, "tlsca": {"debug": true}}"#;
    let capitalised = r#"{"ca": {"db": {"type": "Postgres", "datasource": "x"}}}"#;
    // (athena's enum check and the deployer's comparison are exact: `Postgres` is refused too)
    for text in [
        None,
        Some(sqlite),
        Some(ca_only),
        Some(capitalised),
        Some("{}"),
    ] {
        let d = validated(&with_override(Tf::Known(3), text));
        let at_replicas: Vec<_> = d
            .iter()
            .filter(|d| d.is_error() && d.attribute == Some(attr!(CaModel, replicas)))
            .collect();
        assert_eq!(at_replicas.len(), 1, "{text:?}: {d}");
        assert_eq!(
            at_replicas[0].summary,
            "Several CA replicas need PostgreSQL"
        );
    }
    // The detail names what is missing, never a value.
    let d = validated(&with_override(Tf::Known(2), Some(ca_only)));
    let detail = &d.iter().next().unwrap().detail;
    assert!(detail.contains("tlsca.db.type = \"postgres\""), "{detail}");
    assert!(detail.contains("tlsca.db.datasource"), "{detail}");
    assert!(
        detail.contains("config_override: tlsca.db.type"),
        "only tlsca lacks it: {detail}"
    );
    // Postgres for ca (copied to tlsca), or for both spelled out, satisfies it.
    let both = r#"{"ca": {"DB": {"Type": "postgres", "DataSource": "a"}}, "tlsca": {"db": {"type": "postgres", "datasource": "b"}}}"#;
    for text in [POSTGRES_CA, both] {
        let d = validated(&with_override(Tf::Known(3), Some(text)));
        assert!(d.is_empty(), "{text}: {d}");
    }
    // One replica, an unknown count or an unknown override: nothing to check yet.
    for (replicas, text) in [(Tf::Known(1), None), (Tf::Null, None), (Tf::Unknown, None)] {
        assert!(validated(&with_override(replicas, text)).is_empty());
    }
    let unknown = CaModel {
        replicas: Tf::Known(3),
        config_override: Tf::Unknown,
        ..CaModel::default()
    };
    assert!(validated(&unknown).is_empty());
}

#[test]
fn override_gaps_follow_the_deployers_check() {
    use config_override::{parse, postgres_gaps};
    assert!(postgres_gaps(Some(&parse(POSTGRES_CA).unwrap())).is_empty());
    assert_eq!(
        postgres_gaps(None),
        [
            "ca.db.type = \"postgres\"",
            "ca.db.datasource",
            "tlsca.db.type = \"postgres\"",
            "tlsca.db.datasource"
        ]
    );
    let empty_source = parse(r#"{"ca": {"db": {"type": "postgres", "datasource": ""}}}"#).unwrap();
    assert_eq!(
        postgres_gaps(Some(&empty_source)),
        ["ca.db.datasource", "tlsca.db.datasource"]
    );
}

#[test]
fn the_override_is_checked_at_plan_without_quoting_it() {
    let cases = [
        ("not json", "not valid JSON"),
        ("[1]", "must be a JSON object"),
        (r#"{"CA": {}}"#, "`CA` is not a CA"),
        (r#"{"ca": 7}"#, "`ca` must be a JSON object"),
        (
            r#"{"ca": {"registry": {"maxenrollments": 3}}}"#,
            "`ca.registry` is set by the provider",
        ),
        (
            r#"{"tlsca": {"Registry": {}}}"#,
            "`tlsca.Registry` is set by the provider",
        ),
        (
            r#"{"ca": {"port": 7054}}"#,
            "`ca.port` is filled in by the console",
        ),
        (
            r#"{"ca": {"Operations": {}}}"#,
            "`ca.Operations` is filled in by the console",
        ),
        (
            r#"{"ca": {"bogus": "db-secret"}}"#,
            "`ca.bogus` is not a CA setting",
        ),
        (
            r#"{"ca": {"db": {"type": "oracle", "datasource": "db-secret"}}}"#,
            "`ca.db.type` must be one of",
        ),
        (
            r#"{"ca": {"db": {"type": "postgres"}}}"#,
            "`ca.db.datasource` is required",
        ),
        (
            r#"{"ca": {"db": "db-secret"}}"#,
            "`ca.db` must be an object",
        ),
    ];
    for (text, want) in cases {
        let d = validated(&with_override(Tf::Null, Some(text)));
        let errors: Vec<_> = d.iter().filter(|d| d.is_error()).collect();
        assert_eq!(errors.len(), 1, "{text}: {d}");
        assert_eq!(errors[0].attribute, Some(attr!(CaModel, config_override)));
        assert!(
            errors[0].detail.contains(want),
            "{text}: {}",
            errors[0].detail
        );
        assert!(
            !errors[0].detail.contains("db-secret"),
            "{}",
            errors[0].detail
        );
    }
    // Settings the console takes, in any case, are fine; `signing` too, at creation.
    let fine = r#"{"ca": {"CFG": {"identities": {"passwordattempts": 3}}, "csr": {"cn": "x", "names": [], "ca": {}}, "signing": {}, "affiliations": {"org1": ["department1"]}}}"#;
    assert!(validated(&with_override(Tf::Null, Some(fine))).is_empty());
}

#[test]
fn allowremove_is_accepted_with_a_warning_that_it_has_no_effect() {
    let text = r#"{"ca": {"cfg": {"identities": {"passwordattempts": 3, "AllowRemove": false}}}}"#;
    let d = validated(&with_override(Tf::Null, Some(text)));
    let all: Vec<_> = d.iter().collect();
    assert_eq!(all.len(), 1, "{d}");
    assert_eq!(all[0].severity, Severity::Warning);
    assert_eq!(all[0].attribute, Some(attr!(CaModel, config_override)));
}

#[test]
fn signing_is_refused_only_in_an_update() {
    let path = attr!(CaModel, config_override);
    let text = r#"{"tlsca": {"Signing": {"default": {"expiry": "8760h"}}}}"#;
    let mut d = Diagnostics::new();
    config_override::check(text, &path, &mut d);
    assert!(d.is_empty(), "{d}");
    config_override::check_update(text, &path, &mut d);
    let errors: Vec<_> = d.iter().collect();
    assert_eq!(errors.len(), 1, "{d}");
    assert!(errors[0]
        .detail
        .contains("`tlsca.Signing` can only be given when the CA is created"));
    assert_eq!(errors[0].attribute, Some(path.clone()));
    let mut d = Diagnostics::new();
    config_override::check_update(POSTGRES_CA, &path, &mut d);
    assert!(d.is_empty());
}

#[test]
fn limits_without_requests_are_refused_at_the_requests_attribute() {
    let mut d = Diagnostics::new();
    let m = CaModel {
        resource_limits: smap(&[("cpu", "1")]),
        ..CaModel::default()
    };
    CaResource.validate_config(&m, &mut d);
    assert!(d.has_errors());
    assert_eq!(
        d.iter().next().unwrap().attribute,
        Some(attr!(CaModel, resource_requests))
    );
}

#[test]
fn a_create_or_replacement_without_admin_credentials_stops_at_plan() {
    for (id, replacing) in [(Tf::Null, false), (Tf::Null, true), (Tf::Unknown, true)] {
        let config = CaModel {
            admin_enroll_id: id,
            admin_enroll_secret: s("adminpw"),
            ..named("x")
        };
        let mut d = Diagnostics::new();
        CaResource.validate_create(
            &CreatePlan {
                config: &config,
                planned: &config,
                replacing,
            },
            &mut d,
        );
        assert!(d.has_errors(), "{replacing}");
        let e = d.iter().next().unwrap();
        assert_eq!(e.attribute, Some(attr!(CaModel, admin_enroll_id)));
    }
    let ok = with_admin(named("x"));
    let mut d = Diagnostics::new();
    CaResource.validate_create(
        &CreatePlan {
            config: &ok,
            planned: &ok,
            replacing: true,
        },
        &mut d,
    );
    assert!(d.is_empty(), "{d}");
}

// ---- pem ----

#[test]
fn console_base64_decodes_to_pem() {
    for b64 in [CA_ROOT_B64, TLSCA_ROOT_B64, TLS_CERT_B64] {
        assert_certificate_pem(&pem_of(b64));
    }
    // Whitespace around the value is not part of it.
    assert_eq!(pem_of(&format!("  {CA_ROOT_B64}\n")), pem_of(CA_ROOT_B64));
}

#[test]
fn line_wrapped_base64_decodes_too() {
    let wrapped: String = CA_ROOT_B64
        .as_bytes()
        .chunks(64)
        .map(|c| format!("{}\n", std::str::from_utf8(c).unwrap()))
        .collect();
    assert_eq!(pem_of(&wrapped), pem_of(CA_ROOT_B64));
}

#[test]
fn raw_pem_is_kept_as_given() {
    let pem = pem_of(TLS_CERT_B64);
    assert_eq!(pem_of(&pem), pem.trim());
    assert_eq!(pem_text(&pem), pem.trim());
}

#[test]
fn non_pem_is_not_decoded() {
    assert_eq!(decode_b64_pem("not base64 at all!"), None);
    assert_eq!(decode_b64_pem(""), None);
    // Valid base64, but of something that is not PEM ("hello world").
    assert_eq!(decode_b64_pem("aGVsbG8gd29ybGQ="), None);
    // pem_text then keeps the console's string rather than inventing one.
    assert_eq!(pem_text("aGVsbG8gd29ybGQ="), "aGVsbG8gd29ybGQ=");
    assert_eq!(pem_text("%%%"), "%%%");
    assert_certificate_pem(&pem_text(CA_ROOT_B64));
}

// ---- the create body ----

#[test]
fn admin_registry_registers_one_all_powerful_client() {
    let r = admin_registry("admin", "adminpw");
    assert_eq!(r["registry"]["maxenrollments"], json!(-1));
    let ids = r["registry"]["identities"].as_array().unwrap();
    assert_eq!(ids.len(), 1);
    let id = &ids[0];
    assert_eq!(id["name"], json!("admin"));
    assert_eq!(id["pass"], json!("adminpw"));
    assert_eq!(id["type"], json!("client"));
    // Every attribute of the recorded create the console accepted
    // (`k8s.create-ca.valid.deployer-unreachable`), with the same values.
    for (k, v) in [
        ("hf.Registrar.Roles", json!("*")),
        ("hf.Registrar.Attributes", json!("*")),
        ("hf.Revoker", json!(true)),
        ("hf.GenCRL", json!(true)),
        ("hf.AffiliationMgr", json!(true)),
        ("hf.Registrar.DelegateRoles", json!("*")),
        ("hf.IntermediateCA", json!(true)),
    ] {
        assert_eq!(id["attrs"][k], v, "{k}");
    }
    assert_eq!(r.as_object().unwrap().len(), 1, "only `registry`");
}

#[test]
fn the_create_body_holds_known_values_only() {
    let planned = CaModel {
        zone: Tf::Unknown,
        version: s("1.5.7"),
        replicas: Tf::Known(2),
        resource_requests: smap(&[("cpu", "100m")]),
        storage_size: s("1Gi"),
        tags: strings(&["tf", "org1"]),
        ..named("Org1 CA")
    };
    let b = body(&planned);
    assert_eq!(b["display_name"], json!("Org1 CA"));
    assert!(b.get("zone").is_none(), "unknown values are not sent: {b}");
    assert!(b.get("id").is_none(), "the lifecycle chooses the id");
    assert_eq!(b["version"], json!("1.5.7"));
    assert_eq!(b["replicas"], json!(2));
    assert_eq!(b["tags"], json!(["org1", "tf"]));
    assert_eq!(b["storage"], json!({"ca": {"size": "1Gi"}}));
    // Both registries seeded with the admin, never from state.
    let admin = &b["config_override"]["ca"]["registry"]["identities"][0];
    assert_eq!(admin["name"], json!("admin"));
    assert_eq!(b["config_override"]["tlsca"], b["config_override"]["ca"]);
}

#[test]
fn a_create_without_credentials_sends_nothing_and_names_the_attribute() {
    let err = create_body(&named("x"), &named("x")).unwrap_err();
    let d = err.iter().next().unwrap();
    assert_eq!(d.attribute, Some(attr!(CaModel, admin_enroll_id)));
}

#[test]
fn a_planned_value_must_be_known_by_apply() {
    for v in [Tf::<String>::Null, Tf::Unknown] {
        let d = required(&v, attr!(CaModel, display_name)).unwrap_err();
        let e = d.iter().next().unwrap();
        assert!(e.is_error());
        assert_eq!(e.attribute, Some(attr!(CaModel, display_name)));
    }
    assert_eq!(
        required(&s("x"), attr!(CaModel, display_name)).unwrap(),
        "x"
    );
}

#[test]
fn resources_and_storage_have_the_create_body_shape() {
    let none = body(&named("x"));
    assert!(none.get("resources").is_none());
    assert!(none.get("storage").is_none());

    // The shape of the recorded valid create (`k8s.create-ca.valid.deployer-unreachable`).
    let full = body(&CaModel {
        resource_requests: smap(&[("cpu", "100m"), ("memory", "128M")]),
        resource_limits: smap(&[("cpu", "200m"), ("memory", "256Mi")]),
        storage_size: s("1Gi"),
        storage_class: s("default"),
        ..named("x")
    });
    assert_eq!(
        full["resources"],
        json!({"ca": {
            "requests": {"cpu": "100m", "memory": "128M"},
            "limits": {"cpu": "200m", "memory": "256Mi"}
        }})
    );
    assert_eq!(
        full["storage"],
        json!({"ca": {"size": "1Gi", "class": "default"}})
    );
}

#[test]
fn resources_and_storage_hold_only_what_is_set() {
    let limits_only = body(&CaModel {
        resource_limits: smap(&[("memory", "1Gi")]),
        storage_class: s("fast"),
        ..named("x")
    });
    assert_eq!(
        limits_only["resources"],
        json!({"ca": {"limits": {"memory": "1Gi"}}})
    );
    assert_eq!(limits_only["storage"], json!({"ca": {"class": "fast"}}));
    let size_only = body(&CaModel {
        storage_size: s("20Gi"),
        ..named("x")
    });
    assert_eq!(size_only["storage"], json!({"ca": {"size": "20Gi"}}));
    let requests_only = body(&CaModel {
        resource_requests: smap(&[("cpu", "1")]),
        ..named("x")
    });
    assert_eq!(
        requests_only["resources"],
        json!({"ca": {"requests": {"cpu": "1"}}})
    );
}

// ---- changed / deployment_updates / record_edit ----

#[test]
fn changed_needs_a_known_set_different_value() {
    let prior = s("1.5.5-0");
    assert_eq!(changed(&prior, &s("1.5.7")), Some(&"1.5.7".to_string()));
    assert_eq!(changed(&prior, &s("1.5.5-0")), None);
    assert_eq!(changed(&prior, &Tf::Unknown), None);
    assert_eq!(changed(&prior, &Tf::Null), None);
    assert_eq!(changed(&Tf::Null, &s("dal10")), Some(&"dal10".to_string()));
    assert_eq!(changed(&Tf::Known(1), &Tf::Known(1)), None);
    assert_eq!(changed(&Tf::Known(1), &Tf::Known(2)), Some(&2));
}

fn deployed_prior() -> CaModel {
    CaModel {
        id: s("org1ca"),
        version: s("1.5.5-0"),
        replicas: Tf::Known(1),
        zone: s("dal10"),
        resource_requests: smap(&[("cpu", "100m"), ("memory", "128Mi")]),
        resource_limits: smap(&[("cpu", "200m"), ("memory", "256Mi")]),
        tags: strings(&["tf"]),
        ..named("Org1 CA")
    }
}

#[test]
fn updates_go_version_then_override_then_resources_then_replicas_then_zone() {
    let prior = deployed_prior();
    let planned = CaModel {
        zone: s("dal12"),
        replicas: Tf::Known(2),
        resource_requests: smap(&[("cpu", "250m"), ("memory", "128Mi")]),
        version: s("1.5.7"),
        config_override: s(POSTGRES_CA),
        ..prior.clone()
    };
    let got = deployment_updates(&prior, &planned);
    let postgres = json!({"type": "postgres", "datasource": "host=db port=5432 user=u password=db-secret dbname=ca sslmode=verify-full"});
    assert_eq!(
        got,
        vec![
            CaUpdate::Version("1.5.7".into()),
            // The whole override, both CAs, no registry: the deployer then has Postgres for
            // both before the replica count goes up.
            CaUpdate::ConfigOverride(json!({"ca": {"db": postgres}, "tlsca": {"db": postgres}})),
            CaUpdate::Resources(json!({"ca": {
                "requests": {"cpu": "250m", "memory": "128Mi"},
                "limits": {"cpu": "200m", "memory": "256Mi"}
            }})),
            CaUpdate::Replicas(2),
            CaUpdate::Zone("dal12".into()),
        ]
    );
    let fields: Vec<&str> = got.iter().map(CaUpdate::field_name).collect();
    assert_eq!(
        fields,
        [
            "version",
            "config_override",
            "resources",
            "replicas",
            "zone"
        ]
    );
    // Each is a one-field body, as the console demands.
    assert_eq!(
        serde_json::to_value(&got[0]).unwrap(),
        json!({"version": "1.5.7"})
    );
    assert_eq!(
        serde_json::to_value(&got[3]).unwrap(),
        json!({"replicas": 2})
    );
}

#[test]
fn an_override_change_is_one_update_and_a_removed_or_equal_one_sends_nothing() {
    let prior = CaModel {
        config_override: s(r#"{"ca": {"debug": true}}"#),
        ..deployed_prior()
    };
    let changed = CaModel {
        config_override: s(r#"{"ca": {"debug": false}, "tlsca": {"debug": true}}"#),
        ..prior.clone()
    };
    assert_eq!(
        deployment_updates(&prior, &changed),
        vec![CaUpdate::ConfigOverride(
            json!({"ca": {"debug": false}, "tlsca": {"debug": true}})
        )]
    );
    // Removing the override resets nothing on the console, so nothing is sent.
    let removed = CaModel {
        config_override: Tf::Null,
        ..prior.clone()
    };
    assert!(deployment_updates(&prior, &removed).is_empty());
    assert!(deployment_updates(&prior, &prior).is_empty());
}

#[test]
fn the_create_override_merges_the_users_settings_with_the_admin_registry() {
    let user = r#"{"ca": {"db": {"type": "postgres", "datasource": "a"}, "cfg": {"identities": {"passwordattempts": 3}}}, "tlsca": {"db": {"type": "postgres", "datasource": "b"}}}"#;
    let b = body(&CaModel {
        config_override: s(user),
        ..named("Org1 CA")
    });
    let co = &b["config_override"];
    let registry = admin_registry("admin", "adminpw")["registry"].clone();
    assert_eq!(
        co,
        &json!({
            "ca": {"db": {"type": "postgres", "datasource": "a"}, "cfg": {"identities": {"passwordattempts": 3}}, "registry": registry},
            "tlsca": {"db": {"type": "postgres", "datasource": "b"}, "registry": registry}
        })
    );
    // Without tlsca, it is a copy of ca (the console's rule), still with the registry.
    let b = body(&CaModel {
        config_override: s(POSTGRES_CA),
        ..named("Org1 CA")
    });
    assert_eq!(b["config_override"]["tlsca"], b["config_override"]["ca"]);
    assert_eq!(b["config_override"]["ca"]["db"]["type"], "postgres");
    assert_eq!(b["config_override"]["ca"]["registry"], registry);
    // A tlsca-only override leaves ca with the registry alone.
    let b = body(&CaModel {
        config_override: s(r#"{"tlsca": {"debug": true}}"#),
        ..named("Org1 CA")
    });
    assert_eq!(b["config_override"]["ca"], json!({"registry": registry}));
    assert_eq!(b["config_override"]["tlsca"]["debug"], true);
}

/// The console's copy of an override after the provider created or updated it: redacted
/// identities, and no `db.datasource` (athena drops it from every answer).
fn stored(co: serde_json::Value) -> Component {
    component_with(|j| j["config_override"] = co)
}

#[test]
fn a_read_keeps_the_state_while_the_consoles_copy_means_the_same() {
    let state = s(POSTGRES_CA);
    let registry = json!({"maxenrollments": -1, "identities": [{"name": "[redacted]", "pass": "[redacted]", "type": "client"}]});
    let after_create = stored(json!({
        "ca": {"db": {"type": "postgres"}, "registry": registry},
        "tlsca": {"db": {"type": "postgres"}, "registry": registry}
    }));
    let base = CaModel {
        config_override: state.clone(),
        ..named("x")
    };
    assert_eq!(live_state(&base, &after_create).config_override, state);
    // Key names in another case mean the same to the console.
    let respelled =
        stored(json!({"ca": {"DB": {"Type": "postgres"}}, "tlsca": {"db": {"type": "postgres"}}}));
    assert_eq!(live_state(&base, &respelled).config_override, state);
    // A console that reports no override leaves the state alone; so does a state without one.
    let none = component_with(|j| {
        j.as_object_mut().map(|o| o.remove("config_override"));
    });
    assert_eq!(live_state(&base, &none).config_override, state);
    assert_eq!(
        live_state(&named("x"), &after_create).config_override,
        Tf::Null
    );
}

#[test]
fn a_read_reports_an_override_changed_behind_terraforms_back() {
    let base = CaModel {
        config_override: s(POSTGRES_CA),
        ..named("x")
    };
    // Someone sent another override through the console: its copy is what the update sent.
    let changed = stored(json!({"ca": {"db": {"type": "postgres"}, "debug": true}}));
    let got = live_state(&base, &changed).config_override;
    let got: serde_json::Value = serde_json::from_str(got.known().unwrap()).unwrap();
    // Both CAs as the console applies them, the datasource it never returns kept from state.
    let db = json!({"type": "postgres", "datasource": "host=db port=5432 user=u password=db-secret dbname=ca sslmode=verify-full"});
    assert_eq!(
        got,
        json!({"ca": {"db": db, "debug": true}, "tlsca": {"db": db, "debug": true}})
    );
}

#[test]
fn an_override_update_counts_as_done_once_the_console_stores_it() {
    let sent = config_override::update_json(&config_override::parse(POSTGRES_CA).unwrap());
    let update = CaUpdate::ConfigOverride(sent);
    let old = stored(json!({"ca": {"registry": {"maxenrollments": -1}}}));
    assert!(!reflects(&old, &update));
    let new =
        stored(json!({"ca": {"db": {"type": "postgres"}}, "tlsca": {"db": {"type": "postgres"}}}));
    assert!(reflects(&new, &update));
    let none = component_with(|j| {
        j.as_object_mut().map(|o| o.remove("config_override"));
    });
    assert!(
        reflects(&none, &update),
        "a console that does not report it"
    );
}

#[test]
fn the_override_is_sensitive_optional_and_compared_as_json() {
    let schema = schema();
    let a = schema.block.get_attribute("config_override").unwrap();
    assert!(a.sensitive && a.optional && !a.computed && !a.write_only);
    let eq = a.semantic_equality.as_ref().expect("semantic equality");
    assert!(eq.equal(
        &Value::string(r#"{"ca": {"debug": true}}"#),
        &Value::string(r#"{ "ca" : { "debug" : true } }"#)
    ));
    assert!(!eq.equal(
        &Value::string(r#"{"ca": {"debug": true}}"#),
        &Value::string(r#"{"ca": {"debug": false}}"#)
    ));
}

#[test]
fn a_limits_change_alone_sends_the_whole_resources_object() {
    let prior = deployed_prior();
    let planned = CaModel {
        resource_limits: smap(&[("cpu", "1"), ("memory", "256Mi")]),
        ..prior.clone()
    };
    assert_eq!(
        deployment_updates(&prior, &planned),
        vec![CaUpdate::Resources(json!({"ca": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "1", "memory": "256Mi"}
        }}))]
    );
}

#[test]
fn nothing_is_sent_for_unchanged_unknown_or_null_values() {
    let prior = deployed_prior();
    assert!(deployment_updates(&prior, &prior).is_empty());
    assert!(lifecycle::record_edit(&prior, &prior, &[], &SYSTEM_TAGS).is_none());

    for blank in [Tf::Unknown, Tf::Null] {
        let planned = CaModel {
            version: blank.clone(),
            zone: blank.clone(),
            ..prior.clone()
        };
        let planned = CaModel {
            replicas: blank.clone().map(|_: String| 0),
            resource_requests: blank.clone().map(|_| BTreeMap::new()),
            resource_limits: blank.clone().map(|_| BTreeMap::new()),
            ..planned
        };
        assert!(deployment_updates(&prior, &planned).is_empty(), "{blank:?}");
    }

    // Record-only changes are edits, not deployment updates.
    let record = CaModel {
        display_name: s("Renamed"),
        tags: strings(&["tf", "new"]),
        ..prior.clone()
    };
    assert!(deployment_updates(&prior, &record).is_empty());
    let edit = lifecycle::record_edit(&prior, &record, &[], &SYSTEM_TAGS).unwrap();
    assert_eq!(edit.display_name.as_deref(), Some("Renamed"));
    assert_eq!(edit.tags, Some(vec!["new".to_string(), "tf".to_string()]));
}

#[test]
fn a_tag_edit_sends_the_consoles_own_tags_back() {
    let prior = deployed_prior();
    let planned = CaModel {
        tags: strings(&["tf", "new"]),
        ..prior.clone()
    };
    let console_tags = [
        "fabric-ca".to_string(),
        "ibm_saas".to_string(),
        "tf".to_string(),
    ];
    let edit = lifecycle::record_edit(&prior, &planned, &console_tags, &SYSTEM_TAGS).unwrap();
    assert_eq!(
        edit.tags,
        Some(vec![
            "new".into(),
            "tf".into(),
            "fabric-ca".into(),
            "ibm_saas".into()
        ])
    );
    assert_eq!(edit.display_name, None);
}

#[test]
fn replicas_out_of_u32_range_are_not_sent() {
    let prior = deployed_prior();
    let planned = CaModel {
        replicas: Tf::Known(-1),
        ..prior.clone()
    };
    assert!(deployment_updates(&prior, &planned).is_empty());
}

// ---- live_state ----

#[test]
fn live_state_maps_the_console_view() {
    let base = CaModel {
        id: s("org1ca"),
        admin_enroll_id: s("admin"),
        admin_enroll_secret: s("adminpw"),
        hsm_pkcs11_endpoint: s("tcp://hsm.example.org:2347"),
        timeouts: timeouts("30m"),
        ..named("old name")
    };
    let st = live_state(&base, &component());
    assert_eq!(st.id, s("org1ca"));
    assert_eq!(st.display_name, s("Org1 CA"));
    assert_eq!(st.api_url, s("https://org1ca-ca.apps.example.org:443"));
    assert_eq!(
        st.operations_url,
        s("https://org1ca-operations.apps.example.org:443")
    );
    assert_eq!(st.zone, s("dal10"));
    assert_eq!(st.region, Tf::Null);
    assert_eq!(st.version, s("1.5.5-0"));
    assert_eq!(st.replicas, Tf::Known(1));
    assert_eq!(
        st.resource_requests,
        smap(&[("cpu", "100m"), ("memory", "128Mi")])
    );
    assert_eq!(
        st.resource_limits,
        smap(&[("cpu", "200m"), ("memory", "256Mi")])
    );
    assert_eq!(st.storage_size, s("1Gi"));
    assert_eq!(st.storage_class, s("default"));
    assert_eq!(st.ca_name, s("ca"));
    assert_eq!(st.tlsca_name, s("tlsca"));

    // PEMs decoded.
    let ca_roots = st.ca_root_certs.known().unwrap();
    assert_eq!(ca_roots, &vec![pem_of(CA_ROOT_B64)]);
    assert_certificate_pem(&ca_roots[0]);
    assert_eq!(st.tlsca_root_certs, Tf::Known(vec![pem_of(TLSCA_ROOT_B64)]));
    let tls_cert = st.tls_cert.known().unwrap();
    assert_eq!(tls_cert, &pem_of(TLS_CERT_B64));
    assert_certificate_pem(tls_cert);

    // System tags dropped; the user's kept (the base had none, the console has some).
    assert_eq!(st.tags, strings(&["org1", "tf"]));

    // Write-only never stored; the HSM endpoint read back from the console's `hsm`.
    assert_eq!(st.admin_enroll_id, Tf::Null);
    assert_eq!(st.admin_enroll_secret, Tf::Null);
    assert_eq!(st.hsm_pkcs11_endpoint, s("tcp://hsm.example.org:2347"));
    assert_eq!(st.timeouts, timeouts("30m"));
    assert!(st.to_value().is_wholly_known());
}

#[test]
fn export_json_is_the_console_export() {
    let st = live_state(&CaModel::default(), &component());
    let text = st.export_json.known().unwrap();
    let doc: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(doc["display_name"], json!("Org1 CA"));
    assert_eq!(doc["name"], json!("Org1 CA"));
    assert_eq!(doc["id"], json!("org1ca"));
    assert_eq!(doc["type"], json!("fabric-ca"));
    assert_eq!(doc["location"], json!(DEFAULT_PLATFORM));
    assert_eq!(
        doc["api_url"],
        json!("https://org1ca-ca.apps.example.org:443")
    );
    assert_eq!(doc["ca_name"], json!("ca"));
    assert_eq!(doc["tlsca_name"], json!("tlsca"));
    // The export keeps the console's base64 PEMs.
    assert_eq!(doc["tls_cert"], json!(TLS_CERT_B64));
    assert_eq!(doc["tls_ca_root_cert"], json!(TLSCA_ROOT_B64));
    assert_eq!(doc["msp"]["ca"]["root_certs"][0], json!(CA_ROOT_B64));
    // 4-space indentation, as the console's download button writes it.
    assert!(text.starts_with("{\n    \""), "{text}");
    assert!(!text.contains("config_override"));
}

#[test]
fn tags_stay_null_when_nobody_set_any() {
    let c = component_with(|j| j["tags"] = json!(["fabric-ca", "ibm_saas"]));
    assert_eq!(live_state(&CaModel::default(), &c).tags, Tf::Null);
    // An explicitly empty set stays an empty set, not null.
    let base = CaModel {
        tags: strings(&[]),
        ..CaModel::default()
    };
    assert_eq!(live_state(&base, &c).tags, strings(&[]));
    // Tags removed on the console are drift from the user's tags.
    let base = CaModel {
        tags: strings(&["tf"]),
        ..CaModel::default()
    };
    assert_eq!(live_state(&base, &c).tags, strings(&[]));
    // A console answer with null tags is the same as none.
    let c = component_with(|j| j["tags"] = serde_json::Value::Null);
    assert_eq!(live_state(&CaModel::default(), &c).tags, Tf::Null);
}

#[test]
fn a_system_tag_the_user_lists_is_kept() {
    let base = CaModel {
        tags: strings(&["fabric-ca", "tf"]),
        ..CaModel::default()
    };
    assert_eq!(
        live_state(&base, &component()).tags,
        strings(&["fabric-ca", "org1", "tf"])
    );
}

#[test]
fn live_state_nulls_unknowns_the_console_cannot_fill() {
    let base = CaModel {
        hsm_pkcs11_endpoint: Tf::Unknown,
        timeouts: Tf::Unknown,
        ..CaModel::default()
    };
    let without_hsm = component_with(|j| {
        j.as_object_mut().map(|o| o.remove("hsm"));
    });
    let st = live_state(&base, &without_hsm);
    assert_eq!(st.hsm_pkcs11_endpoint, Tf::Null);
    assert_eq!(st.timeouts, Tf::Null);
    assert!(st.to_value().is_wholly_known());
}

#[test]
fn live_state_of_a_sparse_component() {
    // A CA whose deployment attributes and MSP the console did not report.
    let c: Component = serde_json::from_value(json!({
        "id": "bare", "display_name": "Bare", "type": "fabric-ca", "tags": ["fabric-ca"]
    }))
    .unwrap();
    let st = live_state(&CaModel::default(), &c);
    for (name, v) in [
        ("zone", &st.zone),
        ("region", &st.region),
        ("version", &st.version),
        ("storage_size", &st.storage_size),
        ("storage_class", &st.storage_class),
        ("ca_name", &st.ca_name),
        ("tlsca_name", &st.tlsca_name),
        ("tls_cert", &st.tls_cert),
        ("api_url", &st.api_url),
        ("operations_url", &st.operations_url),
    ] {
        assert_eq!(v, &Tf::Null, "{name}");
    }
    assert_eq!(st.replicas, Tf::Null);
    assert_eq!(st.resource_requests, Tf::Null);
    assert_eq!(st.resource_limits, Tf::Null);
    assert_eq!(st.tags, Tf::Null);
    assert_eq!(st.ca_root_certs, Tf::Known(Vec::new()));
    assert_eq!(st.tlsca_root_certs, Tf::Known(Vec::new()));
    let doc: serde_json::Value = serde_json::from_str(st.export_json.known().unwrap()).unwrap();
    assert_eq!(doc["id"], json!("bare"));
}

// ---- applied_state ----

#[test]
fn applied_state_keeps_known_planned_values() {
    let planned = CaModel {
        id: Tf::Unknown,
        version: s("1.5.7"),
        replicas: Tf::Known(1),
        zone: Tf::Unknown,
        region: Tf::Unknown,
        resource_requests: smap(&[("cpu", "0.1"), ("memory", "128Mi")]),
        resource_limits: Tf::Unknown,
        storage_size: s("1Gi"),
        storage_class: Tf::Unknown,
        tags: strings(&["tf", "org1"]),
        api_url: Tf::Unknown,
        operations_url: Tf::Unknown,
        ca_name: Tf::Unknown,
        tlsca_name: Tf::Unknown,
        ca_root_certs: Tf::Unknown,
        tlsca_root_certs: Tf::Unknown,
        tls_cert: Tf::Unknown,
        export_json: Tf::Unknown,
        timeouts: timeouts("45m"),
        ..named("Org1 CA")
    };
    let st = CaModel::applied_state(&planned, &component());
    // Known planned values win, even where the console words them differently.
    assert_eq!(st.version, s("1.5.7"));
    assert_eq!(
        st.resource_requests,
        smap(&[("cpu", "0.1"), ("memory", "128Mi")])
    );
    assert_eq!(st.tags, strings(&["org1", "tf"]));
    // Unknown planned values take the console's.
    assert_eq!(st.id, s("org1ca"));
    assert_eq!(st.zone, s("dal10"));
    assert_eq!(st.region, Tf::Null);
    assert_eq!(
        st.resource_limits,
        smap(&[("cpu", "200m"), ("memory", "256Mi")])
    );
    assert_eq!(st.storage_class, s("default"));
    assert_eq!(st.ca_name, s("ca"));
    assert_certificate_pem(st.tls_cert.known().unwrap());
    assert!(st.export_json.is_known());
    assert_eq!(st.timeouts, timeouts("45m"));
    assert_eq!(st.admin_enroll_id, Tf::Null);
    assert_eq!(st.admin_enroll_secret, Tf::Null);
    // Terraform rejects an apply result that still holds unknowns.
    assert!(st.to_value().is_wholly_known());
}

#[test]
fn applied_state_keeps_known_nulls_and_fills_unknowns_from_the_console() {
    // Terraform rejects an apply result that differs from a known planned value, null too.
    let planned = CaModel {
        version: Tf::Null,
        ..named("Org1 CA")
    };
    assert_eq!(
        CaModel::applied_state(&planned, &component()).version,
        Tf::Null
    );
    let planned = CaModel {
        version: Tf::Unknown,
        ..named("Org1 CA")
    };
    assert_eq!(
        CaModel::applied_state(&planned, &component()).version,
        s("1.5.5-0")
    );
}

#[test]
fn only_a_deployed_fabric_ca_is_this_resource() {
    type Ca<'a> = Lifecycle<'a, CaKind, crate::console::ConsoleClient>;
    assert!(Ca::is_ours(&component()));
    let imported = component_with(|j| j["location"] = json!("-"));
    assert!(!Ca::is_ours(&imported));
    let peer = component_with(|j| j["type"] = json!("fabric-peer"));
    assert!(!Ca::is_ours(&peer));
}

#[test]
fn an_update_counts_as_done_once_the_console_reports_it() {
    let c = component();
    assert!(reflects(&c, &CaUpdate::Version("1.5.5".into())));
    assert!(!reflects(&c, &CaUpdate::Version("1.5.6".into())));
    assert!(reflects(&c, &CaUpdate::Replicas(1)));
    assert!(!reflects(&c, &CaUpdate::Replicas(2)));
    // A zone change may be accepted without moving anything (docs/dev/console-api.md): the
    // PUT's success is taken as done, and the next read reports the zone as it is.
    assert!(reflects(&c, &CaUpdate::Zone("dal12".into())));
    // A console that does not report replicas cannot hold an update back.
    let no_replicas = component_with(|j| {
        j.as_object_mut().map(|o| o.remove("replicas"));
    });
    assert!(reflects(&no_replicas, &CaUpdate::Replicas(3)));
    let wanted = json!({"ca": {"requests": {"cpu": "0.1", "memory": "128Mi"}}});
    assert!(reflects(&c, &CaUpdate::Resources(wanted)));
    let more = json!({"ca": {"requests": {"cpu": "1"}}});
    assert!(!reflects(&c, &CaUpdate::Resources(more)));
}

// ---- plans: the framework's pipeline on this schema ----

/// Runs the framework's plan engine, as the server does (this resource has no modify_plan).
fn plan_update(prior: &CaModel, config: &CaModel) -> (Value, Vec<crate::framework::AttributePath>) {
    let schema = schema();
    let (prior, config) = (prior.to_value(), config.to_value());
    // Terraform's proposed state: configuration values, prior values for computed nulls.
    let mut proposed = prior.clone();
    if let Some(m) = config.as_map() {
        for (k, v) in m {
            let computed = schema.block.get_attribute(k).is_some_and(|a| a.computed);
            if !v.is_null() || !computed {
                proposed.set(k, v.clone());
            }
        }
    }
    let change = crate::framework::plan_resource_change(&schema, &prior, &proposed, &config);
    (change.planned, change.requires_replace)
}

/// A realistic configuration: what a user writes, computed attributes left out.
fn user_config(edit: impl FnOnce(&mut CaModel)) -> CaModel {
    let mut c = with_admin(CaModel {
        tags: strings(&["org1", "tf"]),
        hsm_pkcs11_endpoint: s("tcp://hsm.example.org:2347"),
        ..named("Org1 CA")
    });
    edit(&mut c);
    c
}

fn prior_state(c: &Component) -> CaModel {
    live_state(&CaModel::default(), c)
}

#[test]
fn equivalent_spellings_in_the_configuration_plan_no_change_and_no_replacement() {
    let prior = prior_state(&component());
    let config = user_config(|c| {
        c.version = s("1.5.5");
        c.storage_size = s("1024Mi");
        c.resource_requests = smap(&[("cpu", "0.1"), ("memory", "128Mi")]);
    });
    let (planned, replace) = plan_update(&prior, &config);
    assert!(replace.is_empty(), "{replace:?}");
    assert_eq!(
        planned,
        prior.to_value(),
        "a respelled configuration must plan no change"
    );
}

#[test]
fn real_changes_are_still_planned_with_the_replacement_they_need() {
    let prior = prior_state(&component());
    let (planned, replace) = plan_update(&prior, &user_config(|c| c.storage_size = s("2Gi")));
    assert_eq!(replace, vec![attr!(CaModel, storage_size)]);
    assert_eq!(planned.get("storage_size"), &Value::string("2Gi"));
    // Dropping a resource key is a change, not an equivalent spelling.
    let (planned, _) = plan_update(
        &prior,
        &user_config(|c| c.resource_requests = smap(&[("cpu", "100m")])),
    );
    assert_eq!(
        CaModel::from_value(&planned).unwrap().resource_requests,
        smap(&[("cpu", "100m")])
    );
    // Adding an HSM to a CA without one replaces it (keys cannot move into an HSM).
    let no_hsm = prior_state(&component_with(|j| {
        j.as_object_mut().map(|o| o.remove("hsm"));
    }));
    let (_, replace) = plan_update(&no_hsm, &user_config(|_| {}));
    assert_eq!(replace, vec![attr!(CaModel, hsm_pkcs11_endpoint)]);
}
