"""Drives boto3 (unmodified) against a local Coffer server and prints one JSON line.

Run by Coffer.Security.Tests (AuthClientProofTests): python3 proof.py <scenario>
Scenarios: presign (generate_presigned_url for PUT and GET, fetched with urllib),
presign-sse-c (a presigned PUT that signs SSE-C headers), sse-c (client put/get with SSE-C),
presign-v2 (Signature Version 2: signature_version "s3" presigned PUT and GET, and client calls).
Environment: S3_ENDPOINT (https://localhost:port), S3_CA (the server's certificate),
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, S3_BUCKET.
"""
import base64
import hashlib
import json
import os
import ssl
import sys
import urllib.error
import urllib.request

import boto3
from botocore.config import Config

endpoint = os.environ["S3_ENDPOINT"]
ca = os.environ["S3_CA"]
bucket = os.environ["S3_BUCKET"]
s3 = boto3.client(
    "s3",
    endpoint_url=endpoint,
    region_name="us-east-1",
    verify=ca,
    config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
)
tls = ssl.create_default_context(cafile=ca)


def fetch(method, url, body=None, headers=None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, context=tls) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def sse_headers(key):
    return {
        "x-amz-server-side-encryption-customer-algorithm": "AES256",
        "x-amz-server-side-encryption-customer-key": base64.b64encode(key).decode(),
        "x-amz-server-side-encryption-customer-key-MD5": base64.b64encode(hashlib.md5(key).digest()).decode(),
    }


def presign():
    s3.create_bucket(Bucket=bucket)
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "boto3/up.txt"}, ExpiresIn=600)
    put_status, _ = fetch("PUT", put_url, b"uploaded through a boto3 presigned PUT")
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "boto3/up.txt"}, ExpiresIn=600)
    get_status, body = fetch("GET", get_url)
    # The attack the server must refuse: the same presigned PUT URL with an unsigned copy source.
    copy_status, copy_body = fetch("PUT", put_url, b"", {"x-amz-copy-source": bucket + "/boto3/up.txt"})
    return {"putStatus": put_status, "getStatus": get_status, "body": body, "copyStatus": copy_status, "copyBody": copy_body}


def presign_sse_c():
    s3.create_bucket(Bucket=bucket)
    key = os.urandom(32)
    url = s3.generate_presigned_url(
        "put_object",
        Params={"Bucket": bucket, "Key": "boto3/sse-c.txt", "SSECustomerAlgorithm": "AES256", "SSECustomerKey": key},
        ExpiresIn=600,
    )
    signed = url.split("X-Amz-SignedHeaders=")[1].split("&")[0]
    status, _ = fetch("PUT", url, b"presigned with SSE-C", sse_headers(key))
    got = s3.get_object(Bucket=bucket, Key="boto3/sse-c.txt", SSECustomerAlgorithm="AES256", SSECustomerKey=key)
    return {"signedHeaders": signed, "putStatus": status, "body": got["Body"].read().decode()}


def sse_c():
    s3.create_bucket(Bucket=bucket)
    key = os.urandom(32)
    s3.put_object(Bucket=bucket, Key="boto3/client.txt", Body=b"boto3 client with SSE-C", SSECustomerAlgorithm="AES256", SSECustomerKey=key)
    got = s3.get_object(Bucket=bucket, Key="boto3/client.txt", SSECustomerAlgorithm="AES256", SSECustomerKey=key)
    head = s3.head_object(Bucket=bucket, Key="boto3/client.txt", SSECustomerAlgorithm="AES256", SSECustomerKey=key)
    return {"body": got["Body"].read().decode(), "algorithm": head.get("SSECustomerAlgorithm")}


def presign_v2():
    v2 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        verify=ca,
        config=Config(signature_version="s3", s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )
    v2.create_bucket(Bucket=bucket)
    put_url = v2.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "boto3/v2.txt"}, ExpiresIn=600)
    # SigV2 signs Content-Type: send the empty one the URL was signed with (urllib would add a form type).
    put_status, put_body = fetch("PUT", put_url, b"uploaded through a boto3 SigV2 presigned PUT", {"Content-Type": ""})
    get_url = v2.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "boto3/v2.txt"}, ExpiresIn=600)
    get_status, body = fetch("GET", get_url)
    copy_status, _ = fetch("PUT", put_url, b"", {"Content-Type": "", "x-amz-copy-source": bucket + "/boto3/v2.txt"})
    # Header-signed calls: botocore's HmacV1Auth puts Date in the slot and signs x-amz-* headers.
    v2.put_object(Bucket=bucket, Key="boto3/client.txt", Body=b"client", ServerSideEncryption="AES256", Metadata={"a": "b"})
    got = v2.get_object(Bucket=bucket, Key="boto3/client.txt")
    return {
        "putUrl": put_url,
        "putStatus": put_status,
        "putBody": put_body,
        "getStatus": get_status,
        "body": body,
        "copyStatus": copy_status,
        "clientStatus": got["ResponseMetadata"]["HTTPStatusCode"],
    }


scenarios = {"presign": presign, "presign-sse-c": presign_sse_c, "sse-c": sse_c, "presign-v2": presign_v2}
print(json.dumps(scenarios[sys.argv[1]]()))
