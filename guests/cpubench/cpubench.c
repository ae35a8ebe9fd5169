/*
 * cpubench: a fixed, deterministic CPU workload for the QEMU virt board (M-mode, hart 0).
 *
 * Several small kernels stand in for "real code": table-driven CRC32, SHA-256,
 * an integer matrix multiply, quicksort, a prime sieve plus 64-bit modular
 * exponentiation (mul/div heavy), and a double/single precision loop (Mandelbrot
 * plus a damped spring chain using fdiv/fsqrt/fmadd). Each prints a checksum; the
 * last line is "cpubench done <hex>", then the SiFive test finisher powers off.
 *
 * Everything is integer-exact or IEEE-754 correctly rounded (+ - * / sqrt fma, no
 * libm), so any correct RV64GC implementation prints the same checksums.
 */
#include <stdint.h>
#include <stddef.h>

#include "console.h" /* guests/baremetal: UART output, finisher exit, trap report */
#include "runtime.h"

const char guest_name[] = "cpubench";

/* Scale knob: rounds of each kernel (build.sh passes it). The default makes QEMU
   7.2 TCG take ~1.3 s, each kernel a roughly equal share. */
#ifndef REPEAT
#define REPEAT 10
#endif

static void report(const char *name, uint32_t sum) {
    puts_uart(name);
    puts_uart(" ");
    puthex(sum, 8);
    puts_uart("\n");
}

/* ------------------------------------------------------------------- data */

static uint64_t rng_state;
static uint64_t rng_next(void) { /* xorshift64* */
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* Folds a kernel's result into the final checksum (order-sensitive). */
static uint32_t fold(uint32_t acc, uint32_t v) {
    acc ^= v;
    acc = (acc << 5) | (acc >> 27);
    return acc * 0x9E3779B1u + 0x7F4A7C15u;
}

#define BUF_SIZE (64 * 1024)
static uint8_t buf[BUF_SIZE];

static void fill_buf(uint64_t seed) {
    rng_state = seed;
    for (size_t i = 0; i < BUF_SIZE; i += 8) {
        uint64_t r = rng_next();
        for (int j = 0; j < 8; j++) buf[i + j] = (uint8_t)(r >> (j * 8));
    }
}

/* ------------------------------------------------------------------ crc32 */

static uint32_t crc_table[256];

static void crc32_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    while (n--) c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static uint32_t bench_crc32(void) {
    uint32_t acc = 0;
    for (int r = 0; r < 48 * REPEAT; r++) {
        buf[r & (BUF_SIZE - 1)] ^= (uint8_t)r; /* vary input between rounds */
        acc = fold(acc, crc32(buf, BUF_SIZE));
    }
    return acc;
}

/* ----------------------------------------------------------------- sha256 */

static const uint32_t sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const uint8_t *p) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
        uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

/* SHA-256 of p[0..n), n a multiple of 64 (the padding block is built here). */
static void sha256(const uint8_t *p, size_t n, uint32_t out[8]) {
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    for (size_t i = 0; i < n; i += 64) sha256_block(h, p + i);
    uint8_t pad[64];
    for (int i = 0; i < 64; i++) pad[i] = 0;
    pad[0] = 0x80;
    uint64_t bits = (uint64_t)n * 8;
    for (int i = 0; i < 8; i++) pad[63 - i] = (uint8_t)(bits >> (8 * i));
    sha256_block(h, pad);
    for (int i = 0; i < 8; i++) out[i] = h[i];
}

static uint32_t bench_sha256(void) {
    uint32_t acc = 0, d[8];
    for (int r = 0; r < 20 * REPEAT; r++) {
        buf[(r * 977) & (BUF_SIZE - 1)] += 1;
        sha256(buf, BUF_SIZE, d);
        for (int i = 0; i < 8; i++) acc = fold(acc, d[i]);
    }
    return acc;
}

/* ----------------------------------------------------------------- matmul */

#define MAT_N 96
static int32_t ma[MAT_N][MAT_N], mb[MAT_N][MAT_N], mc[MAT_N][MAT_N];

static uint32_t bench_matmul(void) {
    rng_state = 0x1234567887654321ULL;
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            ma[i][j] = (int32_t)(rng_next() % 2001) - 1000;
            mb[i][j] = (int32_t)(rng_next() % 2001) - 1000;
        }
    uint32_t acc = 0;
    for (int r = 0; r < 6 * REPEAT; r++) {
        for (int i = 0; i < MAT_N; i++)
            for (int j = 0; j < MAT_N; j++) {
                int64_t s = 0;
                for (int k = 0; k < MAT_N; k++) s += (int64_t)ma[i][k] * mb[k][j];
                mc[i][j] = (int32_t)(s >> 4);
            }
        /* Feed the product back in (scaled down) so rounds differ. */
        for (int i = 0; i < MAT_N; i++)
            for (int j = 0; j < MAT_N; j++) {
                acc = fold(acc, (uint32_t)mc[i][j]);
                ma[i][j] = mc[i][j] % 1000;
            }
    }
    return acc;
}

/* ------------------------------------------------------------------- sort */

#define SORT_N 32768
static uint32_t sort_a[SORT_N];

static void insertion_sort(uint32_t *a, int n) {
    for (int i = 1; i < n; i++) {
        uint32_t v = a[i];
        int j = i - 1;
        while (j >= 0 && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static void quicksort(uint32_t *a, int n) {
    while (n > 16) {
        /* Median of three as pivot. */
        uint32_t x = a[0], y = a[n / 2], z = a[n - 1];
        uint32_t p = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        int i = 0, j = n - 1;
        for (;;) {
            while (a[i] < p) i++;
            while (a[j] > p) j--;
            if (i >= j) break;
            uint32_t t = a[i]; a[i] = a[j]; a[j] = t;
            i++; j--;
        }
        /* Recurse on the smaller half, loop on the larger: bounded stack. */
        int left = j + 1;
        if (left < n - left) {
            quicksort(a, left);
            a += left; n -= left;
        } else {
            quicksort(a + left, n - left);
            n = left;
        }
    }
    insertion_sort(a, n);
}

static uint32_t bench_sort(void) {
    uint32_t acc = 0;
    for (int r = 0; r < 6 * REPEAT; r++) {
        rng_state = 0xC0FFEE0000000000ULL + (uint64_t)r;
        for (int i = 0; i < SORT_N; i++) sort_a[i] = (uint32_t)(rng_next() >> 32);
        quicksort(sort_a, SORT_N);
        uint32_t s = 0;
        for (int i = 0; i < SORT_N; i++) {
            if (i && sort_a[i - 1] > sort_a[i]) return 0xDEADBEEF; /* not sorted: visible in checksum */
            s += sort_a[i] * (uint32_t)(i + 1);
        }
        acc = fold(acc, s);
    }
    return acc;
}

/* ----------------------------------------------------------------- primes */

#define SIEVE_N 200000
static uint8_t composite[SIEVE_N];

static uint64_t powmod(uint64_t b, uint64_t e, uint64_t m) {
    uint64_t r = 1;
    b %= m;
    while (e) {
        if (e & 1) r = r * b % m;
        b = b * b % m;
        e >>= 1;
    }
    return r;
}

static uint32_t bench_primes(void) {
    uint32_t acc = 0;
    for (int r = 0; r < REPEAT; r++) {
        for (int i = 0; i < SIEVE_N; i++) composite[i] = 0;
        uint32_t count = 0;
        uint64_t sum = 0;
        for (uint32_t i = 2; i < SIEVE_N; i++) {
            if (composite[i]) continue;
            count++;
            sum += i;
            if (i > SIEVE_N / i) continue; /* i*i past the end (and would overflow) */
            for (uint32_t j = i * i; j < SIEVE_N; j += i) composite[j] = 1;
        }
        acc = fold(acc, count);
        acc = fold(acc, (uint32_t)sum);
        /* Fermat test on odd numbers near 2^31 (moduli < 2^32 so b*b fits in 64 bits),
           plus signed division to exercise div/rem on negative operands. */
        int64_t sdiv = 0;
        for (uint64_t n = 2147483001ULL; n < 2147483001ULL + 200000; n += 2) {
            if (powmod(2, n - 1, n) == 1) acc = fold(acc, (uint32_t)n);
            sdiv += -(int64_t)(n * 7919) / (int64_t)((n & 0xffff) + 3);
            sdiv += (int64_t)(n * 31) % -(int64_t)((n & 0xfff) + 5);
        }
        acc = fold(acc, (uint32_t)sdiv);
        acc = fold(acc, (uint32_t)((uint64_t)sdiv >> 32));
    }
    return acc;
}

/* ------------------------------------------------------------------- fp */

static uint64_t dbits(double d) {
    union { double d; uint64_t u; } v = {d};
    return v.u;
}
static uint32_t fbits(float f) {
    union { float f; uint32_t u; } v = {f};
    return v.u;
}

static double fsqrt_d(double x) {
    double r;
    __asm__("fsqrt.d %0, %1" : "=f"(r) : "f"(x));
    return r;
}

#define CHAIN_N 64

static uint32_t bench_fp(void) {
    uint32_t acc = 0;
    /* Mandelbrot over a 160x120 grid, 256 iterations max (half as many rounds:
       QEMU's soft-float makes this the most expensive kernel there). */
    for (int r = 0; r < (REPEAT + 1) / 2; r++) {
        uint32_t iters = 0;
        double zsum = 0.0;
        for (int py = 0; py < 120; py++) {
            double ci = -1.2 + py * (2.4 / 120);
            for (int px = 0; px < 160; px++) {
                double cr = -2.2 + px * (3.2 / 160);
                double zr = 0, zi = 0;
                int k = 0;
                while (k < 256 && zr * zr + zi * zi <= 4.0) {
                    double t = zr * zr - zi * zi + cr;
                    zi = 2.0 * zr * zi + ci;
                    zr = t;
                    k++;
                }
                iters += (uint32_t)k;
                zsum += zr * zr + zi * zi;
            }
        }
        acc = fold(acc, iters);
        acc = fold(acc, (uint32_t)dbits(zsum));
        acc = fold(acc, (uint32_t)(dbits(zsum) >> 32));
    }

    /* Damped spring chain: positions/velocities in double, lengths via fsqrt, forces via fdiv. */
    double x[CHAIN_N], y[CHAIN_N], vx[CHAIN_N], vy[CHAIN_N];
    for (int i = 0; i < CHAIN_N; i++) {
        x[i] = i * 1.1;
        y[i] = (i & 1) ? 0.3 : -0.3;
        vx[i] = vy[i] = 0.0;
    }
    const double dt = 0.01, k = 50.0, rest = 1.0, damp = 0.999;
    for (int step = 0; step < 1500 * REPEAT; step++) {
        for (int i = 1; i < CHAIN_N; i++) {
            double dx = x[i] - x[i - 1], dy = y[i] - y[i - 1];
            double len = fsqrt_d(dx * dx + dy * dy);
            double f = k * (len - rest) / len;
            vx[i] -= f * dx * dt;
            vy[i] -= f * dy * dt;
            vx[i - 1] += f * dx * dt;
            vy[i - 1] += f * dy * dt - 9.81 * dt / CHAIN_N;
        }
        for (int i = 1; i < CHAIN_N; i++) { /* node 0 is pinned */
            vx[i] *= damp;
            vy[i] *= damp;
            x[i] += vx[i] * dt;
            y[i] += vy[i] * dt;
        }
    }
    double e = 0.0;
    for (int i = 0; i < CHAIN_N; i++) e += 0.5 * (vx[i] * vx[i] + vy[i] * vy[i]) + y[i];
    acc = fold(acc, (uint32_t)dbits(e));
    acc = fold(acc, (uint32_t)(dbits(e) >> 32));

    /* Single precision and int<->float conversions. */
    float fs = 0.0f;
    int64_t isum = 0;
    for (int i = 1; i < 80000 * REPEAT; i++) {
        float v = (float)i / 7.0f + (float)(i & 255) * 0.5f;
        fs += v / (float)(i + 3);
        isum += (int64_t)(v * 3.0f) - (int64_t)(double)(i >> 2);
    }
    acc = fold(acc, fbits(fs));
    acc = fold(acc, (uint32_t)isum);
    return acc;
}

/* ------------------------------------------------------ known answers */

/* Checks CRC32 and SHA-256 against published test vectors, so a wrong result
   is reported as a failure rather than just a different checksum. */
static int self_test(void) {
    static const uint8_t digits[9] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
    if (crc32(digits, 9) != 0xCBF43926u) return 0;
    /* SHA-256 of the empty message (sha256() pads for us). */
    static const uint32_t empty[8] = {0xe3b0c442, 0x98fc1c14, 0x9afbf4c8, 0x996fb924,
                                      0x27ae41e4, 0x649b934c, 0xa495991b, 0x7852b855};
    uint32_t d[8];
    sha256(digits, 0, d);
    for (int i = 0; i < 8; i++)
        if (d[i] != empty[i]) return 0;
    return 1;
}

/* ------------------------------------------------------------------- main */

int main(void) {
    uint32_t total = 0, v;
    puts_uart("cpubench start\n");

    crc32_init();
    if (!self_test()) {
        puts_uart("cpubench self-test FAILED\n");
        finish(FINISHER_FAIL | (2u << 16));
    }
    fill_buf(0x9E3779B97F4A7C15ULL);
    v = bench_crc32();  report("crc32  ", v); total = fold(total, v);
    v = bench_sha256(); report("sha256 ", v); total = fold(total, v);
    v = bench_matmul(); report("matmul ", v); total = fold(total, v);
    v = bench_sort();   report("sort   ", v); total = fold(total, v);
    v = bench_primes(); report("primes ", v); total = fold(total, v);
    v = bench_fp();     report("fp     ", v); total = fold(total, v);

    puts_uart("cpubench done ");
    puthex(total, 8);
    puts_uart("\n");
    finish(FINISHER_PASS);
}
