#!/usr/bin/env python3
"""Cuts the kernel's BTF out of an uncompressed kernel image (arm64's Image,
as Debian ships it as vmlinuz) or an ELF vmlinux, so that vmlinux.h can be
made for a kernel that is not running here:
    scripts/image_btf.py IMAGE OUT
The BTF blob is found by its header (magic 0xeb9f, version 1, a 24-byte
header) whose type and string sections follow each other and fit in the
file; the largest such blob is the kernel's. Exit 1 if there is none."""
import struct
import sys

HEADER = struct.Struct("<HBBIIIII")  # magic version flags hdr_len type_off type_len str_off str_len


def blobs(data):
    at = data.find(b"\x9f\xeb\x01")
    while at >= 0:
        if at + HEADER.size <= len(data):
            magic, ver, _flags, hdr_len, t_off, t_len, s_off, s_len = HEADER.unpack_from(data, at)
            end = at + hdr_len + s_off + s_len
            if (magic, ver, hdr_len, t_off, s_off) == (0xEB9F, 1, 24, 0, t_len) and \
                    t_len > 0 and s_len > 0 and end <= len(data) and \
                    data[at + hdr_len + s_off] == 0:  # the string section starts with ""
                yield at, end
        at = data.find(b"\x9f\xeb\x01", at + 1)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: scripts/image_btf.py IMAGE OUT")
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    found = sorted(blobs(data), key=lambda b: b[1] - b[0])
    if not found:
        sys.exit(f"image_btf: no BTF in {sys.argv[1]} (a compressed image? unpack it first)")
    start, end = found[-1]
    with open(sys.argv[2], "wb") as f:
        f.write(data[start:end])
    print(f"image_btf: {end - start} bytes of BTF at offset {start}", file=sys.stderr)


if __name__ == "__main__":
    main()
