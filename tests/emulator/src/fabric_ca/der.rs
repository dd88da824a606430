//! The little DER the CA needs beyond rcgen: reading a certificate's top-level fields (to
//! re-sign them low-S) and writing names, CRLs and signatures. Single-byte tags only; that is
//! all X.509 certificates and CRLs use at the levels touched here.

use std::fmt;

/// DER tags used by the CA.
pub(crate) mod tag {
    pub const INTEGER: u8 = 0x02;
    pub const BIT_STRING: u8 = 0x03;
    pub const OCTET_STRING: u8 = 0x04;
    pub const OID: u8 = 0x06;
    pub const UTF8_STRING: u8 = 0x0c;
    pub const PRINTABLE_STRING: u8 = 0x13;
    pub const UTC_TIME: u8 = 0x17;
    pub const GENERALIZED_TIME: u8 = 0x18;
    pub const SEQUENCE: u8 = 0x30;
    pub const SET: u8 = 0x31;
}

/// Malformed DER (only ever our own or rcgen's output, so this means a bug).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DerError(&'static str);

impl DerError {
    pub(crate) const fn new(what: &'static str) -> Self {
        DerError(what)
    }
}

impl fmt::Display for DerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed DER: {}", self.0)
    }
}

/// One tag-length-value element.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tlv<'a> {
    pub tag: u8,
    pub content: &'a [u8],
    /// The whole element, header included.
    pub raw: &'a [u8],
}

/// Read one element from the front of `input`; returns it and the rest.
pub(crate) fn read_tlv(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), DerError> {
    let (&tag, rest) = input.split_first().ok_or(DerError("empty input"))?;
    if tag & 0x1f == 0x1f {
        return Err(DerError("multi-byte tag"));
    }
    let (&first, rest) = rest.split_first().ok_or(DerError("missing length"))?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return Err(DerError("bad length"));
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return Err(DerError("truncated element"));
    }
    let header = input.len() - rest.len();
    Ok((
        Tlv {
            tag,
            content: &rest[..len],
            raw: &input[..header + len],
        },
        &rest[len..],
    ))
}

/// The elements inside a constructed element's content.
pub(crate) fn children(mut content: &[u8]) -> Result<Vec<Tlv<'_>>, DerError> {
    let mut out = Vec::new();
    while !content.is_empty() {
        let (tlv, rest) = read_tlv(content)?;
        out.push(tlv);
        content = rest;
    }
    Ok(out)
}

/// Encode one element.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u32).to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (4 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// A constructed element from already-encoded parts.
pub(crate) fn constructed(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    tlv(tag, &parts.concat())
}

/// A SET OF, its members sorted by their encodings as DER requires (Go's `encoding/asn1`
/// does the same since Go 1.15).
pub(crate) fn set_of(mut members: Vec<Vec<u8>>) -> Vec<u8> {
    members.sort();
    tlv(tag::SET, &members.concat())
}

/// An OBJECT IDENTIFIER from its arcs (first two arcs < 40 as in every OID used here).
pub(crate) fn oid(arcs: &[u64]) -> Vec<u8> {
    let mut body = Vec::new();
    if let [a, b, rest @ ..] = arcs {
        body.push((a * 40 + b) as u8);
        for &arc in rest {
            let mut groups = vec![(arc & 0x7f) as u8];
            let mut v = arc >> 7;
            while v > 0 {
                groups.push((v & 0x7f) as u8 | 0x80);
                v >>= 7;
            }
            groups.reverse();
            body.extend_from_slice(&groups);
        }
    }
    tlv(tag::OID, &body)
}

/// A non-negative INTEGER from big-endian magnitude bytes.
pub(crate) fn unsigned_integer(magnitude: &[u8]) -> Vec<u8> {
    let trimmed: &[u8] = {
        let skip = magnitude
            .iter()
            .take_while(|b| **b == 0)
            .count()
            .min(magnitude.len().saturating_sub(1));
        &magnitude[skip..]
    };
    let mut body = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.first().is_none_or(|b| b & 0x80 != 0) {
        body.push(0);
    }
    body.extend_from_slice(trimmed);
    tlv(tag::INTEGER, &body)
}

/// A string as Go's `encoding/asn1` marshals a Go string: PrintableString when every
/// character is in its set, else UTF8String.
pub(crate) fn go_string(value: &str) -> Vec<u8> {
    let printable = value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b" '()+,-./:=?".contains(&b));
    let t = if printable {
        tag::PRINTABLE_STRING
    } else {
        tag::UTF8_STRING
    };
    tlv(t, value.as_bytes())
}

/// A time as Go marshals `time.Time`: UTCTime for 1950–2049, else GeneralizedTime.
pub(crate) fn go_time(t: time::OffsetDateTime) -> Vec<u8> {
    let t = t.to_offset(time::UtcOffset::UTC);
    let (year, month, day) = (t.year(), u8::from(t.month()), t.day());
    let hms = format!("{:02}{:02}{:02}Z", t.hour(), t.minute(), t.second());
    if (1950..2050).contains(&year) {
        let text = format!("{:02}{month:02}{day:02}{hms}", year % 100);
        tlv(tag::UTC_TIME, text.as_bytes())
    } else {
        let text = format!("{year:04}{month:02}{day:02}{hms}");
        tlv(tag::GENERALIZED_TIME, text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_round_trip_short_and_long_forms() {
        for len in [0usize, 5, 127, 128, 255, 256, 70_000] {
            let content = vec![0xab; len];
            let enc = tlv(tag::OCTET_STRING, &content);
            let (tlv, rest) = read_tlv(&enc).unwrap();
            assert_eq!((tlv.tag, tlv.content.len(), rest.len()), (0x04, len, 0));
            assert_eq!(tlv.raw, enc.as_slice());
        }
        assert!(read_tlv(&[0x30, 0x05, 0x00]).is_err());
        assert!(read_tlv(&[0x1f, 0x01, 0x00]).is_err());
    }

    #[test]
    fn encodings_match_known_der() {
        // 1.2.3.4.5.6.7.8.1, the fabric-ca attribute OID.
        assert_eq!(
            oid(&[1, 2, 3, 4, 5, 6, 7, 8, 1]),
            [0x06, 0x08, 0x2a, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x01]
        );
        // 2.5.29.35 (authority key identifier).
        assert_eq!(oid(&[2, 5, 29, 35]), [0x06, 0x03, 0x55, 0x1d, 0x23]);
        assert_eq!(
            oid(&[1, 2, 840, 10045]),
            [0x06, 0x05, 0x2a, 0x86, 0x48, 0xce, 0x3d]
        );
        assert_eq!(unsigned_integer(&[0x00, 0x7f]), [0x02, 0x01, 0x7f]);
        assert_eq!(unsigned_integer(&[0x80]), [0x02, 0x02, 0x00, 0x80]);
        assert_eq!(unsigned_integer(&[]), [0x02, 0x01, 0x00]);
        assert_eq!(go_string("peer")[0], tag::PRINTABLE_STRING);
        assert_eq!(go_string("a*b")[0], tag::UTF8_STRING);
        assert_eq!(go_string("é")[0], tag::UTF8_STRING);
        let t = time::macros::datetime!(2026-11-26 18:49:00 UTC);
        assert_eq!(go_time(t), tlv(tag::UTC_TIME, b"261126184900Z"));
        let t = time::macros::datetime!(2051-01-02 03:04:05 UTC);
        assert_eq!(go_time(t), tlv(tag::GENERALIZED_TIME, b"20510102030405Z"));
    }

    #[test]
    fn set_of_sorts_members() {
        let set = set_of(vec![vec![0x13, 0x01, 0x62], vec![0x13, 0x01, 0x61]]);
        assert_eq!(set, [0x31, 0x06, 0x13, 0x01, 0x61, 0x13, 0x01, 0x62]);
    }
}
