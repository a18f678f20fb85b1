#ifndef IPCSH_CIPCSHIMS_H
#define IPCSH_CIPCSHIMS_H

/* C for what Swift cannot import: function-like macros (WIFEXITED, CMSG_*), calls that need
   _GNU_SOURCE (pipe2, accept4, strerrorname_np), shmat's (void *)-1, and signal handlers, which
   must be async-signal-safe. Only IPCSys calls these; the shell goes through IPCSys. */

#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/types.h>

/* ---- errors ---- */

/* errno -> "EEXIST"; NULL when unknown. (strerrorname_np needs _GNU_SOURCE.) */
const char *ipcsh_errno_name(int err);

/* ---- signals ---- */

/* The handlers are C: they only set a flag and write one byte to a self-pipe, both
   async-signal-safe. Installed with sigaction and without SA_RESTART, so a blocking
   read/open/poll returns EINTR and Ctrl-C reaches the prompt. SIGPIPE is ignored. */
int ipcsh_signals_install(void);
/* SIGCHLD wakes the self-pipe too (no SA_RESTART; stops and continues included). */
int ipcsh_sigchld_install(void);
int ipcsh_signal_pipe_fd(void);
/* Drain the self-pipe. */
void ipcsh_signal_pipe_drain(void);
/* Returns and clears the pending-SIGINT flag. */
int ipcsh_take_sigint(void);
/* The flags the handlers set (shims.c writes them; read them through the checks below). */
extern volatile sig_atomic_t ipcsh_sigint_flag, ipcsh_terminate_flag;
/* Whether Ctrl-C (or TERM/HUP) is pending. Inline, one load or two: it is read before every
   command and every blocking call (a call into the shims cost ~30 instructions each time). */
static inline int ipcsh_sigint_pending(void) { return ipcsh_sigint_flag || ipcsh_terminate_flag; }
/* SIGTERM/SIGHUP: the signal that asked the session to end (0: none); take clears it. */
int ipcsh_terminate_signal(void);
int ipcsh_take_terminate(void);
/* The session is to end as if signo had come (SIGPIPE: stdout's reader is gone). */
void ipcsh_request_terminate(int signo);
/* After fork() in a child: a fresh self-pipe, so the child's signals do not wake the parent. */
int ipcsh_signals_reinit_in_child(void);
/* In a forked child: TERM and HUP kill it as they would any process (kill child1 says so);
   unblocks them (see ipcsh_fork). */
void ipcsh_terminate_default_in_child(void);
/* Reset SIGINT/SIGTERM/SIGHUP/SIGPIPE/SIGCHLD to their defaults. */
void ipcsh_signals_reset_defaults(void);
/* Arms a one-shot SIGALRM after `ms` milliseconds (0 disarms); its handler only interrupts. */
int ipcsh_alarm_ms(long ms);
/* Like ipcsh_alarm_ms, then again every interval_ms until disarmed (ms = 0). */
int ipcsh_alarm_repeating_ms(long ms, long interval_ms);
/* True if SIGALRM fired since the last call (and clears it). */
int ipcsh_take_alarm(void);

/* ---- signals the user handles (signal on|wait|send|ignore|default|block|unblock|pending) ---- */

/* SIGRTMIN and SIGRTMAX (glibc reserves the first few real-time signals: they are functions). */
int ipcsh_sigrtmin(void);
int ipcsh_sigrtmax(void);
/* kill, or sigqueue with a value. */
int ipcsh_sigqueue(int pid, int sig, int value);
/* `signal on SIG`: an SA_SIGINFO handler that only records (signal, sender, value) in a ring and
   wakes the self-pipe; the shell runs the block between commands. */
int ipcsh_signal_catch(int sig);
/* Takes the oldest recorded signal: 1 and its fields, or 0 when there is none. */
int ipcsh_signal_take(int *sig, int *pid, int *value);
/* The ring's ends: the handler moves the head, the shell the tail (ipcsh_signal_take). */
extern volatile sig_atomic_t ipcsh_caught_head, ipcsh_caught_tail;
/* Whether any caught signal waits to be handled (inline: read before and after every command). */
static inline int ipcsh_signal_caught_pending(void) { return ipcsh_caught_tail != ipcsh_caught_head; }
/* disposition: 0 SIG_DFL, 1 SIG_IGN. */
int ipcsh_signal_disposition(int sig, int disposition);
/* how: SIG_BLOCK or SIG_UNBLOCK, for one signal. */
int ipcsh_signal_mask(int how, int sig);
/* sigpending: out[n] = 1 when signal n (1..64) is pending; returns 0 or -1. */
int ipcsh_signal_pending(unsigned char out[65]);
/* sigtimedwait on the n signals (blocked for the wait, as it needs): the signal, or -1 (EAGAIN
   on timeout, EINTR on Ctrl-C). timeout_ms < 0: no timeout. */
int ipcsh_sigtimedwait(const int *sigs, int n, long timeout_ms, int *pid, int *value);

/* ---- processes ---- */

/* posix_spawn(p) with stdin/stdout/stderr set to the given descriptors (-1: inherit),
   default signal dispositions, an empty signal mask and, if new_group, its own process group.
   Returns 0 and the pid, or an errno value. */
int ipcsh_spawn(const char *path, char *const argv[], int search_path,
                int stdin_fd, int stdout_fd, int stderr_fd, int new_group, pid_t *pid_out);
/* fflush(NULL): before fork, and before a child's _exit. */
int ipcsh_fflush_all(void);
/* fork() with SIGTERM/SIGHUP blocked; the child keeps them blocked until
   ipcsh_terminate_default_in_child (so a kill right after fork is not lost). */
pid_t ipcsh_fork(void);
/* Wait-status macros. */
int ipcsh_wifexited(int status);
int ipcsh_wexitstatus(int status);
int ipcsh_wifsignaled(int status);
int ipcsh_wtermsig(int status);
int ipcsh_wifstopped(int status);
int ipcsh_wstopsig(int status);
int ipcsh_wifcontinued(int status);

/* ---- descriptors ---- */

/* pipe2 needs _GNU_SOURCE, which the Swift importer does not set. */
int ipcsh_pipe2(int fds[2], int flags);
/* read()/write() that never wait: preadv2/pwritev2(..., -1, RWF_NOWAIT) (_GNU_SOURCE). -1 with
   EAGAIN when the call would wait, EOPNOTSUPP where the file does not support it (a FIFO). */
long ipcsh_read_nowait(int fd, void *buf, unsigned long count);
long ipcsh_write_nowait(int fd, const void *buf, unsigned long count);

/* ---- System V shared memory ---- */

/* shmat reports failure as (void *)-1, which Swift cannot compare safely: NULL instead, errno kept. */
void *ipcsh_shmat(int shmid, int readonly);

/* ---- System V semaphore sets ---- */

/* semctl is variadic (its fourth argument a union semun): one call per command. Each returns
   what semctl does (-1 with errno set on failure). */
int ipcsh_semctl_setval(int semid, int semnum, int value);
int ipcsh_semctl_get(int semid, int semnum, int cmd); /* GETVAL, GETNCNT, GETZCNT, GETPID */
int ipcsh_semctl_setall(int semid, const unsigned short *values);
int ipcsh_semctl_getall(int semid, unsigned short *values);
int ipcsh_semctl_rmid(int semid);
/* IPC_STAT, the fields ipcsh shows. */
typedef struct {
    int key;
    unsigned int mode;
    unsigned int uid, gid, cuid;
    unsigned long nsems;
    long otime, ctime;
} ipcsh_sem_status;
int ipcsh_semctl_stat(int semid, ipcsh_sem_status *out);
/* semop, or semtimedop (needs _GNU_SOURCE) when timeout_ms >= 0. ops: n triples of
   (sem_num, sem_op, sem_flg). */
int ipcsh_semop(int semid, const short *ops, size_t n, long timeout_ms);
/* The kernel's largest semaphore value (SEMVMX). */
int ipcsh_semvmx(void);

/* ---- System V message queues ---- */

/* IPC_STAT, the fields ipcsh shows. */
typedef struct {
    int key;
    unsigned int mode;
    unsigned int uid, gid, cuid;
    unsigned long qnum, qbytes;
    int lspid, lrpid;
    long stime, rtime, ctime;
} ipcsh_msg_status;
int ipcsh_msgctl_stat(int msqid, ipcsh_msg_status *out);
/* MSG_EXCEPT and MSG_NOERROR (GNU). */
int ipcsh_msg_except(void);
int ipcsh_msg_noerror(void);

/* ---- POSIX message queues, semaphores, shared memory; mappings; eventfd ---- */

/* mq_open; maxmsg/msgsize <= 0: the system's defaults (NULL attributes). An mqd_t is a
   descriptor on Linux (pollable). */
int ipcsh_mq_open(const char *name, int oflag, unsigned int mode, long maxmsg, long msgsize);
/* mq_send, or mq_timedsend with timeout_ms >= 0 (from now). */
int ipcsh_mq_send(int mqd, const void *buf, size_t len, unsigned int prio, long timeout_ms);
/* mq_receive, or mq_timedreceive with timeout_ms >= 0. */
long ipcsh_mq_receive(int mqd, void *buf, size_t len, unsigned int *prio, long timeout_ms);
int ipcsh_mq_getattr(int mqd, long *flags, long *maxmsg, long *msgsize, long *curmsgs);
int ipcsh_mq_close(int mqd);
int ipcsh_mq_unlink(const char *name);
/* sem_open is variadic: NULL on failure (SEM_FAILED). */
void *ipcsh_sem_open(const char *name, int oflag, unsigned int mode, unsigned int value);
/* how: 0 sem_wait, 1 sem_trywait, 2 sem_timedwait(timeout_ms from now). */
int ipcsh_sem_wait(void *sem, int how, long timeout_ms);
int ipcsh_sem_post(void *sem);
int ipcsh_sem_getvalue(void *sem, int *value);
int ipcsh_sem_close(void *sem);
int ipcsh_sem_unlink(const char *name);
int ipcsh_shm_open(const char *name, int oflag, unsigned int mode);
int ipcsh_shm_unlink(const char *name);
/* memfd_create(name, MFD_CLOEXEC) (needs _GNU_SOURCE). */
int ipcsh_memfd_create(const char *name);
/* eventfd(value, EFD_CLOEXEC [| EFD_SEMAPHORE]). */
int ipcsh_eventfd(unsigned int value, int semaphore);
/* mmap(NULL, len, PROT_READ|PROT_WRITE, shared ? MAP_SHARED : MAP_PRIVATE, fd, 0): NULL on failure. */
void *ipcsh_mmap(size_t len, int fd, int shared);

/* ---- sockets ---- */

/* sizeof(sun_path) */
int ipcsh_sun_path_max(void);
/* Each returns a descriptor (close-on-exec) or -1 with errno set. type: SOCK_STREAM or SOCK_DGRAM. */
int ipcsh_unix_listen(const char *path, int type, int backlog);
int ipcsh_inet_listen(const char *ip, int port, int type, int backlog);
/* Starts a non-blocking connect; the descriptor is returned non-blocking (EINPROGRESS is success). */
int ipcsh_unix_connect_start(const char *path, int type);
int ipcsh_inet_connect_start(const char *ip, int port, int type);
/* After one of the calls above: 0 socket() ran last, 1 bind()/connect(), 2 listen(),
   3 connect() is in progress; and the descriptor socket() gave. */
int ipcsh_socket_stage(void);
int ipcsh_socket_fd(void);
/* The pending error of a non-blocking connect (0 when connected). */
int ipcsh_socket_error(int fd);
/* accept4(fd, NULL, NULL, SOCK_CLOEXEC), and with SOCK_NONBLOCK too. */
int ipcsh_accept(int fd);
int ipcsh_accept_nonblocking(int fd);
/* "127.0.0.1:5555", "/path/to/sock", "(unnamed)"; 0 or -1. peer != 0: getpeername. */
int ipcsh_socket_name(int fd, int peer, char *buf, size_t len);
int ipcsh_socket_type(int fd);
/* recvfrom with MSG_TRUNC, writing the sender as text into from. */
ssize_t ipcsh_recvfrom(int fd, void *buf, size_t len, char *from, size_t fromlen);
/* sendto an IPv4 address. */
ssize_t ipcsh_sendto_inet(int fd, const void *buf, size_t len, const char *ip, int port);

/* ---- descriptor passing (SCM_RIGHTS) ---- */

/* Send one descriptor with one byte of data (0 or -1); receive one (returns it, or -1). */
int ipcsh_send_fd(int sock, int fd);
int ipcsh_recv_fd(int sock);

/* ---- time ---- */

/* Monotonic clock in nanoseconds. */
uint64_t ipcsh_monotonic_ns(void);

/* ---- CPU placement (bench) ---- */

/* sched_getcpu, and sched_{get,set}affinity of the calling process as a byte mask of `len`
   bytes (bit N of byte N/8 is CPU N); all need _GNU_SOURCE. */
int ipcsh_current_cpu(void);
int ipcsh_affinity_get(unsigned char *mask, size_t len);
int ipcsh_affinity_set(const unsigned char *mask, size_t len);
/* prctl(PR_SET_PDEATHSIG, SIGKILL): a bench's child dies with the shell. */
/* memcpy's address: bench memcpy calls it through this pointer, which the Swift optimizer
   cannot see through (a copy nobody reads is still made), as the C benchmark calls it
   through a volatile pointer. */
typedef void *(*ipcsh_copy_function)(void *dst, const void *src, size_t n);
ipcsh_copy_function ipcsh_memcpy_function(void);
int ipcsh_die_with_parent(void);

/* ---- diagnostics ---- */

/* Bytes malloc has handed out and not had back (mallinfo2's uordblks): how the tests check
   that a call frees what it allocates. */
size_t ipcsh_heap_in_use(void);

#endif
