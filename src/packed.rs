//! Records packed into bytes, for state a long run holds a lot of (kept
//! deferrals, finished incidents): integers as zigzag varints, byte strings
//! with their length in front. Reading stops at the end of the bytes (as
//! zeros and empty strings) instead of failing: what is read was written
//! by this process.

/// A zigzag varint.
pub fn put_int(out: &mut Vec<u8>, v: i64) {
    let mut u = ((v << 1) ^ (v >> 63)) as u64;
    while u >= 0x80 {
        out.push(u as u8 | 0x80);
        u >>= 7;
    }
    out.push(u as u8);
}

pub fn get_int(raw: &mut &[u8]) -> i64 {
    let mut u = 0u64;
    let mut shift = 0;
    loop {
        let b = get_byte(raw);
        u |= ((b & 0x7f) as u64) << shift;
        shift += 7;
        if b < 0x80 || shift >= 64 {
            break;
        }
    }
    (u >> 1) as i64 ^ -((u & 1) as i64)
}

pub fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_int(out, b.len() as i64);
    out.extend_from_slice(b);
}

pub fn get_bytes<'a>(raw: &mut &'a [u8]) -> &'a [u8] {
    let n = (get_int(raw) as usize).min(raw.len());
    let (b, rest) = raw.split_at(n);
    *raw = rest;
    b
}

pub fn get_byte(raw: &mut &[u8]) -> u8 {
    let (&b, rest) = raw.split_first().unwrap_or((&0, &[]));
    *raw = rest;
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_and_strings_come_back() {
        let ints = [
            0,
            1,
            -1,
            63,
            -64,
            64,
            300,
            i64::MAX,
            i64::MIN,
            1_700_000_000,
            -28_800,
        ];
        let mut out = Vec::new();
        for &i in &ints {
            put_int(&mut out, i);
            put_bytes(&mut out, format!("s{i}").as_bytes());
        }
        assert_eq!(out[0], 0, "zero is one byte");
        let mut raw = &out[..];
        for &i in &ints {
            assert_eq!(get_int(&mut raw), i);
            assert_eq!(get_bytes(&mut raw), format!("s{i}").as_bytes());
        }
        assert!(raw.is_empty());
        assert_eq!(
            (get_int(&mut raw), get_bytes(&mut raw), get_byte(&mut raw)),
            (0, &b""[..], 0)
        );
    }
}
