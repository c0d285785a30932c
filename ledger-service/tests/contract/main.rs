//! The contract suite: what every device may rely on, checked against the embedded
//! broker and against Mosquitto with the shipped configuration.

mod batching;
mod cases;
mod channels;
mod harness;
mod logins;
mod mqtt5;
mod process;
mod web;

/// Runs each case once per broker, as `embedded::case` and `mosquitto::case`.
macro_rules! on_both_brokers {
    ($($case:ident),* $(,)?) => {
        mod embedded {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                crate::cases::$case(crate::harness::Broker::Embedded).await;
            })*
        }
        mod mosquitto {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                crate::cases::$case(crate::harness::Broker::Mosquitto).await;
            })*
        }
    };
}

on_both_brokers!(
    phones_see_each_others_transfers_live,
    accepted_transfer_moves_both_retained_balances,
    total_is_conserved,
    duplicate_ids_replay_and_conflicting_content_is_refused,
    every_bad_request_is_rejected_with_its_reason,
    account_users_cannot_read_other_accounts,
    account_users_cannot_move_other_accounts_money,
    operator_reads_everything_and_writes_nothing,
    wrong_or_missing_credentials_are_refused_at_connect,
    retained_balances_reach_late_subscribers_at_their_qos,
    history_pages_newest_first,
    persistent_sessions_keep_messages_for_offline_devices,
    last_will_marks_a_vanished_device_offline,
    kill_9_keeps_balances_and_deduplication,
    mqtt5_devices_transfer_and_get_denials,
    no_one_takes_over_another_users_session_or_will,
    group_commit_shares_transactions_between_concurrent_requests,
    the_transfer_feed_is_for_the_operator_only,
    token_topics_belong_to_their_device,
    the_broker_status_is_for_the_operator_only,
    a_burst_reaches_the_payee_as_every_version_once_with_the_feed_paced,
);

/// Only an external broker keeps running while the ledger is down.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mosquitto_queues_requests_while_the_ledger_is_down() {
    cases::requests_sent_while_the_ledger_is_down_are_applied_after_restart().await;
}

/// Needs a broker that outlives the ledger, to hold the unacknowledged request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mosquitto_redelivers_a_request_whose_commit_failed() {
    cases::nothing_is_published_or_acknowledged_before_the_commit().await;
}
