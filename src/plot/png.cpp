// png.cpp — PNG encoding with stored deflate blocks, CRC-32, Adler-32, colour ramps
// (see png.h; the file format is in docs/figures.md).
#include "plot/png.h"

#include <array>
#include <cmath>

#include "io/file.h"
#include "tensor/error.h"

// ---------------------------------------------------------------------------
// Checksums

// The CRC-32 table: entry b is the remainder of the byte b (bit-reflected, so the
// lowest bit is the highest power) divided by the polynomial 0xEDB88320. It is
// computed by the compiler, so there is no table to fill at run time and nothing
// shared to guard between threads.
static constexpr std::array<uint32_t, 256> make_crc_table() {
    std::array<uint32_t, 256> t{};
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t c = b;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        t[b] = c;
    }
    return t;
}
static constexpr std::array<uint32_t, 256> CRC_TABLE = make_crc_table();

uint32_t crc32(const uint8_t* p, size_t n, uint32_t crc) {
    // The register starts at all ones and is complemented at the end; complementing
    // on entry undoes the previous call's final complement, so calls chain.
    uint32_t c = ~crc;
    for (size_t i = 0; i < n; i++) c = CRC_TABLE[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return ~c;
}

uint32_t adler32(const uint8_t* p, size_t n) {
    // a = 1 + Σ bytes, b = Σ of the running a's, both mod 65521 (the largest prime
    // below 2^16). 5552 bytes is the longest run before b can overflow 32 bits.
    const uint32_t MOD = 65521;
    uint32_t a = 1, b = 0;
    while (n > 0) {
        const size_t run = n < 5552 ? n : 5552;
        for (size_t i = 0; i < run; i++) a += p[i], b += a;
        a %= MOD, b %= MOD;
        p += run, n -= run;
    }
    return (b << 16) | a;
}

// ---------------------------------------------------------------------------
// PNG

static void put_u32_be(std::string& out, uint32_t v) {
    out += (char)(v >> 24), out += (char)(v >> 16), out += (char)(v >> 8), out += (char)v;
}

// One chunk: length, type, data, CRC-32 over type and data.
static void put_chunk(std::string& out, const char type[4], const std::string& data) {
    put_u32_be(out, (uint32_t)data.size());
    const size_t start = out.size();
    out.append(type, 4);
    out += data;
    put_u32_be(out, crc32((const uint8_t*)out.data() + start, out.size() - start));
}

// A zlib stream (RFC 1950) holding raw in stored deflate blocks (RFC 1951, BTYPE = 00).
static std::string zlib_stored(const std::string& raw) {
    std::string z;
    // CMF 0x78: deflate with a 32 KiB window; FLG 0x01: no dictionary, "fastest"
    // level, and check bits making 0x7801 a multiple of 31.
    z += (char)0x78, z += (char)0x01;
    const size_t MAX_BLOCK = 65535;  // LEN is 16 bits
    size_t pos = 0;
    do {
        const size_t len = raw.size() - pos < MAX_BLOCK ? raw.size() - pos : MAX_BLOCK;
        const bool final_block = pos + len == raw.size();
        // Block header: bit 0 BFINAL, bits 1-2 BTYPE = 00; a stored block then skips to
        // the byte boundary, so the header takes one whole byte.
        z += (char)(final_block ? 1 : 0);
        z += (char)(len & 0xFF), z += (char)(len >> 8);                     // LEN, little-endian
        z += (char)(~len & 0xFF), z += (char)((~len >> 8) & 0xFF);          // NLEN = ~LEN
        z.append(raw, pos, len);
        pos += len;
    } while (pos < raw.size());
    put_u32_be(z, adler32((const uint8_t*)raw.data(), raw.size()));
    return z;
}

std::string png_encode(int width, int height, const std::vector<uint8_t>& rgb) {
    // PNG allows up to 2^31 − 1; a cap far below keeps the sizes below in range.
    if (width <= 0 || height <= 0 || width > 32768 || height > 32768)
        throw symkl::Error("PNG size " + std::to_string(width) + "x" + std::to_string(height) +
                           " is out of range (1 to 32768 pixels each way)");
    const size_t row = (size_t)3 * width;
    if (rgb.size() != row * height)
        throw symkl::Error("PNG of " + std::to_string(width) + "x" + std::to_string(height) + " needs " +
                           std::to_string(row * height) + " RGB bytes, got " + std::to_string(rgb.size()));
    std::string out = "\x89PNG\r\n\x1a\n";

    std::string ihdr;
    put_u32_be(ihdr, (uint32_t)width);
    put_u32_be(ihdr, (uint32_t)height);
    ihdr += (char)8;  // bits per channel
    ihdr += (char)2;  // colour type 2: RGB triples
    ihdr += (char)0;  // compression method 0: zlib/deflate (the only one defined)
    ihdr += (char)0;  // filter method 0 (the only one defined)
    ihdr += (char)0;  // no interlacing
    put_chunk(out, "IHDR", ihdr);

    // Each row is prefixed by its filter type; 0 = none, the bytes as they are.
    std::string raw;
    raw.reserve((row + 1) * height);
    for (int y = 0; y < height; y++) {
        raw += (char)0;
        raw.append((const char*)rgb.data() + row * y, row);
    }
    put_chunk(out, "IDAT", zlib_stored(raw));
    put_chunk(out, "IEND", "");
    return out;
}

void write_png(const std::string& path, int width, int height, const std::vector<uint8_t>& rgb) {
    write_file_atomic(path, png_encode(width, height, rgb));
}

// ---------------------------------------------------------------------------
// Colour ramps

// Control points, evenly spaced in t. Each was chosen in CIELAB's polar form (L*, C*, h)
// with L* on a straight line between the ends and converted to sRGB, lowering the
// chroma C* where a colour fell outside the sRGB gamut. Interpolating in sRGB between
// neighbours this close keeps L* within a unit or two of the line.
struct Ramp {
    const uint8_t (*rgb)[3];
    int n;
};

// L* 16 → 92; hue 300° (violet-blue) → 205° (teal) → 100° (yellow)
static const uint8_t BLUE_YELLOW[9][3] = {
    {35, 32, 87}, {1, 61, 114}, {4, 88, 126}, {7, 115, 140}, {4, 143, 151},
    {49, 172, 140}, {112, 199, 108}, {178, 220, 76}, {249, 237, 58},
};
// L* 5 → 95; hue 300° (purple) → 345° (magenta) → 40° (orange) → 95° (pale yellow)
static const uint8_t FIRE[9][3] = {
    {18, 15, 24}, {44, 31, 85}, {100, 36, 120}, {170, 23, 120}, {220, 52, 93},
    {246, 102, 71}, {255, 153, 75}, {255, 200, 107}, {255, 240, 194},
};
// L* 6 → 96, no hue
static const uint8_t GREY[5][3] = {
    {19, 19, 19}, {67, 67, 67}, {121, 121, 121}, {181, 181, 181}, {243, 243, 243},
};

static Ramp ramp_of(Colormap cmap) {
    switch (cmap) {
        case Colormap::fire: return {FIRE, 9};
        case Colormap::grey: return {GREY, 5};
        case Colormap::blue_yellow: break;
    }
    return {BLUE_YELLOW, 9};
}

void colormap_rgb(uint8_t rgb[3], double t, Colormap cmap) {
    const Ramp r = ramp_of(cmap);
    if (!(t > 0)) t = 0;  // also NaN: callers map NaN to their own colour first
    if (t > 1) t = 1;
    const double u = t * (r.n - 1);
    int k = (int)u;
    if (k > r.n - 2) k = r.n - 2;
    const double w = u - k;
    for (int c = 0; c < 3; c++) {
        const double v = (1 - w) * r.rgb[k][c] + w * r.rgb[k + 1][c];
        rgb[c] = (uint8_t)std::lround(v);
    }
}

void write_heatmap(const std::string& path, int width, int height, const std::vector<double>& values, double vmin,
                   double vmax, Colormap cmap) {
    if (!(std::isfinite(vmin) && std::isfinite(vmax) && vmin < vmax))
        throw symkl::Error("cannot draw '" + path + "': the colour range needs finite vmin < vmax, got [" +
                           std::to_string(vmin) + ", " + std::to_string(vmax) + "]");
    if (width <= 0 || height <= 0 || values.size() != (size_t)width * height)
        throw symkl::Error("cannot draw '" + path + "': a " + std::to_string(width) + "x" + std::to_string(height) +
                           " heatmap needs that many values, got " + std::to_string(values.size()));
    std::vector<uint8_t> rgb(values.size() * 3);
    for (size_t i = 0; i < values.size(); i++) {
        uint8_t* px = &rgb[3 * i];
        if (std::isnan(values[i])) {
            px[0] = HEATMAP_NAN_RGB[0], px[1] = HEATMAP_NAN_RGB[1], px[2] = HEATMAP_NAN_RGB[2];
        } else {
            colormap_rgb(px, (values[i] - vmin) / (vmax - vmin), cmap);
        }
    }
    write_png(path, width, height, rgb);
}
