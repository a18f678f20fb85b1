/* struct-reader.c: the C twin of examples/struct-reader.ipcs.
 *
 * Opens the segment a writer created (examples/struct-writer.ipcs or
 * struct-writer.c), attaches it read-only, and once a second for ROUNDS rounds
 * prints the two members of the struct shmseg in it. Then it detaches; the
 * writer removes the segment.
 *
 *     cc -Wall -Wextra -o struct-reader examples/struct-reader.c
 *     ipcsh examples/struct-writer.ipcs 3307 10    # terminal 1 (or ./struct-writer 3307 10)
 *     ./struct-reader 3307 10                      # terminal 2
 *
 * KEY (decimal, or hex as 0xcea) and ROUNDS default to 3307 and 10.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

struct shmseg {
  int cnt;
  char buf[64];
};

int main(int argc, char **argv)
{
  const char *key_text = argc > 1 ? argv[1] : "3307";
  key_t key = (key_t)strtoul(key_text, NULL, 0);
  int rounds = argc > 2 ? atoi(argv[2]) : 10;
  printf("reader: key %s, %d rounds\n", key_text, rounds);

  /* No IPC_CREAT: with no writer running, fail rather than make an empty segment.
   * Asking for sizeof(struct shmseg) bytes also fails (EINVAL) if the segment is smaller. */
  int shm_id = shmget(key, sizeof(struct shmseg), 0);
  if (shm_id == -1) { perror("shmget (is the writer running?)"); return 1; }
  const struct shmseg *shmp = shmat(shm_id, NULL, SHM_RDONLY);
  if (shmp == (void *)-1) { perror("shmat"); return 1; }

  for (int i = 0; i < rounds; i++) {
    /* %.*s: buf may be full, with no NUL (ipcsh writes up to 64 chars). */
    printf("Read: cnt = %d, buf = %.*s\n", shmp->cnt, (int)sizeof shmp->buf, shmp->buf);
    fflush(stdout);
    sleep(1);
  }

  shmdt(shmp);
  return 0;
}
