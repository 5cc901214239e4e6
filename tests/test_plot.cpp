// test_plot.cpp — the figures: checksums against their published check values, PNG files
// taken apart chunk by chunk and block by block, SVG text (titles, legends, gaps, ticks),
// the metrics reader's errors, the figures of a small flow, `symkl plot`, determinism.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>
#include <sys/wait.h>

#include "flow/flow.h"
#include "io/file.h"
#include "plot/figures.h"
#include "plot/metrics_file.h"
#include "plot/png.h"
#include "plot/raster.h"
#include "plot/svg.h"
#include "cli_run.h"
#include "tempdir.h"
#include "tensor/error.h"
#include "tensor/rng.h"

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

TEST_CASE("plot: colour ramps rise evenly in lightness, NaN gets its own colour", "[plot]") {
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

// The points of every <polyline> of a chart, in order, as (x, y) pixel pairs.
std::vector<std::vector<std::pair<double, double>>> polylines(const std::string& svg) {
    std::vector<std::vector<std::pair<double, double>>> r;
    for (size_t at = svg.find("<polyline"); at != std::string::npos; at = svg.find("<polyline", at + 1)) {
        const size_t p = svg.find("points=\"", at) + 8, end = svg.find('"', p);
        std::vector<std::pair<double, double>> pts;
        const char* c = svg.c_str() + p;
        double x, y;
        int used = 0;
        while (c < svg.c_str() + end && std::sscanf(c, " %lf,%lf%n", &x, &y, &used) == 2) pts.push_back({x, y}), c += used;
        r.push_back(pts);
    }
    return r;
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
    CHECK(tick_label(1e-6, 1e-6) == "1e-6");      // tiny and huge values in exponent form
    CHECK(tick_label(2e8, 1e8) == "2e8");
    CHECK(tick_label(1.00002, 1e-5) == "1.00002");  // small steps away from zero keep their digits

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

TEST_CASE("plot: NaN splits a line into pieces, a lone point is a dot", "[plot]") {
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

TEST_CASE("plot: a log x axis puts 1e-3 halfway between 1e-4 and 1e-2", "[plot]") {
    ChartSpec spec;
    spec.log_x = true;
    const std::string svg = line_chart_svg(spec, {series("a", {1e-4, 1e-3, 1e-2}, {3, 2, 1})});
    const auto lines = polylines(svg);
    REQUIRE(lines.size() == 1);
    REQUIRE(lines[0].size() == 3);
    const double x0 = lines[0][0].first, x1 = lines[0][1].first, x2 = lines[0][2].first;
    CHECK(x1 - x0 == Approx(x2 - x1).margin(0.02));  // pixels are printed to 0.01
    CHECK(x2 - x0 > 300);
    // two decades and a bit: the powers of ten are labelled, at their log positions
    const std::vector<Tick> tx = ticks(svg, true);
    REQUIRE(tx.size() == 3);
    CHECK(tx[0].value == 1e-4);
    CHECK(tx[1].value == 1e-3);
    CHECK(tx[2].value == 1e-2);
    CHECK(tx[0].pos == Approx(x0).margin(0.02));
    CHECK(tx[1].pos == Approx(x1).margin(0.02));
    CHECK_THAT(svg, Catch::Contains(">0.0001</text>") && Catch::Contains(">0.01</text>"));
    // minor ticks at 2..9 times each decade, with faint grid lines (two decades)
    CHECK(count(svg, "stroke=\"#f0f0f0\"") == 16);

    // both axes logarithmic: y = x² is a straight line with evenly spaced points
    spec.log_y = true;
    const auto both = polylines(line_chart_svg(spec, {series("a", {1, 10, 100}, {1, 100, 10000})}));
    REQUIRE(both.size() == 1);
    REQUIRE(both[0].size() == 3);
    CHECK(both[0][1].first - both[0][0].first == Approx(both[0][2].first - both[0][1].first).margin(0.02));
    CHECK(both[0][0].second - both[0][1].second == Approx(both[0][1].second - both[0][2].second).margin(0.02));
    CHECK(line_chart_svg(spec, {series("a", {1, 10, 100}, {1, 100, 10000})}) ==
          line_chart_svg(spec, {series("a", {1, 10, 100}, {1, 100, 10000})}));
}

TEST_CASE("plot: x values <= 0 on a log x axis leave gaps in lines and bands", "[plot]") {
    ChartSpec spec;
    spec.log_x = true;
    Series s = series("a", {-1, 1e-4, 3e-4, 0, 1e-3, 3e-3, 1e-2}, {5, 4, 3, 2, 1, 2, 3});
    s.y_lo = {4, 3, 2, 1, 0.5, 1, 2};
    s.y_hi = {6, 5, 4, 3, 1.5, 3, 4};
    const std::string svg = line_chart_svg(spec, {s});
    CHECK(count(svg, "<polyline") == 2);  // {1e-4, 3e-4} and {1e-3, 3e-3, 1e-2}
    CHECK(count(svg, "<polygon") == 2);
    CHECK(count(svg, "<circle") == 0);
    CHECK(lower(svg).find("nan") == std::string::npos);
    CHECK(lower(svg).find("inf") == std::string::npos);
    CHECK_THROWS_WITH(line_chart_svg(spec, {series("a", {-1, 0}, {1, 2})}),
                      Catch::Contains("positive x and finite y") && Catch::Contains("log axis"));
    CHECK_THROWS_WITH(scatter_svg(spec, {PointSet{"p", {1}, {1}}}, Aspect::free), Catch::Contains("log_x"));
}

TEST_CASE("plot: markers draw one disc per finite median point and one in the legend", "[plot]") {
    ChartSpec spec;
    spec.log_x = true;
    Series sweep = series("jeffreys", {1e-4, 3e-4, 1e-3, 3e-3, 1e-2}, {2.1, NAN, 1.8, 1.9, 2.4});
    sweep.y_lo = {2.0, NAN, 1.7, 1.8, 2.2};
    sweep.y_hi = {2.2, NAN, 1.9, 2.0, 2.6};
    sweep.markers = true;
    sweep.colour = 1;
    Series plain = series("mle", {1e-4, 3e-4, 1e-3, 3e-3, 1e-2}, {2.5, 2.3, 2.2, 2.3, 2.6});
    Series lone = series("", {1e-4, 3e-4, 1e-3}, {NAN, 2.0, NAN});  // unlabelled: no legend entry
    lone.markers = true;
    const std::string svg = line_chart_svg(spec, {sweep, plain, lone});
    // 4 finite points of sweep + 1 in its legend swatch + lone's single point; none for plain
    CHECK(count(svg, "<circle") == 4 + 1 + 1);
    CHECK(count(svg, "<circle") == count(svg, "r=\"3.00\""));  // a marker, not the 2.5 px lone dot
    CHECK(count(svg, "<circle cx") == 6);
    // the discs are in the series' colour: a group for the points, the legend disc filled
    CHECK_THAT(svg, Catch::Contains("<g fill=\"#D55E00\">\n<circle"));
    CHECK(count(svg, "r=\"3.00\" fill=\"#D55E00\"/>") == 1);
    // the markers sit on the points: the lone first one, then the vertices of the line
    const auto lines = polylines(svg);
    REQUIRE(lines.size() == 2);  // sweep from 1e-3 on, plain
    REQUIRE(lines[0].size() == 3);
    std::vector<std::pair<double, double>> discs;
    for (size_t at = svg.find("<g fill=\"#D55E00\">"), n = 0; n < 4; n++) {
        at = svg.find("<circle", at + 1);
        double cx, cy;
        REQUIRE(std::sscanf(svg.c_str() + at, "<circle cx=\"%lf\" cy=\"%lf\"", &cx, &cy) == 2);
        discs.push_back({cx, cy});
    }
    CHECK(discs[0].first < lines[0][0].first);
    CHECK(std::vector<std::pair<double, double>>(discs.begin() + 1, discs.end()) == lines[0]);
    // without markers the legend has no disc and lone points (sweep's first, lone's) are small dots
    for (Series* s : {&sweep, &lone}) s->markers = false;
    const std::string off = line_chart_svg(spec, {sweep, plain, lone});
    CHECK(count(off, "<circle") == 2);
    CHECK(count(off, "r=\"2.50\"") == 2);
    CHECK(line_chart_svg(spec, {sweep, plain, lone}) == off);
}

TEST_CASE("plot: given x ticks are labelled exactly, on log and linear axes", "[plot]") {
    ChartSpec spec;
    spec.log_x = true;
    spec.x_ticks = {100, 300, 1000};
    const Series n = series("a", {100, 300, 1000}, {3, 2.5, 2.2});
    const std::string svg = line_chart_svg(spec, {n});
    std::vector<Tick> tx = ticks(svg, true);
    REQUIRE(tx.size() == 3);
    CHECK(tx[0].value == 100);
    CHECK(tx[1].value == 300);
    CHECK(tx[2].value == 1000);
    CHECK_THAT(svg, Catch::Contains(">100</text>") && Catch::Contains(">300</text>") && Catch::Contains(">1000</text>"));
    CHECK((tx[2].pos - tx[1].pos) / (tx[1].pos - tx[0].pos) == Approx(std::log10(1000.0 / 300) / std::log10(3.0)).epsilon(1e-3));
    // the automatic ticks that are not given (200, 400, 500, ...) are unlabelled minor ones
    CHECK_THAT(svg, !Catch::Contains(">200</text>") && !Catch::Contains(">500</text>"));
    CHECK(count(svg, "stroke=\"#f0f0f0\"") == 7);  // 200, 400, 500, ..., 900 inside 95.5..1047
    // given in any order, with a repeat: the same chart
    spec.x_ticks = {1000, 100, 300, 100};
    CHECK(line_chart_svg(spec, {n}) == svg);

    // a linear axis: 0.25 keeps its two decimals, and a tick outside the data widens the range
    ChartSpec lin;
    lin.x_ticks = {0, 0.25, 0.5, 1};
    const std::string l = line_chart_svg(lin, {series("a", {0.25, 0.5, 1}, {1, 2, 3})});
    tx = ticks(l, true);
    REQUIRE(tx.size() == 4);
    CHECK(tx[0].value == 0);
    CHECK(tx[1].value == 0.25);
    CHECK_THAT(l, Catch::Contains(">0</text>") && Catch::Contains(">0.25</text>") && Catch::Contains(">0.5</text>") &&
                      Catch::Contains(">1</text>"));
    CHECK(tx[3].pos - tx[1].pos == Approx(3 * (tx[1].pos - tx[0].pos)).margin(0.02));

    spec.x_ticks = {100, 0};
    CHECK_THROWS_WITH(line_chart_svg(spec, {n}), Catch::Contains("x_ticks[1] = 0 cannot be placed on a log x axis"));
    spec.x_ticks = {NAN};
    CHECK_THROWS_WITH(line_chart_svg(spec, {n}), Catch::Contains("x_ticks[0] is not a finite number"));
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

// ---------------------------------------------------------------------------
// metrics files and learning curves

namespace {

const char* METRICS_HEADER = "step,loss,train_nll,test_nll,fwd_kl,rev_kl,jeffreys,grad_norm,lambda\n";

// A metrics file whose values are offset by `shift`.
std::string metrics_text(double shift, bool kl) {
    std::string s = METRICS_HEADER;
    for (int step = 0; step <= 400; step += 100) {
        char row[256];
        const double nll = 3 - step / 400.0 + shift;
        if (kl)
            std::snprintf(row, sizeof row, "%d,%s,%.3f,%.3f,%.3f,%.3f,%.3f,1.5,nan\n", step, step ? "2.5" : "nan",
                          nll - 0.2, nll, 0.5 + shift, 0.3, 0.8 + shift);
        else
            std::snprintf(row, sizeof row, "%d,nan,%.3f,%.3f,nan,nan,nan,1.5,nan\n", step, nll - 0.2, nll);
        s += row;
    }
    return s;
}

}  // namespace

TEST_CASE("plot: the metrics reader keeps nan and names file, line and column in errors", "[plot]") {
    TempDir t;
    const MetricsTable m = read_metrics(t.put("m.csv", "\xEF\xBB\xBFstep, loss ,test_nll\r\n0,nan,3.5\r\n100,2.0,-INF\r\n\n"));
    CHECK(m.names == std::vector<std::string>{"step", "loss", "test_nll"});
    REQUIRE(m.rows == 2);
    CHECK(std::isnan(metrics_column(m, "loss")[0]));
    CHECK(metrics_column(m, "test_nll")[0] == 3.5);
    CHECK(metrics_column(m, "test_nll")[1] == -INFINITY);
    CHECK_THROWS_WITH(metrics_column(m, "jeffreys"),
                      Catch::Contains(t / "m.csv") && Catch::Contains("no column 'jeffreys'") &&
                          Catch::Contains("(columns: step, loss, test_nll)"));
    struct Bad { std::string text, expect; };
    const Bad bad[] = {
        {"", "m2.csv: is empty"},
        {"step,loss\n", "has a header but no rows"},
        {"0,1\n1,2\n", "m2.csv:1: the first line is numbers"},
        {"step,step\n0,1\n", "column 'step' appears twice"},
        {"step,loss\n0,1\n1\n", "m2.csv:3: has 1 fields but the header has 2"},
        {"step,loss\n0,1\n1,abc\n", "m2.csv:3: column 'loss': 'abc' is not a number"},
        {"step,loss\n0,0x10\n", "column 'loss': '0x10' is not a number"},
        {"step,loss\n0,1\n\n1,2\n", "m2.csv:3: blank line"},
    };
    for (const Bad& b : bad) {
        INFO(b.text);
        CHECK_THROWS_WITH(read_metrics(t.put("m2.csv", b.text)), Catch::Contains(b.expect));
    }
    CHECK_THROWS_WITH(read_metrics(t / "missing.csv"), Catch::Contains("missing.csv"));
}

TEST_CASE("plot: runs sharing a label give the median and the min-max band per step", "[plot]") {
    TempDir t;
    RunGroup g;
    g.label = "mle";
    g.runs.push_back(read_metrics(t.put("a.csv", "step,test_nll\n0,1\n100,4\n200,nan\n")));
    g.runs.push_back(read_metrics(t.put("b.csv", "step,test_nll\n0,2\n100,6\n200,nan\n300,1\n")));
    g.runs.push_back(read_metrics(t.put("c.csv", "step,test_nll\n0,9\n100,5\n200,nan\n")));
    const Series s = group_series(g, "test_nll");
    CHECK(s.label == "mle");
    CHECK(s.x == std::vector<double>{0, 100, 200, 300});
    CHECK(s.y_med[0] == 2);
    CHECK(s.y_lo[0] == 1);
    CHECK(s.y_hi[0] == 9);
    CHECK(s.y_med[1] == 5);
    CHECK(std::isnan(s.y_med[2]));  // no finite value: a gap
    CHECK(s.y_med[3] == 1);         // one run went further
    g.runs.pop_back();
    CHECK(group_series(g, "test_nll").y_med[1] == 5);  // even count: the mean of the middle two
    g.runs.resize(1);
    CHECK(group_series(g, "test_nll").y_lo.empty());  // one run: no band
    CHECK_THROWS_WITH(group_series(g, "jeffreys"), Catch::Contains("a.csv: no column 'jeffreys'"));
    RunGroup bad{"x", {read_metrics(t.put("d.csv", "step,test_nll\n0,1\n100,2\n100,3\n"))}};
    CHECK_THROWS_WITH(group_series(bad, "test_nll"), Catch::Contains("d.csv:4: step 100 does not follow step 100"));
}

TEST_CASE("plot: learning curves write the charts whose values exist", "[plot]") {
    TempDir t;
    RunGroup mle{"mle", {read_metrics(t.put("m0.csv", metrics_text(0, true))),
                         read_metrics(t.put("m1.csv", metrics_text(0.3, true)))}};
    std::vector<std::string> w = learning_curves(t.dir.string(), {mle});
    CHECK(w == std::vector<std::string>{t / "nll.svg", t / "kl.svg"});  // lambda is all nan
    const std::string kl = read_file(t / "kl.svg");
    CHECK_THAT(kl, Catch::Contains(">Jeffreys</text>") && Catch::Contains("median and range"));
    CHECK(count(kl, "<polygon") == 3);  // a band per quantity (rev KL's has zero height)
    RunGroup csv{"csv", {read_metrics(t.put("c0.csv", metrics_text(0, false)))}};
    w = learning_curves(t.dir.string(), {csv});
    CHECK(w == std::vector<std::string>{t / "nll.svg"});  // no finite KL: no kl.svg
    const std::string nll = read_file(t / "nll.svg");
    CHECK_THAT(nll, Catch::Contains(">test</text>") && Catch::Contains(">train</text>"));
    CHECK_THAT(nll, Catch::Contains("stroke-dasharray"));  // train is dashed
    RunGroup broken{"b", {read_metrics(t.put("nb.csv", "step,test_nll\n0,1\n"))}};
    CHECK_THROWS_WITH(learning_curves(t.dir.string(), {broken}), Catch::Contains("nb.csv: no column 'train_nll'"));
}

// ---------------------------------------------------------------------------
// figures of a flow

TEST_CASE("plot: density heatmap and samples of a 2-D flow, the same input writes the same bytes", "[plot]") {
    Flow f;
    FlowConfig cfg;
    cfg.layers = 2;
    cfg.hidden = 4;
    flow_build(f, cfg);  // the identity: p = N(0, I), highest at the origin
    Tensor data(4, 2);
    const double pts[4][2] = {{-2, -1}, {2, -1}, {-2, 1}, {2, 1}};
    for (int i = 0; i < 4; i++) data.at(i, 0) = (Real)pts[i][0], data.at(i, 1) = (Real)pts[i][1];
    const Box b = data_box(data, 2.0);
    CHECK(b.x0 == Approx(-2.4));  // 10% of the width 4
    CHECK(b.x1 == Approx(2.4));
    CHECK(b.y0 == Approx(-1.2));  // already 2:1, nothing to widen
    CHECK(b.y1 == Approx(1.2));
    const Box wide = data_box(data, 4.0);  // 4:1: the x range grows about its centre
    CHECK(wide.x0 == Approx(-4.8));
    CHECK(wide.x1 == Approx(4.8));
    CHECK(wide.y1 == Approx(1.2));

    TempDir t;
    const int W = 81, H = 61;  // 4941 pixels: two chunks of the 4096-point cache
    density_heatmap(t / "d.png", f, data, W, H);
    const Decoded fig = decode_png(read_file(t / "d.png"));
    // The panel is the grid coloured by the ramp, somewhere inside the figure: find it.
    const std::vector<double> grid = flow_density_grid(f, data_box(data, (double)W / H), W, H);
    std::vector<uint8_t> panel(grid.size() * 3);
    for (size_t i = 0; i < grid.size(); i++) colormap_rgb(&panel[3 * i], grid[i], Colormap::blue_yellow);
    REQUIRE(fig.width > W);
    REQUIRE(fig.height > H);
    int px0 = -1, py0 = -1;
    for (int y = 0; y + H <= fig.height && px0 < 0; y++)
        for (int x = 0; x + W <= fig.width && px0 < 0; x++) {
            bool same = true;
            for (int r = 0; r < H && same; r++)
                same = std::memcmp(&fig.rgb[3 * ((size_t)(y + r) * fig.width + x)], &panel[3 * (size_t)r * W], 3 * W) == 0;
            if (same) px0 = x, py0 = y;
        }
    REQUIRE(px0 >= 0);
    Decoded d;  // the panel alone
    d.width = W, d.height = H, d.rgb = panel;
    uint8_t top[3];
    colormap_rgb(top, 1.0, Colormap::blue_yellow);
    const uint8_t* centre = &d.rgb[3 * ((size_t)(H / 2) * W + W / 2)];
    CHECK(std::memcmp(centre, top, 3) == 0);  // the pixel on the origin is the maximum
    const uint8_t* corner = &d.rgb[0];
    CHECK(lightness(corner) < lightness(centre) - 50);
    // left-right and top-bottom symmetric, as N(0, I) on a centred grid is
    for (int y = 0; y < H; y += 7)
        for (int x = 0; x < W; x += 5) {
            INFO(x << "," << y);
            CHECK(std::memcmp(&d.rgb[3 * ((size_t)y * W + x)], &d.rgb[3 * ((size_t)y * W + (W - 1 - x))], 3) == 0);
            CHECK(std::memcmp(&d.rgb[3 * ((size_t)y * W + x)], &d.rgb[3 * ((size_t)(H - 1 - y) * W + x)], 3) == 0);
        }
    // a frame around the panel
    const uint8_t* frame = &fig.rgb[3 * ((size_t)(py0 - 1) * fig.width + px0 + W / 2)];
    CHECK((frame[0] == FRAME.r && frame[1] == FRAME.g && frame[2] == FRAME.b));
    density_heatmap(t / "d2.png", f, data, W, H);
    CHECK(read_file(t / "d.png") == read_file(t / "d2.png"));

    Rng r1(5), r2(5);
    samples_scatter(t / "s.svg", f, data, 300, r1);
    samples_scatter(t / "s2.svg", f, data, 300, r2);
    const std::string svg = read_file(t / "s.svg");
    CHECK(svg == read_file(t / "s2.svg"));
    CHECK_THAT(svg, Catch::Contains(">training data (4)</text>") && Catch::Contains(">flow samples (300)</text>"));
    // N(0, I) puts some of 300 points outside [-2.4, 2.4] x [-2.4, 2.4]: they are counted
    CHECK_THAT(svg, Catch::Contains(" outside the view</text>"));

    Tensor three(4, 3);
    CHECK_THROWS_WITH(density_heatmap(t / "x.png", f, three, 8, 8), Catch::Contains("2-dimensional"));
}

TEST_CASE("plot: learning curves and charts are byte-identical for the same input", "[plot]") {
    TempDir t;
    RunGroup g{"jeffreys", {read_metrics(t.put("a.csv", metrics_text(0, true))),
                            read_metrics(t.put("b.csv", metrics_text(0.2, true)))}};
    learning_curves(t.dir.string(), {g, RunGroup{"mle", {g.runs[0]}}});
    const std::string first = read_file(t / "nll.svg") + read_file(t / "kl.svg");
    learning_curves(t.dir.string(), {g, RunGroup{"mle", {g.runs[0]}}});
    CHECK(first == read_file(t / "nll.svg") + read_file(t / "kl.svg"));
}

// ---------------------------------------------------------------------------
// symkl plot

TEST_CASE("plot: symkl plot draws runs grouped by label and names file and column in errors", "[plot][cli]") {
    TempDir t;
    for (int s = 0; s < 3; s++) {
        std::filesystem::create_directories(t.dir / ("mle-seed" + std::to_string(s)));
        std::filesystem::create_directories(t.dir / ("jeffreys-seed" + std::to_string(s)));
        t.put("mle-seed" + std::to_string(s) + "/metrics.csv", metrics_text(0.1 * s, true));
        t.put("jeffreys-seed" + std::to_string(s) + "/metrics.csv", metrics_text(-0.5 + 0.1 * s, true));
    }
    Run r = run_cli("plot --metrics " + t.dir.string() + " --group-by-label --y jeffreys --out " + (t / "j.svg"));
    INFO(r.out);
    REQUIRE(r.code == 0);
    const std::string svg = read_file(t / "j.svg");
    CHECK_THAT(svg, Catch::Contains(">mle</text>") && Catch::Contains(">jeffreys</text>"));
    CHECK(count(svg, "<polygon") == 2);
    CHECK_THAT(run_cli("plot --help").out, Catch::Contains("usage: symkl plot") && Catch::Contains("--group-by-label"));

    const std::string a = t / "mle-seed0/metrics.csv", b = t / "mle-seed1/metrics.csv";
    r = run_cli("plot --metrics " + a + "," + b + " --labels x,y --y jeffrys --out " + (t / "e.svg"));
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Catch::Contains(a + ": no column 'jeffrys'"));
    r = run_cli("plot --metrics " + a + "," + b + " --labels x,x --out " + (t / "e.svg"));
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Catch::Contains("pass --group-by-label"));
    r = run_cli("plot --metrics " + a + " --y lambda --out " + (t / "e.svg"));
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Catch::Contains("column 'lambda' is nan in every row of " + a));
    r = run_cli("plot --metrics " + a + " --labels x,y --out " + (t / "e.svg"));
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Catch::Contains("--labels gives 2 labels for 1 metrics files"));
    r = run_cli("plot --metrics " + (t / "nope.csv") + " --out " + (t / "e.svg"));
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Catch::Contains("nope.csv"));
    CHECK(!std::filesystem::exists(t / "e.svg"));
}

// ---------------------------------------------------------------------------
// Titles, line styles, automatic y scales

TEST_CASE("plot: kl.svg of one run draws KL(pi||p) dashed and KL(p||pi) dotted, as docs/figures.md says", "[plot]") {
    TempDir t;
    learning_curves(t.dir.string(), {RunGroup{"", {read_metrics(t.put("m.csv", metrics_text(0, true)))}}});
    const std::string kl = read_file(t / "kl.svg");
    CHECK(count(kl, "<polyline") == 3);
    CHECK(count(kl, "stroke-dasharray=\"7 4\"") == 2);    // KL(π‖p): line and legend swatch
    CHECK(count(kl, "stroke-dasharray=\"1.5 3.5\"") == 2);  // KL(p‖π)
}

TEST_CASE("plot: learning curves name the data set and method in their titles", "[plot]") {
    TempDir t;
    std::vector<std::string> w =
        learning_curves(t.dir.string(), {RunGroup{"", {read_metrics(t.put("m.csv", metrics_text(0, true)))}}},
                        "moons · jeffreys");
    CHECK_THAT(read_file(t / "nll.svg"), Catch::Contains(">moons · jeffreys: negative log-likelihood</text>"));
    CHECK_THAT(read_file(t / "kl.svg"), Catch::Contains(">moons · jeffreys: divergence from the true density</text>"));
}

// The y pixel of every point of the SVG's polylines, in order.
static std::vector<double> polyline_ys(const std::string& svg) {
    std::vector<double> ys;
    for (size_t at = svg.find("<polyline"); at != std::string::npos; at = svg.find("<polyline", at + 1)) {
        size_t p = svg.find("points=\"", at) + 8;
        const size_t end = svg.find('"', p);
        while (p < end) {
            const size_t comma = svg.find(',', p);
            char* e = nullptr;
            ys.push_back(std::strtod(svg.c_str() + comma + 1, &e));
            p = (size_t)(e - svg.c_str()) + 1;
        }
    }
    return ys;
}

TEST_CASE("plot: a y range over two decades gets a log or symlog axis, so the curve is not flat", "[plot]") {
    CHECK(choose_y_scale({1, 2, 3, 50}).scale == YScale::linear);
    CHECK(choose_y_scale({282318, 10, 5, 3, 2.5}).scale == YScale::log);
    CHECK(choose_y_scale({0.5, 0.9, 1.0, 1.1, 1.2}).scale == YScale::linear);  // λ from 0.5: linear
    CHECK(choose_y_scale({0, 0.5, 1, 2, 5}).scale == YScale::linear);          // a zero, but one decade
    const YScaleChoice sym = choose_y_scale({282318, 2, 1, 0.5, -0.5, -1, -1.5, -1.6, -1.7, -1.7});
    CHECK(sym.scale == YScale::symlog);
    CHECK(sym.c == Approx(0.1));  // the bulk reaches 1.7: c = 0.1
    CHECK(choose_y_scale({NAN, 1, INFINITY, 2}).scale == YScale::linear);

    // A CSV run's NLL: 282318 at step 0, then 10 falling to 2.5 (the rest of the curve
    // must span tens of pixels on a log axis, not sit in one pixel row at the bottom).
    TempDir t;
    std::string csv = "step,loss,train_nll,test_nll\n0,nan,282000,282318\n";
    for (int s = 1; s <= 20; s++)
        csv += std::to_string(100 * s) + ",nan," + std::to_string(2.4 + 7.5 / s) + "," + std::to_string(2.5 + 7.5 / s) + "\n";
    for (const char* d : {"run", "a-seed0", "a-seed1"}) std::filesystem::create_directories(t.dir / d);
    t.put("run/metrics.csv", csv);
    Run r = run_cli("plot --metrics " + (t / "run") + " --y test_nll --out " + (t / "nll.svg"));
    REQUIRE(r.code == 0);
    std::vector<double> ys = polyline_ys(read_file(t / "nll.svg"));
    REQUIRE(ys.size() == 21);
    const double later = *std::max_element(ys.begin() + 1, ys.end()) - *std::min_element(ys.begin() + 1, ys.end());
    INFO("pixel span of steps 100..2000: " << later);
    CHECK(later > 25);  // linear: 0.01 px
    CHECK_THAT(read_file(t / "nll.svg"), Catch::Contains(">100000</text>") && Catch::Contains(">10</text>"));
    // the same through learning_curves (nll.svg of a run) and with --group-by-label
    std::filesystem::create_directories(t.dir / "g");
    learning_curves(t / "g", {RunGroup{"", {read_metrics(t / "run/metrics.csv")}}});
    ys = polyline_ys(read_file(t / "g/nll.svg"));
    REQUIRE(ys.size() == 42);
    CHECK(*std::max_element(ys.begin() + 1, ys.begin() + 21) - *std::min_element(ys.begin() + 1, ys.begin() + 21) > 25);
    t.put("a-seed0/metrics.csv", csv), t.put("a-seed1/metrics.csv", csv);
    r = run_cli("plot --metrics " + (t / "a-seed0") + "," + (t / "a-seed1") + " --group-by-label --y test_nll --out " +
                (t / "grp.svg"));
    REQUIRE(r.code == 0);
    ys = polyline_ys(read_file(t / "grp.svg"));
    CHECK(*std::max_element(ys.begin() + 1, ys.end()) - *std::min_element(ys.begin() + 1, ys.end()) > 25);
    // forced linear: flat again (the old picture, on request)
    r = run_cli("plot --metrics " + (t / "run") + " --y-scale linear --out " + (t / "lin.svg"));
    REQUIRE(r.code == 0);
    ys = polyline_ys(read_file(t / "lin.svg"));
    CHECK(*std::max_element(ys.begin() + 1, ys.end()) - *std::min_element(ys.begin() + 1, ys.end()) < 2);
}

TEST_CASE("plot: a symlog axis labels 0 and powers of ten on both sides, and places values in order", "[plot]") {
    Series s;
    s.x = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    s.y_med = {282318, 2, 1, 0.5, -0.5, -1, -1.5, -1.6, -1.7, -1.7};
    ChartSpec spec;
    const std::string svg = line_chart_svg(spec, {s});
    CHECK_THAT(svg, Catch::Contains(">0</text>") && Catch::Contains(">-1</text>") && Catch::Contains(">100000</text>"));
    const std::vector<double> ys = polyline_ys(svg);
    REQUIRE(ys.size() == 10);
    for (size_t i = 1; i < ys.size(); i++) CHECK(ys[i] >= ys[i - 1]);  // y grows downwards as the values fall
    CHECK(ys[4] - ys[1] > 40);  // 2 → -0.5 is well apart
}

// ---------------------------------------------------------------------------
// The bitmap font and the density figure

TEST_CASE("plot: the 5x7 font has digits, letters and symbols; unknown characters are a box", "[plot]") {
    uint8_t rows[7];
    REQUIRE(font_glyph('1', rows));
    const uint8_t one[7] = {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E};
    CHECK(std::memcmp(rows, one, 7) == 0);
    for (const char* set : {"0123456789", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz", "-.,:;()[]/+=_%'<>?!*#|~&"})
        for (const char* c = set; *c; c++) {
            INFO(*c);
            CHECK(font_glyph((uint8_t)*c, rows));
            int ink = 0;
            for (uint8_t r : rows) {
                ink += r != 0;
                CHECK(r < 32);
            }
            CHECK(ink > 0);
        }
    for (uint32_t c : {0x00B7u, 0x03BBu, 0x03C0u, 0x2016u}) CHECK(font_glyph(c, rows));
    CHECK(!font_glyph(0x263Au, rows));  // ☺: a box
    CHECK(rows[0] == 0x1F);
    CHECK(text_width("mle", 1) == 17);
    CHECK(text_width("λ·x", 2) == 34);  // three characters, UTF-8 counted once each
    CHECK(text_width("", 1) == 0);
    Image im(20, 9);
    draw_text(im, 1, 1, "1", INK, 1);
    for (int y = 0; y < 7; y++)
        for (int x = 0; x < 5; x++) {
            const Rgb c = im.get(1 + x, 1 + y);
            CHECK((c.r == INK.r) == (bool)(one[y] >> (4 - x) & 1));
        }
}

TEST_CASE("plot: a density figure labels its panels, has tick labels and a colour bar", "[plot]") {
    const int W = 40, H = 30;
    std::vector<double> ramp(W * H), flat(W * H, 0.25);
    for (int r = 0; r < H; r++)
        for (int c = 0; c < W; c++) ramp[r * W + c] = (double)c / (W - 1);
    Box b;
    b.x0 = -4, b.x1 = 4, b.y0 = -3, b.y1 = 3;
    TempDir t;
    write_density_figure(t / "f.png", "moons: densities", b, {{"true density", ramp}, {"mle", flat}}, W, H);
    const Decoded d = decode_png(read_file(t / "f.png"));
    auto at = [&](int x, int y) { return &d.rgb[3 * ((size_t)y * d.width + x)]; };
    auto is = [&](int x, int y, const uint8_t c[3]) { return std::memcmp(at(x, y), c, 3) == 0; };
    // find the panels: rows of W pixels equal to the first panel's first row
    std::vector<uint8_t> first(3 * W), second(3 * W);
    for (int c = 0; c < W; c++) colormap_rgb(&first[3 * c], ramp[c], Colormap::blue_yellow);
    for (int c = 0; c < W; c++) colormap_rgb(&second[3 * c], 0.25, Colormap::blue_yellow);
    int x1 = -1, y1 = -1, x2 = -1;
    for (int y = 0; y < d.height && x1 < 0; y++)
        for (int x = 0; x + W <= d.width && x1 < 0; x++)
            if (std::memcmp(at(x, y), first.data(), 3 * W) == 0) x1 = x, y1 = y;
    REQUIRE(x1 >= 0);
    for (int x = x1 + W; x + W <= d.width && x2 < 0; x++)
        if (std::memcmp(at(x, y1), second.data(), 3 * W) == 0) x2 = x;
    REQUIRE(x2 > x1 + W);  // the second panel, on the same rows, after a gap
    auto ink_in = [&](int x0, int y0, int w, int h) {
        int n = 0;
        for (int y = std::max(0, y0); y < std::min(d.height, y0 + h); y++)
            for (int x = std::max(0, x0); x < std::min(d.width, x0 + w); x++) n += at(x, y)[0] == INK.r && at(x, y)[1] == INK.g;
        return n;
    };
    CHECK(ink_in(x1, y1 - 12, W, 11) > 10);            // "true density" above panel 1
    CHECK(ink_in(x2, y1 - 12, W, 11) > 5);             // "mle" above panel 2
    CHECK(ink_in(x1 - 6, y1 + H + 2, W + 12, 14) > 10);  // x tick labels under panel 1
    CHECK(ink_in(0, y1, x1 - 2, H) > 10);              // y tick labels left of panel 1
    CHECK(ink_in(0, 0, d.width, y1 - 13) > 10);        // the title
    // the colour bar: a column right of the last panel, 1 (top) to 0 (bottom)
    uint8_t hi[3], lo[3];
    colormap_rgb(hi, 1 - 0.5 / H, Colormap::blue_yellow);
    colormap_rgb(lo, 0.5 / H, Colormap::blue_yellow);
    int bar = -1;
    for (int x = x2 + W + 1; x < d.width && bar < 0; x++)
        if (is(x, y1, hi) && is(x, y1 + H - 1, lo)) bar = x;
    CHECK(bar > 0);
    CHECK_THROWS_WITH(write_density_figure(t / "g.png", "", b, {{"a", flat}}, W, H + 1), Catch::Contains("panel 1 has"));
}

// ---------------------------------------------------------------------------
// Pair plots and image grids

TEST_CASE("plot: a pair plot of a 3-D flow shows every pair of dimensions, data and samples", "[plot]") {
    Flow f;
    FlowConfig cfg;
    cfg.dim = 3, cfg.layers = 2, cfg.hidden = 4;
    flow_build(f, cfg);
    Tensor data(50, 3);
    Rng rng(3);
    for (Real& v : data.data) v = (Real)rng.normal();
    for (int i = 0; i < 50; i++) data.at(i, 1) = 7;  // a constant dimension is skipped
    CHECK(pair_dimensions(data, 4) == std::vector<int>{0, 2});
    data.at(0, 1) = 6;
    CHECK(pair_dimensions(data, 4) == std::vector<int>{0, 1, 2});
    CHECK(pair_dimensions(data, 2) == std::vector<int>{0, 1});
    TempDir t;
    Rng r1(9), r2(9);
    pairs_plot(t / "p.svg", f, data, 200, r1, "sbi.csv · mle");
    pairs_plot(t / "q.svg", f, data, 200, r2, "sbi.csv · mle");
    const std::string svg = read_file(t / "p.svg");
    CHECK(svg == read_file(t / "q.svg"));
    CHECK(count(svg, "<clipPath") == 9);  // 3 x 3 panels
    CHECK_THAT(svg, Catch::Contains(">sbi.csv · mle: flow samples against the training data</text>"));
    CHECK_THAT(svg, Catch::Contains(">training data (50)</text>") && Catch::Contains(">flow samples (200)</text>"));
    CHECK_THAT(svg, Catch::Contains(">x1</text>") && Catch::Contains(">x3</text>"));
    CHECK(count(svg, "<polyline") == 3 * 2);  // a histogram per set on each diagonal panel
    Tensor two(5, 2);
    CHECK_THROWS_WITH(pairs_plot(t / "x.svg", f, two, 10, r1), Catch::Contains("3-dimensional, the data 2-dimensional"));
}

TEST_CASE("plot: an image grid draws each image zoomed, white to black, and symkl plot --images writes it", "[plot][cli]") {
    TempDir t;
    // two 2x2 images: 0 1 / 2 3 and 3 3 / 3 0, range 0..3
    write_image_grid(t / "g.png", {0, 1, 2, 3, 3, 3, 3, 0}, 2, 2, 2);
    const Decoded d = decode_png(read_file(t / "g.png"));
    // 10 x 10 cells of 2·4 + 1 pixels, a frame line, and 8 pixels of margin each side
    CHECK(d.width == 8 + 10 * 9 + 1 + 8);
    CHECK(d.height == 8 + 10 * 9 + 1 + 8);
    auto grey = [&](int x, int y) { return (int)d.rgb[3 * ((size_t)y * d.width + x)]; };
    const int x0 = 8 + 1, y0 = 8 + 1;  // the first image's top-left pixel
    CHECK(grey(x0, y0) == 255);              // 0: white
    CHECK(grey(x0 + 4, y0) == 170);          // 1: a third of the way to black
    CHECK(grey(x0 + 3, y0 + 7) == 85);       // 2 (its zoomed block's corner)
    CHECK(grey(x0 + 7, y0 + 7) == 0);        // 3: black
    CHECK(grey(x0 + 9 + 7, y0 + 7) == 255);  // the second image's 0
    CHECK(grey(x0 + 8, y0) == 210);          // the line between the images

    std::string csv = "a,b,c,d\n";
    for (int i = 0; i < 30; i++) csv += std::to_string(i % 5) + ",1,2," + std::to_string(4 - i % 5) + "\n";
    t.put("s.csv", csv);
    Run r = run_cli("plot --images " + (t / "s.csv") + "," + (t / "s.csv") + " --labels mle,jeffreys --image-size 2x2 "
                    "--grid 5x3 --zoom 3 --out " + (t / "grid.png"));
    INFO(r.out);
    REQUIRE(r.code == 0);
    const Decoded g = decode_png(read_file(t / "grid.png"));
    CHECK(g.height == 8 + 22 + 3 * 7 + 1 + 8);  // the label row (14 + 8) above the grids
    r = run_cli("plot --images " + (t / "s.csv") + " --image-size 8x8 --out " + (t / "bad.png"));
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Catch::Contains("s.csv: has 4 columns, but 8x8 images have 64"));
    r = run_cli("plot --images " + (t / "s.csv") + " --image-size 2x2 --out " + (t / "bad.svg"));
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Catch::Contains("--out must name a .png file"));
    r = run_cli("plot --images " + (t / "s.csv") + " --image-size 2by2 --out " + (t / "bad.png"));
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Catch::Contains("--image-size must be two integers"));
    CHECK(!std::filesystem::exists(t / "bad.png"));
    CHECK_THAT(run_cli("plot --help").out, Catch::Contains("--images") && Catch::Contains("--image-size"));
}
