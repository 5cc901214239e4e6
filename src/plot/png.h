// png.h — a minimal PNG writer and the heatmaps symkl draws with it.
//
// A PNG file is the 8-byte signature followed by chunks, each
//
//   length (4 bytes, big-endian) | type (4 ASCII bytes) | data | CRC-32 of type and data
//
// symkl writes three: IHDR (size, 8-bit RGB), one IDAT (the pixels) and IEND. The
// pixels are rows of 1 + 3·W bytes (a filter byte 0 = "none", then R, G, B per pixel),
// wrapped in a zlib stream: a 2-byte header, *stored* deflate blocks (raw bytes, at most
// 65535 per block, each behind a LEN/NLEN header) and the Adler-32 of the raw bytes.
// Stored blocks mean no compression code at all: the files are larger than a real
// encoder's, and every byte can be checked by hand. docs/figures.md has the details.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

// CRC-32 as PNG and zlib use it (reflected polynomial 0xEDB88320, initial and final
// complement): crc32("123456789") = 0xCBF43926. Pass the previous value to continue a
// running CRC over several pieces: crc32(b, nb, crc32(a, na)) = crc32(a ‖ b).
uint32_t crc32(const uint8_t* p, size_t n, uint32_t crc = 0);
// Adler-32, the zlib stream's checksum: adler32("Wikipedia") = 0x11E60398.
uint32_t adler32(const uint8_t* p, size_t n);

// The bytes of a PNG file for an image of width × height pixels; rgb holds
// height rows of width (R, G, B) triples, row 0 at the top (3·width·height bytes).
// Throws symkl::Error for a size that is not positive or does not match rgb.
std::string png_encode(int width, int height, const std::vector<uint8_t>& rgb);
// png_encode, written atomically to path.
void write_png(const std::string& path, int width, int height, const std::vector<uint8_t>& rgb);

// Colour ramps for heatmaps, all with CIELAB lightness L* rising evenly from the
// first colour to the last, so equal steps in value look like equal steps in colour
// and the image still reads in greyscale. Each is a table of control points in sRGB,
// interpolated linearly (docs/figures.md lists them).
enum class Colormap {
    blue_yellow,  // dark violet-blue → blue → teal → green → yellow (the default)
    fire,         // near-black → purple → red → orange → pale yellow
    grey,         // near-black → near-white
};

// The colour of t in [0, 1] (clamped) as three bytes.
void colormap_rgb(uint8_t rgb[3], double t, Colormap cmap);

// Colour of pixels whose value is NaN: a pale lavender that none of the ramps contains,
// so "no value" never reads as "low" or "high".
constexpr uint8_t HEATMAP_NAN_RGB[3] = {235, 200, 235};

// Writes values (height rows of width numbers, row 0 at the top) as a PNG, one pixel
// per value: t = (v − vmin) / (vmax − vmin) clamped to [0, 1], coloured by cmap; NaN
// pixels get HEATMAP_NAN_RGB. Throws symkl::Error unless vmin < vmax (both finite) and
// values has width·height entries.
void write_heatmap(const std::string& path, int width, int height, const std::vector<double>& values, double vmin,
                   double vmax, Colormap cmap);
