#!/usr/bin/env python3
"""A sluice program transform (SingleStore's framing), to copy and adapt.

sluice starts this program once per batch and writes the batch's records to its stdin, each as
an 8-byte little-endian length followed by that many bytes of payload. Whatever the program
prints are the rows, one per line, in the pipeline's `format` (JSON here). A record may become
no line (filtered), one line, or several. Exit non-zero to fail the batch (its records are kept
as bad records, with stderr as the error).

This one reads JSON events, upper-cases `name`, and drops test events ("test": true).
Spec: "transform": { "kind": "program", "command": "./uppercase.py" }
"""
import json
import struct
import sys

stdin = sys.stdin.buffer
out = sys.stdout
while True:
    header = stdin.read(8)
    if len(header) < 8:
        break
    (length,) = struct.unpack("<Q", header)
    payload = stdin.read(length)
    event = json.loads(payload)
    if event.get("test") is True:
        continue
    if isinstance(event.get("name"), str):
        event["name"] = event["name"].upper()
    out.write(json.dumps(event, separators=(",", ":")) + "\n")
