/* struct-writer.c: the C twin of examples/struct-writer.ipcs.
 *
 * Creates a System V segment the size of struct shmseg, attaches it, and once a
 * second for ROUNDS rounds stores cnt = i and buf = "message i" in it. Then it
 * detaches and removes the segment (also when stopped early with Ctrl-C).
 *
 * Either ipcsh reader or the C one reads what it writes: they declare the same
 * struct, so they agree on its layout (an int at offset 0, 64 chars at 4).
 *
 *     cc -Wall -Wextra -o struct-writer examples/struct-writer.c
 *     ./struct-writer 3307 10                      # terminal 1
 *     ipcsh examples/struct-reader.ipcs 3307 10    # terminal 2 (or ./struct-reader 3307 10)
 *
 * KEY (decimal, or hex as 0xcea) and ROUNDS default to 3307 and 10.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

struct shmseg {
  int cnt;
  char buf[64];
};

static volatile sig_atomic_t stopped;

static void stop(int sig)
{
  (void)sig;
  stopped = 1;
}

int main(int argc, char **argv)
{
  const char *key_text = argc > 1 ? argv[1] : "3307";
  key_t key = (key_t)strtoul(key_text, NULL, 0);
  int rounds = argc > 2 ? atoi(argv[2]) : 10;
  printf("writer: key %s, %d rounds\n", key_text, rounds);

  /* Ctrl-C ends the loop (sleep returns early) so that the segment is still removed,
   * as `cleanup on` does in the ipcsh writer. No SA_RESTART: sleep is interrupted. */
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = stop;
  sigaction(SIGINT, &action, NULL);
  sigaction(SIGTERM, &action, NULL);

  int shm_id = shmget(key, sizeof(struct shmseg), IPC_CREAT | 0600);
  if (shm_id == -1) { perror("shmget"); return 1; }
  struct shmseg *shmp = shmat(shm_id, NULL, 0);
  if (shmp == (void *)-1) { perror("shmat"); shmctl(shm_id, IPC_RMID, NULL); return 1; }

  for (int i = 0; i < rounds && !stopped; i++) {
    shmp->cnt = i;
    snprintf(shmp->buf, sizeof shmp->buf, "message %d", i);
    printf("Wrote: cnt = %d, buf = %s\n", shmp->cnt, shmp->buf);
    fflush(stdout);
    sleep(1);
  }

  shmdt(shmp);
  shmctl(shm_id, IPC_RMID, NULL);
  return 0;
}
