//! What ledger-service prints for phones: the page's addresses, and a QR code of one.

use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;

/// `http://HOST:PORT` for each host a phone can reach.
pub fn phone_urls(scheme: &str, hosts: &[String], port: u16) -> Vec<String> {
    hosts.iter().map(|host| format!("{scheme}://{}:{port}", bracketed(host))).collect()
}

fn bracketed(host: &str) -> String {
    if host.contains(':') { format!("[{host}]") } else { host.to_string() }
}

/// `url` as a QR code drawn with half-block characters. On a terminal (`ansi`) each line
/// is painted black on white, so cameras read it whatever the terminal's colours; in a
/// log it stays plain text.
pub fn qr_code(url: &str, ansi: bool) -> Option<String> {
    let code = QrCode::new(url.as_bytes()).ok()?;
    let text =
        code.render::<Dense1x2>().dark_color(Dense1x2::Dark).light_color(Dense1x2::Light).quiet_zone(true).build();
    if !ansi {
        return Some(text);
    }
    Some(text.lines().map(|line| format!("\x1b[30;47m{line}\x1b[0m")).collect::<Vec<_>>().join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_a_qr_code_for_the_first() {
        let urls = phone_urls("http", &["192.168.1.20".into(), "::1".into()], 8080);
        assert_eq!(urls, ["http://192.168.1.20:8080", "http://[::1]:8080"]);
        let qr = qr_code(&urls[0], false).unwrap();
        let lines: Vec<&str> = qr.lines().collect();
        assert!(lines.len() >= 12 && lines.iter().all(|line| line.chars().count() == lines[0].chars().count()));
        assert!(qr.contains('█') || qr.contains('▀') || qr.contains('▄'));
        let painted = qr_code(&urls[0], true).unwrap();
        assert!(painted.lines().all(|line| line.starts_with("\x1b[30;47m") && line.ends_with("\x1b[0m")));
    }
}
