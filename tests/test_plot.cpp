// test_plot.cpp — the figures: checksums against their published check values, PNG files
// taken apart chunk by chunk and block by block, SVG text (titles, legends, gaps, ticks).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "io/file.h"
#include "plot/png.h"
#include "plot/svg.h"
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

// ---------------------------------------------------------------------------
// SVG

namespace {

size_t count(const std::string& s, const std::string& what) {
    size_t n = 0;
    for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) n++;
    return n;
}

std::string lower(std::string s) {
    for (char& c : s) c = (char)std::tolower((unsigned char)c);
    return s;
}

// Tick labels of a chart and their pixel positions: x ticks are centred 12 px text,
// y ticks right-aligned 12 px text (as svg.cpp writes them).
struct Tick {
    double pos, value;
};
std::vector<Tick> ticks(const std::string& svg, bool x_axis) {
    std::vector<Tick> t;
    const std::string anchor = x_axis ? "text-anchor=\"middle\">" : "text-anchor=\"end\">";
    for (size_t at = svg.find("<text x=\""); at != std::string::npos; at = svg.find("<text x=\"", at + 1)) {
        const size_t close = svg.find("</text>", at);
        const std::string el = svg.substr(at, close - at);
        const bool tick_text = el.find("font-size=\"12.00\"") != std::string::npos &&
                               el.find(anchor) != std::string::npos && el.find("font-weight") == std::string::npos;
        if (!tick_text) continue;  // a title, an axis label or a legend entry
        double x, y;
        REQUIRE(std::sscanf(el.c_str(), "<text x=\"%lf\" y=\"%lf\"", &x, &y) == 2);
        t.push_back({x_axis ? x : y, std::strtod(el.substr(el.find('>') + 1).c_str(), nullptr)});
    }
    return t;
}

Series series(const std::string& label, std::vector<double> x, std::vector<double> y) {
    Series s;
    s.label = label;
    s.x = std::move(x);
    s.y_med = std::move(y);
    return s;
}

}  // namespace

TEST_CASE("plot: nice ticks step by 1, 2 or 5 times a power of ten", "[plot]") {
    double step = 0;
    std::vector<double> t = nice_ticks(0, 1, 8, &step);
    REQUIRE(t.size() == 6);
    CHECK(step == Approx(0.2));
    for (int i = 0; i < 6; i++) CHECK(t[i] == Approx(0.2 * i).margin(1e-15));
    CHECK(t[3] == 0.6);  // exact: no 0.6000000000000001 in a label
    t = nice_ticks(3.2, 14.7, 8, &step);
    CHECK(t == std::vector<double>{4, 6, 8, 10, 12, 14});
    t = nice_ticks(0, 3000, 8, &step);
    CHECK(t == std::vector<double>{0, 500, 1000, 1500, 2000, 2500, 3000});
    t = nice_ticks(-0.37, 0.12, 6, &step);
    CHECK(step == Approx(0.1));
    CHECK(t.front() == Approx(-0.3));
    CHECK(t.back() == Approx(0.1));
    CHECK(tick_label(t[3], step) == "0.0");  // zero without a minus sign
    CHECK(tick_label(0.6000000000000001, 0.2) == "0.6");
    CHECK(tick_label(2500, 500) == "2500");
    CHECK(tick_label(0.05, 0.05) == "0.05");

    LogTicks lt = log_ticks(0.03, 40);  // over two decades: the powers of ten are labelled
    CHECK(lt.lo == 0.03);
    CHECK(lt.hi == 40);
    CHECK(lt.major == std::vector<double>{0.1, 1, 10});
    CHECK(lt.minor.size() == 7 + 8 + 8 + 3);  // 0.03..0.09, 0.2..0.9, 2..9, 20..40
    CHECK(lt.minor[0] == 0.03);
    lt = log_ticks(2, 90);  // under two decades: 1, 2 and 5 times them
    CHECK(lt.major == std::vector<double>{2, 5, 10, 20, 50});
    lt = log_ticks(3.1, 4.9);  // nothing to label inside: widened to a decade
    CHECK(lt.lo == 1);
    CHECK(lt.hi == 10);
    CHECK(lt.major == std::vector<double>{1, 2, 5, 10});
    CHECK(lt.minor == std::vector<double>{3, 4, 6, 7, 8, 9});
}

TEST_CASE("plot: a line chart shows title, axis labels and legend, and no NaN", "[plot]") {
    ChartSpec spec;
    spec.title = "NLL & friends";
    spec.xlabel = "step";
    spec.ylabel = "test NLL (nats)";
    Series a = series("mle <seed 0>", {0, 100, 200, 300}, {3.0, 2.5, NAN, 2.2});
    Series b = series("jeffreys", {0, 100, 200, 300}, {3.1, 2.7, 2.6, 2.5});
    b.y_lo = {3.0, 2.6, 2.5, NAN};
    b.y_hi = {3.2, 2.8, 2.7, NAN};
    const std::string svg = line_chart_svg(spec, {a, b});
    CHECK_THAT(svg, Catch::Contains(">NLL &amp; friends</text>"));
    CHECK_THAT(svg, Catch::Contains(">step</text>"));
    CHECK_THAT(svg, Catch::Contains(">test NLL (nats)</text>"));
    CHECK_THAT(svg, Catch::Contains(">mle &lt;seed 0&gt;</text>"));
    CHECK_THAT(svg, Catch::Contains(">jeffreys</text>"));
    CHECK(lower(svg).find("nan") == std::string::npos);
    CHECK(lower(svg).find("inf") == std::string::npos);
    CHECK(count(svg, "<polygon") == 1);  // b's band over its first three points
    CHECK(svg.rfind("</svg>\n") == svg.size() - 7);
}

TEST_CASE("plot: NaN splits a line into pieces; a lone point is a dot", "[plot]") {
    ChartSpec spec;
    const std::vector<double> x = {0, 1, 2, 3, 4, 5, 6, 7};
    const std::string one = line_chart_svg(spec, {series("a", x, {1, 2, 3, 4, 5, 6, 7, 8})});
    CHECK(count(one, "<polyline") == 1);
    const std::string gaps = line_chart_svg(spec, {series("a", x, {1, 2, NAN, 4, 5, NAN, 7, NAN})});
    CHECK(count(gaps, "<polyline") == 2);  // {0, 1} and {3, 4}
    CHECK(count(gaps, "<circle") == 1);    // {6} alone
    // on a log axis values <= 0 are gaps too
    spec.log_y = true;
    const std::string logy = line_chart_svg(spec, {series("a", x, {1, 2, -1, 4, 50, 0, 7, 8})});
    CHECK(count(logy, "<polyline") == 3);
    // 1 to 50 spans under two decades: 1, 2, 5, 10, 20, 50 are labelled
    for (const char* label : {">1</text>", ">2</text>", ">5</text>", ">10</text>", ">20</text>", ">50</text>"})
        CHECK_THAT(logy, Catch::Contains(label));
}

TEST_CASE("plot: chart errors are one line and name the problem", "[plot]") {
    ChartSpec spec;
    CHECK_THROWS_WITH(line_chart_svg(spec, {series("a", {0, 1}, {NAN, NAN})}), Catch::Contains("nothing to draw"));
    CHECK_THROWS_WITH(line_chart_svg(spec, {series("lost", {0, 1, 2}, {1, 2})}),
                      Catch::Contains("series 'lost'") && Catch::Contains("x has 3 values but y_med has 2"));
    spec.log_y = true;
    CHECK_THROWS_WITH(line_chart_svg(spec, {series("a", {0, 1}, {-1, 0})}), Catch::Contains("positive y"));
    TempDir t;
    CHECK_THROWS_WITH(write_line_chart(t / "e.svg", ChartSpec{}, {series("a", {0}, {NAN})}),
                      Catch::StartsWith("cannot draw '" + (t / "e.svg") + "': nothing to draw"));
    CHECK(t.entries() == 0);
    spec.log_y = false;
    spec.width = 50;
    CHECK_THROWS_WITH(line_chart_svg(spec, {series("a", {0, 1}, {1, 2})}), Catch::Contains("out of range"));
}

TEST_CASE("plot: an equal-aspect scatter has the same scale on both axes", "[plot]") {
    PointSet data, samples;
    data.label = "data";
    samples.label = "samples";
    for (int i = 0; i < 50; i++) {
        const double a = i * 0.7;
        data.x.push_back(8 * std::cos(a)), data.y.push_back(2 * std::sin(a));  // 4:1 wide
        samples.x.push_back(7 * std::cos(a + 0.3)), samples.y.push_back(1.5 * std::sin(a + 0.3));
    }
    samples.x.push_back(NAN), samples.y.push_back(1);  // skipped
    ChartSpec spec;
    spec.title = "scatter";
    const std::string svg = scatter_svg(spec, {data, samples}, Aspect::equal);
    CHECK(count(svg, "<circle") == 100 + 2);  // the points and two legend discs
    CHECK(lower(svg).find("nan") == std::string::npos);
    const std::vector<Tick> tx = ticks(svg, true), ty = ticks(svg, false);
    REQUIRE(tx.size() >= 2);
    REQUIRE(ty.size() >= 2);
    const double sx = (tx.back().pos - tx.front().pos) / (tx.back().value - tx.front().value);
    const double sy = (ty.front().pos - ty.back().pos) / (ty.back().value - ty.front().value);  // y grows upwards
    CHECK(sx == Approx(sy).epsilon(0.01));
    CHECK_THROWS_WITH(scatter_svg(spec, {PointSet{}}, Aspect::free), Catch::Contains("no point set has a finite point"));
}
