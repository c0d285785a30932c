//! One WebSocket: a browser's tab. It pushes the device's views and answers its commands,
//! one at a time. Anything wrong with a frame is answered with an error frame; only a
//! socket that breaks the WebSocket protocol itself, or goes silent, is closed.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Extension;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::Scheme;
use crate::commands::{self, Caller};
use crate::device::{Device, DeviceKey};
use crate::frames::{self, FRAME_BYTES_MAX, Request};
use crate::gateway::{Full, Gateway, SOCKETS_MAX, SOCKETS_PER_DEVICE_MAX};

/// Frames up to this size are read and refused by name; larger ones close the socket.
const FRAME_BYTES_HARD_MAX: usize = 16 * FRAME_BYTES_MAX;
/// Per socket; tungstenite's 128 KiB defaults would cost a thousand browsers 256 MiB.
const SOCKET_BUFFER_BYTES: usize = 8 * 1024;
const PING_INTERVAL: Duration = Duration::from_secs(20);
/// A socket heard from for this long is a phone that went away without closing.
const SILENCE_MAX: Duration = Duration::from_secs(60);
const USER_AGENT_BYTES_MAX: usize = 512;

pub async fn upgrade(
    State(gateway): State<Arc<Gateway>>,
    Extension(scheme): Extension<Scheme>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if !same_origin(&headers, scheme) {
        return (StatusCode::FORBIDDEN, "WebSocket refused: it must come from a page this server served.")
            .into_response();
    }
    let cookies = headers.get_all(header::COOKIE).iter().filter_map(|value| value.to_str().ok());
    let key = DeviceKey::from_cookies(cookies);
    let user_agent = headers.get(header::USER_AGENT).and_then(|value| value.to_str().ok()).unwrap_or_default();
    let caller = Caller {
        address: peer.ip(),
        device_name: device_name(&user_agent[..user_agent.len().min(USER_AGENT_BYTES_MAX)]),
    };
    upgrade
        .read_buffer_size(SOCKET_BUFFER_BYTES)
        .write_buffer_size(SOCKET_BUFFER_BYTES)
        .max_message_size(FRAME_BYTES_HARD_MAX)
        .max_frame_size(FRAME_BYTES_HARD_MAX)
        .on_upgrade(move |socket| serve(gateway, socket, key, caller))
}

/// Browsers always send `Origin` on a WebSocket; a page elsewhere gets its own origin's.
fn same_origin(headers: &HeaderMap, scheme: Scheme) -> bool {
    let text = |name| headers.get(name).and_then(|value: &axum::http::HeaderValue| value.to_str().ok());
    let prefix = match scheme {
        Scheme::Http => "http://",
        Scheme::Https => "https://",
    };
    match (text(header::ORIGIN), text(header::HOST)) {
        (Some(origin), Some(host)) => origin.strip_prefix(prefix) == Some(host),
        _ => false,
    }
}

async fn serve(gateway: Arc<Gateway>, mut socket: WebSocket, key: Option<DeviceKey>, caller: Caller) {
    let Some(key) = key else {
        return refuse(socket, "This browser has no device cookie. Reload the page, and allow cookies for this site.")
            .await;
    };
    let attached = match gateway.attach(key) {
        Ok(attached) => attached,
        Err(Full::Sockets) => {
            let text = format!("The server has {SOCKETS_MAX} connections open, its most. Try again in a minute.");
            return refuse(socket, &text).await;
        }
        Err(Full::Tabs) => {
            let text =
                format!("This browser has {SOCKETS_PER_DEVICE_MAX} tabs open here, the most. Close one and reload.");
            return refuse(socket, &text).await;
        }
    };
    let device = attached.device.clone();
    commands::resume(&gateway, &device, &caller.device_name);
    if socket.send(snapshot(&device)).await.is_err() {
        return;
    }
    let outcome = pump(&gateway, &device, &caller, &mut socket).await;
    if let Err(reason) = outcome {
        let _ = socket.send(Message::Close(Some(CloseFrame { code: 1000, reason: reason.into() }))).await;
    }
    drop(attached);
}

/// Until the socket closes: commands in, answers and views out.
async fn pump(
    gateway: &Gateway,
    device: &Arc<Device>,
    caller: &Caller,
    socket: &mut WebSocket,
) -> Result<(), &'static str> {
    let mut customer = device.customer.subscribe();
    let mut operator = device.operator.subscribe();
    let mut pings = tokio::time::interval(PING_INTERVAL);
    let mut heard = Instant::now();
    loop {
        let out = tokio::select! {
            frame = socket.recv() => {
                heard = Instant::now();
                match frame {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return Ok(()),
                    Some(Ok(Message::Text(text))) => answer(gateway, device, caller, &text).await,
                    Some(Ok(Message::Binary(bytes))) => frames::refusal(&frames::Refused {
                        id: None,
                        error: format!("A binary frame of {} bytes is not understood; frames are JSON text.", bytes.len()),
                    }),
                    Some(Ok(_)) => continue,
                }
            }
            Ok(()) = customer.changed() => match customer.borrow_and_update().clone() {
                Some(view) => frames::event("view", view),
                None => frames::event("session", device.snapshot()),
            },
            Ok(()) = operator.changed() => match operator.borrow_and_update().clone() {
                Some(view) => frames::event("operator", view),
                None => frames::event("session", device.snapshot()),
            },
            _ = pings.tick() => {
                if heard.elapsed() > SILENCE_MAX {
                    return Err("no answer to pings");
                }
                if socket.send(Message::Ping(Default::default())).await.is_err() {
                    return Ok(());
                }
                continue;
            }
        };
        if socket.send(Message::Text(out.into())).await.is_err() {
            return Ok(());
        }
    }
}

async fn answer(gateway: &Gateway, device: &Arc<Device>, caller: &Caller, text: &str) -> String {
    match Request::parse(text) {
        Ok(Request { id, command }) => frames::answer(id, commands::run(gateway, device, caller, command).await),
        Err(refused) => frames::refusal(&refused),
    }
}

fn snapshot(device: &Device) -> Message {
    Message::Text(frames::event("session", device.snapshot()).into())
}

async fn refuse(mut socket: WebSocket, error: &str) {
    let frame = frames::refusal(&frames::Refused { id: None, error: error.into() });
    let _ = socket.send(Message::Text(frame.into())).await;
    let _ = socket.send(Message::Close(Some(CloseFrame { code: 1008, reason: "refused".into() }))).await;
}

/// What the account's other devices call this browser: `Chrome on Android`.
fn device_name(user_agent: &str) -> String {
    let browser =
        [("Edg/", "Edge"), ("Firefox/", "Firefox"), ("CriOS/", "Chrome"), ("Chrome/", "Chrome"), ("Safari/", "Safari")]
            .into_iter()
            .find(|(mark, _)| user_agent.contains(mark))
            .map_or("Browser", |(_, name)| name);
    let platform = [
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("Mac OS", "Mac"),
        ("Windows", "Windows"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(mark, _)| user_agent.contains(mark));
    match platform {
        Some((_, platform)) => format!("{browser} on {platform}"),
        None => browser.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_are_named_from_their_user_agent() {
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";
        let android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36";
        assert_eq!(device_name(iphone), "Safari on iPhone");
        assert_eq!(device_name(android), "Chrome on Android");
        assert_eq!(device_name(""), "Browser");
    }

    #[test]
    fn only_same_origin_sockets_are_taken() {
        let headers = |origin: Option<&str>, host: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::HOST, host.parse().unwrap());
            if let Some(origin) = origin {
                headers.insert(header::ORIGIN, origin.parse().unwrap());
            }
            headers
        };
        let http = Scheme::Http;
        assert!(same_origin(&headers(Some("http://192.168.1.20:8080"), "192.168.1.20:8080"), http));
        assert!(same_origin(&headers(Some("https://bank.example"), "bank.example"), Scheme::Https));
        assert!(!same_origin(&headers(Some("http://bank.example"), "bank.example"), Scheme::Https));
        assert!(!same_origin(&headers(Some("http://evil.example"), "192.168.1.20:8080"), http));
        assert!(!same_origin(&headers(Some("http://192.168.1.20:8080.evil.example"), "192.168.1.20:8080"), http));
        assert!(!same_origin(&headers(None, "192.168.1.20:8080"), http));
    }
}
