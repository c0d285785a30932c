//! The web gateway, as phones' browsers use it: a real ledger-service serving the page,
//! and WebSocket clients that send what the page sends. Every bad input gets a clear
//! error and leaves the browser's session working.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::harness::{Broker, Ledger, WAIT, free_port, make_certificates};

const ANDROID: &str =
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36";

pub struct Web {
    pub ledger: Ledger,
    port: u16,
}

impl Web {
    pub async fn start(broker: Broker, extra: &[&str]) -> Web {
        let port = free_port();
        let mut args = vec!["--http-listen".to_string(), format!("127.0.0.1:{port}")];
        args.extend(extra.iter().map(|arg| arg.to_string()));
        Web { ledger: Ledger::start_with(broker, args).await, port }
    }

    /// A browser's first visit: the page, and the cookie that names the browser.
    async fn page(&self) -> (String, String) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).await.unwrap();
        let request = format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n", self.port);
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        (head.to_string(), body.to_string())
    }

    pub async fn browser(&self) -> Browser {
        let (head, _) = self.page().await;
        let cookie = head
            .lines()
            .find_map(|line| line.strip_prefix("set-cookie: "))
            .and_then(|cookie| cookie.split(';').next())
            .expect("the page sets a device cookie")
            .to_string();
        Browser { port: self.port, cookie: Some(cookie) }
    }
}

pub struct Browser {
    port: u16,
    cookie: Option<String>,
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub struct Tab {
    socket: Socket,
    next_id: u64,
    /// Pushed events seen while waiting for answers, oldest first.
    events: Vec<(String, Value)>,
}

impl Browser {
    async fn connect(&self, origin: Option<&str>) -> Result<Socket, WsError> {
        let mut request = format!("ws://127.0.0.1:{}/ws", self.port).into_client_request().unwrap();
        let headers = request.headers_mut();
        let own_origin = format!("http://127.0.0.1:{}", self.port);
        if let Some(origin) = origin.or(Some(&own_origin)).filter(|origin| !origin.is_empty()) {
            headers.insert("origin", origin.parse().unwrap());
        }
        if let Some(cookie) = &self.cookie {
            headers.insert("cookie", cookie.parse().unwrap());
        }
        headers.insert("user-agent", ANDROID.parse().unwrap());
        tokio_tungstenite::connect_async_with_config(request, None, true).await.map(|(socket, _)| socket)
    }

    /// A tab of the page, once it has heard what its browser's session shows.
    pub async fn open(&self) -> (Tab, Value) {
        let mut tab = Tab { socket: self.connect(None).await.unwrap(), next_id: 1, events: Vec::new() };
        let session = tab.event("session", |_| true).await;
        (tab, session)
    }
}

impl Tab {
    async fn frame(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(WAIT, self.socket.next()).await.expect("a frame in time");
            match message.expect("the socket is open").expect("a good frame") {
                Message::Text(text) => return serde_json::from_str(&text).unwrap(),
                Message::Close(close) => return json!({ "closed": close.map(|close| close.reason.to_string()) }),
                _ => continue,
            }
        }
    }

    /// The next error frame; views pushed meanwhile are kept as events.
    async fn error_frame(&mut self) -> Value {
        loop {
            let frame = self.frame().await;
            if frame.get("error").is_some() {
                return frame;
            }
            self.record(frame);
        }
    }

    async fn send_text(&mut self, text: String) {
        self.socket.send(Message::text(text)).await.unwrap();
    }

    async fn call(&mut self, command: &str, args: Value) -> Result<Value, String> {
        let id = self.next_id;
        self.next_id += 1;
        self.send_text(json!({ "id": id, "command": command, "args": args }).to_string()).await;
        self.answer(id).await
    }

    async fn answer(&mut self, id: u64) -> Result<Value, String> {
        loop {
            let frame = self.frame().await;
            if frame["id"] == id {
                return match frame.get("error") {
                    Some(error) => Err(error.as_str().unwrap().to_string()),
                    None => Ok(frame["ok"].clone()),
                };
            }
            self.record(frame);
        }
    }

    fn record(&mut self, frame: Value) {
        if let Some(name) = frame["event"].as_str() {
            self.events.push((name.to_string(), frame["payload"].clone()));
        }
    }

    /// The first event named `name` that `wanted` accepts, including ones already seen.
    async fn event(&mut self, name: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        if let Some(index) = self.events.iter().position(|(event, payload)| event == name && wanted(payload)) {
            return self.events.drain(..=index).next_back().unwrap().1;
        }
        loop {
            let frame = self.frame().await;
            if frame["event"] == name && wanted(&frame["payload"]) {
                return frame["payload"].clone();
            }
            self.record(frame);
        }
    }

    pub async fn sign_in(&mut self, account: &str, password: &str) -> Result<Value, String> {
        self.call("sign_in", json!({ "broker": "", "account": account, "password": password })).await
    }

    pub async fn transfer(&mut self, payee: &str, amount: &str, memo: &str) -> Result<Value, String> {
        self.call("transfer", json!({ "payee": payee, "amount": amount, "memo": memo })).await
    }

    pub async fn balance(&mut self, text: &str) -> Value {
        self.event("view", |view| view["balance_text"] == text).await
    }
}

fn rows_with_memo(view: &Value, memo: &str) -> Vec<Value> {
    view["history"].as_array().unwrap().iter().filter(|row| row["memo"] == memo).cloned().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_gives_each_browser_a_secret_cookie_under_a_strict_policy() {
    let web = Web::start(Broker::Embedded, &[]).await;
    let (head, body) = web.page().await;
    assert!(body.contains("MQTT Banking") && body.contains("app.js"), "{body}");
    let cookie = head.lines().find(|line| line.starts_with("set-cookie: bank_device=")).expect(&head);
    let secret = cookie.trim_start_matches("set-cookie: bank_device=").split(';').next().unwrap();
    assert_eq!(secret.len(), 64, "256 random bits: {cookie}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert_ne!(web.browser().await.cookie, web.browser().await.cookie);
    assert!(head.contains("content-security-policy: default-src 'self'"), "{head}");
    assert!(head.contains("frame-ancestors 'none'"), "{head}");
}

pub async fn phones_see_each_others_transfers_live(broker: Broker) {
    let web = Web::start(broker, &[]).await;
    let (mut phone_a, session) = web.browser().await.open().await;
    assert_eq!(session["customer"], Value::Null, "a new browser starts signed out: {session}");
    let (mut phone_b, _) = web.browser().await.open().await;
    let view = phone_a.sign_in("00001", "demo").await.unwrap();
    assert_eq!(view["connection"], "Online", "{view}");
    phone_b.sign_in("00002", "demo").await.unwrap();
    phone_a.balance("$1,000.00").await;
    phone_b.balance("$726.14").await;

    assert_eq!(phone_a.transfer("00002", "5.00", "Coffee").await, Ok(json!(true)));
    let seen = phone_b.balance("$731.14").await;
    assert_eq!(rows_with_memo(&seen, "Coffee")[0]["title"], "From #00001", "{seen}");
    phone_a.balance("$995.00").await;
    assert_eq!(phone_a.transfer("00002", "1,000,000.00", "").await, Ok(json!(false)), "the core refuses it");
    let refused = phone_a.event("view", |view| view["form"]["amount_error"].is_string()).await;
    assert_eq!(refused["form"]["send_enabled"], false, "{refused}");

    let (mut operator, _) = web.browser().await.open().await;
    operator.call("operator_sign_in", json!({ "broker": "", "password": "operator" })).await.unwrap();
    let devices = operator.event("operator", |view| view["devices_online"] == 2).await;
    let names: Vec<_> = devices["devices"].as_array().unwrap().iter().map(|row| row["name"].clone()).collect();
    assert_eq!(names, [json!("Chrome on Android"), json!("Chrome on Android")], "{devices}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_frames_get_clear_errors_and_harm_no_session() {
    let web = Web::start(Broker::Embedded, &[]).await;
    let (mut tab, _) = web.browser().await.open().await;
    tab.sign_in("00001", "demo").await.unwrap();
    let cases = [
        ("not json".to_string(), "The frame is not JSON"),
        (r#"{"command":"sign_out"}"#.to_string(), "no numeric \"id\""),
        (r#"{"id":90,"command":"drop_tables"}"#.to_string(), "Unknown command \"drop_tables\""),
        (r#"{"id":91,"command":"transfer","args":{"payee":5}}"#.to_string(), "The arguments of transfer are wrong"),
        (format!(r#"{{"id":92,"command":"sign_out","pad":"{}"}}"#, "x".repeat(70_000)), "over the 64 KiB limit"),
    ];
    for (text, expected) in cases {
        tab.send_text(text).await;
        let frame = tab.error_frame().await;
        assert!(frame["error"].as_str().unwrap().contains(expected), "{expected}: {frame}");
    }
    tab.socket.send(Message::binary(vec![0xff; 10])).await.unwrap();
    let frame = tab.error_frame().await;
    assert!(frame["error"].as_str().unwrap().contains("binary frame"), "{frame}");
    assert_eq!(tab.transfer("00002", "1.00", "After the junk").await, Ok(json!(true)));
    tab.balance("$999.00").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_pages_and_cookieless_sockets_are_refused() {
    let web = Web::start(Broker::Embedded, &[]).await;
    let browser = web.browser().await;
    for origin in ["http://evil.example", ""] {
        match browser.connect(Some(origin)).await {
            Err(WsError::Http(response)) => assert_eq!(response.status(), 403, "{origin:?}"),
            other => panic!("{origin:?}: expected a 403, got {:?}", other.map(|_| ())),
        }
    }
    let cookieless = Browser { port: web.port, cookie: Some("bank_device=1234".into()) };
    let mut tab = Tab { socket: cookieless.connect(None).await.unwrap(), next_id: 1, events: Vec::new() };
    let frame = tab.frame().await;
    assert!(frame["error"].as_str().unwrap().contains("no device cookie"), "{frame}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_keeps_the_session_and_a_transfer_lands_exactly_once() {
    let web = Web::start(Broker::Embedded, &[]).await;
    let browser = web.browser().await;
    let (mut tab, _) = browser.open().await;
    tab.sign_in("00001", "demo").await.unwrap();
    tab.balance("$1,000.00").await;
    // The frame goes out and the tab is gone before any answer: a reload.
    let transfer =
        json!({ "id": 50, "command": "transfer", "args": { "payee": "00002", "amount": "7.00", "memo": "Reload" } });
    tab.send_text(transfer.to_string()).await;
    drop(tab);

    let (mut reloaded, session) = browser.open().await;
    assert_eq!(session["customer"]["account"], "00001", "still signed in after a reload: {session}");
    let view = reloaded.event("view", |view| view["balance_text"] == "$993.00" && view["pending_text"].is_null()).await;
    let rows = rows_with_memo(&view, "Reload");
    assert_eq!(rows.len(), 1, "exactly once: {view}");
    assert_eq!(rows[0]["status"], "Done", "{view}");
    assert_eq!(web.ledger.balance("00002").await.balance.to_string(), "733.14");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_are_refused_then_throttled_per_address() {
    let web = Web::start(Broker::Embedded, &[]).await;
    let (mut tab, _) = web.browser().await.open().await;
    let wrong = tab.sign_in("00001", "guess").await.unwrap_err();
    assert!(wrong.to_lowercase().contains("password"), "{wrong}");
    assert_eq!(tab.sign_in("00001", "").await.unwrap_err(), "Enter the password for this account.");
    for _ in 1..10 {
        tab.sign_in("00001", "guess").await.unwrap_err();
    }
    let throttled = tab.sign_in("00001", "demo").await.unwrap_err();
    assert!(throttled.starts_with("Too many failed sign-ins from your network. Wait"), "{throttled}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsers_and_tabs_are_bounded_with_a_clear_error() {
    let web = Web::start(Broker::Embedded, &["--http-devices-max", "1"]).await;
    let first = web.browser().await;
    let (mut tab, _) = first.open().await;
    tab.sign_in("00001", "demo").await.unwrap();
    let (mut second, _) = web.browser().await.open().await;
    let full = second.sign_in("00002", "demo").await.unwrap_err();
    assert!(full.contains("already hosts 1 signed-in browsers"), "{full}");
    assert!(tab.sign_in("00003", "demo").await.is_ok(), "a hosted browser may switch accounts");

    let mut tabs = Vec::new();
    for _ in 1..8 {
        tabs.push(first.open().await);
    }
    let mut ninth = Tab { socket: first.connect(None).await.unwrap(), next_id: 1, events: Vec::new() };
    let frame = ninth.frame().await;
    assert!(frame["error"].as_str().unwrap().contains("8 tabs open"), "{frame}");
    drop(tabs);
    assert_eq!(tab.transfer("00001", "1.00", "").await, Ok(json!(true)), "the session lives on");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_forgets_the_browser_and_a_restart_resumes_the_others() {
    let mut web = Web::start(Broker::Embedded, &[]).await;
    let (leaver, stayer) = (web.browser().await, web.browser().await);
    let (mut leaving, _) = leaver.open().await;
    leaving.sign_in("00001", "demo").await.unwrap();
    let (mut staying, _) = stayer.open().await;
    staying.sign_in("00002", "demo").await.unwrap();
    // The token arrives just after the login.
    let tokens = || std::fs::read_dir(web.ledger.data_dir.path().join("web-devices")).unwrap().count();
    assert_eq!(tokens(), 2);
    tokio::time::sleep(Duration::from_millis(500)).await;

    leaving.call("sign_out", json!({})).await.unwrap();
    let (_, session) = leaver.open().await;
    assert_eq!(session["customer"], Value::Null, "{session}");
    assert_eq!(session["account"], "00001", "the account number is remembered: {session}");
    drop((leaving, staying));

    web.ledger.kill();
    web.ledger.spawn().await;
    let (mut resumed, session) = stayer.open().await;
    assert_eq!(session["customer"]["account"], "00002", "signed in with its token, no password: {session}");
    resumed.event("view", |view| view["connection"] == "Online").await;
    let (_, session) = leaver.open().await;
    assert_eq!(session["customer"], Value::Null, "signed out stays signed out: {session}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_serves_the_page_with_a_secure_cookie_and_the_socket() {
    let certs = tempfile::TempDir::new().unwrap();
    let (ca, cert, key) = make_certificates(certs.path());
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let (cert, key) = (cert.display().to_string(), key.display().to_string());
    let web = Web::start(Broker::Embedded, &["--https-listen", &listen, "--tls-cert", &cert, "--tls-key", &key]).await;
    assert!(web.ledger.log().contains(&format!("Phones: open https://127.0.0.1:{port}")), "{}", web.ledger.log());

    let connect = || async {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let mut roots = rustls::RootCertStore::empty();
        let pem = std::fs::read(&ca).unwrap();
        use rustls::pki_types::{CertificateDer, pem::PemObject};
        roots.add_parsable_certificates(CertificateDer::pem_slice_iter(&pem).map(Result::unwrap));
        let config = rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
        let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        tokio_rustls::TlsConnector::from(std::sync::Arc::new(config)).connect(name, tcp).await.unwrap()
    };
    let mut tls = connect().await;
    tls.write_all(format!("GET / HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut response = Vec::new();
    let _ = tls.read_to_end(&mut response).await;
    let response = String::from_utf8_lossy(&response);
    let cookie = response.lines().find_map(|line| line.strip_prefix("set-cookie: ")).expect(&response);
    assert!(cookie.contains("; Secure") && cookie.contains("HttpOnly"), "{cookie}");

    let mut request = format!("wss://localhost:{port}/ws").into_client_request().unwrap();
    request.headers_mut().insert("origin", format!("https://localhost:{port}").parse().unwrap());
    request.headers_mut().insert("cookie", cookie.split(';').next().unwrap().parse().unwrap());
    let (socket, _) = tokio_tungstenite::client_async(request, connect().await).await.unwrap();
    let mut socket = socket;
    let first = tokio::time::timeout(WAIT, socket.next()).await.unwrap().unwrap().unwrap();
    let first: Value = serde_json::from_str(first.to_text().unwrap()).unwrap();
    assert_eq!(first["event"], "session", "{first}");
}
