//! rmqtt hooks that apply [`crate::access`]: who may connect, publish and subscribe.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rmqtt::codec::v5::SubscribeAckReason;
use rmqtt::hook::{Handler, HookResult, Parameter, ReturnType};
use rmqtt::types::{AuthResult, ConnectInfo, LastWill, PublishAclResult, SubscribeAclResult};

use crate::access::{Role, Users, may_publish, may_subscribe};

/// Bounds the memory an attacker can make the broker spend on client ids.
const CLIENT_IDS_MAX: usize = 100_000;

pub struct AccessHook {
    users: Arc<Users>,
    /// Which user each client id belongs to. rmqtt keys sessions by client id alone,
    /// so without this a user could take over another user's persistent session.
    client_owners: Mutex<HashMap<String, String>>,
}

impl AccessHook {
    pub fn new(users: Arc<Users>) -> AccessHook {
        AccessHook { users, client_owners: Mutex::new(HashMap::new()) }
    }

    async fn authenticate(&self, connect: &ConnectInfo) -> bool {
        let (Some(username), Some(password)) = (connect.username(), connect.password()) else {
            return false;
        };
        let (username, password) = (username.to_string(), String::from_utf8_lossy(password).into_owned());
        let users = self.users.clone();
        // Argon2 is deliberately slow: keep it off the broker's async threads.
        let checked = tokio::task::spawn_blocking(move || users.authenticate(&username, &password)).await;
        let Ok(Some(role)) = checked else {
            return false;
        };
        // rmqtt does not run the publish ACL on wills, so a will topic is checked here.
        if let Some(will) = connect.last_will() {
            let topic = match will {
                LastWill::V3(will) => will.topic.to_string(),
                LastWill::V5(will) => will.topic.to_string(),
            };
            if !may_publish(role, &topic) {
                tracing::info!(user = %connect.username().map(|u| u.to_string()).unwrap_or_default(), %topic, "refused a will on a forbidden topic");
                return false;
            }
        }
        self.claim_client_id(connect.client_id(), &connect.username().map(|u| u.to_string()).unwrap_or_default())
    }

    fn claim_client_id(&self, client_id: &str, username: &str) -> bool {
        let mut owners = self.client_owners.lock().expect("client id table is never poisoned");
        if let Some(owner) = owners.get(client_id) {
            return owner == username;
        }
        if owners.len() >= CLIENT_IDS_MAX {
            tracing::warn!("{CLIENT_IDS_MAX} client ids in use; refusing new ones until restart");
            return false;
        }
        owners.insert(client_id.to_string(), username.to_string());
        true
    }
}

/// Hands one [`AccessHook`] to several hook types.
pub struct Shared(pub Arc<AccessHook>);

#[async_trait]
impl Handler for Shared {
    async fn hook(&self, param: &Parameter, accumulated: Option<HookResult>) -> ReturnType {
        match param {
            Parameter::ClientAuthenticate(connect) => {
                let result = match self.0.authenticate(connect).await {
                    // `false`: not a superuser, so the ACL hooks below always run.
                    true => AuthResult::Allow(false, None),
                    false => AuthResult::NotAuthorized,
                };
                (false, Some(HookResult::AuthResult(result)))
            }
            Parameter::ClientSubscribeCheckAcl(session, subscribe) => {
                let allowed = Role::of_username(session.id.username_ref())
                    .is_some_and(|role| may_subscribe(role, &subscribe.topic_filter));
                let result = match allowed {
                    true => SubscribeAclResult::new_success(subscribe.opts.qos(), None),
                    false => SubscribeAclResult::new_failure(SubscribeAckReason::NotAuthorized),
                };
                (false, Some(HookResult::SubscribeAclResult(result)))
            }
            Parameter::MessagePublishCheckAcl(session, publish) => {
                let allowed =
                    Role::of_username(session.id.username_ref()).is_some_and(|role| may_publish(role, &publish.topic));
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
