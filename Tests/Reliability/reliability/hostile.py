"""Hostile command messages: what a broken or malicious producer can put on the command topics.

Each message has a Kafka key of its own (the DLQ keeps the original key, so every bad message
can be found there) and whether the worker can read a valid out_request_no from it. Every
one must get a `rejected` result: under that out_request_no, or, when none can be read (random
bytes, truncated or too deep JSON, invalid UTF-8, oversize, a bad out_request_no), under its
record key, which commands carry as their out_request_no (architecture.md "Topics"; README
"Bad input never crashes and is never lost").
"""

import json
from dataclasses import dataclass

from .commands import WECHAT_APPID, WECHAT_MCHID, WECHAT_STOCK_ID, ZVCMS_COUPON_ID, ZVCMS_CUSTOMER_ID
from .kafka_clients import ISSUE_TOPIC, QUERY_TOPIC

# The worker accepts commands up to 64 KiB (CommandLimits); the mock broker takes 1 MB per
# message but keeps only 5 MiB per partition (rd_kafka_mock: max_size), evicting the oldest
# batches beyond that -- so oversize messages are few and bad messages small on average.
WORKER_LIMIT = 64 * 1024
HUGE_LIMIT = 900 * 1024


@dataclass(frozen=True)
class BadMessage:
    topic: str
    key: str
    value: bytes
    kind: str
    out_request_no: object  # str when the worker can read a valid one, else None

    @property
    def expects_result(self):
        return self.out_request_no is not None


def _wechat_body(no, **params):
    p = {"openid": "oHostileUser", "appid": WECHAT_APPID, "stock_id": WECHAT_STOCK_ID, "coupon_type": "NORMAL"}
    p.update(params)
    return {"out_request_no": no, "provider": "wechat", "operation": "product_coupon.send", "merchant": WECHAT_MCHID,
            "params": p}


def _zvcms_body(no, **params):
    p = {"couponId": ZVCMS_COUPON_ID, "customerId": ZVCMS_CUSTOMER_ID, "num": 1}
    p.update(params)
    return {"out_request_no": no, "provider": "zvcms", "operation": "coupon.issue", "params": p}


def _dump(obj):
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


class HostileGenerator:
    """Cycles through the kinds of bad message, randomised by `rng`."""

    def __init__(self, rng, prefix):
        self.rng = rng
        self.prefix = prefix
        self.counter = 0
        self.kinds = [
            self.random_bytes, self.truncated_json, self.deeply_nested, self.wrong_types, self.huge_string,
            self.invalid_utf8, self.path_traversal_openid, self.control_characters, self.unknown_operation,
            self.misplaced_or_unknown_fields, self.duplicate_members, self.bad_out_request_no,
        ]

    def generate(self, count, huge_count):
        """`count` bad messages, of which about `huge_count` are over the worker's 64 KiB limit."""
        messages = []
        huge_every = max(1, count // max(1, huge_count))
        for i in range(count):
            if huge_count and i % huge_every == huge_every - 1:
                messages.append(self.oversize())
            else:
                messages.append(self.kinds[i % len(self.kinds)]())
        return messages

    # --- helpers -------------------------------------------------------------------------

    def _next(self):
        self.counter += 1
        return self.counter

    def _no(self):
        """A fresh, valid out_request_no (then the message must get a rejected result)."""
        return f"{self.prefix}-{self.counter:06d}"

    def _message(self, kind, value, readable, topic=ISSUE_TOPIC):
        n = self.counter
        key = f"{self.prefix}-key-{n:06d}"
        # Unreadable: the record key (a well-formed out_request_no) stands in for it.
        return BadMessage(topic, key, value, kind, self._no() if readable else key)

    # --- the kinds -----------------------------------------------------------------------

    def random_bytes(self):
        self._next()
        if self.rng.random() < 0.05:
            return self._message("null value (tombstone)", None, False)
        data = bytes(self.rng.getrandbits(8) for _ in range(self.rng.randint(0, 600)))
        if data[:1] == b"{":  # keep it unambiguously not a command
            data = b"\x00" + data
        return self._message("random bytes", data, False)

    def truncated_json(self):
        self._next()
        body = _dump(_wechat_body(self._no()) if self.rng.random() < 0.5 else _zvcms_body(self._no()))
        return self._message("truncated JSON", body[: self.rng.randint(0, len(body) - 1)], False)

    def deeply_nested(self):
        self._next()
        depth = self.rng.choice([33, 64, 200, 1000])
        nested = "[" * depth + "]" * depth
        where = self.rng.random()
        if where < 0.4:
            value = nested.encode()
        elif where < 0.8:
            value = ('{"out_request_no":"%s","provider":"zvcms","operation":"coupon.issue","params":{"couponId":"%s",'
                     '"customerId":"%s","extra":%s}}' % (self._no(), ZVCMS_COUPON_ID, ZVCMS_CUSTOMER_ID, nested)).encode()
        else:
            value = ('{"a":' * depth + "1" + "}" * depth).encode()
        # The parser stops at the depth limit before the command is looked at.
        return self._message("deeply nested JSON", value, False)

    def wrong_types(self):
        self._next()
        no = self._no()
        variants = [
            lambda: _wechat_body(no, openid=12345),
            lambda: _wechat_body(no, coupon_type=["NORMAL"]),
            lambda: _wechat_body(no, stock_id=None),
            lambda: _zvcms_body(no, num="many"),
            lambda: _zvcms_body(no, num=-1),
            lambda: _zvcms_body(no, num=1e300),
            lambda: _zvcms_body(no, customerId={"id": 1}),
            lambda: dict(_zvcms_body(no), params=[1, 2, 3]),
            lambda: dict(_zvcms_body(no), params="couponId=1"),
            lambda: dict(_wechat_body(no), provider=7),
            lambda: dict(_wechat_body(no), operation=None),
            lambda: dict(_wechat_body(no), merchant=1900000001),
            lambda: dict(_wechat_body(no), provider="alipay"),
        ]
        return self._message("wrong types", _dump(self.rng.choice(variants)()), True)

    def huge_string(self):
        """A long string inside the 64 KiB limit: parsed, then refused field by field."""
        self._next()
        # Mostly a few kB, sometimes close to the 64 KiB limit: the mock broker keeps only 5 MiB
        # per partition, so the flood must stay small enough to be read before it is evicted.
        filler = "A" * (self.rng.randint(60000, 64000) if self.rng.random() < 0.02 else self.rng.randint(200, 1500))
        body = self.rng.choice([
            lambda: _wechat_body(self._no(), openid=filler),
            lambda: _zvcms_body(self._no(), thirdChannel=filler),
            lambda: dict(_wechat_body(self._no()), merchant=filler),
        ])()
        return self._message("huge string", _dump(body), True)

    def oversize(self):
        """Over the worker's size limit (up to 900 kB): refused before parsing, DLQ only."""
        self._next()
        size = self.rng.randint(WORKER_LIMIT + 1, HUGE_LIMIT)
        body = _dump(_wechat_body(self._no(), openid="x"))
        padding = size - len(body) - len(',"pad":""')
        value = body[:-1] + b',"pad":"' + b"P" * max(0, padding) + b'"}'
        return self._message("oversize message", value, False)

    def invalid_utf8(self):
        self._next()
        body = _dump(_wechat_body(self._no(), openid="oPLACEHOLDER"))
        bad = self.rng.choice([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf8\x88\x80\x80\x80", b"\x80"])
        return self._message("invalid UTF-8", body.replace(b"PLACEHOLDER", b"ab" + bad + b"cd"), False)

    def path_traversal_openid(self):
        self._next()
        openid = self.rng.choice([
            "../../etc/passwd", "..%2F..%2Fadmin", "o%2Fcoupons", "%2e%2e%2f", "a/b", "..",
            "o..%252F", "o?x=1", "o#frag", "o%00", "o\\..\\x",
        ])
        field = self.rng.choice(["openid", "appid", "stock_id"])
        return self._message("../ and %2F in identifiers", _dump(_wechat_body(self._no(), **{field: openid})), True)

    def control_characters(self):
        """CR/LF/NUL inside fields: escaped in JSON (readable, then refused) or raw (not JSON)."""
        self._next()
        junk = self.rng.choice(["\r\n", "\n", "\x00", "a\r\nX-Injected: 1", "\u2028", "\x1b[31m"])
        if self.rng.random() < 0.5:
            body = _wechat_body(self._no(), openid="o" + junk + "x")
            return self._message("CR/LF/NUL in fields", json.dumps(body).encode(), True)
        if self.rng.random() < 0.5:
            # In the out_request_no itself: it is unreadable, so DLQ only.
            body = _wechat_body("NO" + junk + str(self.counter))
            return self._message("CR/LF/NUL in out_request_no", json.dumps(body).encode(), False)
        # Raw control characters inside a JSON string are not JSON.
        raw = _dump(_wechat_body(self._no(), openid="oRAW")).replace(b"oRAW", b"o\r\n\x00x")
        return self._message("raw CR/LF/NUL bytes", raw, False)

    def unknown_operation(self):
        self._next()
        no = self._no()
        variants = [
            lambda: (ISSUE_TOPIC, dict(_wechat_body(no), operation="coupon.delete")),
            lambda: (ISSUE_TOPIC, dict(_wechat_body(no), operation="../../admin")),
            lambda: (ISSUE_TOPIC, dict(_wechat_body(no), operation="coupon.issue")),  # a zvcms op for wechat
            lambda: (ISSUE_TOPIC, dict(_zvcms_body(no), operation="product_coupon.send")),
            lambda: (ISSUE_TOPIC, dict(_zvcms_body(no), operation="")),
            lambda: (QUERY_TOPIC, _zvcms_body(no)),  # an issue on the query topic
            lambda: (ISSUE_TOPIC, {"out_request_no": no, "provider": "zvcms", "operation": "customer_coupons",
                                   "params": {"customerId": ZVCMS_CUSTOMER_ID}}),  # a query on the issue topic
        ]
        topic, body = self.rng.choice(variants)()
        return self._message("unknown or misplaced operation", _dump(body), True, topic=topic)

    def misplaced_or_unknown_fields(self):
        self._next()
        no = self._no()
        variants = [
            lambda: dict(_wechat_body(no), merchnt="1900000001"),
            lambda: dict(_wechat_body(no), __proto__={"admin": True}),
            lambda: _wechat_body(no, out_request_no="OTHER-1"),
            lambda: _zvcms_body(no, bizId="OTHER-2"),
            lambda: _wechat_body(no, unknown_param="x"),
            lambda: {k: v for k, v in _wechat_body(no).items() if k != "params"},
            lambda: {k: v for k, v in _wechat_body(no).items() if k != "provider"},
            lambda: _wechat_body(no, coupon_type="MEMBER"),  # member_card_id then required
        ]
        return self._message("unknown, missing or forbidden fields", _dump(self.rng.choice(variants)()), True)

    def duplicate_members(self):
        self._next()
        body = _dump(_wechat_body(self._no()))
        value = body[:-1] + b',"provider":"zvcms"}'
        return self._message("duplicate member names", value, False)

    def bad_out_request_no(self):
        self._next()
        value = self.rng.choice([
            "", "x" * 129, "../etc", "a b", "ORD%2F1", "订单1", 42, None, ["A"], {"no": "A"},
        ])
        body = dict(_zvcms_body("x"), out_request_no=value)
        if self.rng.random() < 0.2:
            del body["out_request_no"]
        return self._message("bad or missing out_request_no", _dump(body), False)
