#!/usr/bin/env python3
"""Draws logo.png (128x128 RGBA): a key over two arrows on a rounded teal tile. Standard library only."""
import math
import struct
import sys
import zlib

SIZE = 128


def inside_rounded_square(x, y, r=22):
    cx = min(max(x, r), SIZE - 1 - r)
    cy = min(max(y, r), SIZE - 1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def pixel(x, y):
    if not inside_rounded_square(x, y):
        return (0, 0, 0, 0)
    t = (x + y) / (2 * SIZE)
    bg = (int(18 + 20 * t), int(128 - 40 * t), int(150 - 30 * t), 255)
    white = (255, 255, 255, 255)
    # Key: ring, shaft and two teeth.
    d = math.hypot(x - 44, y - 64)
    if 12 <= d <= 22:
        return white
    if 62 <= x <= 104 and 60 <= y <= 68:
        return white
    if (86 <= x <= 92 or 98 <= x <= 104) and 68 <= y <= 80:
        return white
    # Arrows above and below: a request goes out, a response comes back.
    if 30 <= x <= 98 and 24 <= y <= 27:
        return (255, 214, 102, 255)
    if 98 <= x <= 106 and abs(y - 25.5) <= (106 - x) * 0.6:
        return (255, 214, 102, 255)
    if 30 <= x <= 98 and 100 <= y <= 103:
        return (255, 214, 102, 255)
    if 22 <= x <= 30 and abs(y - 101.5) <= (x - 22) * 0.6:
        return (255, 214, 102, 255)
    return bg


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def main(path):
    rows = bytearray()
    for y in range(SIZE):
        rows.append(0)
        for x in range(SIZE):
            rows.extend(pixel(x, y))
    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(bytes(rows), 9))
    png += chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "logo.png")
