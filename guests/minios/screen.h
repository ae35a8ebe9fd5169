/* mode=screen: a test pattern and a line editor on the paravirtual framebuffer (fbfront), typed
 * on the paravirtual keyboard (kbdfront). See README.md, "The screen". */
#ifndef MINIOS_SCREEN_H
#define MINIOS_SCREEN_H

#include "boot.h"
#include "options.h"

/* The pattern's numbers, which the host needs to compute the expected image. */
#define SCREEN_BACKGROUND 0x00203040u
#define SCREEN_BORDER 0x00ffffffu
#define SCREEN_TEXT 0x00ffffffu
#define SCREEN_BARS 8
#define SCREEN_BAR_HEIGHT 32
#define SCREEN_TEXT_X 8  /* the left edge of text column 0 */
#define SCREEN_TEXT_Y 40 /* the top edge of text row 0 */
#define SCREEN_MARGIN 8  /* at least this much background right of the last column, below the last row */
#define SCREEN_INPUT_ROW 3

/* Draws, connects the framebuffer and the keyboard, then echoes what is typed. Returns only if
 * it cannot connect the framebuffer or the keyboard (after printing why). */
void screen_run(const struct boot_info *b, const struct options *o);

#endif
