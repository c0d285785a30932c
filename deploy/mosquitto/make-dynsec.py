#!/usr/bin/env python3
"""Writes Mosquitto's dynamic-security config for MQTT Banking to standard output.

Mosquitto's plain acl_file only filters messages on delivery; the dynamic-security
plugin also refuses denied SUBSCRIBEs, as the protocol requires. Deliveries are checked
too (publishClientReceive), so a user who reuses another user's client id cannot read
the messages queued in that user's session. (Mosquitto still lets that user in, which
discards the session's queue; the embedded broker refuses such a CONNECT.)

    python3 deploy/mosquitto/make-dynsec.py > deploy/mosquitto/dynamic-security.json
    python3 deploy/mosquitto/make-dynsec.py ledger=S3cret 00001=hunter2 > my-dynsec.json

Arguments override passwords (user=password) or add accounts (5-digit user).
"""
import base64
import hashlib
import json
import os
import re
import sys

PASSWORDS = {"00001": "demo", "00002": "demo", "00003": "demo", "00004": "demo", "00005": "demo",
             "operator": "operator", "ledger": "ledger"}
ITERATIONS = 101


def client(username, password, rolename):
    salt = os.urandom(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, ITERATIONS)
    return {"username": username, "password": base64.b64encode(digest).decode(),
            "salt": base64.b64encode(salt).decode(), "iterations": ITERATIONS,
            "roles": [{"rolename": rolename}]}


def acl(acltype, topic):
    return {"acltype": acltype, "topic": topic, "allow": True}


def account_role(account):
    send = [f"bank/transfer/request/{account}", f"bank/history/request/{account}", f"bank/presence/{account}/+"]
    read = [f"bank/transfer/result/{account}", f"bank/balanceUpdate/{account}", f"bank/history/result/{account}",
            f"bank/presence/{account}/+", "bank/ledger/status"]
    acls = [acl("publishClientSend", topic) for topic in send]
    acls += [acl(acltype, topic) for topic in read for acltype in ("subscribePattern", "publishClientReceive")]
    return {"rolename": f"account-{account}", "acls": acls}


def main(overrides):
    passwords = dict(PASSWORDS)
    for override in overrides:
        user, _, password = override.partition("=")
        if not password:
            sys.exit(f"expected user=password, got {override!r}")
        passwords[user] = password
    accounts = sorted(user for user in passwords if re.fullmatch(r"\d{5}", user))
    roles = [account_role(account) for account in accounts]
    everything = [acl(acltype, "bank/#") for acltype in ("subscribePattern", "publishClientReceive")]
    roles.append({"rolename": "ledger", "acls": [acl("publishClientSend", "bank/#")] + everything})
    roles.append({"rolename": "operator", "acls": everything})
    clients = [client(account, passwords[account], f"account-{account}") for account in accounts]
    clients.append(client("ledger", passwords["ledger"], "ledger"))
    clients.append(client("operator", passwords["operator"], "operator"))
    config = {"clients": clients, "groups": [], "roles": roles,
              "defaultACLAccess": {"publishClientSend": False, "publishClientReceive": False,
                                   "subscribe": False, "unsubscribe": True}}
    json.dump(config, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main(sys.argv[1:])
