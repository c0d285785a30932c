//! One device's TCP connection: bound to a chosen loopback source address, Nagle off, and
//! a read buffer that yields whole MQTT packets.

use std::io;
use std::net::{IpAddr, SocketAddr};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::mqtt::{self, Packet};

/// Read at least this much at a time; most packets a device gets fit in one read.
const READ_CHUNK_BYTES: usize = 512;
/// An idle device keeps no more buffer than this, so 19,000 of them stay small.
const IDLE_BUFFER_BYTES_MAX: usize = 4096;

pub struct Connection {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Connection {
    /// Connects from `source` (any port) when given. Every address in 127.0.0.0/8 is this
    /// machine, and each one has its own ~28,000 ephemeral ports, so binding spreads a
    /// large fleet over many source addresses instead of exhausting one.
    pub async fn open(target: SocketAddr, source: Option<IpAddr>) -> io::Result<Connection> {
        let socket = if target.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
        if let Some(ip) = source {
            socket.bind(SocketAddr::new(ip, 0))?;
        }
        let stream = socket.connect(target).await?;
        // Every packet is small and urgent: Nagle and delayed ACKs would add ~40 ms.
        stream.set_nodelay(true)?;
        Ok(Connection { stream, buf: Vec::new() })
    }

    pub async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes).await
    }

    /// The next whole packet. Cancel-safe: a packet half read stays in the buffer.
    pub async fn next(&mut self) -> io::Result<Packet> {
        // Each read adds at least one byte, so a packet of the largest size ends the loop.
        for _ in 0..=mqtt::PACKET_BYTES_MAX + 8 {
            if let Some(packet) = self.take_packet()? {
                return Ok(packet);
            }
            self.buf.reserve(READ_CHUNK_BYTES);
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the broker closed the connection"));
            }
        }
        Err(io::Error::new(io::ErrorKind::InvalidData, "a packet that never ends"))
    }

    fn take_packet(&mut self) -> io::Result<Option<Packet>> {
        let decoded = mqtt::decode(&self.buf).map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))?;
        let Some((packet, used)) = decoded else { return Ok(None) };
        self.buf.drain(..used);
        if self.buf.is_empty() && self.buf.capacity() > IDLE_BUFFER_BYTES_MAX {
            self.buf = Vec::new();
        }
        Ok(Some(packet))
    }

    /// Says goodbye, so the broker does not wait for the keepalive to notice.
    pub async fn close(mut self) {
        let _ = self.stream.write_all(&mqtt::disconnect()).await;
        let _ = self.stream.shutdown().await;
    }
}
