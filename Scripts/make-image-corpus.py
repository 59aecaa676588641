#!/usr/bin/env python3
"""Writes the small corpus of bad and odd image files used by RectGradImageTests.

Usage: python3 Scripts/make-image-corpus.py [output-directory]
(default: Tests/RectGradImageTests/Corpus next to this script's parent).

PNG files are assembled by hand (struct + zlib from the standard library) so every chunk, CRC,
bit depth and interlace pass is under our control and independent of any imaging library.
JPEG files need Pillow (PIL) to produce the valid base streams, which are then truncated or
patched byte-wise here. The pixel values placed in each file are the ones the Swift tests check;
keep the two in sync (see Tests/RectGradImageTests/CorpusTests.swift).
"""

import os
import random
import struct
import sys
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Adam7 passes: (x0, y0, dx, dy).
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def chunk(tag, data, crc=None):
    """One PNG chunk: length, type, data, CRC-32 over type + data (or the given bad CRC)."""
    if crc is None:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)


def pack_samples(samples, bit_depth):
    """Packs a sequence of integer samples at 8 or 16 bits (big-endian)."""
    if bit_depth == 8:
        return bytes(samples)
    if bit_depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    raise ValueError("only 8- and 16-bit samples are written here")


def png(rows, color_type, bit_depth=8, interlace=False, extra=(), idat_crc=None):
    """A PNG from rows of pixels (each pixel a tuple of samples), filter type 0 on every row."""
    height = len(rows)
    width = len(rows[0])
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 1 if interlace else 0)
    raw = bytearray()
    if interlace:
        for x0, y0, dx, dy in ADAM7:
            xs = range(x0, width, dx)
            ys = range(y0, height, dy)
            if len(xs) == 0 or len(ys) == 0:
                continue
            for y in ys:
                raw.append(0)
                raw += pack_samples([s for x in xs for s in rows[y][x]], bit_depth)
    else:
        for row in rows:
            raw.append(0)
            raw += pack_samples([s for pixel in row for s in pixel], bit_depth)
    body = chunk(b"IHDR", ihdr)
    for tag, data in extra:
        body += chunk(tag, data)
    body += chunk(b"IDAT", zlib.compress(bytes(raw), 9), crc=idat_crc)
    body += chunk(b"IEND", b"")
    return PNG_SIGNATURE + body


def rgb_gradient(width, height):
    """pixel(x, y) = (20x, 20y, 10(x + y)) — the pattern the tests recompute."""
    return [[(20 * x, 20 * y, 10 * (x + y)) for x in range(width)] for y in range(height)]


def find_marker(data, marker):
    index = data.find(b"\xff" + bytes([marker]))
    if index < 0:
        raise ValueError("marker 0x%02x not found" % marker)
    return index


def scan_range(jpeg):
    """(start, end) of the entropy-coded data of the first scan (end = index of EOI)."""
    sos = find_marker(jpeg, 0xDA)
    length = struct.unpack(">H", jpeg[sos + 2:sos + 4])[0]
    start = sos + 2 + length
    end = jpeg.rindex(b"\xff\xd9")
    return start, end


def jpeg_from_blocks(mode, colors, **options):
    """A 16x16 JPEG of four 8x8 blocks (top-left, top-right, bottom-left, bottom-right)."""
    import io
    from PIL import Image

    image = Image.new(mode, (16, 16))
    for index, color in enumerate(colors):
        x0, y0 = 8 * (index % 2), 8 * (index // 2)
        image.paste(color, (x0, y0, x0 + 8, y0 + 8))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95, **options)
    return buffer.getvalue()


def png_files():
    files = {}
    files["empty.bin"] = b""
    generator = random.Random(5)
    noise = bytes(generator.randrange(256) for _ in range(64))
    assert not noise.startswith(b"\x89P") and not noise.startswith(b"\xff\xd8")
    files["random.bin"] = noise

    valid = png(rgb_gradient(9, 9), color_type=2)
    files["truncated.png"] = valid[: len(valid) // 2]
    files["bad-crc.png"] = png(rgb_gradient(9, 9), color_type=2, idat_crc=0x12345678)
    # A PNG signature followed by garbage instead of an IHDR chunk.
    files["garbage-after-signature.png"] = PNG_SIGNATURE + noise[:24]
    # IHDR declares 100000 x 100000 RGB (30 GB decoded); the IDAT holds one empty row.
    huge_ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    files["huge-header.png"] = (
        PNG_SIGNATURE + chunk(b"IHDR", huge_ihdr) + chunk(b"IDAT", zlib.compress(b"\x00")) + chunk(b"IEND", b"")
    )

    # 16-bit RGB, 3 x 1: checks the 16 -> 8 bit rule round(v * 255 / 65535).
    files["rgb16.png"] = png(
        [[(0, 65535, 0x8080), (0x12FF, 0x1280, 0x00FF), (65535, 0, 0x7F7F)]], color_type=2, bit_depth=16
    )
    # 8-bit grey, 4 x 2.
    files["gray.png"] = png([[(0,), (64,), (128,), (255,)], [(17,), (34,), (51,), (68,)]], color_type=0)
    # Palette, 4 x 1, entry 2 half transparent and entry 3 fully transparent (tRNS).
    palette = bytes([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30])
    files["palette.png"] = png(
        [[(0,), (1,), (2,), (3,)]], color_type=3, extra=[(b"PLTE", palette), (b"tRNS", bytes([255, 255, 128, 0]))]
    )
    # RGBA, 4 x 1: alpha 255, 128, 0, 64.
    files["rgba.png"] = png(
        [[(200, 100, 50, 255), (200, 100, 50, 128), (200, 100, 50, 0), (0, 0, 0, 64)]], color_type=6
    )
    # Grey + alpha, 2 x 1.
    files["gray-alpha.png"] = png([[(100, 255), (100, 51)]], color_type=4)
    # Adam7-interlaced RGB, 9 x 9, the gradient pattern.
    files["interlaced.png"] = png(rgb_gradient(9, 9), color_type=2, interlace=True)
    return files


def jpeg_files():
    files = {}
    rgb = jpeg_from_blocks("RGB", [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)], subsampling=0)
    files["rgb.jpg"] = rgb
    start, end = scan_range(rgb)
    files["truncated.jpg"] = rgb[: start + (end - start) * 2 // 5]
    files["truncated-header.jpg"] = rgb[:30]
    # Entropy data replaced by stuffed 0xFF bytes: an all-ones 16-bit Huffman code is never valid.
    filler = b"\xff\x00" * ((end - start) // 2) + b"\x00" * ((end - start) % 2)
    files["corrupt-huffman.jpg"] = rgb[:start] + filler + rgb[end:]
    # SOF0 patched to 12-bit precision (an 8-bit libjpeg build cannot decode it).
    sof = find_marker(rgb, 0xC0)
    twelve = bytearray(rgb)
    twelve[sof + 4] = 12
    files["precision12.jpg"] = bytes(twelve)
    # SOF0 patched to declare 60000 x 60000.
    huge = bytearray(rgb)
    huge[sof + 5:sof + 9] = struct.pack(">HH", 60000, 60000)
    files["huge-header.jpg"] = bytes(huge)

    files["gray.jpg"] = jpeg_from_blocks("L", [0, 85, 170, 255])
    # Pillow writes CMYK as inverted samples with an Adobe APP14 marker, like Photoshop.
    files["cmyk.jpg"] = jpeg_from_blocks(
        "CMYK", [(0, 0, 0, 0), (255, 0, 0, 0), (0, 0, 0, 255), (0, 128, 255, 0)], subsampling=0
    )
    files["progressive.jpg"] = jpeg_from_blocks(
        "RGB", [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)], subsampling=0, progressive=True
    )
    files.update(pillow_references(files, ["rgb.jpg", "gray.jpg", "cmyk.jpg", "progressive.jpg"]))
    files.update(oriented_files())
    return files


def oriented_files():
    """24x16 JPEGs (six 8x8 colour blocks) carrying an EXIF orientation tag, and Pillow's
    `ImageOps.exif_transpose` of each as the reference of the upright pixels."""
    import io
    from PIL import Image, ImageOps

    colors = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255), (255, 255, 255)]
    image = Image.new("RGB", (24, 16))
    for index, color in enumerate(colors):
        x0, y0 = 8 * (index % 3), 8 * (index // 3)
        image.paste(color, (x0, y0, x0 + 8, y0 + 8))
    files = {}
    for orientation in (3, 5, 6, 8):
        exif = Image.Exif()
        exif[0x0112] = orientation
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=95, subsampling=0, exif=exif.tobytes())
        name = "oriented-%d.jpg" % orientation
        files[name] = buffer.getvalue()
        upright = ImageOps.exif_transpose(Image.open(io.BytesIO(files[name]))).convert("RGB")
        width, height = upright.size
        data = upright.tobytes()
        rows = [[tuple(data[3 * (y * width + x):3 * (y * width + x) + 3]) for x in range(width)] for y in range(height)]
        files[name + ".upright.pillow.png"] = png(rows, color_type=2)
    return files


def pillow_references(files, names):
    """Pillow's decoding (`convert("RGB")`) of valid JPEGs as lossless PNGs, for parity tests."""
    import io
    from PIL import Image

    references = {}
    for name in names:
        image = Image.open(io.BytesIO(files[name])).convert("RGB")
        width, height = image.size
        data = image.tobytes()
        rows = [[tuple(data[3 * (y * width + x):3 * (y * width + x) + 3]) for x in range(width)] for y in range(height)]
        references[name + ".pillow.png"] = png(rows, color_type=2)
    return references


def resize_files():
    """A random 8 x 8 RGB source and Pillow's BILINEAR resizes of it, as lossless PNGs."""
    from PIL import Image

    generator = random.Random(11)
    source = [[tuple(generator.randrange(256) for _ in range(3)) for _ in range(8)] for _ in range(8)]
    image = Image.new("RGB", (8, 8))
    image.frombytes(bytes(sample for row in source for pixel in row for sample in pixel))
    files = {"resize-source.png": png(source, color_type=2)}
    for width, height in [(5, 3), (13, 11), (3, 12)]:
        resized = image.resize((width, height), Image.Resampling.BILINEAR)
        data = resized.tobytes()
        rows = [[tuple(data[3 * (y * width + x):3 * (y * width + x) + 3]) for x in range(width)] for y in range(height)]
        files["resize-pil-%dx%d.png" % (width, height)] = png(rows, color_type=2)
    return files


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(os.path.dirname(here), "Tests", "RectGradImageTests", "Corpus")
    output = sys.argv[1] if len(sys.argv) > 1 else default
    os.makedirs(output, exist_ok=True)
    files = png_files()
    try:
        import PIL  # noqa: F401
    except ImportError:
        sys.exit("Pillow is needed for the JPEG files and the resize references: pip install pillow")
    files.update(jpeg_files())
    files.update(resize_files())
    total = 0
    for name, data in sorted(files.items()):
        with open(os.path.join(output, name), "wb") as handle:
            handle.write(data)
        total += len(data)
        print("%-28s %6d bytes" % (name, len(data)))
    print("total %d bytes in %d files" % (total, len(files)))


if __name__ == "__main__":
    main()
