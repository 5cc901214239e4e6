// test_plot.cpp — the figures: checksums against their published check values, and PNG
// files taken apart chunk by chunk and block by block by a reader written from the spec.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "io/file.h"
#include "plot/png.h"
#include "tempdir.h"
#include "tensor/error.h"

// ---------------------------------------------------------------------------
// PNG

namespace {

const uint8_t* bytes(const std::string& s) { return (const uint8_t*)s.data(); }

uint32_t be32(const std::string& s, size_t at) {
    return (uint32_t)(uint8_t)s[at] << 24 | (uint32_t)(uint8_t)s[at + 1] << 16 | (uint32_t)(uint8_t)s[at + 2] << 8 |
           (uint32_t)(uint8_t)s[at + 3];
}

// A PNG decoder for exactly what png_encode writes, written from the specification
// rather than from the encoder: walk the chunks checking each CRC, join the IDAT data,
// read the zlib header, inflate the stored blocks through their LEN/NLEN headers,
// check the Adler-32, and undo the per-row filter byte (which must be 0).
struct Decoded {
    int width = 0, height = 0, blocks = 0;
    std::vector<uint8_t> rgb;
};

Decoded decode_png(const std::string& f) {
    Decoded d;
    REQUIRE(f.size() > 8);
    REQUIRE(f.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
    std::string idat;
    size_t pos = 8;
    bool ended = false;
    while (!ended) {
        REQUIRE(pos + 12 <= f.size());
        const uint32_t len = be32(f, pos);
        const std::string type = f.substr(pos + 4, 4);
        REQUIRE(pos + 12 + len <= f.size());
        INFO("chunk " << type);
        CHECK(be32(f, pos + 8 + len) == crc32(bytes(f) + pos + 4, 4 + len));
        const std::string data = f.substr(pos + 8, len);
        if (type == "IHDR") {
            REQUIRE(len == 13);
            d.width = (int)be32(data, 0), d.height = (int)be32(data, 4);
            CHECK(data.substr(8) == std::string("\x08\x02\x00\x00\x00", 5));
        } else if (type == "IDAT") {
            idat += data;
        } else if (type == "IEND") {
            ended = true;
        }
        pos += 12 + len;
    }
    CHECK(pos == f.size());
    // zlib: CMF, FLG (a multiple of 31), blocks, Adler-32
    REQUIRE(idat.size() >= 6);
    CHECK((uint8_t)idat[0] == 0x78);
    CHECK(((uint8_t)idat[0] * 256 + (uint8_t)idat[1]) % 31 == 0);
    std::string raw;
    size_t p = 2;
    for (bool final_block = false; !final_block;) {
        REQUIRE(p + 5 <= idat.size());
        const uint8_t head = (uint8_t)idat[p];
        final_block = head & 1;
        CHECK((head >> 1) == 0);  // BTYPE 00: stored
        const unsigned len = (uint8_t)idat[p + 1] | (unsigned)(uint8_t)idat[p + 2] << 8;
        const unsigned nlen = (uint8_t)idat[p + 3] | (unsigned)(uint8_t)idat[p + 4] << 8;
        CHECK((len ^ nlen) == 0xFFFF);
        REQUIRE(p + 5 + len <= idat.size());
        raw.append(idat, p + 5, len);
        p += 5 + len;
        d.blocks++;
    }
    REQUIRE(p + 4 == idat.size());
    CHECK(be32(idat, p) == adler32(bytes(raw), raw.size()));
    const size_t row = 1 + (size_t)3 * d.width;
    REQUIRE(raw.size() == row * d.height);
    for (int y = 0; y < d.height; y++) {
        CHECK(raw[row * y] == 0);  // filter type 0
        d.rgb.insert(d.rgb.end(), bytes(raw) + row * y + 1, bytes(raw) + row * (y + 1));
    }
    return d;
}

// L* (CIELAB lightness) of an sRGB colour.
double lightness(const uint8_t c[3]) {
    double lin[3];
    for (int k = 0; k < 3; k++) {
        const double v = c[k] / 255.0;
        lin[k] = v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
    }
    const double Y = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
    return Y > 216.0 / 24389 ? 116 * std::cbrt(Y) - 16 : Y * 24389.0 / 27;
}

}  // namespace

TEST_CASE("plot: CRC-32 and Adler-32 match their check values", "[plot]") {
    const std::string digits = "123456789";
    CHECK(crc32(bytes(digits), digits.size()) == 0xCBF43926u);
    // a running CRC over two pieces equals the CRC of the whole
    CHECK(crc32(bytes(digits) + 4, 5, crc32(bytes(digits), 4)) == 0xCBF43926u);
    CHECK(crc32(bytes(digits), 0) == 0);
    const std::string wiki = "Wikipedia";
    CHECK(adler32(bytes(wiki), wiki.size()) == 0x11E60398u);
    CHECK(adler32(bytes(wiki), 0) == 1);
    // past the 5552-byte run where the sums are reduced: compare with the definition
    std::vector<uint8_t> big(20000);
    for (size_t i = 0; i < big.size(); i++) big[i] = (uint8_t)(i * 131 + 7);
    uint64_t a = 1, b = 0;
    for (uint8_t v : big) a = (a + v) % 65521, b = (b + a) % 65521;
    CHECK(adler32(big.data(), big.size()) == (uint32_t)(b << 16 | a));
}

TEST_CASE("plot: a 3x2 PNG is byte-exact and decodes to its pixels", "[plot]") {
    const std::vector<uint8_t> rgb = {255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 128, 128, 128, 255, 255, 255};
    const std::string png = png_encode(3, 2, rgb);
    // Assembled by hand from the PNG and zlib specifications; the three checksums were
    // computed independently of symkl.
    const unsigned char expect[] = {
        0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A,                      // signature
        0, 0, 0, 13, 'I', 'H', 'D', 'R',                                  // IHDR, 13 bytes
        0, 0, 0, 3, 0, 0, 0, 2, 8, 2, 0, 0, 0,                            // 3 x 2, 8-bit RGB
        0x12, 0x16, 0xF1, 0x4D,                                           // CRC
        0, 0, 0, 31, 'I', 'D', 'A', 'T',                                  // IDAT, 31 bytes
        0x78, 0x01,                                                       // zlib header
        0x01, 20, 0, 0xEB, 0xFF,                                          // final stored block, LEN 20
        0, 255, 0, 0, 0, 255, 0, 0, 0, 255,                               // filter 0, row 0
        0, 0, 0, 0, 128, 128, 128, 255, 255, 255,                         // filter 0, row 1
        0x3A, 0x61, 0x07, 0x7B,                                           // Adler-32
        0x94, 0x39, 0x5B, 0xF3,                                           // CRC
        0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82,           // IEND
    };
    CHECK(png == std::string((const char*)expect, sizeof expect));
    const Decoded d = decode_png(png);
    CHECK(d.width == 3);
    CHECK(d.height == 2);
    CHECK(d.blocks == 1);
    CHECK(d.rgb == rgb);
    CHECK_THROWS_WITH(png_encode(3, 2, std::vector<uint8_t>(17)), Catch::Contains("needs 18 RGB bytes, got 17"));
    CHECK_THROWS_AS(png_encode(0, 2, {}), symkl::Error);
}

TEST_CASE("plot: an image over 65535 raw bytes uses several stored blocks and round-trips", "[plot]") {
    const int w = 200, h = 120;  // 120 rows of 601 bytes = 72120 bytes: two blocks
    std::vector<uint8_t> rgb((size_t)3 * w * h);
    for (size_t i = 0; i < rgb.size(); i++) rgb[i] = (uint8_t)(i * 7 + i / 600);
    TempDir t;
    write_png(t / "big.png", w, h, rgb);
    const Decoded d = decode_png(read_file(t / "big.png"));
    CHECK(d.blocks == 2);
    CHECK(d.width == w);
    CHECK(d.height == h);
    CHECK(d.rgb == rgb);
}

TEST_CASE("plot: colour ramps rise evenly in lightness; NaN gets its own colour", "[plot]") {
    for (Colormap cm : {Colormap::blue_yellow, Colormap::fire, Colormap::grey}) {
        double prev = -1, lo = 1e9, hi = 0;
        const int n = 16;
        for (int i = 0; i <= n; i++) {
            uint8_t c[3];
            colormap_rgb(c, (double)i / n, cm);
            const double L = lightness(c);
            if (i > 0) {
                CHECK(L > prev);  // monotone: the ramp reads in greyscale
                lo = std::min(lo, L - prev), hi = std::max(hi, L - prev);
            }
            prev = L;
        }
        CHECK(hi < 1.4 * lo);  // even: no step is much larger than another
    }
    uint8_t a[3], b[3];
    colormap_rgb(a, -3, Colormap::blue_yellow);
    colormap_rgb(b, 0, Colormap::blue_yellow);
    CHECK(std::memcmp(a, b, 3) == 0);  // clamped
    TempDir t;
    write_heatmap(t / "h.png", 3, 1, {0.0, NAN, 1.0}, 0, 1, Colormap::grey);
    const Decoded d = decode_png(read_file(t / "h.png"));
    CHECK(std::vector<uint8_t>(d.rgb.begin() + 3, d.rgb.begin() + 6) ==
          std::vector<uint8_t>(HEATMAP_NAN_RGB, HEATMAP_NAN_RGB + 3));
    CHECK(d.rgb[0] < d.rgb[6]);
    CHECK_THROWS_WITH(write_heatmap(t / "x.png", 2, 1, {0, 1}, 1, 1, Colormap::grey), Catch::Contains("vmin < vmax"));
}
