//! The browsers the gateway hosts, bounded: how many sessions, how many sockets, and for
//! how long a session waits for its browser to come back.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::device::{Device, DeviceKey};
use crate::throttle::Throttle;

/// Browsers with a signed-in session, by default.
pub const DEVICES_MAX: usize = 1000;
/// Open WebSockets, over all browsers.
pub const SOCKETS_MAX: usize = 2000;
/// Open WebSockets of one browser: its tabs.
pub const SOCKETS_PER_DEVICE_MAX: usize = 8;
/// How long a session outlives its last socket: a reload or a short network drop.
pub const GRACE: Duration = Duration::from_secs(120);
const REAP_INTERVAL: Duration = Duration::from_secs(5);

/// The broker the hosted sessions sign in to.
#[derive(Clone, Debug)]
pub struct Broker {
    pub host: String,
    pub port: u16,
    pub tls: bool,
}

#[derive(Clone, Debug)]
pub struct GatewaySettings {
    pub broker: Broker,
    /// Each browser's storage (device id, outbox, token) lives below it.
    pub data_dir: PathBuf,
    pub devices_max: usize,
    pub grace: Duration,
}

pub struct Gateway {
    pub settings: GatewaySettings,
    devices: Mutex<HashMap<DeviceKey, Arc<Device>>>,
    sockets: AtomicUsize,
    /// Seats held by sign-ins in progress.
    signing_in: AtomicUsize,
    pub throttle: Throttle,
}

/// Held from the bound's check until the session is installed (or the sign-in fails).
pub struct Seat<'a> {
    gateway: &'a Gateway,
}

impl Drop for Seat<'_> {
    fn drop(&mut self) {
        self.gateway.signing_in.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Why a socket cannot attach.
pub enum Full {
    Sockets,
    Tabs,
}

/// A socket's hold on its device; dropping it starts the grace period when it was the last.
pub struct Attached {
    pub device: Arc<Device>,
    gateway: Arc<Gateway>,
}

impl Drop for Attached {
    fn drop(&mut self) {
        self.device.detach(Instant::now());
        self.gateway.sockets.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Gateway {
    /// Starts the gateway and its reaper on the current tokio runtime.
    pub fn start(settings: GatewaySettings) -> Arc<Gateway> {
        let gateway = Arc::new(Gateway {
            settings,
            devices: Mutex::default(),
            sockets: AtomicUsize::new(0),
            signing_in: AtomicUsize::new(0),
            throttle: Throttle::default(),
        });
        tokio::spawn(reap(Arc::downgrade(&gateway)));
        gateway
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<DeviceKey, Arc<Device>>> {
        self.devices.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn attach(self: &Arc<Self>, key: DeviceKey) -> Result<Attached, Full> {
        if self.sockets.fetch_add(1, Ordering::AcqRel) >= SOCKETS_MAX {
            self.sockets.fetch_sub(1, Ordering::AcqRel);
            return Err(Full::Sockets);
        }
        // Under the map's lock, so the reaper cannot drop the device in between.
        let (device, tabs) = {
            let mut devices = self.lock();
            let device = devices.entry(key).or_insert_with(|| Arc::new(Device::new(self.device_dir(key))));
            (device.clone(), device.attach())
        };
        let attached = Attached { device, gateway: self.clone() };
        if tabs > SOCKETS_PER_DEVICE_MAX {
            return Err(Full::Tabs);
        }
        Ok(attached)
    }

    fn device_dir(&self, key: DeviceKey) -> PathBuf {
        self.settings.data_dir.join("web-devices").join(key.dir_name())
    }

    /// A seat for `device` while it signs in, if the bound leaves one: browsers that are
    /// signing in count as hosted, so concurrent sign-ins cannot overshoot it. `device`
    /// itself counts only once.
    pub fn seat(&self, device: &Device) -> Option<Seat<'_>> {
        let devices = self.lock();
        let hosted = devices.values().filter(|other| other.hosts_a_session()).count();
        let signing_in = self.signing_in.load(Ordering::Acquire);
        if !device.hosts_a_session() && hosted + signing_in >= self.settings.devices_max {
            return None;
        }
        self.signing_in.fetch_add(1, Ordering::AcqRel);
        Some(Seat { gateway: self })
    }

    /// Ends every hosted session, so each says goodbye to the broker; for shutdown.
    pub fn end_all(&self) {
        let devices: Vec<_> = self.lock().drain().map(|(_, device)| device).collect();
        devices.iter().for_each(|device| device.end());
    }

    fn reap_abandoned(&self, now: Instant) {
        let abandoned: Vec<_> = {
            let mut devices = self.lock();
            let keys: Vec<_> = devices
                .iter()
                .filter(|(_, device)| device.is_abandoned(now, self.settings.grace))
                .map(|(key, _)| *key)
                .collect();
            keys.iter().filter_map(|key| devices.remove(key)).collect()
        };
        // Sessions are dropped outside the lock: each sends its goodbye.
        abandoned.iter().for_each(|device| device.end());
    }
}

async fn reap(gateway: std::sync::Weak<Gateway>) {
    let mut ticks = tokio::time::interval(REAP_INTERVAL);
    loop {
        ticks.tick().await;
        let Some(gateway) = gateway.upgrade() else { return };
        gateway.reap_abandoned(Instant::now());
    }
}
