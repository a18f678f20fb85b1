/* producer-consumer.c: the C counterpart of producer-consumer.ipcs.
 *
 * The textbook writer.c and reader.c share a 1024-byte System V segment; here two
 * System V semaphores make them take turns, so every value is read exactly once:
 *
 *     semaphore 0, "empty" (starts at 1): the slot may be written
 *     semaphore 1, "full"  (starts at 0): the slot holds a value not yet read
 *
 *     producer: P(empty); sprintf(slot, "%d", i); V(full)
 *     consumer: P(full);  printf(slot);           V(empty)
 *
 * Build and run (start the producer, or producer-consumer.ipcs, first: it creates the
 * segment and the semaphores):
 *
 *     cc -Wall -Wextra -o producer-consumer examples/producer-consumer.c
 *     ./producer-consumer producer 3306 5      # terminal 1
 *     ./producer-consumer consumer 3306 5      # terminal 2
 *
 * It interoperates with the ipcsh script on the same key, either way round:
 *
 *     ipcsh examples/producer-consumer.ipcs 3306 5 0  +  ./producer-consumer consumer 3306 5
 *     ipcsh examples/producer-consumer.ipcs 3306 0 5  +  ./producer-consumer producer 3306 5
 *
 * The producer creates the semaphores (IPC_CREAT | IPC_EXCL) and sets them, unless
 * they exist already (the ipcsh script made them): then it only uses them.  Whoever
 * created them removes them, once the last value has been read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/types.h>

#define EMPTY 0
#define FULL 1

/* semctl's fourth argument: the caller defines it (man 2 semctl). */
union semun {
  int val;
  struct semid_ds *buf;
  unsigned short *array;
};

static void sem_change(int sem_id, unsigned short num, short delta)
{
  struct sembuf op = { num, delta, 0 };
  if (semop(sem_id, &op, 1) == -1) {
    perror("semop");
    exit(1);
  }
}

static void P(int sem_id, unsigned short num) { sem_change(sem_id, num, -1); }
static void V(int sem_id, unsigned short num) { sem_change(sem_id, num, +1); }

int main(int argc, char **argv)
{
  if (argc != 4 || (strcmp(argv[1], "producer") != 0 && strcmp(argv[1], "consumer") != 0)) {
    fprintf(stderr, "usage: %s producer|consumer KEY ROUNDS\n", argv[0]);
    return 2;
  }
  int producer = strcmp(argv[1], "producer") == 0;
  key_t key = (key_t)strtoul(argv[2], NULL, 0);
  int rounds = atoi(argv[3]);
  int created = 0;
  int shm_id, sem_id;

  if (producer) {
    shm_id = shmget(key, 1024, IPC_CREAT | 0600);
    sem_id = semget(key, 2, IPC_CREAT | IPC_EXCL | 0600);
    if (sem_id != -1) {
      unsigned short values[2] = { 1, 0 }; /* empty = 1, full = 0 */
      union semun arg;
      arg.array = values;
      if (semctl(sem_id, 0, SETALL, arg) == -1) { perror("semctl SETALL"); return 1; }
      created = 1;
    } else if (errno == EEXIST) {
      sem_id = semget(key, 2, 0);
    }
  } else {
    shm_id = shmget(key, 0, 0); /* no IPC_CREAT: the producer made it */
    sem_id = semget(key, 2, 0);
  }
  if (shm_id == -1) { perror("shmget"); return 1; }
  if (sem_id == -1) { perror("semget"); return 1; }
  char *shm_addr = shmat(shm_id, NULL, 0);
  if (shm_addr == (char *)-1) { perror("shmat"); return 1; }

  for (int i = 0; i < rounds; i++) {
    if (producer) {
      P(sem_id, EMPTY);
      sprintf(shm_addr, "%d", i);
      printf("Wrote to shared mem: %d\n", i);
      fflush(stdout); /* before V: on one terminal, the lines alternate */
      V(sem_id, FULL);
    } else {
      P(sem_id, FULL);
      printf("Data read from shared mem: %s\n", shm_addr);
      fflush(stdout);
      V(sem_id, EMPTY);
    }
  }

  shmdt(shm_addr);
  if (created) {
    P(sem_id, EMPTY); /* the last value has been read: the slot is empty again */
    shmctl(shm_id, IPC_RMID, NULL);
    semctl(sem_id, 0, IPC_RMID);
  }
  return 0;
}
