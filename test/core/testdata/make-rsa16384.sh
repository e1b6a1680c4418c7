#!/bin/sh
# rsa16384.csr.pem: a PKCS#10 for an RSA-16384 key, made by OpenSSL (the key generation
# takes minutes, so the request is kept; the private key is thrown away). Used by
# test/core/rsaKeyBounds.test.ts: above every template's keyAlgorithms.rsaMaxBits.
set -e
cd "$(dirname "$0")"
tmp=$(mktemp -d)
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:16384 -out "$tmp/k.pem"
openssl req -new -key "$tmp/k.pem" -subj /CN=ignored -sha256 -out rsa16384.csr.pem
rm -rf "$tmp"
