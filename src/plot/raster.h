// raster.h — drawing into an RGB image for the PNG figures: rectangles, lines, and text
// in symkl's own 5×7 bitmap font.
//
// The font has a glyph for every printable ASCII character but a few rarely needed
// symbols (digits, both cases of letters, space and - . , : ; ( ) [ ] / + = _ % ' " < >
// ? ! * # | ~ &) and for · × − λ π ε ‖ ₁ ₂. Each glyph is 5 pixels wide and 7 tall
// (descenders are raised into the 7 rows), drawn with one pixel between characters, so a
// string of n characters is 6n − 1 pixels wide at scale 1; `scale` draws each font
// pixel as a scale × scale block. A character without a glyph is drawn as a hollow box.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

struct Rgb {
    uint8_t r = 0, g = 0, b = 0;
};
constexpr Rgb WHITE{255, 255, 255}, INK{34, 34, 34}, FRAME{68, 68, 68};

// width × height pixels, row 0 at the top, 3 bytes per pixel.
struct Image {
    int width = 0, height = 0;
    std::vector<uint8_t> rgb;
    Image(int w, int h, Rgb background = WHITE);
    void set(int x, int y, Rgb c);               // ignored outside the image
    Rgb get(int x, int y) const;
};

void fill_rect(Image& im, int x, int y, int w, int h, Rgb c);   // clipped to the image
// A one-pixel frame just outside the rectangle (x, y, w, h).
void frame_rect(Image& im, int x, int y, int w, int h, Rgb c);

// The 7 rows of a code point's glyph, bit 4 the leftmost column; false (and a box) when
// the font has none.
bool font_glyph(uint32_t code_point, uint8_t rows[7]);

enum class Anchor { start, middle, end };
// Width in pixels of s (UTF-8) at the scale: 6·scale per character, less the last gap.
int text_width(const std::string& s, int scale = 1);
// Draws s with its top edge at y; x is its left edge, centre or right edge (anchor).
void draw_text(Image& im, int x, int y, const std::string& s, Rgb c, int scale = 1, Anchor a = Anchor::start);

// Writes the image as a PNG (atomically).
void write_image(const std::string& path, const Image& im);
