//! rmqtt hooks that apply [`crate::access`]: who may connect, publish and subscribe.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_trait::async_trait;
use rmqtt::codec::v5::SubscribeAckReason;
use rmqtt::hook::{Handler, HookResult, Parameter, ReturnType};
use rmqtt::types::{AuthResult, ConnectInfo, Id, LastWill, PublishAclResult, SubscribeAclResult};

use super::pace::Pace;
use crate::access::{Client, Role, may_publish, may_subscribe};
use crate::login::{Attempt, Logins, Verdict};

/// Bounds the memory an attacker can make the broker spend on client ids.
const CLIENT_IDS_MAX: usize = 100_000;

pub struct AccessHook {
    logins: Logins,
    /// `None`: devices publish as fast as they like.
    pace: Option<Pace>,
    /// Which user each client id belongs to while it has a session. rmqtt keys sessions
    /// by client id alone, so without this a user could take over another user's
    /// persistent session and read the messages queued in it.
    client_ids: Mutex<HashMap<String, ClientIdOwner>>,
}

struct ClientIdOwner {
    username: String,
    /// Signed in with a device token: such a session may not ask for another.
    by_token: bool,
    /// Sessions under this id, online or offline; at 0 the id is free again.
    sessions: u32,
    /// When its next publish is due at the sustained rate ([`Pace`]).
    publish_due: Option<Instant>,
}

impl ClientIdOwner {
    fn new(username: &str, by_token: bool) -> ClientIdOwner {
        ClientIdOwner { username: username.to_string(), by_token, sessions: 0, publish_due: None }
    }
}

impl AccessHook {
    pub fn new(logins: Logins, pace: Option<Pace>) -> AccessHook {
        AccessHook { logins, pace, client_ids: Mutex::new(HashMap::new()) }
    }

    /// Makes a device that publishes faster than its rate wait. The ledger is never paced.
    async fn pace(&self, client: Client<'_>) {
        let (Some(pace), Role::Account(_)) = (self.pace, client.role) else { return };
        let wait = {
            let mut owners = self.client_ids.lock().expect("client id table is never poisoned");
            let Some(owner) = owners.get_mut(client.client_id) else { return };
            pace.wait(&mut owner.publish_due, Instant::now())
        };
        if !wait.is_zero() {
            tracing::debug!(client_id = client.client_id, ?wait, "pacing a device over its publish rate");
            tokio::time::sleep(wait).await;
        }
    }

    async fn authenticate(&self, connect: &ConnectInfo) -> AuthResult {
        let (Some(username), Some(secret)) = (connect.username(), connect.password()) else {
            return AuthResult::BadUsernameOrPassword;
        };
        let client_id = connect.client_id();
        let address = connect.id().remote_addr.map(|address| address.ip());
        let attempt = Attempt { username, secret, client_id, address };
        let (role, by_token) = match self.logins.check(&attempt).await {
            Verdict::Allowed { role, by_token } => (role, by_token),
            Verdict::Refused => return AuthResult::BadUsernameOrPassword,
            // MQTT 3.1.1 has no "busy" a hook can send; bank-core reads this as "try again later".
            Verdict::Busy => return AuthResult::NotAuthorized,
        };
        let client = Client { role, client_id, by_token };
        // rmqtt does not run the publish ACL on wills, so a will topic is checked here.
        if let Some(will) = connect.last_will() {
            let topic = match will {
                LastWill::V3(will) => will.topic.to_string(),
                LastWill::V5(will) => will.topic.to_string(),
            };
            if !may_publish(client, &topic) {
                tracing::info!(%username, %topic, "refused a will on a forbidden topic");
                return AuthResult::NotAuthorized;
            }
        }
        match self.claim_client_id(client_id, username, by_token) {
            // `false`: not a superuser, so the ACL hooks below always run.
            true => AuthResult::Allow(false, None),
            false => AuthResult::NotAuthorized,
        }
    }

    /// The client as the ACL sees it; `None` for a user that is not ours.
    fn client<'a>(&self, id: &'a Id) -> Option<Client<'a>> {
        let role = Role::of_username(id.username_ref())?;
        let owners = self.client_ids.lock().expect("client id table is never poisoned");
        let by_token = owners.get::<str>(&id.client_id).is_none_or(|owner| owner.by_token);
        Some(Client { role, client_id: &id.client_id, by_token })
    }

    fn claim_client_id(&self, client_id: &str, username: &str, by_token: bool) -> bool {
        let mut owners = self.client_ids.lock().expect("client id table is never poisoned");
        if let Some(owner) = owners.get(client_id)
            && owner.username != username
            && owner.sessions > 0
        {
            tracing::info!(%client_id, %username, "refused a client id that belongs to another user's session");
            return false;
        }
        if owners.len() >= CLIENT_IDS_MAX {
            owners.retain(|_, owner| owner.sessions > 0);
        }
        if owners.len() >= CLIENT_IDS_MAX && !owners.contains_key(client_id) {
            tracing::warn!("{CLIENT_IDS_MAX} sessions exist; refusing new client ids until some end");
            return false;
        }
        let owner = owners.entry(client_id.to_string()).or_insert_with(|| ClientIdOwner::new(username, by_token));
        owner.username = username.to_string();
        owner.by_token = by_token;
        true
    }

    fn session_created(&self, client_id: &str, username: &str) {
        let mut owners = self.client_ids.lock().expect("client id table is never poisoned");
        // Created without a CONNECT seen here: assume the narrower rights.
        let owner = owners.entry(client_id.to_string()).or_insert_with(|| ClientIdOwner::new(username, true));
        owner.sessions += 1;
    }

    fn session_terminated(&self, client_id: &str) {
        let mut owners = self.client_ids.lock().expect("client id table is never poisoned");
        if let Some(owner) = owners.get_mut(client_id) {
            owner.sessions = owner.sessions.saturating_sub(1);
            if owner.sessions == 0 {
                owners.remove(client_id);
            }
        }
    }
}

/// Hands one [`AccessHook`] to several hook types.
pub struct Shared(pub Arc<AccessHook>);

#[async_trait]
impl Handler for Shared {
    async fn hook(&self, param: &Parameter, accumulated: Option<HookResult>) -> ReturnType {
        match param {
            Parameter::ClientAuthenticate(connect) => {
                (false, Some(HookResult::AuthResult(self.0.authenticate(connect).await)))
            }
            Parameter::SessionCreated(session) => {
                self.0.session_created(&session.id.client_id, session.id.username_ref());
                (true, accumulated)
            }
            Parameter::SessionTerminated(session, _) => {
                self.0.session_terminated(&session.id.client_id);
                (true, accumulated)
            }
            Parameter::ClientSubscribeCheckAcl(session, subscribe) => {
                let allowed =
                    self.0.client(&session.id).is_some_and(|client| may_subscribe(client, &subscribe.topic_filter));
                let result = match allowed {
                    true => SubscribeAclResult::new_success(subscribe.opts.qos(), None),
                    false => SubscribeAclResult::new_failure(SubscribeAckReason::NotAuthorized),
                };
                (false, Some(HookResult::SubscribeAclResult(result)))
            }
            Parameter::MessagePublishCheckAcl(session, publish) => {
                let client = self.0.client(&session.id);
                let allowed = client.is_some_and(|client| may_publish(client, &publish.topic));
                if let Some(client) = client.filter(|_| allowed) {
                    self.0.pace(client).await;
                }
                // Denied: dropped, connection kept; MQTT 5 clients get PUBACK 0x87.
                let result = if allowed { PublishAclResult::allow() } else { PublishAclResult::rejected(false, None) };
                (false, Some(HookResult::PublishAclResult(result)))
            }
            _ => (true, accumulated),
        }
    }
}

/// While shutting down, every message counts as expired, so nothing more is delivered.
pub struct ClosingHook(pub Arc<AtomicBool>);

#[async_trait]
impl Handler for ClosingHook {
    async fn hook(&self, _param: &Parameter, accumulated: Option<HookResult>) -> ReturnType {
        match self.0.load(Ordering::SeqCst) {
            true => (false, Some(HookResult::MessageExpiry)),
            false => (true, accumulated),
        }
    }
}
