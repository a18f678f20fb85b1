/* sem_peer: a C peer for ipcsh's System V semaphore sets, one call per run.
 *
 *   sem_peer op KEY N DELTA [undo] [hold]   semget(KEY, 0, 0), then one semop {N, DELTA, flags}
 *                                           (SEM_UNDO with "undo"); prints "waiting" first (it
 *                                           may block there), "done" after.  With "hold" it
 *                                           then stays until its stdin reaches end of file, and
 *                                           exits without undoing anything itself.
 *   sem_peer get KEY N                      prints "value V ncnt C zcnt Z" (GETVAL, GETNCNT, GETZCNT)
 *
 * Errors go to stderr as "CALL: ERRNO" and exit 1.  It never creates or removes a set. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/types.h>

static const char *name(int e)
{
  switch (e) {
  case EIDRM: return "EIDRM";
  case EINVAL: return "EINVAL";
  case ENOENT: return "ENOENT";
  case EAGAIN: return "EAGAIN";
  case EFBIG: return "EFBIG";
  default: return strerror(e);
  }
}

int main(int argc, char **argv)
{
  if (argc < 4) {
    fprintf(stderr, "usage: sem_peer op KEY N DELTA [undo] [hold] | get KEY N\n");
    return 2;
  }
  key_t key = (key_t)strtoul(argv[2], NULL, 0);
  int n = atoi(argv[3]);
  int id = semget(key, 0, 0);
  if (id == -1) { fprintf(stderr, "semget: %s\n", name(errno)); return 1; }
  if (strcmp(argv[1], "op") == 0 && argc >= 5) {
    struct sembuf op = { (unsigned short)n, (short)atoi(argv[4]), 0 };
    int hold = 0;
    for (int i = 5; i < argc; i++) {
      if (strcmp(argv[i], "undo") == 0) op.sem_flg |= SEM_UNDO;
      if (strcmp(argv[i], "hold") == 0) hold = 1;
    }
    printf("waiting\n");
    fflush(stdout);
    if (semop(id, &op, 1) == -1) { fprintf(stderr, "semop: %s\n", name(errno)); return 1; }
    printf("done\n");
    fflush(stdout);
    if (hold) {
      char buf[64];
      while (read(STDIN_FILENO, buf, sizeof buf) > 0) { }
    }
    return 0;
  }
  if (strcmp(argv[1], "get") == 0) {
    int value = semctl(id, n, GETVAL), ncnt = semctl(id, n, GETNCNT), zcnt = semctl(id, n, GETZCNT);
    if (value == -1 || ncnt == -1 || zcnt == -1) { fprintf(stderr, "semctl: %s\n", name(errno)); return 1; }
    printf("value %d ncnt %d zcnt %d\n", value, ncnt, zcnt);
    return 0;
  }
  fprintf(stderr, "sem_peer: unknown command %s\n", argv[1]);
  return 2;
}
