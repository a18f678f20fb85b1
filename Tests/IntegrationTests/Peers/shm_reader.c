/* shm_reader KEY [--stat]
 * Like the textbook reader.c, once: attach the existing segment with KEY and
 * print the C string at its start on one line.  With --stat, also print the
 * segment's attach count as this process sees it while attached ("nattch N").
 * Exits 1 (with the errno text) when the segment cannot be opened or attached. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/types.h>

int main(int argc, char **argv)
{
  if (argc < 2) { fprintf(stderr, "usage: shm_reader KEY [--stat]\n"); return 2; }
  key_t key = (key_t)strtoul(argv[1], NULL, 0);
  int shm_id = shmget(key, 0, 0);
  if (shm_id == -1) { fprintf(stderr, "shmget: %s\n", strerror(errno)); return 1; }
  void *shm_addr = shmat(shm_id, (void *)0, SHM_RDONLY);
  if (shm_addr == (void *)-1) { fprintf(stderr, "shmat: %s\n", strerror(errno)); return 1; }
  printf("%s\n", (char *)shm_addr);
  if (argc > 2 && strcmp(argv[2], "--stat") == 0) {
    struct shmid_ds ds;
    if (shmctl(shm_id, IPC_STAT, &ds) == -1) { fprintf(stderr, "shmctl: %s\n", strerror(errno)); return 1; }
    printf("nattch %lu\n", (unsigned long)ds.shm_nattch);
  }
  shmdt(shm_addr);
  return 0;
}
