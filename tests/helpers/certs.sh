#!/bin/sh
# certs.sh DIR — a self-signed certificate for "localhost" and 127.0.0.1
# (DIR/cert.pem, DIR/key.pem) and one for another name (DIR/other.pem,
# DIR/other-key.pem), valid for two days.
set -eu
d=$1
mkdir -p "$d"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=mx.other.test" \
    -addext "subjectAltName=DNS:mx.other.test" \
    -keyout "$d/other-key.pem" -out "$d/other.pem" 2>/dev/null
chmod 644 "$d"/*.pem
