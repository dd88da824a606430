use super::*;

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn round_trip(v: &Value, ty: &Type) {
    let bytes = encode_msgpack(v, ty).unwrap();
    let back = decode_msgpack(&bytes, ty).unwrap();
    assert_eq!(&back, v, "msgpack round trip of {v:?} as {ty}");
}

fn json_round_trip(v: &Value, ty: &Type) {
    let bytes = encode_json(v, ty).unwrap();
    let back = decode_json(&bytes, ty).unwrap();
    assert_eq!(&back, v, "json round trip of {v:?} as {ty}");
}

fn nested_type() -> Type {
    Type::object([
        ("s", Type::String),
        ("n", Type::Number),
        ("b", Type::Bool),
        ("l", Type::list_of_strings()),
        ("set", Type::Set(Box::new(Type::Number))),
        ("m", Type::map_of_strings()),
        ("t", Type::Tuple(vec![Type::String, Type::Bool])),
        ("o", Type::object([("inner", Type::list_of_strings())])),
        ("d", Type::Dynamic),
    ])
}

#[test]
fn primitives_round_trip() {
    round_trip(&Value::Bool(true), &Type::Bool);
    round_trip(&Value::Bool(false), &Type::Bool);
    for s in [
        "",
        "a",
        &"x".repeat(31),
        &"x".repeat(32),
        &"y".repeat(300),
        &"z".repeat(70_000),
        "héllo",
    ] {
        round_trip(&Value::string(s), &Type::String);
    }
    for i in [
        0,
        1,
        127,
        128,
        255,
        256,
        65_535,
        65_536,
        i64::from(u32::MAX) + 1,
        i64::MAX,
        -1,
        -32,
        -33,
        -128,
        -129,
        -32_768,
        -32_769,
        i64::MIN,
    ] {
        round_trip(&Value::int(i), &Type::Number);
    }
    round_trip(&Value::Number(Number::UInt(u64::MAX)), &Type::Number);
    round_trip(&Value::Number(Number::Float(1.5)), &Type::Number);
    round_trip(&Value::Number(Number::Float(-1e300)), &Type::Number);
    round_trip(
        &Value::Number(Number::Decimal("123456789012345678901234567890".into())),
        &Type::Number,
    );
    for ty in [
        Type::Bool,
        Type::Number,
        Type::String,
        Type::Dynamic,
        nested_type(),
    ] {
        round_trip(&Value::Null, &ty);
        round_trip(&Value::unknown(), &ty);
    }
}

#[test]
fn exact_wire_bytes_match_cty() {
    assert_eq!(
        encode_msgpack(&Value::Null, &Type::String).unwrap(),
        vec![0xc0]
    );
    assert_eq!(
        encode_msgpack(&Value::unknown(), &Type::String).unwrap(),
        vec![0xd4, 0, 0]
    );
    assert_eq!(
        encode_msgpack(&Value::string("ab"), &Type::String).unwrap(),
        vec![0xa2, b'a', b'b']
    );
    assert_eq!(
        encode_msgpack(&Value::int(-1), &Type::Number).unwrap(),
        vec![0xff]
    );
    assert_eq!(
        encode_msgpack(&Value::Number(Number::Float(2.0)), &Type::Number).unwrap(),
        vec![0x02]
    );
    let ty = Type::object([("a", Type::String), ("b", Type::Bool)]);
    let v = obj(vec![("a", Value::string("x"))]);
    // Missing attribute written as nil, keys in sorted order.
    assert_eq!(
        encode_msgpack(&v, &ty).unwrap(),
        vec![0x82, 0xa1, b'a', 0xa1, b'x', 0xa1, b'b', 0xc0]
    );
}

#[test]
fn nested_values_with_nulls_and_unknowns_round_trip() {
    let ty = nested_type();
    let full = obj(vec![
        ("s", Value::string("v")),
        ("n", Value::int(42)),
        ("b", Value::Bool(true)),
        (
            "l",
            Value::List(vec![Value::string("a"), Value::Null, Value::unknown()]),
        ),
        (
            "set",
            Value::Set(vec![Value::int(1), Value::Number(Number::Float(2.5))]),
        ),
        (
            "m",
            Value::Map(
                [
                    ("k".to_string(), Value::string("v")),
                    ("u".to_string(), Value::unknown()),
                ]
                .into(),
            ),
        ),
        ("t", Value::Tuple(vec![Value::string("x"), Value::Null])),
        ("o", obj(vec![("inner", Value::unknown())])),
        (
            "d",
            obj(vec![
                ("x", Value::List(vec![Value::string("q")])),
                ("y", Value::int(3)),
            ]),
        ),
    ]);
    round_trip(&full, &ty);
    let sparse = obj(vec![
        ("s", Value::Null),
        ("n", Value::unknown()),
        ("b", Value::Null),
        ("l", Value::List(vec![])),
        ("set", Value::Null),
        ("m", Value::unknown()),
        ("t", Value::unknown()),
        ("o", Value::Null),
        ("d", Value::Null),
    ]);
    round_trip(&sparse, &ty);
    round_trip(
        &Value::List(vec![sparse.clone(), full.clone()]),
        &Type::List(Box::new(ty.clone())),
    );
    round_trip(
        &Value::Map([("a".to_string(), full.clone())].into()),
        &Type::Map(Box::new(ty.clone())),
    );
    // JSON cannot carry unknowns; a known value round-trips.
    let known = obj(vec![
        ("s", Value::string("v")),
        ("n", Value::Number(Number::Float(0.25))),
        ("b", Value::Bool(false)),
        ("l", Value::List(vec![Value::string("a"), Value::Null])),
        ("set", Value::Set(vec![Value::int(2), Value::int(1)])),
        (
            "m",
            Value::Map([("k".to_string(), Value::string("v"))].into()),
        ),
        (
            "t",
            Value::Tuple(vec![Value::string("x"), Value::Bool(true)]),
        ),
        ("o", obj(vec![("inner", Value::Null)])),
        ("d", Value::List(vec![Value::string("q")])),
    ]);
    json_round_trip(&known, &ty);
    assert!(encode_json(&full, &ty).is_err(), "unknowns are not JSON");
}

#[test]
fn large_collections_round_trip() {
    let items: Vec<Value> = (0..70_000).map(Value::int).collect();
    round_trip(&Value::List(items), &Type::List(Box::new(Type::Number)));
    let m: BTreeMap<String, Value> = (0..20).map(|i| (format!("k{i}"), Value::int(i))).collect();
    round_trip(&Value::Map(m), &Type::Map(Box::new(Type::Number)));
}

#[test]
fn dynamic_uses_type_value_pair() {
    let v = Value::string("x");
    let bytes = encode_msgpack(&v, &Type::Dynamic).unwrap();
    assert_eq!(bytes[0], 0x92);
    assert_eq!(bytes[1], 0xc4, "type JSON written as bin, as cty does");
    // cty may also send the type as str.
    let mut alt = vec![0x92, 0xa8];
    alt.extend_from_slice(b"\"string\"");
    alt.extend_from_slice(&[0xa1, b'x']);
    assert_eq!(decode_msgpack(&alt, &Type::Dynamic).unwrap(), v);
    let json = br#"{"type":["list","number"],"value":[1,2]}"#;
    assert_eq!(
        decode_json(json, &Type::Dynamic).unwrap(),
        Value::List(vec![Value::int(1), Value::int(2)])
    );
}

#[test]
fn refined_unknowns_are_decoded_and_echoed() {
    // As Terraform 1.11 sent for "copy-of-${x.id}": ext 12 {1: false, 2: "copy-of-"}.
    let mut payload = vec![0x82, 0x01, 0xc2, 0x02, 0xa8];
    payload.extend_from_slice(b"copy-of-");
    let mut bytes = vec![0xc7, payload.len() as u8, 12];
    bytes.extend_from_slice(&payload);
    let v = decode_msgpack(&bytes, &Type::String).unwrap();
    let Value::Unknown(r) = &v else {
        panic!("expected unknown, got {v:?}")
    };
    assert_eq!(r.nullness, Some(false));
    assert_eq!(r.string_prefix.as_deref(), Some("copy-of-"));
    assert_eq!(encode_msgpack(&v, &Type::String).unwrap(), bytes);

    let r = Refinements {
        nullness: Some(false),
        string_prefix: None,
        number_lower: Some((Number::Int(1), true)),
        number_upper: Some((Number::Float(9.5), false)),
        length_lower: Some(2),
        length_upper: Some(5),
    };
    round_trip(&Value::Unknown(r), &Type::Number);
    // Unknown refinement keys are skipped, malformed payloads become plain unknowns.
    let bytes = [0xd6, 12, 0x81, 0x07, 0x91, 0x01];
    assert_eq!(
        decode_msgpack(&bytes, &Type::String).unwrap(),
        Value::unknown()
    );
    let bytes = [0xd4, 12, 0xc1];
    assert_eq!(
        decode_msgpack(&bytes, &Type::String).unwrap(),
        Value::unknown()
    );
    // Any other extension code is a plain unknown.
    let bytes = [0xd5, 3, 0, 0];
    assert_eq!(
        decode_msgpack(&bytes, &Type::Bool).unwrap(),
        Value::unknown()
    );
}

#[test]
fn objects_need_exactly_the_schema_attributes() {
    let ty = Type::object([("a", Type::String), ("b", Type::String)]);
    let one = [0x81, 0xa1, b'a', 0xc0];
    assert!(matches!(
        decode_msgpack(&one, &ty),
        Err(CodecError::AttributeCount {
            expected: 2,
            found: 1,
            ..
        })
    ));
    let extra = [0x82, 0xa1, b'a', 0xc0, 0xa1, b'z', 0xc0];
    assert!(matches!(
        decode_msgpack(&extra, &ty),
        Err(CodecError::UnknownAttribute { .. })
    ));
    let dup = [0x82, 0xa1, b'a', 0xc0, 0xa1, b'a', 0xc0];
    assert!(matches!(
        decode_msgpack(&dup, &ty),
        Err(CodecError::DuplicateKey { .. })
    ));
    let bad = obj(vec![("zzz", Value::Null)]);
    assert!(matches!(
        encode_msgpack(&bad, &ty),
        Err(CodecError::UnknownAttribute { .. })
    ));
}

#[test]
fn malformed_input_is_an_error_not_a_panic() {
    let ty = nested_type();
    let good = encode_msgpack(
        &obj(vec![
            ("s", Value::string("hello")),
            ("l", Value::list_of_strings(["a".to_string()])),
        ]),
        &ty,
    )
    .unwrap();
    // Every truncation fails cleanly.
    for cut in 0..good.len() {
        assert!(decode_msgpack(&good[..cut], &ty).is_err(), "cut at {cut}");
    }
    // Trailing bytes.
    let mut long = good.clone();
    long.push(0xc0);
    assert!(matches!(
        decode_msgpack(&long, &ty),
        Err(CodecError::TrailingBytes { count: 1 })
    ));
    // Wrong types.
    assert!(matches!(
        decode_msgpack(&[0xa1, b'x'], &Type::Bool),
        Err(CodecError::Unexpected { .. })
    ));
    assert!(decode_msgpack(&[0xc3], &Type::String).is_err());
    assert!(decode_msgpack(&[0x90], &Type::Map(Box::new(Type::String))).is_err());
    assert!(decode_msgpack(&[0x80], &Type::List(Box::new(Type::String))).is_err());
    assert!(decode_msgpack(&[0x91, 0xc0], &Type::Tuple(vec![])).is_err());
    assert!(decode_msgpack(&[0xa3, b'a', b'b', b'c'], &Type::Number).is_err());
    assert!(decode_msgpack(&[0xa2, 0xff, 0xfe], &Type::String).is_err());
    assert!(decode_msgpack(&[0xc1], &Type::String).is_err());
    assert!(decode_msgpack(&[0x81, 0x01, 0xc0], &Type::Map(Box::new(Type::String))).is_err());
    // Huge declared lengths do not allocate or panic.
    for bytes in [
        &[0xdd, 0xff, 0xff, 0xff, 0xff][..],
        &[0xdf, 0xff, 0xff, 0xff, 0xff],
        &[0xdb, 0xff, 0xff, 0xff, 0xff],
        &[0xc6, 0xff, 0xff, 0xff, 0xff],
        &[0xc9, 0xff, 0xff, 0xff, 0xff, 12],
    ] {
        assert!(decode_msgpack(bytes, &Type::List(Box::new(Type::String))).is_err());
        assert!(decode_msgpack(bytes, &Type::String).is_err());
    }
    // Dynamic with a bogus or deeply nested type.
    let mut bogus = vec![0x92, 0xa3];
    bogus.extend_from_slice(b"\"x\"");
    bogus.push(0xc0);
    assert!(decode_msgpack(&bogus, &Type::Dynamic).is_err());
    assert!(decode_msgpack(&[0x93, 0xc0, 0xc0, 0xc0], &Type::Dynamic).is_err());
    // Empty input.
    assert!(matches!(
        decode_msgpack(&[], &Type::String),
        Err(CodecError::Truncated)
    ));
}

#[test]
fn deep_dynamic_nesting_is_bounded() {
    // A dynamic value whose payload is itself dynamic, many times over.
    let mut bytes = Vec::new();
    for _ in 0..10_000 {
        bytes.push(0x92);
        bytes.push(0xa9);
        bytes.extend_from_slice(b"\"dynamic\"");
    }
    bytes.push(0xc0);
    assert!(matches!(
        decode_msgpack(&bytes, &Type::Dynamic),
        Err(CodecError::TooDeep { .. })
    ));
}

#[test]
fn error_paths_name_the_attribute() {
    let ty = Type::object([("tags", Type::list_of_strings())]);
    let bytes = [0x81, 0xa4, b't', b'a', b'g', b's', 0x91, 0xc3];
    let err = decode_msgpack(&bytes, &ty).unwrap_err();
    assert_eq!(err.to_string(), "at tags[0]: expected string, found bool");
}

#[test]
fn json_objects_missing_attributes_are_null_and_unknown_keys_rejected() {
    let ty = Type::object([("a", Type::String), ("b", Type::Number)]);
    let v = decode_json(br#"{"a":"x"}"#, &ty).unwrap();
    assert_eq!(v, obj(vec![("a", Value::string("x")), ("b", Value::Null)]));
    assert!(matches!(
        decode_json(br#"{"a":"x","gone":1}"#, &ty),
        Err(CodecError::UnknownAttribute { .. })
    ));
    let v = decode_json_lenient(br#"{"a":"x","gone":1,"b":2}"#, &ty).unwrap();
    assert_eq!(
        v,
        obj(vec![("a", Value::string("x")), ("b", Value::int(2))])
    );
    // Nested objects are lenient too.
    let ty2 = Type::object([("o", ty.clone())]);
    let v = decode_json_lenient(br#"{"o":{"a":"y","old":true}}"#, &ty2).unwrap();
    assert_eq!(v.get("o").get("a").as_str(), Some("y"));
    assert!(decode_json(b"{", &ty).is_err());
    assert!(
        decode_json(br#"{"a":1.5e999}"#, &ty).is_err()
            || decode_json(br#"{"a":[1]}"#, &ty).is_err()
    );
    assert!(decode_json(br#"{"b":"nope"}"#, &ty).is_err());
    assert!(decode_json(br#"[1,2]"#, &Type::Tuple(vec![Type::Number])).is_err());
    assert_eq!(decode_json(b"null", &ty).unwrap(), Value::Null);
    assert_eq!(
        decode_json(br#""12""#, &Type::Number).unwrap(),
        Value::int(12)
    );
    assert_eq!(
        decode_json(b"12", &Type::String).unwrap(),
        Value::string("12")
    );
    assert_eq!(
        decode_json(b"18446744073709551615", &Type::Number).unwrap(),
        Value::Number(Number::UInt(u64::MAX))
    );
}

#[test]
fn dynamic_value_prefers_msgpack_then_json_then_null() {
    let ty = Type::String;
    let dv = tfplugin5::DynamicValue {
        msgpack: vec![0xa1, b'm'],
        json: b"\"j\"".to_vec(),
    };
    assert_eq!(decode_dynamic_value(&dv, &ty).unwrap(), Value::string("m"));
    let dv = tfplugin5::DynamicValue {
        msgpack: vec![],
        json: b"\"j\"".to_vec(),
    };
    assert_eq!(decode_dynamic_value(&dv, &ty).unwrap(), Value::string("j"));
    let dv = tfplugin5::DynamicValue::default();
    assert_eq!(decode_dynamic_value(&dv, &ty).unwrap(), Value::Null);
    assert_eq!(
        decode_optional_dynamic_value(None, &ty).unwrap(),
        Value::Null
    );
    let out = encode_dynamic_value(&Value::string("x"), &ty).unwrap();
    assert!(out.json.is_empty());
    assert_eq!(out.msgpack, vec![0xa1, b'x']);
}

#[test]
fn encoding_rejects_values_of_the_wrong_type() {
    assert!(encode_msgpack(&Value::string("x"), &Type::Bool).is_err());
    assert!(encode_msgpack(
        &Value::List(vec![Value::Bool(true)]),
        &Type::list_of_strings()
    )
    .is_err());
    assert!(encode_msgpack(&Value::List(vec![]), &Type::Tuple(vec![Type::String])).is_err());
}
