/* mode=screen: the test pattern, the text and the line editor (see README.md, "The screen").
 *
 * Pixel (x, y) of a W x H screen, in this order of precedence:
 *   x == 0, y == 0, x == W-1 or y == H-1     SCREEN_BORDER (white)
 *   y < SCREEN_BAR_HEIGHT                    bar (8 * x) / W: bit 2 red, bit 1 green, bit 0 blue
 *   inside a text cell                       its glyph: SCREEN_TEXT where the bit is set
 *   anywhere else                            SCREEN_BACKGROUND
 * Text cell (col, row), col < (W - 16) / 8, row < (H - 48) / 16, covers x from 8 + 8 * col and
 * y from 40 + 16 * row, 8 x 16 pixels; a space is all background. */
#include "../include/domus-abi.h"
#include "console.h"
#include "events.h"
#include "fbfront.h"
#include "font.h"
#include "format.h"
#include "kbdfront.h"
#include "screen.h"
#include "sched.h"
#include "timer.h"

#define NEVER UINT64_MAX
/* How often an update that found the out ring full is tried again, should the backend not
 * notify when it makes room. */
#define RETRY_MS 100

/* Linux input key codes (linux/input-event-codes.h) that are not characters. */
#define KEY_BACKSPACE 14
#define KEY_ENTER 28
#define KEY_LEFTSHIFT 42
#define KEY_RIGHTSHIFT 54
#define KEY_CAPSLOCK 58
#define KEY_KPENTER 96

static uint32_t *fb;
static uint32_t width, height, cols, rows;
static uint32_t cur_row, cur_col, line_start; /* the cursor; where the current line's input starts */
static bool left_shift, right_shift, caps;

static uint32_t bar_colour(uint32_t i) { return (i & 4 ? 0x00ff0000u : 0) | (i & 2 ? 0x0000ff00u : 0) | (i & 1 ? 0x000000ffu : 0); }

static void draw_pattern(void) {
    for (uint32_t y = 0; y < height; y++) {
        uint32_t *line = fb + y * width;
        for (uint32_t x = 0; x < width; x++) {
            uint32_t p = SCREEN_BACKGROUND;
            if (x == 0 || y == 0 || x == width - 1 || y == height - 1) p = SCREEN_BORDER;
            else if (y < SCREEN_BAR_HEIGHT) p = bar_colour(SCREEN_BARS * x / width);
            line[x] = p;
        }
    }
}

static uint32_t cell_x(uint32_t col) { return SCREEN_TEXT_X + col * FONT_WIDTH; }
static uint32_t cell_y(uint32_t row) { return SCREEN_TEXT_Y + row * FONT_HEIGHT; }

/* Character c at (col, row), if the cell is on the screen; characters the font lacks show as '?'. */
static void draw_char(uint32_t col, uint32_t row, char c) {
    if (col >= cols || row >= rows) return;
    if (c < FONT_FIRST || c > FONT_LAST) c = '?';
    const uint8_t *glyph = font8x16[c - FONT_FIRST];
    for (uint32_t gy = 0; gy < FONT_HEIGHT; gy++) {
        uint32_t *p = fb + (cell_y(row) + gy) * width + cell_x(col);
        for (uint32_t gx = 0; gx < FONT_WIDTH; gx++) p[gx] = glyph[gy] & (0x80 >> gx) ? SCREEN_TEXT : SCREEN_BACKGROUND;
    }
}

/* A string from (col, row) on, cut at the right margin; returns the columns it took. */
static uint32_t draw_text(uint32_t col, uint32_t row, const char *s) {
    uint32_t n = 0;
    for (; s[n] != '\0' && col + n < cols; n++) draw_char(col + n, row, s[n]);
    return n;
}

static void update_cells(uint32_t col, uint32_t row, uint32_t ncols, uint32_t nrows) {
    fbfront_update(cell_x(col), cell_y(row), ncols * FONT_WIDTH, nrows * FONT_HEIGHT);
}

/* The cursor to the next line (the input area starts again at SCREEN_INPUT_ROW, cleared, when it
 * is full); a prompted line starts with "> ". */
static void new_line(bool prompt) {
    if (cur_row + 1 >= rows) {
        for (uint32_t r = SCREEN_INPUT_ROW; r < rows; r++)
            for (uint32_t c = 0; c < cols; c++) draw_char(c, r, ' ');
        update_cells(0, SCREEN_INPUT_ROW, cols, rows - SCREEN_INPUT_ROW);
        cur_row = SCREEN_INPUT_ROW;
    } else {
        cur_row++;
    }
    cur_col = 0;
    if (prompt) {
        cur_col = draw_text(0, cur_row, "> ");
        update_cells(0, cur_row, cur_col, 1);
    }
    line_start = cur_col;
}

static void put_char(char c) {
    if (cur_col >= cols) new_line(false); /* a full line goes on below, without a prompt */
    draw_char(cur_col, cur_row, c);
    update_cells(cur_col, cur_row, 1, 1);
    cur_col++;
}

/* Only within the current line: a wrapped line's start or the prompt stops it. */
static void backspace(void) {
    if (cur_col <= line_start) return;
    cur_col--;
    draw_char(cur_col, cur_row, ' ');
    update_cells(cur_col, cur_row, 1, 1);
}

/* US layout: runs of consecutive key codes and what they type, without and with Shift. */
static const struct keyrun {
    uint8_t first;
    const char *plain, *shifted;
} KEYS[] = {
    {2, "1234567890-=", "!@#$%^&*()_+"},    /* KEY_1 .. KEY_EQUAL */
    {16, "qwertyuiop[]", "QWERTYUIOP{}"},   /* KEY_Q .. KEY_RIGHTBRACE */
    {30, "asdfghjkl;'`", "ASDFGHJKL:\"~"},  /* KEY_A .. KEY_GRAVE */
    {43, "\\zxcvbnm,./", "|ZXCVBNM<>?"},    /* KEY_BACKSLASH .. KEY_SLASH */
    {55, "*", "*"},                         /* KEY_KPASTERISK */
    {57, " ", " "},                         /* KEY_SPACE */
    {71, "789-456+1230.", "789-456+1230."}, /* KEY_KP7 .. KEY_KPDOT */
    {98, "/", "/"},                         /* KEY_KPSLASH */
};

/* The character a key types with the modifiers as they are, or 0. Caps Lock shifts letters only. */
static char key_char(uint32_t code) {
    for (unsigned i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++) {
        const struct keyrun *k = &KEYS[i];
        uint32_t n = 0;
        while (k->plain[n] != '\0') n++;
        if (code < k->first || code >= k->first + n) continue;
        char c = k->plain[code - k->first];
        bool shift = left_shift || right_shift;
        if (c >= 'a' && c <= 'z') shift ^= caps;
        return shift ? k->shifted[code - k->first] : c;
    }
    return 0;
}

static void on_key(uint32_t code, bool pressed) {
    if (code == KEY_LEFTSHIFT) left_shift = pressed;
    if (code == KEY_RIGHTSHIFT) right_shift = pressed;
    if (!pressed) return;
    if (code == KEY_CAPSLOCK) caps = !caps;
    char c = key_char(code);
    printk("minios: key %u %c\n", code, c > ' ' && c <= '~' ? c : '-');
    if (code == KEY_BACKSPACE) backspace();
    else if (code == KEY_ENTER || code == KEY_KPENTER) new_line(true);
    else if (c != 0) put_char(c);
}

static void on_pointer(int32_t x, int32_t y) { printk("minios: pointer %d %d\n", x, y); }

static const struct kbdfront_handler handler = {.key = on_key, .pointer = on_pointer};

void screen_run(const struct boot_info *b, const struct options *o) {
    if (b->store_ring == NULL || b->store_port == 0) {
        printk("minios: screen FAILED: no xenstore ring in start_info\n");
        return;
    }
    fb = fbfront_init(o->fb_width, o->fb_height);
    if (fb == NULL) {
        printk("minios: screen FAILED: %s\n", fbfront_error());
        return;
    }
    width = o->fb_width;
    height = o->fb_height;
    cols = (width - SCREEN_TEXT_X - SCREEN_MARGIN) / FONT_WIDTH;
    rows = (height - SCREEN_TEXT_Y - SCREEN_MARGIN) / FONT_HEIGHT;

    /* Drawn before connecting: the backend's first look finds the whole picture. */
    char line[96];
    draw_pattern();
    format(line, sizeof line, "Domus minios screen %ux%u", width, height);
    draw_text(0, 0, line);
    format(line, sizeof line, "domain %s", o->name[0] != '\0' ? o->name : "?");
    draw_text(0, 1, line);
    cur_row = SCREEN_INPUT_ROW - 1;
    new_line(true);

    struct fbfront_info fbi;
    if (fbfront_connect(o->timeout_ms, &fbi) < 0) {
        printk("minios: screen FAILED: %s\n", fbfront_error());
        return;
    }
    struct kbdfront_info kbi = {0};
    int k = kbdfront_connect(o->timeout_ms, &kbi);
    if (k < 0) {
        printk("minios: screen FAILED: keyboard: %s\n", kbdfront_error());
        return;
    }
    bool keyboard = k != KBDFRONT_ABSENT;
    fbfront_update(0, 0, width, height);
    fbfront_push();
    printk("minios: screen up %ux%u\n", width, height);
    printk("minios: screen: framebuffer device %u port %u (%u pages, %s); %s\n", fbi.devid, fbi.port, fbi.pages,
           fbi.update ? "update events" : "no update events: the backend polls", keyboard ? "keyboard connected" : "no keyboard");

    bool fb_up = true;
    for (;;) {
        /* Take the events before looking: one after the look ends the sleep. */
        events_take(fbi.port);
        if (kbi.port != 0) events_take(kbi.port); /* also once the keyboard is down: it must not keep us awake */
        if (keyboard && kbdfront_poll(&handler) < 0) {
            printk("minios: screen: keyboard down: %s\n", kbdfront_error());
            keyboard = false;
        }
        if (fb_up) {
            fbfront_push(); /* the echoed characters' updates */
            if (fbfront_poll() < 0) {
                printk("minios: screen down: %s\n", fbfront_error());
                fb_up = false;
            }
        }
        /* Nothing to do until an event; only an update held back by a full ring asks for a
         * timer as well. Shutdown requests come through the wake hook either way. */
        timer_arm(fb_up && fbfront_pending() ? timer_now() + timer_ms(RETRY_MS) : NEVER);
        sched_wait();
    }
}
