/* struct_peer: the C side of ipcsh's `write --as` / `read --as` round trips (StructInteropTests).
 *
 *   struct_peer sizeof                    prints sizeof(struct all)
 *   struct_peer put-shm KEY SET OFFSET    shmget(KEY, 4096, IPC_CREAT|0600), stores SET's struct at OFFSET
 *   struct_peer check-shm KEY SET OFFSET  shmget(KEY, 0, 0), checks the struct at OFFSET against SET
 *   struct_peer put-fd PATH SET           open(PATH, O_WRONLY), writes SET's struct (in two write()s)
 *   struct_peer check-fd PATH SET         open(PATH, O_RDONLY), reads sizeof bytes, checks them against
 *                                         SET, and that nothing follows them (end of file)
 *
 * SET is min (every integer at its minimum), max (every integer at its maximum) or mixed.
 * A put also fills the array of structs hs; a check expects it zero, since write --as cannot
 * set the elements of an array of structs (members not given are zero).
 * A check prints "ok" and exits 0, or prints every member that differs and exits 1. It never
 * removes a segment: the test does.
 *
 * The test reads the declarations between the BEGIN and END lines and gives them, as they are,
 * to ipcsh: both sides declare the very same structs. */
#include <fcntl.h>
#include <float.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/types.h>
#include <unistd.h>

/* BEGIN STRUCTS */
struct hdr { short s; char tag[5]; double d; };
struct all {
  char c; signed char sc; unsigned char uc;
  short s; unsigned short us;
  int i; unsigned u;
  long l; unsigned long ul;
  long long ll; unsigned long long ull;
  int8_t i8; uint8_t u8; int16_t i16; uint16_t u16;
  int32_t i32; uint32_t u32; int64_t i64; uint64_t u64;
  float f; double d;
  pid_t pid; size_t sz; ssize_t ssz; off_t off;
  char name[16];
  int arr[3];
  unsigned char bytes[4];
  int8_t deltas[3];
  struct hdr h;
  struct hdr hs[2];
};
/* END STRUCTS */

#define SEGMENT_SIZE 4096

/* The values of each SET; StructInteropTests lists the same ones, as ipcsh prints them. */
static int fill(struct all *v, const char *set, int with_hs)
{
  memset(v, 0, sizeof *v);
  if (strcmp(set, "min") == 0) {
    v->c = CHAR_MIN; v->sc = SCHAR_MIN; v->uc = 0;
    v->s = SHRT_MIN; v->us = 0;
    v->i = INT_MIN; v->u = 0;
    v->l = LONG_MIN; v->ul = 0;
    v->ll = LLONG_MIN; v->ull = 0;
    v->i8 = INT8_MIN; v->u8 = 0; v->i16 = INT16_MIN; v->u16 = 0;
    v->i32 = INT32_MIN; v->u32 = 0; v->i64 = INT64_MIN; v->u64 = 0;
    v->f = -FLT_MAX; v->d = -DBL_MAX;
    v->pid = INT_MIN; v->sz = 0; v->ssz = -SSIZE_MAX - 1; v->off = INT64_MIN;
    /* name stays "" */
    v->arr[0] = INT_MIN; v->arr[1] = -1; v->arr[2] = -2;
    /* bytes stay 0 */
    v->deltas[0] = INT8_MIN; v->deltas[1] = -1; v->deltas[2] = 0;
    v->h.s = -1; v->h.d = -0.5; /* h.tag stays "" */
    if (with_hs) {
      v->hs[0].s = SHRT_MIN; strcpy(v->hs[0].tag, "lo"); v->hs[0].d = -1.25;
      v->hs[1].s = -2; strcpy(v->hs[1].tag, "x"); v->hs[1].d = -1e-300;
    }
  } else if (strcmp(set, "max") == 0) {
    v->c = CHAR_MAX; v->sc = SCHAR_MAX; v->uc = UCHAR_MAX;
    v->s = SHRT_MAX; v->us = USHRT_MAX;
    v->i = INT_MAX; v->u = UINT_MAX;
    v->l = LONG_MAX; v->ul = ULONG_MAX;
    v->ll = LLONG_MAX; v->ull = ULLONG_MAX;
    v->i8 = INT8_MAX; v->u8 = UINT8_MAX; v->i16 = INT16_MAX; v->u16 = UINT16_MAX;
    v->i32 = INT32_MAX; v->u32 = UINT32_MAX; v->i64 = INT64_MAX; v->u64 = UINT64_MAX;
    v->f = FLT_MAX; v->d = DBL_MAX;
    v->pid = INT_MAX; v->sz = SIZE_MAX; v->ssz = SSIZE_MAX; v->off = INT64_MAX;
    memcpy(v->name, "abcdefghijklmnop", 16); /* all 16 bytes: no NUL */
    v->arr[0] = INT_MAX; v->arr[1] = 1; v->arr[2] = 2;
    memset(v->bytes, UCHAR_MAX, sizeof v->bytes);
    v->deltas[0] = INT8_MAX; v->deltas[1] = INT8_MAX; v->deltas[2] = INT8_MAX;
    v->h.s = SHRT_MAX; memcpy(v->h.tag, "tagXY", 5); v->h.d = 1e300;
    if (with_hs) {
      v->hs[0].s = 1; strcpy(v->hs[0].tag, "hi"); v->hs[0].d = 2.5;
      v->hs[1].s = SHRT_MAX; memcpy(v->hs[1].tag, "fives", 5); v->hs[1].d = DBL_MIN;
    }
  } else if (strcmp(set, "mixed") == 0) {
    v->c = 'A'; v->sc = -1; v->uc = 200;
    v->s = -1234; v->us = 4321;
    v->i = -5; v->u = 0xdeadbeef;
    v->l = -1234567890123L; v->ul = 1234567890123UL;
    v->ll = -42; v->ull = 42;
    v->i8 = -100; v->u8 = 100; v->i16 = -1000; v->u16 = 1000;
    v->i32 = -100000; v->u32 = 100000; v->i64 = -10000000000LL; v->u64 = 10000000000ULL;
    v->f = -0.1f; v->d = 3.141592653589793;
    v->pid = 4242; v->sz = 1024; v->ssz = -1; v->off = -4096;
    strcpy(v->name, "hello, C");
    v->arr[0] = -1; v->arr[1] = 0; v->arr[2] = 1;
    memcpy(v->bytes, "abc", 3);
    v->deltas[0] = -3; v->deltas[1] = 0; v->deltas[2] = 3;
    v->h.s = -300; strcpy(v->h.tag, "neg"); v->h.d = -2.75;
    /* hs stays zero */
  } else {
    fprintf(stderr, "unknown SET %s (min, max, mixed)\n", set);
    return -1;
  }
  return 0;
}

static int mismatches;

#define CHECK_INT(m) do { if (got->m != want->m) { \
    printf("mismatch %s: got %lld, want %lld\n", #m, (long long)got->m, (long long)want->m); mismatches++; } } while (0)
#define CHECK_UINT(m) do { if (got->m != want->m) { \
    printf("mismatch %s: got %llu, want %llu\n", #m, (unsigned long long)got->m, (unsigned long long)want->m); mismatches++; } } while (0)
#define CHECK_REAL(m) do { if (memcmp(&got->m, &want->m, sizeof got->m) != 0) { \
    printf("mismatch %s: got %.17g, want %.17g\n", #m, (double)got->m, (double)want->m); mismatches++; } } while (0)
#define CHECK_BYTES(m) do { if (memcmp(got->m, want->m, sizeof got->m) != 0) { \
    printf("mismatch %s: got \"%.*s\", want \"%.*s\"\n", #m, (int)sizeof got->m, (const char *)got->m, \
           (int)sizeof want->m, (const char *)want->m); mismatches++; } } while (0)
#define CHECK_ARRAY(m) do { for (size_t k = 0; k < sizeof got->m / sizeof got->m[0]; k++) \
    if (got->m[k] != want->m[k]) { \
      printf("mismatch %s[%zu]: got %lld, want %lld\n", #m, k, (long long)got->m[k], (long long)want->m[k]); mismatches++; } } while (0)

static void check_hdr(const char *name, const struct hdr *got, const struct hdr *want)
{
  if (got->s != want->s) { printf("mismatch %s.s: got %d, want %d\n", name, got->s, want->s); mismatches++; }
  if (memcmp(got->tag, want->tag, sizeof got->tag) != 0) {
    printf("mismatch %s.tag: got \"%.5s\", want \"%.5s\"\n", name, got->tag, want->tag); mismatches++;
  }
  if (memcmp(&got->d, &want->d, sizeof got->d) != 0) {
    printf("mismatch %s.d: got %.17g, want %.17g\n", name, got->d, want->d); mismatches++;
  }
}

static int check(const struct all *got, const char *set)
{
  struct all wanted;
  const struct all *want = &wanted;
  if (fill(&wanted, set, 0) != 0) return 2;
  CHECK_INT(c); CHECK_INT(sc); CHECK_UINT(uc);
  CHECK_INT(s); CHECK_UINT(us);
  CHECK_INT(i); CHECK_UINT(u);
  CHECK_INT(l); CHECK_UINT(ul);
  CHECK_INT(ll); CHECK_UINT(ull);
  CHECK_INT(i8); CHECK_UINT(u8); CHECK_INT(i16); CHECK_UINT(u16);
  CHECK_INT(i32); CHECK_UINT(u32); CHECK_INT(i64); CHECK_UINT(u64);
  CHECK_REAL(f); CHECK_REAL(d);
  CHECK_INT(pid); CHECK_UINT(sz); CHECK_INT(ssz); CHECK_INT(off);
  CHECK_BYTES(name);
  CHECK_ARRAY(arr);
  CHECK_ARRAY(bytes);
  CHECK_ARRAY(deltas);
  check_hdr("h", &got->h, &want->h);
  check_hdr("hs[0]", &got->hs[0], &want->hs[0]);
  check_hdr("hs[1]", &got->hs[1], &want->hs[1]);
  /* ipcsh zeroes what no member covers, as the memset in fill() does. */
  if (mismatches == 0 && memcmp(got, want, sizeof *got) != 0) {
    printf("mismatch: the padding bytes differ\n"); mismatches++;
  }
  if (mismatches) return 1;
  printf("ok\n");
  return 0;
}

static void *attach(const char *key_text, int create)
{
  key_t key = (key_t)strtoul(key_text, NULL, 0);
  int id = shmget(key, create ? SEGMENT_SIZE : 0, create ? IPC_CREAT | 0600 : 0);
  if (id == -1) { perror("shmget"); exit(2); }
  void *addr = shmat(id, NULL, 0);
  if (addr == (void *)-1) { perror("shmat"); exit(2); }
  return addr;
}

static size_t offset_of(const char *text)
{
  size_t offset = (size_t)strtoul(text, NULL, 0);
  if (offset > SEGMENT_SIZE - sizeof(struct all)) { fprintf(stderr, "OFFSET too large\n"); exit(2); }
  return offset;
}

int main(int argc, char **argv)
{
  struct all value;
  if (argc == 2 && strcmp(argv[1], "sizeof") == 0) {
    printf("%zu\n", sizeof(struct all));
    return 0;
  }
  if (argc == 5 && strcmp(argv[1], "put-shm") == 0) {
    if (fill(&value, argv[3], 1) != 0) return 2;
    char *addr = attach(argv[2], 1);
    memcpy(addr + offset_of(argv[4]), &value, sizeof value);
    shmdt(addr);
    printf("put\n");
    return 0;
  }
  if (argc == 5 && strcmp(argv[1], "check-shm") == 0) {
    char *addr = attach(argv[2], 0);
    memcpy(&value, addr + offset_of(argv[4]), sizeof value);
    shmdt(addr);
    return check(&value, argv[3]);
  }
  if (argc == 4 && strcmp(argv[1], "put-fd") == 0) {
    if (fill(&value, argv[3], 1) != 0) return 2;
    int fd = open(argv[2], O_WRONLY);
    if (fd == -1) { perror("open"); return 2; }
    /* In two pieces, as a stream may deliver it: the reader has to loop. */
    size_t half = sizeof value / 2;
    if (write(fd, &value, half) != (ssize_t)half ||
        write(fd, (char *)&value + half, sizeof value - half) != (ssize_t)(sizeof value - half)) {
      perror("write"); return 2;
    }
    close(fd);
    return 0;
  }
  if (argc == 4 && strcmp(argv[1], "check-fd") == 0) {
    int fd = open(argv[2], O_RDONLY);
    if (fd == -1) { perror("open"); return 2; }
    size_t got = 0;
    while (got < sizeof value) {
      ssize_t n = read(fd, (char *)&value + got, sizeof value - got);
      if (n < 0) { perror("read"); return 2; }
      if (n == 0) { printf("short: %zu of %zu bytes, then end of file\n", got, sizeof value); return 1; }
      got += (size_t)n;
    }
    char extra;
    ssize_t more = read(fd, &extra, 1);
    if (more != 0) { printf("more than sizeof(struct all) bytes came\n"); return 1; }
    close(fd);
    return check(&value, argv[3]);
  }
  fprintf(stderr, "usage: struct_peer sizeof | put-shm KEY SET OFFSET | check-shm KEY SET OFFSET | "
                  "put-fd PATH SET | check-fd PATH SET\n");
  return 2;
}
