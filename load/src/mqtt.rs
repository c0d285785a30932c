//! The few MQTT 3.1.1 packets a device needs, made by hand.
//!
//! rumqttc cannot bind a socket to a chosen local address, and thousands of its event
//! loops cost more than a socket and a small buffer each, so the fleet speaks the wire
//! format itself: CONNECT/CONNACK, SUBSCRIBE/SUBACK, PUBLISH both ways at QoS 0 or 1,
//! PUBACK, PINGREQ/PINGRESP and DISCONNECT. Nothing else is ever sent to a device.

use std::fmt;

/// The largest packet a device accepts. Balance updates are a few hundred bytes; a
/// history page is under 64 KiB; anything larger means the stream is not what we think.
pub const PACKET_BYTES_MAX: usize = 256 * 1024;

/// CONNACK return code 0: the broker let the device in.
pub const CONNACK_ACCEPTED: u8 = 0;
/// SUBACK return code for a refused subscription.
pub const SUBACK_FAILURE: u8 = 0x80;

const CONNECT: u8 = 0x10;
const CONNACK: u8 = 0x20;
const PUBLISH: u8 = 0x30;
const PUBACK: u8 = 0x40;
const SUBSCRIBE: u8 = 0x82;
const SUBACK: u8 = 0x90;
const PINGREQ: u8 = 0xC0;
const PINGRESP: u8 = 0xD0;
const DISCONNECT: u8 = 0xE0;
/// A remaining length has at most four bytes of seven bits each.
const LENGTH_BYTES_MAX: usize = 4;

/// What a device receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    ConnAck {
        session_present: bool,
        code: u8,
    },
    SubAck {
        packet_id: u16,
        codes: Vec<u8>,
    },
    Publish {
        topic: String,
        packet_id: Option<u16>,
        retain: bool,
        payload: Vec<u8>,
    },
    PubAck {
        packet_id: u16,
    },
    PingResp,
    /// Any other packet type (its first byte): ignored, but it tells us the stream is in step.
    Other(u8),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    TooLarge(usize),
    BadLength,
    Malformed(&'static str),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::TooLarge(bytes) => write!(f, "a {bytes}-byte packet, over the {PACKET_BYTES_MAX}-byte limit"),
            DecodeError::BadLength => write!(f, "a remaining length longer than four bytes"),
            DecodeError::Malformed(what) => write!(f, "a malformed packet: {what}"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// What a device signs in with.
pub struct Login<'a> {
    pub client_id: &'a str,
    pub username: &'a str,
    pub password: &'a str,
    pub keepalive_secs: u16,
    pub clean_session: bool,
}

pub fn connect(login: &Login<'_>) -> Vec<u8> {
    let mut body = Vec::with_capacity(64);
    put_str(&mut body, "MQTT");
    body.push(4); // protocol level: 3.1.1
    let clean = if login.clean_session { 0x02 } else { 0 };
    body.push(0x80 | 0x40 | clean); // username, password
    body.extend_from_slice(&login.keepalive_secs.to_be_bytes());
    put_str(&mut body, login.client_id);
    put_str(&mut body, login.username);
    put_str(&mut body, login.password);
    frame(CONNECT, &body)
}

/// One SUBSCRIBE for several filters, each at `qos`.
pub fn subscribe(packet_id: u16, filters: &[&str], qos: u8) -> Vec<u8> {
    let mut body = packet_id.to_be_bytes().to_vec();
    for filter in filters {
        put_str(&mut body, filter);
        body.push(qos);
    }
    frame(SUBSCRIBE, &body)
}

pub fn publish_qos1(packet_id: u16, topic: &str, payload: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(topic.len() + payload.len() + 4);
    put_str(&mut body, topic);
    body.extend_from_slice(&packet_id.to_be_bytes());
    body.extend_from_slice(payload);
    frame(PUBLISH | 0x02, &body)
}

pub fn puback(packet_id: u16) -> Vec<u8> {
    frame(PUBACK, &packet_id.to_be_bytes())
}

pub fn pingreq() -> Vec<u8> {
    frame(PINGREQ, &[])
}

pub fn disconnect() -> Vec<u8> {
    frame(DISCONNECT, &[])
}

/// The first whole packet in `buf` and how many bytes it took; `None` until it has all arrived.
pub fn decode(buf: &[u8]) -> Result<Option<(Packet, usize)>, DecodeError> {
    let Some(&first) = buf.first() else { return Ok(None) };
    let Some((length, length_bytes)) = remaining_length(&buf[1..])? else { return Ok(None) };
    if length > PACKET_BYTES_MAX {
        return Err(DecodeError::TooLarge(length));
    }
    let start = 1 + length_bytes;
    let Some(body) = buf.get(start..start + length) else { return Ok(None) };
    Ok(Some((parse(first, body)?, start + length)))
}

fn parse(first: u8, body: &[u8]) -> Result<Packet, DecodeError> {
    match first & 0xF0 {
        CONNACK => match body {
            [flags, code] => Ok(Packet::ConnAck { session_present: flags & 1 == 1, code: *code }),
            _ => Err(DecodeError::Malformed("CONNACK is not two bytes")),
        },
        SUBACK if body.len() >= 3 => Ok(Packet::SubAck { packet_id: u16_at(body, 0)?, codes: body[2..].to_vec() }),
        PUBACK if body.len() == 2 => Ok(Packet::PubAck { packet_id: u16_at(body, 0)? }),
        PUBLISH => parse_publish(first, body),
        PINGRESP => Ok(Packet::PingResp),
        SUBACK | PUBACK => Err(DecodeError::Malformed("an acknowledgement of the wrong size")),
        _ => Ok(Packet::Other(first)),
    }
}

fn parse_publish(first: u8, body: &[u8]) -> Result<Packet, DecodeError> {
    let topic_len = usize::from(u16_at(body, 0)?);
    let topic = body.get(2..2 + topic_len).ok_or(DecodeError::Malformed("PUBLISH topic past the end"))?;
    let topic = String::from_utf8(topic.to_vec()).map_err(|_| DecodeError::Malformed("PUBLISH topic not UTF-8"))?;
    let qos = (first >> 1) & 0x03;
    let mut at = 2 + topic_len;
    let packet_id = if qos > 0 {
        at += 2;
        Some(u16_at(body, at - 2)?)
    } else {
        None
    };
    let payload = body.get(at..).ok_or(DecodeError::Malformed("PUBLISH payload past the end"))?.to_vec();
    Ok(Packet::Publish { topic, packet_id, retain: first & 0x01 == 1, payload })
}

fn remaining_length(bytes: &[u8]) -> Result<Option<(usize, usize)>, DecodeError> {
    let mut value = 0usize;
    for (index, byte) in bytes.iter().take(LENGTH_BYTES_MAX).enumerate() {
        value |= usize::from(byte & 0x7F) << (7 * index);
        if byte & 0x80 == 0 {
            return Ok(Some((value, index + 1)));
        }
    }
    if bytes.len() >= LENGTH_BYTES_MAX { Err(DecodeError::BadLength) } else { Ok(None) }
}

fn u16_at(body: &[u8], at: usize) -> Result<u16, DecodeError> {
    match body.get(at..at + 2) {
        Some(&[high, low]) => Ok(u16::from_be_bytes([high, low])),
        _ => Err(DecodeError::Malformed("a two-byte field past the end")),
    }
}

fn frame(first: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 1 + LENGTH_BYTES_MAX);
    out.push(first);
    let mut length = body.len();
    loop {
        let byte = (length % 128) as u8;
        length /= 128;
        out.push(if length > 0 { byte | 0x80 } else { byte });
        if length == 0 {
            break;
        }
    }
    out.extend_from_slice(body);
    out
}

fn put_str(out: &mut Vec<u8>, text: &str) {
    let length = u16::try_from(text.len()).expect("MQTT strings are under 64 KiB");
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_is_byte_exact() {
        let login = Login { client_id: "c", username: "u", password: "p", keepalive_secs: 20, clean_session: false };
        let expected = [0x10, 19, 0, 4, b'M', b'Q', b'T', b'T', 4, 0xC0, 0, 20, 0, 1, b'c', 0, 1, b'u', 0, 1, b'p'];
        assert_eq!(connect(&login), expected);
        let clean = Login { clean_session: true, ..login };
        assert_eq!(connect(&clean)[9], 0xC2);
    }

    #[test]
    fn subscribe_publish_and_small_packets_are_byte_exact() {
        assert_eq!(subscribe(7, &["a/b"], 1), [0x82, 8, 0, 7, 0, 3, b'a', b'/', b'b', 1]);
        assert_eq!(publish_qos1(9, "t", b"xy"), [0x32, 7, 0, 1, b't', 0, 9, b'x', b'y']);
        assert_eq!(puback(0x0102), [0x40, 2, 1, 2]);
        assert_eq!(pingreq(), [0xC0, 0]);
        assert_eq!(disconnect(), [0xE0, 0]);
    }

    #[test]
    fn long_bodies_get_a_multi_byte_length_that_decodes_back() {
        let payload = vec![b'z'; 300];
        let packet = publish_qos1(1, "bank/balanceUpdate/00001", &payload);
        assert_eq!(&packet[1..3], &[0xC8, 0x02]); // 2 + 24 + 2 + 300 = 328
        let (decoded, used) = decode(&packet).unwrap().unwrap();
        assert_eq!(used, packet.len());
        let expected =
            Packet::Publish { topic: "bank/balanceUpdate/00001".into(), packet_id: Some(1), retain: false, payload };
        assert_eq!(decoded, expected);
    }

    #[test]
    fn acknowledgements_decode() {
        assert_eq!(decode(&[0x20, 2, 1, 0]).unwrap(), Some((Packet::ConnAck { session_present: true, code: 0 }, 4)));
        assert_eq!(
            decode(&[0x90, 4, 0, 3, 1, 0x80]).unwrap(),
            Some((Packet::SubAck { packet_id: 3, codes: vec![1, 0x80] }, 6))
        );
        assert_eq!(decode(&[0x40, 2, 0, 9]).unwrap(), Some((Packet::PubAck { packet_id: 9 }, 4)));
        assert_eq!(decode(&[0xD0, 0]).unwrap(), Some((Packet::PingResp, 2)));
    }

    #[test]
    fn a_retained_qos0_publish_has_no_packet_id() {
        let bytes = [0x31, 5, 0, 1, b't', b'h', b'i'];
        let expected = Packet::Publish { topic: "t".into(), packet_id: None, retain: true, payload: b"hi".to_vec() };
        assert_eq!(decode(&bytes).unwrap(), Some((expected, 7)));
    }

    #[test]
    fn a_partial_packet_waits_for_more_and_two_packets_come_out_one_at_a_time() {
        let mut bytes = vec![0x20, 2, 0];
        assert_eq!(decode(&bytes).unwrap(), None);
        assert_eq!(decode(&[0x32]).unwrap(), None);
        assert_eq!(decode(&[0x32, 0x80]).unwrap(), None);
        bytes.extend_from_slice(&[0, 0xD0, 0]);
        let (first, used) = decode(&bytes).unwrap().unwrap();
        assert_eq!(first, Packet::ConnAck { session_present: false, code: 0 });
        assert_eq!(decode(&bytes[used..]).unwrap(), Some((Packet::PingResp, 2)));
    }

    #[test]
    fn oversized_and_malformed_packets_are_errors() {
        assert_eq!(decode(&[0x30, 0xFF, 0xFF, 0xFF, 0x7F]), Err(DecodeError::TooLarge(268_435_455)));
        assert_eq!(decode(&[0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]), Err(DecodeError::BadLength));
        assert!(matches!(decode(&[0x20, 1, 0]), Err(DecodeError::Malformed(_))));
        assert!(matches!(decode(&[0x32, 3, 0, 9, b't']), Err(DecodeError::Malformed(_))));
        assert_eq!(decode(&[0xB0, 2, 0, 1]).unwrap(), Some((Packet::Other(0xB0), 4)));
    }
}
