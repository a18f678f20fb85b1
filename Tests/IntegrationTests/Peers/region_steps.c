/* region_steps KIND WHERE STEP...: a C peer that changes a shared region one step at a time,
 * for `watch` (SeeingPeerTests).
 *
 *   KIND shm    WHERE is a System V key: shmget(KEY, 0, 0), shmat
 *   KIND pshm   WHERE is a POSIX name (/NAME): shm_open(NAME, O_RDWR), mmap(MAP_SHARED)
 *   KIND file   WHERE is a path: open(PATH, O_RDWR), mmap(MAP_SHARED)
 *
 * Before each STEP it reads one line from stdin (the test's go-ahead; end of file ends it
 * early), writes STEP at the start of the region and prints "wrote STEP". A STEP is text,
 * written with its NUL, or "int:A,B,..." (those numbers as ints, in this machine's order).
 * Errors go to stderr as "CALL: ERRNO TEXT" and exit 1. It never creates or removes anything:
 * the test (or ipcsh) does. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static int fail(const char *call)
{
  fprintf(stderr, "%s: %s\n", call, strerror(errno));
  return 1;
}

int main(int argc, char **argv)
{
  if (argc < 4) { fprintf(stderr, "usage: region_steps shm|pshm|file WHERE STEP...\n"); return 2; }
  char *region;
  size_t size;
  if (strcmp(argv[1], "shm") == 0) {
    int id = shmget((key_t)strtoul(argv[2], NULL, 0), 0, 0);
    if (id == -1) return fail("shmget");
    struct shmid_ds ds;
    if (shmctl(id, IPC_STAT, &ds) == -1) return fail("shmctl");
    size = ds.shm_segsz;
    region = shmat(id, NULL, 0);
    if (region == (void *)-1) return fail("shmat");
  } else if (strcmp(argv[1], "pshm") == 0 || strcmp(argv[1], "file") == 0) {
    int fd = argv[1][0] == 'p' ? shm_open(argv[2], O_RDWR, 0) : open(argv[2], O_RDWR);
    if (fd == -1) return fail(argv[1][0] == 'p' ? "shm_open" : "open");
    struct stat st;
    if (fstat(fd, &st) == -1) return fail("fstat");
    size = (size_t)st.st_size;
    region = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (region == MAP_FAILED) return fail("mmap");
    close(fd);
  } else {
    fprintf(stderr, "unknown KIND %s\n", argv[1]);
    return 2;
  }
  char line[256];
  for (int i = 3; i < argc; i++) {
    if (!fgets(line, sizeof line, stdin)) return 0;
    const char *step = argv[i];
    if (strncmp(step, "int:", 4) == 0) {
      int values[64];
      size_t n = 0;
      for (char *p = (char *)step + 4; *p && n < 64; n++) {
        values[n] = (int)strtol(p, &p, 0);
        if (*p == ',') p++;
      }
      if (n * sizeof(int) > size) { fprintf(stderr, "%s does not fit in %zu bytes\n", step, size); return 1; }
      memcpy(region, values, n * sizeof(int));
    } else {
      if (strlen(step) + 1 > size) { fprintf(stderr, "%s does not fit in %zu bytes\n", step, size); return 1; }
      memcpy(region, step, strlen(step) + 1);
    }
    printf("wrote %s\n", step);
    fflush(stdout);
  }
  return 0;
}
