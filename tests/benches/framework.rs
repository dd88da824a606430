//! Speed of the hot paths every Terraform RPC goes through: decoding and encoding a
//! `blockchain_ca` state (msgpack, as Terraform sends it) and planning an update.
//! Run with `make bench`.

use std::collections::BTreeMap;

use criterion::{criterion_group, criterion_main, Criterion};
use tfprovider_blockchain::framework::{
    decode_msgpack, encode_msgpack, plan_resource_change, Provider, Value,
};
use tfprovider_blockchain::provider::BlockchainProvider;

/// A CA state shaped like a real one: PEM certificates, maps, a set of tags, timeouts.
fn ca_state(schema: &tfprovider_blockchain::framework::Schema) -> Value {
    let pem = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        "MIICIzCCAcigAwIBAgIUZkhO+6ocVWs4WzqAAAAAAAAAAAEwCgYIKoZIzj0EAwIw\n".repeat(12)
    );
    let mut attrs = BTreeMap::new();
    for a in &schema.block.attributes {
        attrs.insert(a.name.clone(), Value::Null);
    }
    let set = |attrs: &mut BTreeMap<String, Value>, k: &str, v: Value| {
        attrs.insert(k.to_string(), v);
    };
    set(&mut attrs, "id", Value::string("org1ca"));
    set(&mut attrs, "display_name", Value::string("Org1 CA"));
    set(&mut attrs, "zone", Value::string("us-east-1"));
    set(&mut attrs, "version", Value::string("1.5.5-0"));
    set(&mut attrs, "replicas", Value::int(1));
    set(
        &mut attrs,
        "resource_requests",
        Value::map_of_strings(BTreeMap::from([
            ("cpu".to_string(), "100m".to_string()),
            ("memory".to_string(), "200Mi".to_string()),
        ])),
    );
    set(&mut attrs, "storage_size", Value::string("20Gi"));
    set(&mut attrs, "storage_class", Value::string(""));
    set(
        &mut attrs,
        "tags",
        Value::set_of_strings(["org1".to_string(), "tf".to_string()]),
    );
    set(
        &mut attrs,
        "api_url",
        Value::string("https://ca.example.org:7054"),
    );
    set(
        &mut attrs,
        "operations_url",
        Value::string("https://ca.example.org:9443"),
    );
    set(&mut attrs, "ca_name", Value::string("ca"));
    set(&mut attrs, "tlsca_name", Value::string("tlsca"));
    set(
        &mut attrs,
        "ca_root_certs",
        Value::list_of_strings([pem.clone()]),
    );
    set(
        &mut attrs,
        "tlsca_root_certs",
        Value::list_of_strings([pem.clone()]),
    );
    set(&mut attrs, "tls_cert", Value::string(pem.clone()));
    set(&mut attrs, "export_json", Value::string(pem.repeat(4)));
    attrs.insert(
        "timeouts".to_string(),
        Value::object(BTreeMap::from([
            ("create".to_string(), Value::string("20m")),
            ("update".to_string(), Value::Null),
            ("delete".to_string(), Value::Null),
        ])),
    );
    Value::object(attrs)
}

fn bench(c: &mut Criterion) {
    let provider = BlockchainProvider::new();
    let resource = provider
        .resources()
        .into_iter()
        .next()
        .expect("blockchain_ca");
    let schema = resource.schema();
    let ty = schema.block.implied_type();
    let state = ca_state(&schema);
    let bytes = encode_msgpack(&state, &ty).expect("encode");

    c.bench_function("msgpack_decode_ca_state", |b| {
        b.iter(|| decode_msgpack(std::hint::black_box(&bytes), &ty).expect("decode"))
    });
    c.bench_function("msgpack_encode_ca_state", |b| {
        b.iter(|| encode_msgpack(std::hint::black_box(&state), &ty).expect("encode"))
    });

    let mut config = state.clone();
    for computed in [
        "id",
        "api_url",
        "operations_url",
        "ca_name",
        "tlsca_name",
        "ca_root_certs",
        "tlsca_root_certs",
        "tls_cert",
        "export_json",
        "storage_class",
        "replicas",
        "version",
        "resource_requests",
        "storage_size",
    ] {
        config.set(computed, Value::Null);
    }
    config.set("display_name", Value::string("Org1 CA renamed"));
    let mut proposed = state.clone();
    proposed.set("display_name", Value::string("Org1 CA renamed"));
    c.bench_function("plan_ca_update", |b| {
        b.iter(|| plan_resource_change(&schema, std::hint::black_box(&state), &proposed, &config))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
