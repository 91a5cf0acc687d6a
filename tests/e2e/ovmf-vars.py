#!/usr/bin/env python3
"""Read one variable out of an OVMF varstore file (the per-run copy of OVMF_VARS_4M.fd).

  ovmf-vars.py VARS_FILE NAME [GUID]

Prints the live value of the variable NAME (vendor GUID, default systemd-boot's loader GUID)
decoded as a NUL-terminated UTF-16LE string, exit 0; exit 1 when no live copy is there
(never set, or deleted). For tests only (bookworm has no virt-fw-vars).

The store (edk2 MdeModulePkg, authenticated variable format as OVMF uses it): a firmware
volume header, a variable store header, then variables, each an AUTHENTICATED_VARIABLE_HEADER
(60 bytes: StartId 0x55AA, State, Reserved, Attributes, MonotonicCount, TimeStamp,
PubKeyIndex, NameSize, DataSize, VendorGuid) followed by the UTF-16 name and the data, the
next header 4-byte aligned. A variable is live in State 0x3F (added) or 0x3E (added, in
delete transition); updates append a new copy and mark the old one deleted, so the last
live copy wins. Every length is bounds-checked against the store.
"""
import struct
import sys
import uuid

VAR_HDR = struct.Struct("<HBBIQ16sIII16s")  # 60 bytes
LIVE = (0x3F, 0x3E)


def variables(blob):
    # The firmware volume header: HeaderLength at offset 48 (UINT16), signature "_FVH" at 40.
    if len(blob) < 64 or blob[40:44] != b"_FVH":
        raise ValueError("not a firmware volume (no _FVH signature)")
    fv_hdr_len = struct.unpack_from("<H", blob, 48)[0]
    store = fv_hdr_len
    if store + 28 > len(blob):
        raise ValueError("truncated variable store header")
    store_size = struct.unpack_from("<I", blob, store + 16)[0]
    end = min(len(blob), store + store_size)
    off = store + 28
    while off + VAR_HDR.size <= end:
        (start, state, _r, _attr, _mc, _ts, _pk, nsize, dsize, guid) = VAR_HDR.unpack_from(blob, off)
        if start != 0x55AA:
            break
        name_off = off + VAR_HDR.size
        data_off = name_off + nsize
        nxt = data_off + dsize
        if nsize > 4096 or nxt > end:
            raise ValueError("variable at %#x runs past the store" % off)
        name = blob[name_off:data_off].decode("utf-16-le", "replace").rstrip("\0")
        yield state, name, str(uuid.UUID(bytes_le=guid)), blob[data_off:nxt]
        off = (nxt + 3) & ~3


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__.split("\n\n")[1])
    path, want = sys.argv[1], sys.argv[2]
    guid = sys.argv[3] if len(sys.argv) == 4 else "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"
    with open(path, "rb") as f:
        blob = f.read()
    value = None
    for state, name, g, data in variables(blob):
        if name == want and g == guid and state in LIVE:
            value = data
    if value is None:
        return 1
    print(value.decode("utf-16-le", "replace").split("\0")[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
