/* shm_writer KEY SIZE TEXT [--hold]
 * Like the textbook writer.c, once: shmget(KEY, SIZE, IPC_CREAT|0600), attach,
 * and sprintf TEXT into the segment (with its NUL).  Prints "attached" when done.
 * With --hold it stays attached until its stdin reaches end of file (so a test
 * can observe the attachment from ipcsh), then detaches.  It never removes the
 * segment: the test does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/types.h>

int main(int argc, char **argv)
{
  if (argc < 4) { fprintf(stderr, "usage: shm_writer KEY SIZE TEXT [--hold]\n"); return 2; }
  key_t key = (key_t)strtoul(argv[1], NULL, 0);
  size_t size = (size_t)strtoul(argv[2], NULL, 0);
  int shm_id = shmget(key, size, IPC_CREAT | 0600);
  if (shm_id == -1) { fprintf(stderr, "shmget: %s\n", strerror(errno)); return 1; }
  void *shm_addr = shmat(shm_id, (void *)0, 0);
  if (shm_addr == (void *)-1) { fprintf(stderr, "shmat: %s\n", strerror(errno)); return 1; }
  if (strlen(argv[3]) + 1 > size) { fprintf(stderr, "TEXT does not fit in %zu bytes\n", size); return 1; }
  sprintf((char *)shm_addr, "%s", argv[3]);
  printf("attached shmid %d\n", shm_id);
  fflush(stdout);
  if (argc > 4 && strcmp(argv[4], "--hold") == 0) {
    char buf[64];
    while (read(STDIN_FILENO, buf, sizeof buf) > 0) { }
  }
  shmdt(shm_addr);
  return 0;
}
