/* msg_peer: a C peer for ipcsh's System V message queues, one call per run.
 *
 *   msg_peer send KEY TYPE TEXT      msgget(KEY, 0), msgsnd of TEXT (no NUL) with mtype TYPE;
 *                                    prints "sent TYPE"
 *   msg_peer recv KEY TYPE [COUNT]   msgget(KEY, 0), then COUNT (default 1) msgrcv(..., TYPE, 0);
 *                                    prints "waiting" before the first (it may block there),
 *                                    then "type T: TEXT" for each message
 *   msg_peer nowait KEY TYPE         one msgrcv with IPC_NOWAIT; prints the message or the errno name
 *
 * Errors go to stderr as "CALL: ERRNO" and exit 1.  It never creates or removes a queue:
 * the test (or ipcsh) does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/types.h>

struct message {
  long mtype;
  char mtext[8192];
};

static const char *name(int e)
{
  switch (e) {
  case ENOMSG: return "ENOMSG";
  case EIDRM: return "EIDRM";
  case EINVAL: return "EINVAL";
  case ENOENT: return "ENOENT";
  case EAGAIN: return "EAGAIN";
  default: return strerror(e);
  }
}

int main(int argc, char **argv)
{
  if (argc < 4) {
    fprintf(stderr, "usage: msg_peer send KEY TYPE TEXT | recv KEY TYPE [COUNT] | nowait KEY TYPE\n");
    return 2;
  }
  key_t key = (key_t)strtoul(argv[2], NULL, 0);
  long type = strtol(argv[3], NULL, 0);
  int id = msgget(key, 0);
  if (id == -1) { fprintf(stderr, "msgget: %s\n", name(errno)); return 1; }
  static struct message msg;
  if (strcmp(argv[1], "send") == 0 && argc == 5) {
    size_t len = strlen(argv[4]);
    if (len > sizeof msg.mtext) { fprintf(stderr, "TEXT too long\n"); return 1; }
    msg.mtype = type;
    memcpy(msg.mtext, argv[4], len);
    if (msgsnd(id, &msg, len, 0) == -1) { fprintf(stderr, "msgsnd: %s\n", name(errno)); return 1; }
    printf("sent %ld\n", type);
    return 0;
  }
  if (strcmp(argv[1], "recv") == 0 || strcmp(argv[1], "nowait") == 0) {
    int nowait = strcmp(argv[1], "nowait") == 0;
    int count = argc > 4 ? atoi(argv[4]) : 1;
    if (!nowait) { printf("waiting\n"); fflush(stdout); }
    for (int i = 0; i < count; i++) {
      ssize_t n = msgrcv(id, &msg, sizeof msg.mtext, type, nowait ? IPC_NOWAIT : 0);
      if (n == -1) {
        if (nowait) { printf("%s\n", name(errno)); return 0; }
        fprintf(stderr, "msgrcv: %s\n", name(errno));
        return 1;
      }
      printf("type %ld: %.*s\n", msg.mtype, (int)n, msg.mtext);
      fflush(stdout);
    }
    return 0;
  }
  fprintf(stderr, "msg_peer: unknown command %s\n", argv[1]);
  return 2;
}
