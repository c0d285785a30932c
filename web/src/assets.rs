//! The page and its files, carried inside the binary: the desktop's `ui/`, unchanged.

use axum::Extension;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

use crate::Scheme;
use crate::device::{COOKIE, DeviceKey};

#[derive(RustEmbed)]
#[folder = "../ui"]
struct Ui;

/// The desktop's policy, plus WebSockets to this same server, and no framing elsewhere.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
     connect-src 'self'; manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/// A year: the cookie only names the browser; signing out is what ends a session.
const COOKIE_AGE_SECS: u32 = 365 * 24 * 3600;

/// The page, giving a browser its device cookie the first time it comes.
pub async fn index(Extension(scheme): Extension<Scheme>, headers: HeaderMap) -> Response {
    let mut response = file_response("index.html");
    let cookies = headers.get_all(header::COOKIE).iter().filter_map(|value| value.to_str().ok());
    if DeviceKey::from_cookies(cookies).is_none() {
        let cookie = format!(
            "{COOKIE}={}; Path=/; Max-Age={COOKIE_AGE_SECS}; HttpOnly; SameSite=Strict{}",
            DeviceKey::new_secret(),
            if scheme == Scheme::Https { "; Secure" } else { "" }
        );
        if let Ok(cookie) = HeaderValue::from_str(&cookie) {
            response.headers_mut().insert(header::SET_COOKIE, cookie);
        }
    }
    response
}

pub async fn file(Path(path): Path<String>, scheme: Extension<Scheme>, headers: HeaderMap) -> Response {
    // The page by its file name too: without the cookie its socket would be refused for good.
    if path == "index.html" {
        return index(scheme, headers).await;
    }
    file_response(&path)
}

fn file_response(path: &str) -> Response {
    let Some(file) = Ui::get(path) else {
        return (StatusCode::NOT_FOUND, format!("There is no /{path} here; open / for MQTT Banking.")).into_response();
    };
    let mime = if path.ends_with(".webmanifest") {
        "application/manifest+json".to_string()
    } else {
        file.metadata.mimetype().to_string()
    };
    let headers = [
        (header::CONTENT_TYPE, mime),
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY.into()),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
        (header::REFERRER_POLICY, "no-referrer".into()),
        // The binary carries the page: a new build must show at once.
        (header::CACHE_CONTROL, "no-cache".into()),
    ];
    (headers, file.data).into_response()
}
