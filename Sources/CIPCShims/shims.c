/* The C side of IPCSys, by topic: errors, signals, processes, descriptors, shared memory,
   semaphore sets, message queues, sockets, descriptor passing, time. See CIPCShims.h for why each exists. */
#define _GNU_SOURCE
#include "CIPCShims.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <mqueue.h>
#include <semaphore.h>
#include <sys/eventfd.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/prctl.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- errors ---- */

const char *ipcsh_errno_name(int err) { return strerrorname_np(err); }

/* ---- signals ---- */

volatile sig_atomic_t ipcsh_sigint_flag = 0;
/* SIGTERM or SIGHUP: the session ends (as with Ctrl-D, after clean-up). Until taken, it also
   reads as a pending interrupt, so whatever blocks or runs stops as it does for Ctrl-C. */
volatile sig_atomic_t ipcsh_terminate_flag = 0;
static int signal_pipe[2] = {-1, -1};

static void on_signal(int signo) {
    int saved = errno;
    if (signo == SIGINT) ipcsh_sigint_flag = 1;
    if (signo == SIGTERM || signo == SIGHUP) ipcsh_terminate_flag = signo;
    if (signal_pipe[1] >= 0) {
        unsigned char b = (unsigned char)signo;
        ssize_t r = write(signal_pipe[1], &b, 1);
        (void)r;
    }
    errno = saved;
}

int ipcsh_signals_install(void) {
    if (signal_pipe[0] < 0) {
        if (pipe2(signal_pipe, O_NONBLOCK | O_CLOEXEC) != 0) return -1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: blocking calls must see EINTR */
    if (sigaction(SIGINT, &sa, NULL) != 0) return -1;
    if (sigaction(SIGTERM, &sa, NULL) != 0) return -1;
    if (sigaction(SIGHUP, &sa, NULL) != 0) return -1;
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    if (sigaction(SIGPIPE, &ign, NULL) != 0) return -1;
    return 0;
}

int ipcsh_signal_pipe_fd(void) { return signal_pipe[0]; }

int ipcsh_take_sigint(void) {
    int was = ipcsh_sigint_flag;
    ipcsh_sigint_flag = 0;
    return was || ipcsh_terminate_flag;
}

int ipcsh_terminate_signal(void) { return ipcsh_terminate_flag; }

void ipcsh_request_terminate(int signo) {
    if (!ipcsh_terminate_flag) ipcsh_terminate_flag = signo;
    if (signal_pipe[1] >= 0) {
        unsigned char b = (unsigned char)signo;
        ssize_t r = write(signal_pipe[1], &b, 1);
        (void)r;
    }
}

int ipcsh_take_terminate(void) {
    int was = ipcsh_terminate_flag;
    ipcsh_terminate_flag = 0;
    ipcsh_sigint_flag = 0;
    return was;
}

static void termination_signals(sigset_t *set) {
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGHUP);
}

void ipcsh_terminate_default_in_child(void) {
    /* TERM and HUP are blocked across the fork (ipcsh_fork), so kill child1 right after
       fork { } is not caught by the inherited handler. */
    int pending = ipcsh_terminate_flag;
    ipcsh_terminate_flag = 0;
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    /* A termination the parent had taken note of just before the fork ends the child too. */
    if (pending) raise(pending);
    /* ipcsh_fork left them blocked: one that came meanwhile is delivered now, and ends us. */
    sigset_t set;
    termination_signals(&set);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

void ipcsh_signal_pipe_drain(void) {
    unsigned char buf[64];
    if (signal_pipe[0] < 0) return;
    while (read(signal_pipe[0], buf, sizeof buf) > 0) {}
}

void ipcsh_signals_reset_defaults(void) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
}

static volatile sig_atomic_t alarm_fired = 0;

static void on_alarm(int signo) {
    (void)signo;
    alarm_fired = 1;
}

int ipcsh_signals_reinit_in_child(void) {
    if (signal_pipe[0] >= 0) close(signal_pipe[0]);
    if (signal_pipe[1] >= 0) close(signal_pipe[1]);
    signal_pipe[0] = signal_pipe[1] = -1;
    ipcsh_sigint_flag = 0;
    return pipe2(signal_pipe, O_NONBLOCK | O_CLOEXEC);
}

int ipcsh_sigchld_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* stops and continues too: wait reports a stopped child */
    return sigaction(SIGCHLD, &sa, NULL);
}

int ipcsh_alarm_ms(long ms) { return ipcsh_alarm_repeating_ms(ms, 0); }

int ipcsh_alarm_repeating_ms(long ms, long interval_ms) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: the blocking open must return EINTR */
    if (sigaction(SIGALRM, &sa, NULL) != 0) return -1;
    if (ms > 0) alarm_fired = 0; /* disarming keeps the flag for ipcsh_take_alarm */
    struct itimerval it;
    memset(&it, 0, sizeof it);
    it.it_value.tv_sec = ms / 1000;
    it.it_value.tv_usec = (ms % 1000) * 1000;
    if (ms > 0 && interval_ms > 0) {
        it.it_interval.tv_sec = interval_ms / 1000;
        it.it_interval.tv_usec = (interval_ms % 1000) * 1000;
    }
    return setitimer(ITIMER_REAL, &it, NULL);
}

int ipcsh_take_alarm(void) {
    int was = alarm_fired;
    alarm_fired = 0;
    return was;
}

/* ---- signals the user handles ---- */

int ipcsh_sigrtmin(void) { return SIGRTMIN; }
int ipcsh_sigrtmax(void) { return SIGRTMAX; }

int ipcsh_sigqueue(int pid, int sig, int value) {
    union sigval v;
    v.sival_int = value;
    return sigqueue((pid_t)pid, sig, v);
}

/* A ring of what arrived, written by the handler and read between commands. The handler is the
   only writer of `ipcsh_caught_head`, the shell the only writer of `ipcsh_caught_tail`; the shell blocks
   the caught signals while it reads, so the two never race on one slot. */
#define IPCSH_CAUGHT_MAX 256
static struct { int sig, pid, value; } caught[IPCSH_CAUGHT_MAX];
volatile sig_atomic_t ipcsh_caught_head = 0, ipcsh_caught_tail = 0;
static sigset_t caught_set;
static int caught_set_ready = 0;

static void on_caught(int signo, siginfo_t *info, void *context) {
    (void)context;
    int saved = errno;
    int next = (ipcsh_caught_head + 1) % IPCSH_CAUGHT_MAX;
    if (next != ipcsh_caught_tail) {
        caught[ipcsh_caught_head].sig = signo;
        caught[ipcsh_caught_head].pid = info ? (int)info->si_pid : 0;
        caught[ipcsh_caught_head].value = (info && info->si_code == SI_QUEUE) ? info->si_value.sival_int : 0;
        ipcsh_caught_head = next;
    }
    if (signal_pipe[1] >= 0) {
        unsigned char b = (unsigned char)signo;
        ssize_t r = write(signal_pipe[1], &b, 1);
        (void)r;
    }
    errno = saved;
}

int ipcsh_signal_catch(int sig) {
    if (!caught_set_ready) { sigemptyset(&caught_set); caught_set_ready = 1; }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_caught;
    sa.sa_flags = SA_SIGINFO; /* no SA_RESTART: a blocking call sees EINTR, as with Ctrl-C */
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0) return -1;
    sigaddset(&caught_set, sig);
    return 0;
}

int ipcsh_signal_take(int *sig, int *pid, int *value) {
    if (!caught_set_ready) return 0;
    sigset_t old;
    sigprocmask(SIG_BLOCK, &caught_set, &old);
    int found = 0;
    if (ipcsh_caught_tail != ipcsh_caught_head) {
        *sig = caught[ipcsh_caught_tail].sig;
        *pid = caught[ipcsh_caught_tail].pid;
        *value = caught[ipcsh_caught_tail].value;
        ipcsh_caught_tail = (ipcsh_caught_tail + 1) % IPCSH_CAUGHT_MAX;
        found = 1;
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    return found;
}

int ipcsh_signal_disposition(int sig, int disposition) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = disposition ? SIG_IGN : SIG_DFL;
    sigemptyset(&sa.sa_mask);
    if (caught_set_ready) sigdelset(&caught_set, sig);
    return sigaction(sig, &sa, NULL);
}

int ipcsh_signal_mask(int how, int sig) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    return sigprocmask(how, &set, NULL);
}

int ipcsh_signal_pending(unsigned char out[65]) {
    sigset_t set;
    if (sigpending(&set) != 0) return -1;
    for (int i = 0; i < 65; i++) out[i] = (i >= 1 && sigismember(&set, i) == 1) ? 1 : 0;
    return 0;
}

int ipcsh_sigtimedwait(const int *sigs, int n, long timeout_ms, int *pid, int *value) {
    sigset_t set, old;
    sigemptyset(&set);
    for (int i = 0; i < n; i++) sigaddset(&set, sigs[i]);
    sigprocmask(SIG_BLOCK, &set, &old);
    siginfo_t info;
    memset(&info, 0, sizeof info);
    int r;
    if (timeout_ms < 0) {
        r = sigwaitinfo(&set, &info);
    } else {
        struct timespec ts = { timeout_ms / 1000, (timeout_ms % 1000) * 1000000L };
        r = sigtimedwait(&set, &info, &ts);
    }
    int saved = errno;
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (r > 0) {
        *pid = (int)info.si_pid;
        *value = info.si_code == SI_QUEUE ? info.si_value.sival_int : 0;
    }
    errno = saved;
    return r;
}

/* ---- processes ---- */

int ipcsh_spawn(const char *path, char *const argv[], int search_path,
                int stdin_fd, int stdout_fd, int stderr_fd, int new_group, pid_t *pid_out) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    if (stdin_fd >= 0) posix_spawn_file_actions_adddup2(&actions, stdin_fd, 0);
    if (stdout_fd >= 0) posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
    if (stderr_fd >= 0) posix_spawn_file_actions_adddup2(&actions, stderr_fd, 2);
    /* Nothing but stdio crosses into the new program, whatever this process inherited. */
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    /* Every signal at its default (what `signal ignore` or `signal on` set is the shell's), and
       an empty mask (what `signal block` blocked too). */
    sigset_t defaults, empty;
    sigfillset(&defaults);
    sigdelset(&defaults, SIGKILL);
    sigdelset(&defaults, SIGSTOP);
    sigemptyset(&empty);
    short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
    if (new_group) {
        flags |= POSIX_SPAWN_SETPGROUP;
        posix_spawnattr_setpgroup(&attr, 0);
    }
    posix_spawnattr_setflags(&attr, flags);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setsigmask(&attr, &empty);
    extern char **environ;
    int rc = search_path ? posix_spawnp(pid_out, path, &actions, &attr, argv, environ)
                         : posix_spawn(pid_out, path, &actions, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    return rc;
}

int ipcsh_fflush_all(void) { return fflush(NULL); }

/* fork() with SIGTERM and SIGHUP blocked across it. In the child they stay blocked until
   ipcsh_terminate_default_in_child: until then the parent's handler is installed there, and
   would only set a flag that the child then clears, so a kill landing in that window was
   lost. The parent gets its mask back at once (a TERM meanwhile is delivered then). */
pid_t ipcsh_fork(void) {
    sigset_t set, saved;
    termination_signals(&set);
    sigprocmask(SIG_BLOCK, &set, &saved);
    pid_t pid = fork();
    if (pid != 0) {
        int e = errno;
        sigprocmask(SIG_SETMASK, &saved, NULL);
        errno = e;
    }
    return pid;
}

int ipcsh_wifexited(int status) { return WIFEXITED(status); }
int ipcsh_wexitstatus(int status) { return WEXITSTATUS(status); }
int ipcsh_wifsignaled(int status) { return WIFSIGNALED(status); }
int ipcsh_wtermsig(int status) { return WTERMSIG(status); }
int ipcsh_wifstopped(int status) { return WIFSTOPPED(status); }
int ipcsh_wstopsig(int status) { return WSTOPSIG(status); }
int ipcsh_wifcontinued(int status) { return WIFCONTINUED(status); }

/* ---- descriptors ---- */

int ipcsh_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }

long ipcsh_read_nowait(int fd, void *buf, unsigned long count) {
    struct iovec v = { buf, count };
    return preadv2(fd, &v, 1, -1, RWF_NOWAIT);
}

long ipcsh_write_nowait(int fd, const void *buf, unsigned long count) {
    struct iovec v = { (void *)buf, count };
    return pwritev2(fd, &v, 1, -1, RWF_NOWAIT);
}

/* ---- System V shared memory ---- */

void *ipcsh_shmat(int shmid, int readonly) {
    void *p = shmat(shmid, NULL, readonly ? SHM_RDONLY : 0);
    return p == (void *)-1 ? NULL : p;
}

/* ---- System V semaphore sets ---- */

union ipcsh_semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

int ipcsh_semctl_setval(int semid, int semnum, int value) {
    union ipcsh_semun arg;
    arg.val = value;
    return semctl(semid, semnum, SETVAL, arg);
}

int ipcsh_semctl_get(int semid, int semnum, int cmd) {
    return semctl(semid, semnum, cmd);
}

int ipcsh_semctl_setall(int semid, const unsigned short *values) {
    union ipcsh_semun arg;
    arg.array = (unsigned short *)values;
    return semctl(semid, 0, SETALL, arg);
}

int ipcsh_semctl_getall(int semid, unsigned short *values) {
    union ipcsh_semun arg;
    arg.array = values;
    return semctl(semid, 0, GETALL, arg);
}

int ipcsh_semctl_rmid(int semid) {
    return semctl(semid, 0, IPC_RMID);
}

int ipcsh_semctl_stat(int semid, ipcsh_sem_status *out) {
    struct semid_ds ds;
    union ipcsh_semun arg;
    arg.buf = &ds;
    if (semctl(semid, 0, IPC_STAT, arg) == -1) return -1;
    out->key = ds.sem_perm.__key;
    out->mode = ds.sem_perm.mode;
    out->uid = ds.sem_perm.uid;
    out->gid = ds.sem_perm.gid;
    out->cuid = ds.sem_perm.cuid;
    out->nsems = ds.sem_nsems;
    out->otime = (long)ds.sem_otime;
    out->ctime = (long)ds.sem_ctime;
    return 0;
}

int ipcsh_semop(int semid, const short *ops, size_t n, long timeout_ms) {
    struct sembuf buf[n > 0 ? n : 1];
    for (size_t i = 0; i < n; i++) {
        buf[i].sem_num = (unsigned short)ops[3 * i];
        buf[i].sem_op = ops[3 * i + 1];
        buf[i].sem_flg = ops[3 * i + 2];
    }
    if (timeout_ms < 0) return semop(semid, buf, n);
    struct timespec ts = { timeout_ms / 1000, (timeout_ms % 1000) * 1000000L };
    return semtimedop(semid, buf, n, &ts);
}

/* linux/sem.h has it; glibc does not: the kernel's value since 2.6. */
#ifndef SEMVMX
#define SEMVMX 32767
#endif
int ipcsh_semvmx(void) { return SEMVMX; }

/* ---- System V message queues ---- */

int ipcsh_msgctl_stat(int msqid, ipcsh_msg_status *out) {
    struct msqid_ds ds;
    if (msgctl(msqid, IPC_STAT, &ds) == -1) return -1;
    out->key = ds.msg_perm.__key;
    out->mode = ds.msg_perm.mode;
    out->uid = ds.msg_perm.uid;
    out->gid = ds.msg_perm.gid;
    out->cuid = ds.msg_perm.cuid;
    out->qnum = ds.msg_qnum;
    out->qbytes = ds.msg_qbytes;
    out->lspid = ds.msg_lspid;
    out->lrpid = ds.msg_lrpid;
    out->stime = (long)ds.msg_stime;
    out->rtime = (long)ds.msg_rtime;
    out->ctime = (long)ds.msg_ctime;
    return 0;
}

int ipcsh_msg_except(void) { return MSG_EXCEPT; }
int ipcsh_msg_noerror(void) { return MSG_NOERROR; }

/* ---- POSIX message queues, semaphores, shared memory; mappings; eventfd ---- */

static struct timespec ipcsh_deadline(long timeout_ms) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) { ts.tv_sec += 1; ts.tv_nsec -= 1000000000L; }
    return ts;
}

int ipcsh_mq_open(const char *name, int oflag, unsigned int mode, long maxmsg, long msgsize) {
    if (!(oflag & O_CREAT)) return mq_open(name, oflag | O_CLOEXEC);
    if (maxmsg <= 0 && msgsize <= 0) return mq_open(name, oflag | O_CLOEXEC, (mode_t)mode, NULL);
    struct mq_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.mq_maxmsg = maxmsg > 0 ? maxmsg : 10;
    attr.mq_msgsize = msgsize > 0 ? msgsize : 8192;
    return mq_open(name, oflag | O_CLOEXEC, (mode_t)mode, &attr);
}

int ipcsh_mq_send(int mqd, const void *buf, size_t len, unsigned int prio, long timeout_ms) {
    if (timeout_ms < 0) return mq_send(mqd, buf, len, prio);
    struct timespec ts = ipcsh_deadline(timeout_ms);
    return mq_timedsend(mqd, buf, len, prio, &ts);
}

long ipcsh_mq_receive(int mqd, void *buf, size_t len, unsigned int *prio, long timeout_ms) {
    if (timeout_ms < 0) return (long)mq_receive(mqd, buf, len, prio);
    struct timespec ts = ipcsh_deadline(timeout_ms);
    return (long)mq_timedreceive(mqd, buf, len, prio, &ts);
}

int ipcsh_mq_getattr(int mqd, long *flags, long *maxmsg, long *msgsize, long *curmsgs) {
    struct mq_attr attr;
    if (mq_getattr(mqd, &attr) == -1) return -1;
    *flags = attr.mq_flags;
    *maxmsg = attr.mq_maxmsg;
    *msgsize = attr.mq_msgsize;
    *curmsgs = attr.mq_curmsgs;
    return 0;
}

int ipcsh_mq_close(int mqd) { return mq_close(mqd); }
int ipcsh_mq_unlink(const char *name) { return mq_unlink(name); }

void *ipcsh_sem_open(const char *name, int oflag, unsigned int mode, unsigned int value) {
    sem_t *sem = (oflag & O_CREAT) ? sem_open(name, oflag, (mode_t)mode, value) : sem_open(name, oflag);
    return sem == SEM_FAILED ? NULL : (void *)sem;
}

int ipcsh_sem_wait(void *sem, int how, long timeout_ms) {
    if (how == 1) return sem_trywait((sem_t *)sem);
    if (how == 2) {
        struct timespec ts = ipcsh_deadline(timeout_ms);
        return sem_timedwait((sem_t *)sem, &ts);
    }
    return sem_wait((sem_t *)sem);
}

int ipcsh_sem_post(void *sem) { return sem_post((sem_t *)sem); }
int ipcsh_sem_getvalue(void *sem, int *value) { return sem_getvalue((sem_t *)sem, value); }
int ipcsh_sem_close(void *sem) { return sem_close((sem_t *)sem); }
int ipcsh_sem_unlink(const char *name) { return sem_unlink(name); }
int ipcsh_shm_open(const char *name, int oflag, unsigned int mode) { return shm_open(name, oflag | O_CLOEXEC, (mode_t)mode); }
int ipcsh_shm_unlink(const char *name) { return shm_unlink(name); }
int ipcsh_memfd_create(const char *name) { return memfd_create(name, MFD_CLOEXEC); }
int ipcsh_eventfd(unsigned int value, int semaphore) { return eventfd(value, EFD_CLOEXEC | (semaphore ? EFD_SEMAPHORE : 0)); }

void *ipcsh_mmap(size_t len, int fd, int shared) {
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* ---- sockets ---- */

int ipcsh_sun_path_max(void) { struct sockaddr_un a; return (int)sizeof a.sun_path; }

static int fill_unix(struct sockaddr_un *a, const char *path) {
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof a->sun_path) { errno = ENAMETOOLONG; return -1; }
    strcpy(a->sun_path, path);
    return 0;
}

static int fill_inet(struct sockaddr_in *a, const char *ip, int port) {
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_port = htons((unsigned short)port);
    if (inet_pton(AF_INET, ip, &a->sin_addr) != 1) { errno = EINVAL; return -1; }
    return 0;
}

/* Which call of a socket+bind+listen (or socket+connect) sequence ran last, and the
   descriptor socket() gave, so that the trace can show each call on its own line. */
static int socket_stage = 0;
static int socket_fd = -1;
int ipcsh_socket_stage(void) { return socket_stage; }
int ipcsh_socket_fd(void) { return socket_fd; }

int ipcsh_unix_listen(const char *path, int type, int backlog) {
    struct sockaddr_un a;
    socket_stage = 0; socket_fd = -1;
    if (fill_unix(&a, path) != 0) return -1;
    int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    socket_fd = fd; socket_stage = 1;
    mode_t old = umask(0177); /* the socket file is created 0600 */
    int rc = bind(fd, (struct sockaddr *)&a, sizeof a);
    umask(old);
    if (rc == 0) socket_stage = 2;
    if (rc != 0 || (type == SOCK_STREAM && listen(fd, backlog) != 0)) {
        int e = errno; close(fd); errno = e; return -1;
    }
    return fd;
}

int ipcsh_inet_listen(const char *ip, int port, int type, int backlog) {
    struct sockaddr_in a;
    socket_stage = 0; socket_fd = -1;
    if (fill_inet(&a, ip, port) != 0) return -1;
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    socket_fd = fd; socket_stage = 1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int rc = bind(fd, (struct sockaddr *)&a, sizeof a);
    if (rc == 0) socket_stage = 2;
    if (rc != 0 || (type == SOCK_STREAM && listen(fd, backlog) != 0)) {
        int e = errno; close(fd); errno = e; return -1;
    }
    return fd;
}

int ipcsh_unix_connect_start(const char *path, int type) {
    struct sockaddr_un a;
    socket_stage = 0; socket_fd = -1;
    if (fill_unix(&a, path) != 0) return -1;
    int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    socket_fd = fd; socket_stage = 1;
    /* A unix connect never is "in progress": EAGAIN means the listen backlog is full and the
       socket stays unconnected, so it is an error here (a later poll would say writable anyway). */
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS) {
        int e = errno; close(fd); errno = e; return -1;
    }
    return fd;
}

int ipcsh_inet_connect_start(const char *ip, int port, int type) {
    struct sockaddr_in a;
    socket_stage = 0; socket_fd = -1;
    if (fill_inet(&a, ip, port) != 0) return -1;
    int fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    socket_fd = fd; socket_stage = 1;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (errno != EINPROGRESS) { int e = errno; close(fd); errno = e; return -1; }
        socket_stage = 3; /* in progress */
    }
    return fd;
}

int ipcsh_socket_error(int fd) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
    return err;
}

int ipcsh_accept(int fd) { return accept4(fd, NULL, NULL, SOCK_CLOEXEC); }
int ipcsh_accept_nonblocking(int fd) { return accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK); }

static void describe(const struct sockaddr_storage *s, socklen_t len, char *buf, size_t cap) {
    if (s->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)s;
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
        snprintf(buf, cap, "%s:%d", ip, ntohs(in->sin_port));
    } else if (s->ss_family == AF_UNIX) {
        const struct sockaddr_un *un = (const struct sockaddr_un *)s;
        if (len <= sizeof(sa_family_t) || un->sun_path[0] == 0) snprintf(buf, cap, "(unnamed)");
        else snprintf(buf, cap, "%s", un->sun_path);
    } else {
        snprintf(buf, cap, "(family %d)", s->ss_family);
    }
}

int ipcsh_socket_name(int fd, int peer, char *buf, size_t cap) {
    struct sockaddr_storage s;
    socklen_t len = sizeof s;
    memset(&s, 0, sizeof s);
    int rc = peer ? getpeername(fd, (struct sockaddr *)&s, &len) : getsockname(fd, (struct sockaddr *)&s, &len);
    if (rc != 0) return -1;
    describe(&s, len, buf, cap);
    return 0;
}

int ipcsh_socket_type(int fd) {
    int type = 0;
    socklen_t len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) return -1;
    return type;
}

ssize_t ipcsh_recvfrom(int fd, void *buf, size_t len, char *from, size_t fromlen) {
    struct sockaddr_storage s;
    socklen_t slen = sizeof s;
    memset(&s, 0, sizeof s);
    /* MSG_TRUNC: the datagram's real length, even when it was longer than buf. */
    ssize_t n = recvfrom(fd, buf, len, MSG_TRUNC, (struct sockaddr *)&s, &slen);
    if (n >= 0) describe(&s, slen, from, fromlen);
    return n;
}

ssize_t ipcsh_sendto_inet(int fd, const void *buf, size_t len, const char *ip, int port) {
    struct sockaddr_in a;
    if (fill_inet(&a, ip, port) != 0) return -1;
    return sendto(fd, buf, len, 0, (struct sockaddr *)&a, sizeof a);
}

/* ---- descriptor passing (SCM_RIGHTS) ---- */

int ipcsh_send_fd(int sock, int fd) {
    char byte = 'F';
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

int ipcsh_recv_fd(int sock) {
    char byte;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } control;
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0) return -1;
    if (n == 0) { errno = ECONNRESET; return -1; }
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) { errno = EBADMSG; return -1; }
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof(int));
    return fd;
}

/* ---- time ---- */

uint64_t ipcsh_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- diagnostics ---- */

size_t ipcsh_heap_in_use(void) { return mallinfo2().uordblks; }

/* ---- CPU placement (bench) ---- */

int ipcsh_current_cpu(void) { return sched_getcpu(); }

int ipcsh_affinity_get(unsigned char *mask, size_t len) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
    memset(mask, 0, len);
    for (size_t cpu = 0; cpu < len * 8 && cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &set)) mask[cpu / 8] |= (unsigned char)(1u << (cpu % 8));
    return 0;
}

int ipcsh_affinity_set(const unsigned char *mask, size_t len) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (size_t cpu = 0; cpu < len * 8 && cpu < CPU_SETSIZE; cpu++)
        if (mask[cpu / 8] & (1u << (cpu % 8))) CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set);
}

ipcsh_copy_function ipcsh_memcpy_function(void) { return memcpy; }

int ipcsh_die_with_parent(void) { return prctl(PR_SET_PDEATHSIG, SIGKILL); }
