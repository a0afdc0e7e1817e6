"""Good commands, as an order system sends them (architecture.md, "Command").

Every command has an out_request_no of its own and, for WeChat, a user of its own, so the
sandbox's issuance count per out_request_no is exactly what the worker caused.
"""

import json
import secrets
from dataclasses import dataclass

from .kafka_clients import ISSUE_TOPIC, QUERY_TOPIC

# ProviderSandboxes.Identities (Sources/CouponSandbox/ProviderSandboxes.swift).
WECHAT_MCHID = "1900000001"
WECHAT_APPID = "wx1234567890abcdef"
WECHAT_STOCK_ID = "1212000001"
ZVCMS_OPEN_ID = "sandbox-open-id"
ZVCMS_CUSTOMER_ID = "9183933091455959041"
ZVCMS_COUPON_ID = "390913441022877696"


@dataclass(frozen=True)
class Command:
    topic: str
    out_request_no: str
    provider: str
    value: bytes

    @property
    def key(self):
        return self.out_request_no


def run_tag():
    """A prefix that keeps the out_request_nos of one run apart from any other run's."""
    return "R" + secrets.token_hex(3).upper()


def wechat_issue(out_request_no, openid=None):
    body = {
        "out_request_no": out_request_no, "provider": "wechat", "operation": "product_coupon.send",
        "merchant": WECHAT_MCHID,
        "params": {"openid": openid or "o" + out_request_no.replace("|", "_").replace("*", "_"),
                   "appid": WECHAT_APPID, "stock_id": WECHAT_STOCK_ID, "coupon_type": "NORMAL"},
    }
    return Command(ISSUE_TOPIC, out_request_no, "wechat", json.dumps(body).encode())


def zvcms_issue(out_request_no):
    body = {
        "out_request_no": out_request_no, "provider": "zvcms", "operation": "coupon.issue",
        "params": {"couponId": ZVCMS_COUPON_ID, "customerId": ZVCMS_CUSTOMER_ID, "num": 1},
    }
    return Command(ISSUE_TOPIC, out_request_no, "zvcms", json.dumps(body).encode())


def wechat_query(out_request_no, openid):
    body = {
        "out_request_no": out_request_no, "provider": "wechat", "operation": "user_coupons.list",
        "merchant": WECHAT_MCHID,
        "params": {"openid": openid, "appid": WECHAT_APPID, "stock_id": WECHAT_STOCK_ID,
                   "creator_merchant": WECHAT_MCHID, "limit": 10},
    }
    return Command(QUERY_TOPIC, out_request_no, "wechat", json.dumps(body).encode())


def issue_mix(prefix, count, rng):
    """`count` issue commands, WeChat and zvcms at random (about half each)."""
    commands = []
    for i in range(count):
        no = f"{prefix}-{i:06d}"
        commands.append(wechat_issue(no) if rng.random() < 0.5 else zvcms_issue(no))
    return commands
