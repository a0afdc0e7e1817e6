#!/usr/bin/env python3
"""Drive the coupon-worker WeChat Pay sandbox with the `wechatpayv3` SDK from PyPI.

Interop check for a client nobody here wrote: the SDK must sign requests the sandbox
accepts and accept the sandbox's signed answers (public-key mode, or platform-certificate
mode where the SDK downloads and decrypts the sandbox's self-made certificates). It also
checks the two rejections: a request signed with another key gets 401 SIGN_ERROR, and an
answer with a probe signature is refused by the SDK (the caller injects that fault on
paths containing `forged=1`).

Exit status: 0 all checks passed, 1 a check failed, 2 the SDK is not installed.
"""
import argparse
import json
import sys

try:
    from wechatpayv3.core import Core
    from wechatpayv3.type import RequestType
except ImportError:
    print("wechatpay_sdk_check: the `wechatpayv3` package is missing; install it with `pip install wechatpayv3`",
          file=sys.stderr)
    sys.exit(2)


def fail(message):
    print("wechatpay_sdk_check: FAILED: " + message, file=sys.stderr)
    sys.exit(1)


def make_core(args, private_key, download=True):
    public_key = open(args.public_key).read() if args.public_key else None
    original = Core._init_certificates
    # The SDK downloads certificates in its constructor from the hard-wired production
    # host; point it at the sandbox first, then download.
    Core._init_certificates = lambda self: None
    try:
        core = Core(mchid=args.mchid, cert_serial_no=args.serial, private_key=private_key,
                    apiv3_key=open(args.apiv3_key_file).read().strip(),
                    public_key=public_key, public_key_id=args.public_key_id)
    finally:
        Core._init_certificates = original
    core._gate_way = args.base_url
    if not public_key and download:
        core._init_certificates()
        if not core._certificates:
            fail("the SDK could not load any platform certificate from /v3/certificates")
    return core


def expect_ok(step, code, text):
    if code != 200:
        fail("%s answered %s: %s" % (step, code, text))
    return json.loads(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--mchid", required=True)
    parser.add_argument("--serial", required=True, help="merchant API certificate serial")
    parser.add_argument("--private-key", required=True, help="apiclient_key.pem")
    parser.add_argument("--apiv3-key-file", required=True)
    parser.add_argument("--public-key", help="pub_key.pem (public-key mode)")
    parser.add_argument("--public-key-id", help="PUB_KEY_ID_... (public-key mode)")
    parser.add_argument("--appid", required=True)
    parser.add_argument("--stock-id", required=True)
    parser.add_argument("--openid", default="oSDK-interop_User1")
    args = parser.parse_args()

    core = make_core(args, open(args.private_key).read())
    try:
        issued = expect_ok("send", *core.request(
            "/v3/marketing/busifavor/product-coupons/send", method=RequestType.POST,
            data={"openid": args.openid, "appid": args.appid, "stock_id": args.stock_id,
                  "out_request_no": "SDK-INTEROP-1", "coupon_type": "NORMAL"}))
        code = issued.get("coupon_code") or fail("send returned no coupon_code: %r" % issued)
        listed = expect_ok("list", *core.request(
            "/v3/marketing/busifavor/users/%s/coupons?appid=%s&stock_id=%s&sender_merchant=%s&offset=0&limit=20"
            % (args.openid, args.appid, args.stock_id, args.mchid)))
        if [c.get("send_request_no") for c in listed.get("data", [])] != ["SDK-INTEROP-1"]:
            fail("list did not return the issued coupon: %r" % listed)
        detail = expect_ok("detail", *core.request(
            "/v3/marketing/busifavor/users/%s/coupons/%s/appids/%s" % (args.openid, code, args.appid)))
        if detail.get("coupon_code") != code:
            fail("detail returned another coupon: %r" % detail)
        stock = expect_ok("stock", *core.request("/v3/marketing/busifavor/stocks/%s" % args.stock_id))
        if stock.get("stock_id") != args.stock_id:
            fail("stock returned another stock: %r" % stock)
    except Exception as error:  # the SDK raises when it cannot verify an answer
        fail("SDK call failed: %s" % error)

    try:
        core.request("/v3/marketing/busifavor/stocks/%s?forged=1" % args.stock_id)
        fail("the SDK accepted an answer with a probe signature")
    except Exception as error:
        if "verify" not in str(error):
            fail("unexpected error on the forged answer: %s" % error)

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    impostor = make_core(args, other_key, download=False)
    status, text = impostor.request("/v3/marketing/busifavor/stocks/%s" % args.stock_id)
    if status != 401 or json.loads(text).get("code") != "SIGN_ERROR":
        fail("a request signed with another key got %s: %s" % (status, text))

    print("wechatpay_sdk_check: OK (%s mode)" % ("public-key" if args.public_key else "platform-certificate"))


if __name__ == "__main__":
    main()
