//! ECDSA P-256 / SHA-256 signatures as Fabric and Fabric CA accept them: DER
//! `SEQUENCE{r, s}` with S in the lower half of the curve order (docs/dev/fabric-ca.md#low-s-signatures).
//! The signer (aws-lc through rcgen) does not normalise S, so every signature made here is.

use rcgen::{KeyPair, SigningKey};
use rustls::pki_types::alg_id;
use thiserror::Error;

/// A signature that could not be made, read or verified.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("signing failed: {0}")]
    Sign(String),
    #[error("not a DER ECDSA P-256 signature: {0}")]
    Malformed(&'static str),
    #[error("the signature does not verify with the certificate's public key")]
    Invalid,
}

/// The order n of the P-256 group (SEC 2, secp256r1), big-endian.
const P256_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// n / 2, rounded down: the largest S Fabric accepts.
const P256_HALF_ORDER: [u8; 32] = [
    0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xde, 0x73, 0x7d, 0x56, 0xd3, 0x8b, 0xcf, 0x42, 0x79, 0xdc, 0xe5, 0x61, 0x7e, 0x31, 0x92, 0xa8,
];

/// Signs SHA-256(`msg`) with `key` and returns the low-S DER signature.
pub(crate) fn sign_low_s(key: &KeyPair, msg: &[u8]) -> Result<Vec<u8>, SignatureError> {
    let der = key
        .sign(msg)
        .map_err(|e| SignatureError::Sign(e.to_string()))?;
    normalize_low_s(&der)
}

/// The same signature with S replaced by n − S when S is above n/2 (both verify).
pub fn normalize_low_s(der: &[u8]) -> Result<Vec<u8>, SignatureError> {
    let (r, s) = parse_der(der)?;
    if s <= P256_HALF_ORDER {
        return Ok(der.to_vec());
    }
    Ok(encode_der(&r, &sub(&P256_ORDER, &s)))
}

/// Whether S is at most n/2, as Fabric's verifiers require.
pub fn is_low_s(der: &[u8]) -> Result<bool, SignatureError> {
    let (_, s) = parse_der(der)?;
    Ok(s <= P256_HALF_ORDER)
}

/// Verifies a DER ECDSA-SHA256 signature over `msg` with an uncompressed P-256 point
/// (a certificate's subjectPublicKey bits). High S verifies too: that rule is Fabric's.
pub fn verify(public_key_point: &[u8], msg: &[u8], der: &[u8]) -> Result<(), SignatureError> {
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let algorithm = provider
        .signature_verification_algorithms
        .all
        .iter()
        .find(|a| {
            a.public_key_alg_id() == alg_id::ECDSA_P256
                && a.signature_alg_id() == alg_id::ECDSA_SHA256
        })
        .ok_or(SignatureError::Malformed("no ECDSA P-256 verifier"))?;
    algorithm
        .verify_signature(public_key_point, msg, der)
        .map_err(|_| SignatureError::Invalid)
}

/// `SEQUENCE { INTEGER r, INTEGER s }` with short-form lengths (a P-256 signature is at
/// most 72 bytes), each integer as 32 big-endian bytes.
fn parse_der(der: &[u8]) -> Result<([u8; 32], [u8; 32]), SignatureError> {
    let (body, rest) = read_tlv(der, 0x30)?;
    if !rest.is_empty() {
        return Err(SignatureError::Malformed("bytes after the sequence"));
    }
    let (r, body) = read_tlv(body, 0x02)?;
    let (s, body) = read_tlv(body, 0x02)?;
    if !body.is_empty() {
        return Err(SignatureError::Malformed("extra fields in the sequence"));
    }
    Ok((to_scalar(r)?, to_scalar(s)?))
}

fn read_tlv(input: &[u8], tag: u8) -> Result<(&[u8], &[u8]), SignatureError> {
    match input {
        [t, len, rest @ ..] if *t == tag && *len < 0x80 && rest.len() >= usize::from(*len) => {
            Ok(rest.split_at(usize::from(*len)))
        }
        _ => Err(SignatureError::Malformed("unexpected tag or length")),
    }
}

fn to_scalar(int: &[u8]) -> Result<[u8; 32], SignatureError> {
    if int.first().is_some_and(|b| b & 0x80 != 0) {
        return Err(SignatureError::Malformed("negative integer"));
    }
    let first = int.iter().position(|b| *b != 0).unwrap_or(int.len());
    let digits = &int[first..];
    if digits.len() > 32 || digits.is_empty() {
        return Err(SignatureError::Malformed("integer out of range"));
    }
    let mut out = [0u8; 32];
    out[32 - digits.len()..].copy_from_slice(digits);
    Ok(out)
}

/// a − b for a ≥ b, big-endian.
fn sub(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = i16::from(a[i]) - i16::from(b[i]) - borrow;
        borrow = i16::from(d < 0);
        if d < 0 {
            d += 256;
        }
        out[i] = d as u8;
    }
    out
}

fn encode_der(r: &[u8; 32], s: &[u8; 32]) -> Vec<u8> {
    let r = der_integer(r);
    let s = der_integer(s);
    let mut out = vec![0x30, (r.len() + s.len()) as u8];
    out.extend_from_slice(&r);
    out.extend_from_slice(&s);
    out
}

/// INTEGER TLV: leading zeros stripped, a 0x00 added where the top bit is set.
fn der_integer(v: &[u8; 32]) -> Vec<u8> {
    let first = v.iter().position(|b| *b != 0).unwrap_or(31);
    let digits = &v[first..];
    let pad = digits[0] & 0x80 != 0;
    let mut out = vec![0x02, (digits.len() + usize::from(pad)) as u8];
    if pad {
        out.push(0);
    }
    out.extend_from_slice(digits);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// The recorded high-S token signature (`error_bad_token_high_s`) and the low-S one it
    /// was made from are n − S of each other.
    #[test]
    fn the_recorded_high_s_signature_normalises_to_a_low_s_one() {
        let high = hex("304502204b65d92391fdb3a4690903d4657e4d6891f6ca6081e17d3eaeb6b7a03dae39fd0221009195938237f59632a91b1e893d7b04d2782c95338e10f4b9888cccce86c2ef7c");
        assert!(!is_low_s(&high).unwrap());
        let low = normalize_low_s(&high).unwrap();
        assert!(is_low_s(&low).unwrap());
        assert_eq!(parse_der(&low).unwrap().0, parse_der(&high).unwrap().0);
        // Normalising twice changes nothing; n − (n − S) = S.
        assert_eq!(normalize_low_s(&low).unwrap(), low);
        let (r, s) = parse_der(&low).unwrap();
        assert_eq!(encode_der(&r, &sub(&P256_ORDER, &s)), high);
    }

    #[test]
    fn half_order_is_n_shifted_right() {
        let mut carry = 0u8;
        let mut half = [0u8; 32];
        for (i, b) in P256_ORDER.iter().enumerate() {
            half[i] = (b >> 1) | (carry << 7);
            carry = b & 1;
        }
        assert_eq!(half, P256_HALF_ORDER);
    }

    #[test]
    fn our_signatures_are_low_s_and_verify() {
        let key = KeyPair::generate().unwrap();
        let point = key.public_key_raw().to_vec();
        let mut normalised = 0;
        for i in 0..32u8 {
            let msg = [i; 7];
            let raw = key.sign(&msg).unwrap();
            if !is_low_s(&raw).unwrap() {
                normalised += 1;
                // A high-S signature verifies (aws-lc does not care) until Fabric sees it.
                verify(&point, &msg, &raw).unwrap();
            }
            let sig = sign_low_s(&key, &msg).unwrap();
            assert!(is_low_s(&sig).unwrap());
            verify(&point, &msg, &sig).unwrap();
            assert_eq!(verify(&point, b"other", &sig), Err(SignatureError::Invalid));
        }
        // About half of raw signatures are high-S; 32 all low has odds 2^-32.
        assert!(normalised > 0);
    }

    #[test]
    fn malformed_signatures_are_rejected() {
        for bad in [
            &[][..],
            &[0x30, 0x00][..],
            &[0x30, 0x03, 0x02, 0x01, 0x01][..],
            &[0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01][..],
            &[0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01][..],
        ] {
            assert!(parse_der(bad).is_err(), "{bad:?}");
        }
        assert!(parse_der(&[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]).is_ok());
    }
}
