#!/bin/sh
# A sluice program transform in plain POSIX shell (SingleStore's framing), to copy and adapt.
#
# stdin holds the batch's records, each an 8-byte little-endian length and that many bytes of
# payload; every line printed is a row in the pipeline's `format`. This one passes each record
# through as one line and drops records that contain "test":true.
# `od -tu8` reads the length in the machine's byte order: little-endian on x86-64 and arm64.
# `head -c N` (GNU coreutils, busybox) reads exactly N bytes from the shared stdin.
#
# Spec: "transform": { "kind": "program", "command": "./passthrough.sh" }
set -eu
while :; do
  length=$(head -c 8 | od -An -tu8 | tr -d ' \n')
  [ -n "$length" ] || break
  payload=$(head -c "$length")
  case "$payload" in
    *'"test":true'*) continue ;;
  esac
  printf '%s\n' "$payload"
done
