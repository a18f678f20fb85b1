/*
 * ipcbench.c - reference benchmark for Linux IPC mechanisms.
 *
 * This is the yardstick for ipcsh's `bench` command: the shell measures the same
 * mechanisms with the same method, and on the same machine with the same CPU placement
 * the two must agree within 10% (scripts/bench-vs-c.sh runs both side by side).
 *
 * usage: ipcbench MECH [--mode latency|throughput] [--size N] [--count N]
 *                      [--warmup N] [--cpus A,B] [--json]
 *   MECH: pipe fifo unix tcp udp shm mq pmq memcpy
 *
 * Method.  The measuring process (the parent) forks a peer (the child).
 *   latency:    warmup + count rounds; in each the parent sends SIZE bytes, the child
 *               receives them all and sends SIZE bytes back, the parent receives them
 *               all.  Each timed round trip is halved: the report is the one-way time
 *               (median, p99, min, max in microseconds).
 *   throughput: the child sends warmup + count messages of SIZE bytes.  The parent's
 *               clock starts once it has received the warm-up messages and stops when
 *               it has received the last one.
 *   memcpy:     no child; the time of memcpy() between two buffers, as a baseline.
 * With --cpus A,B the parent runs on CPU A and the child on CPU B.  Without it the
 * scheduler places them, and the report says in which fraction of the timed rounds
 * both were on the same CPU (same_cpu).
 *
 * Build: cc -O2 -Wall -Wextra -Werror -o ipcbench ipcbench.c
 * Exit status: 0 success, 1 a system call failed, 2 bad command line.
 */
#define _GNU_SOURCE /* sched_getcpu, sched_setaffinity, CPU_SET */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB ((size_t)1024 * 1024)
#define MAX_SIZE (64 * MIB)            /* largest message, any mechanism */
#define MAX_ROUNDS 100000000ULL        /* largest --count and --warmup */
#define MAX_UDP_SIZE 65507             /* 65535 - 8 (UDP header) - 20 (IPv4 header) */
#define SHM_RING_SLOTS 4               /* shm throughput: slots in the ring */
#define UDP_TIMEOUT_SECONDS 2          /* udp: a datagram not there by then is lost */

/* ---- Mechanisms ------------------------------------------------------------------- */

enum mechanism { PIPE, FIFO, UNIX, TCP, UDP, SHM, MQ, PMQ, MEMCPY, MECHANISM_COUNT };

static const char *const mechanism_names[MECHANISM_COUNT] = {
    "pipe", "fifo", "unix", "tcp", "udp", "shm", "mq", "pmq", "memcpy",
};

/* ---- Command line ------------------------------------------------------------------ */

struct options {
    enum mechanism mech;
    int throughput;          /* 0: latency mode, 1: throughput mode */
    size_t size;             /* bytes per message */
    size_t count;            /* timed rounds (latency) or messages (throughput) */
    size_t warmup;           /* untimed rounds or messages before them */
    int pinned;              /* --cpus given */
    int parent_cpu, child_cpu;
    int json;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ipcbench MECH [--mode latency|throughput] [--size N] [--count N]\n"
            "                     [--warmup N] [--cpus A,B] [--json]\n"
            "  MECH: pipe fifo unix tcp udp shm mq pmq memcpy\n");
}

/* A bad command line: one line on stderr saying what was wrong, exit status 2. */
static void usage_error(const char *format, ...)
{
    va_list ap;
    fputs("ipcbench: ", stderr);
    va_start(ap, format);
    vfprintf(stderr, format, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

/* A whole decimal number, at most `max`. */
static unsigned long long parse_number(const char *option, const char *text,
                                       unsigned long long max)
{
    char *end;
    unsigned long long value;

    if (text[0] < '0' || text[0] > '9')
        usage_error("%s: '%s' is not a whole number", option, text);
    errno = 0;
    value = strtoull(text, &end, 10);
    if (*end != '\0')
        usage_error("%s: '%s' is not a whole number", option, text);
    if (errno == ERANGE)
        usage_error("%s: %s is too large", option, text);
    if (value > max)
        usage_error("%s: %s is above the limit (%llu)", option, text, max);
    return value;
}

/* --cpus A,B: both must exist and be CPUs this process may run on. */
static void parse_cpus(const char *text, struct options *o)
{
    char *comma = strchr(text, ',');
    char first[32];
    long configured = sysconf(_SC_NPROCESSORS_CONF);
    cpu_set_t allowed;
    int cpus[2], i;

    if (comma == NULL || (size_t)(comma - text) >= sizeof first)
        usage_error("--cpus: expected two CPU numbers A,B, got '%s'", text);
    memcpy(first, text, (size_t)(comma - text));
    first[comma - text] = '\0';
    cpus[0] = (int)parse_number("--cpus", first, 1000000);
    cpus[1] = (int)parse_number("--cpus", comma + 1, 1000000);

    if (sched_getaffinity(0, sizeof allowed, &allowed) == -1) {
        perror("ipcbench: sched_getaffinity");
        exit(1);
    }
    for (i = 0; i < 2; i++) {
        if (cpus[i] >= configured)
            usage_error("--cpus: CPU %d does not exist (this machine has %ld configured CPUs, 0-%ld)",
                        cpus[i], configured, configured - 1);
        if (cpus[i] >= CPU_SETSIZE || !CPU_ISSET(cpus[i], &allowed))
            usage_error("--cpus: CPU %d is not in this process's allowed CPU set", cpus[i]);
    }
    o->pinned = 1;
    o->parent_cpu = cpus[0];
    o->child_cpu = cpus[1];
}

/* A number from a /proc/sys file (a kernel limit). */
static size_t read_kernel_limit(const char *path)
{
    FILE *f = fopen(path, "r");
    long value;

    if (f == NULL) {
        fprintf(stderr, "ipcbench: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    if (fscanf(f, "%ld", &value) != 1 || value < 1) {
        fprintf(stderr, "ipcbench: %s: not a positive number\n", path);
        exit(1);
    }
    fclose(f);
    return (size_t)value;
}

static void parse_options(int argc, char **argv, struct options *o)
{
    const char *mech = NULL, *mode = "latency";
    int have_count = 0, have_warmup = 0, i, m;

    memset(o, 0, sizeof *o);
    o->size = 64;
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage(stdout);
            exit(0);
        }
        if (strcmp(arg, "--json") == 0) {
            o->json = 1;
            continue;
        }
        if (arg[0] != '-') {
            if (mech != NULL)
                usage_error("unexpected argument '%s' (one mechanism only)", arg);
            mech = arg;
            continue;
        }
        if (i + 1 >= argc)
            usage_error("%s: missing value", arg);
        if (strcmp(arg, "--mode") == 0)
            mode = argv[++i];
        else if (strcmp(arg, "--size") == 0)
            o->size = parse_number(arg, argv[++i], SIZE_MAX);
        else if (strcmp(arg, "--count") == 0) {
            o->count = parse_number(arg, argv[++i], MAX_ROUNDS);
            have_count = 1;
        } else if (strcmp(arg, "--warmup") == 0) {
            o->warmup = parse_number(arg, argv[++i], MAX_ROUNDS);
            have_warmup = 1;
        } else if (strcmp(arg, "--cpus") == 0)
            parse_cpus(argv[++i], o);
        else
            usage_error("unknown option '%s' (options: --mode --size --count --warmup --cpus --json)", arg);
    }

    if (mech == NULL)
        usage_error("no mechanism given (one of: pipe fifo unix tcp udp shm mq pmq memcpy)");
    for (m = 0; m < MECHANISM_COUNT; m++)
        if (strcmp(mech, mechanism_names[m]) == 0)
            break;
    if (m == MECHANISM_COUNT)
        usage_error("unknown mechanism '%s' (one of: pipe fifo unix tcp udp shm mq pmq memcpy)", mech);
    o->mech = (enum mechanism)m;

    if (strcmp(mode, "latency") == 0)
        o->throughput = 0;
    else if (strcmp(mode, "throughput") == 0)
        o->throughput = 1;
    else
        usage_error("--mode: '%s' is neither latency nor throughput", mode);

    /* Sizes: at least one byte, at most the mechanism's own limit and 64 MiB. */
    if (o->size == 0)
        usage_error("--size must be at least 1");
    if (o->mech == UDP && o->size > MAX_UDP_SIZE)
        usage_error("udp: size %zu is above the largest UDP datagram (%d)", o->size, MAX_UDP_SIZE);
    if (o->mech == MQ) {
        size_t limit = read_kernel_limit("/proc/sys/kernel/msgmax");
        if (o->size > limit)
            usage_error("mq: size %zu is above kernel.msgmax (%zu)", o->size, limit);
    }
    if (o->mech == PMQ) {
        size_t limit = read_kernel_limit("/proc/sys/fs/mqueue/msgsize_max");
        if (o->size > limit)
            usage_error("pmq: size %zu is above fs.mqueue.msgsize_max (%zu)", o->size, limit);
    }
    if (o->size > MAX_SIZE)
        usage_error("%s: size %zu is above the 64 MiB limit (%zu)", mech, o->size, MAX_SIZE);

    /* Default count: latency 10000 rounds; throughput about 512 MiB in all, but
     * between 100 and 100000 messages.  Default warm-up: a tenth, at least 10. */
    if (!have_count) {
        if (o->throughput) {
            size_t n = 512 * MIB / o->size;
            o->count = n < 100 ? 100 : n > 100000 ? 100000 : n;
        } else {
            o->count = 10000;
        }
    }
    if (o->count == 0)
        usage_error("--count must be at least 1");
    if (!have_warmup)
        o->warmup = o->count / 10 < 10 ? 10 : o->count / 10;
}

/* ---- Failure and clean-up ---------------------------------------------------------- */

/*
 * What must not outlive the program.  prepare() records each object here as it
 * creates it, and the record is cleared once the object is gone; remove_leftovers()
 * removes what is still recorded.  It runs on every exit path, including from the signal handlers
 * below, so it only makes system calls (no stdio, no malloc) unless asked to report.
 */
static char fifo_dir[64];              /* mkdtemp directory holding the FIFOs */
static char fifo_a[80], fifo_b[80];    /* FIFO a: parent -> child, b: child -> parent */
static volatile sig_atomic_t shm_id = -1;
static volatile sig_atomic_t msq_id = -1;
static char pmq_a[64], pmq_b[64];      /* POSIX queue names, a: parent -> child */

static volatile pid_t child_pid = 0;   /* the peer while it runs (parent only) */
static int in_child = 0;               /* set in the child right after fork() */

static void remove_leftovers(int report)
{
    if (fifo_a[0] != '\0' && unlink(fifo_a) == -1 && report)
        perror("ipcbench: unlink FIFO a");
    fifo_a[0] = '\0';
    if (fifo_b[0] != '\0' && unlink(fifo_b) == -1 && report)
        perror("ipcbench: unlink FIFO b");
    fifo_b[0] = '\0';
    if (fifo_dir[0] != '\0' && rmdir(fifo_dir) == -1 && report)
        perror("ipcbench: rmdir");
    fifo_dir[0] = '\0';
    if (shm_id != -1 && shmctl(shm_id, IPC_RMID, NULL) == -1 && report)
        perror("ipcbench: shmctl IPC_RMID");
    shm_id = -1;
    if (msq_id != -1 && msgctl(msq_id, IPC_RMID, NULL) == -1 && report)
        perror("ipcbench: msgctl IPC_RMID");
    msq_id = -1;
    if (pmq_a[0] != '\0' && mq_unlink(pmq_a) == -1 && report)
        perror("ipcbench: mq_unlink a");
    pmq_a[0] = '\0';
    if (pmq_b[0] != '\0' && mq_unlink(pmq_b) == -1 && report)
        perror("ipcbench: mq_unlink b");
    pmq_b[0] = '\0';
}

/* Keep the handlers below from running while the program exits on its own. */
static void block_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
}

/* Stop after an error that has been reported: the child just exits (the parent
 * notices and cleans up); the parent kills the child and removes every leftover. */
static void die(void)
{
    if (in_child)
        _exit(1);
    block_signals();
    if (child_pid > 0) {
        kill(child_pid, SIGKILL);
        waitpid(child_pid, NULL, 0);
        child_pid = 0;
    }
    remove_leftovers(0);
    exit(1);
}

/* A system call failed: perror and exit. */
static void fail(const char *what)
{
    int saved = errno;
    fputs(in_child ? "ipcbench (child): " : "ipcbench: ", stderr);
    errno = saved;
    perror(what);
    die();
}

/* Something other than a system call went wrong. */
static void fail_message(const char *format, ...)
{
    va_list ap;
    fputs(in_child ? "ipcbench (child): " : "ipcbench: ", stderr);
    va_start(ap, format);
    vfprintf(stderr, format, ap);
    va_end(ap);
    fputc('\n', stderr);
    die();
}

/* SIGCHLD in the parent: if the child failed, the parent may be blocked for ever
 * (in sem_wait, msgrcv, open of a FIFO...), so stop from here.  The child is only
 * looked at (WNOWAIT), not reaped: after a normal exit main() reaps it. */
static void on_child_exit(int sig)
{
    static const char message[] = "ipcbench: the child process failed\n";
    int saved = errno;
    siginfo_t info;

    (void)sig;
    memset(&info, 0, sizeof info);
    if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid != 0 &&
        !(info.si_code == CLD_EXITED && info.si_status == 0)) {
        ssize_t ignored = write(STDERR_FILENO, message, sizeof message - 1);
        (void)ignored;
        remove_leftovers(0);
        _exit(1);
    }
    errno = saved;
}

/* SIGINT, SIGTERM, SIGHUP in the parent: leave nothing behind. */
static void on_terminate(int sig)
{
    if (child_pid > 0)
        kill(child_pid, SIGKILL);
    remove_leftovers(0);
    _exit(128 + sig);
}

static void install_signal_handlers(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGCHLD);   /* one handler at a time */
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaddset(&sa.sa_mask, SIGHUP);
    sa.sa_flags = SA_RESTART;

    sa.sa_handler = on_terminate;
    if (sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGTERM, &sa, NULL) == -1 ||
        sigaction(SIGHUP, &sa, NULL) == -1)
        fail("sigaction");
    sa.sa_handler = on_child_exit;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    if (sigaction(SIGCHLD, &sa, NULL) == -1)
        fail("sigaction");
    /* A write to a peer that is gone fails with EPIPE instead of killing us. */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        fail("signal");
}

/* The child: default signal handling (the parent does the cleaning up). */
static void reset_signal_handlers(void)
{
    signal(SIGCHLD, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
}

/* ---- Small helpers ----------------------------------------------------------------- */

static int64_t now_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
        fail("clock_gettime");
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int current_cpu(void)
{
    int cpu = sched_getcpu();
    if (cpu == -1)
        fail("sched_getcpu");
    return cpu;
}

static void pin_to_cpu(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) == -1)
        fail("sched_setaffinity");
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (p == NULL)
        fail("malloc");
    return p;
}

/* The message contents: a byte pattern, written once. */
static void fill_pattern(char *buf, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        buf[i] = (char)(i & 0xff);
}

/* Signals are handled with SA_RESTART, but some calls are never restarted
 * (sem_wait, msgsnd, msgrcv, socket calls with a timeout): they fail with EINTR
 * and are simply called again. */

static void read_all(int fd, char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r == -1) {
            if (errno == EINTR)
                continue;
            fail("read");
        }
        if (r == 0)
            fail_message("read: the peer closed the connection");
        got += (size_t)r;
    }
}

static void write_all(int fd, const char *buf, size_t n)
{
    size_t put = 0;
    while (put < n) {
        ssize_t w = write(fd, buf + put, n - put);
        if (w == -1) {
            if (errno == EINTR)
                continue;
            fail("write");
        }
        put += (size_t)w;
    }
}

static void send_datagram(int fd, const char *buf, size_t n)
{
    ssize_t w;
    while ((w = send(fd, buf, n, 0)) == -1)
        if (errno != EINTR)
            fail("send");
    if ((size_t)w != n)
        fail_message("send: sent %zd of %zu bytes", w, n);
}

static void receive_datagram(int fd, char *buf, size_t n)
{
    ssize_t r;
    while ((r = recv(fd, buf, n, 0)) == -1) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            fail_message("udp: no datagram within %d s: a datagram was lost", UDP_TIMEOUT_SECONDS);
        if (errno != EINTR)
            fail("recv");
    }
    if ((size_t)r != n)
        fail_message("udp: received a datagram of %zd bytes, expected %zu", r, n);
}

static void semaphore_wait(sem_t *s)
{
    while (sem_wait(s) == -1)
        if (errno != EINTR)
            fail("sem_wait");
}

static void semaphore_post(sem_t *s)
{
    if (sem_post(s) == -1)
        fail("sem_post");
}

/* ---- Channels ---------------------------------------------------------------------- */

/* System V message: the type, then the bytes. */
struct sysv_message {
    long mtype;
    char mtext[];
};

/*
 * The shm segment starts with this header: two process-shared semaphores, each on
 * its own 64-byte cache line.  The message slots follow it (at offset 128), one
 * after another, `size` bytes each.
 *   latency:    first = "to child", second = "to parent", both start at 0;
 *               slot 0 carries parent -> child, slot 1 child -> parent.
 *   throughput: first = "free" (starts at 4), second = "full" (starts at 0);
 *               slots 0-3 are a ring, message i goes in slot i % 4.
 */
struct shm_header {
    _Alignas(64) sem_t first;
    _Alignas(64) sem_t second;
};

/* One direction of shared-memory traffic as one side sees it. */
struct shm_ring {
    char *slots;             /* the first slot */
    size_t slot_count;       /* 1 for latency, 4 for throughput */
    size_t next;             /* messages passed so far: the next slot is next % slot_count */
    sem_t *ready;            /* posted when a message is in its slot */
    sem_t *space;            /* posted when a slot is free again (throughput only) */
};

/* One side's end of the mechanism: how it sends and receives a message. */
struct channel {
    enum mechanism mech;
    size_t size;
    char *send_buf;          /* the message this side sends, filled once */
    char *recv_buf;          /* where this side receives, allocated once */
    int rfd, wfd;            /* pipe, fifo, unix, tcp, udp (a socket: rfd == wfd) */
    int msqid;               /* mq */
    struct sysv_message *mq_send, *mq_recv;  /* mq: send_buf/recv_buf are their mtext */
    long recv_type;          /* mq: the mtype this side receives */
    mqd_t pmq_send, pmq_recv;                /* pmq */
    struct shm_ring shm_send, shm_recv;      /* shm */
};

/* Every mechanism's objects, made by the parent before fork() so both inherit them. */
struct setup {
    int to_child[2], to_parent[2];      /* pipe */
    int parent_socket, child_socket;    /* unix, udp */
    int listener;                       /* tcp */
    struct sockaddr_in tcp_address;     /* tcp: where the listener is */
    struct shm_header *shm;             /* shm: the attached segment */
    int msqid;                          /* mq */
    mqd_t pmq_a, pmq_b;                 /* pmq: a parent -> child, b child -> parent */
};

static void set_nodelay(int fd)
{
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == -1)
        fail("setsockopt TCP_NODELAY");
}

/* A UDP socket bound to 127.0.0.1 on a port of the kernel's choosing. */
static int udp_socket(struct sockaddr_in *address)
{
    struct timeval timeout = {UDP_TIMEOUT_SECONDS, 0};
    socklen_t length = sizeof *address;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);

    if (fd == -1)
        fail("socket");
    memset(address, 0, sizeof *address);
    address->sin_family = AF_INET;
    address->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address->sin_port = 0;
    if (bind(fd, (struct sockaddr *)address, sizeof *address) == -1)
        fail("bind");
    if (getsockname(fd, (struct sockaddr *)address, &length) == -1)
        fail("getsockname");
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) == -1)
        fail("setsockopt SO_RCVTIMEO");
    return fd;
}

/* Before fork(): create the mechanism's objects. */
static void prepare(const struct options *o, struct setup *s)
{
    memset(s, 0, sizeof *s);
    s->pmq_a = s->pmq_b = (mqd_t)-1;
    switch (o->mech) {
    case PIPE:
        if (!o->throughput && pipe(s->to_child) == -1)
            fail("pipe");
        if (pipe(s->to_parent) == -1)
            fail("pipe");
        break;

    case FIFO:
        strcpy(fifo_dir, "/tmp/ipcbench.XXXXXX");
        if (mkdtemp(fifo_dir) == NULL) {
            fifo_dir[0] = '\0';
            fail("mkdtemp");
        }
        if (!o->throughput) {
            snprintf(fifo_a, sizeof fifo_a, "%s/a", fifo_dir);
            if (mkfifo(fifo_a, 0600) == -1) {
                fifo_a[0] = '\0';
                fail("mkfifo");
            }
        }
        snprintf(fifo_b, sizeof fifo_b, "%s/b", fifo_dir);
        if (mkfifo(fifo_b, 0600) == -1) {
            fifo_b[0] = '\0';
            fail("mkfifo");
        }
        break;

    case UNIX: {
        int pair[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == -1)
            fail("socketpair");
        s->parent_socket = pair[0];
        s->child_socket = pair[1];
        break;
    }

    case TCP: {
        socklen_t length = sizeof s->tcp_address;
        s->listener = socket(AF_INET, SOCK_STREAM, 0);
        if (s->listener == -1)
            fail("socket");
        s->tcp_address.sin_family = AF_INET;
        s->tcp_address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        s->tcp_address.sin_port = 0;
        if (bind(s->listener, (struct sockaddr *)&s->tcp_address, sizeof s->tcp_address) == -1)
            fail("bind");
        if (listen(s->listener, 1) == -1)
            fail("listen");
        if (getsockname(s->listener, (struct sockaddr *)&s->tcp_address, &length) == -1)
            fail("getsockname");
        break;
    }

    case UDP: {
        struct sockaddr_in parent_address, child_address;
        s->parent_socket = udp_socket(&parent_address);
        s->child_socket = udp_socket(&child_address);
        if (connect(s->parent_socket, (struct sockaddr *)&child_address, sizeof child_address) == -1 ||
            connect(s->child_socket, (struct sockaddr *)&parent_address, sizeof parent_address) == -1)
            fail("connect");
        break;
    }

    case SHM: {
        size_t slots = o->throughput ? SHM_RING_SLOTS : 2;
        int id = shmget(IPC_PRIVATE, sizeof(struct shm_header) + slots * o->size, IPC_CREAT | 0600);
        void *p;
        if (id == -1)
            fail("shmget");
        shm_id = id;
        p = shmat(id, NULL, 0);
        if (p == (void *)-1)
            fail("shmat");
        s->shm = p;
        if (sem_init(&s->shm->first, 1, o->throughput ? SHM_RING_SLOTS : 0) == -1 ||
            sem_init(&s->shm->second, 1, 0) == -1)
            fail("sem_init");
        break;
    }

    case MQ: {
        int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
        if (id == -1)
            fail("msgget");
        msq_id = id;
        s->msqid = id;
        break;
    }

    case PMQ: {
        struct mq_attr attr;
        size_t msg_max = read_kernel_limit("/proc/sys/fs/mqueue/msg_max");
        memset(&attr, 0, sizeof attr);
        attr.mq_maxmsg = msg_max < 10 ? (long)msg_max : 10;
        attr.mq_msgsize = (long)o->size;
        if (!o->throughput) {
            snprintf(pmq_a, sizeof pmq_a, "/ipcbench-%ld-a", (long)getpid());
            s->pmq_a = mq_open(pmq_a, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
            if (s->pmq_a == (mqd_t)-1) {
                pmq_a[0] = '\0';
                fail("mq_open");
            }
        }
        snprintf(pmq_b, sizeof pmq_b, "/ipcbench-%ld-b", (long)getpid());
        s->pmq_b = mq_open(pmq_b, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
        if (s->pmq_b == (mqd_t)-1) {
            pmq_b[0] = '\0';
            fail("mq_open");
        }
        break;
    }

    case MEMCPY:
    case MECHANISM_COUNT:
        break;
    }
}

/* The parent, right after fork(): the child holds its own attachment and queue
 * descriptors now, so the names can go; the objects live until both let go. */
static void remove_names_after_fork(const struct options *o)
{
    if (o->mech == SHM) {
        if (shmctl(shm_id, IPC_RMID, NULL) == -1)
            fail("shmctl IPC_RMID");
        shm_id = -1;
    }
    if (o->mech == PMQ) {
        if (pmq_a[0] != '\0' && mq_unlink(pmq_a) == -1)
            fail("mq_unlink");
        pmq_a[0] = '\0';
        if (mq_unlink(pmq_b) == -1)
            fail("mq_unlink");
        pmq_b[0] = '\0';
    }
}

static int open_or_fail(const char *path, int flags)
{
    int fd;
    while ((fd = open(path, flags)) == -1)
        if (errno != EINTR)
            fail(path);
    return fd;
}

/*
 * After fork(): each side takes its end.  Direction names: "a" and "to child" carry
 * parent -> child (latency only), "b" and "to parent" child -> parent.  In
 * throughput mode only the child -> parent direction exists.
 */
static void open_channel(const struct options *o, struct setup *s, int parent, struct channel *c)
{
    memset(c, 0, sizeof *c);
    c->mech = o->mech;
    c->size = o->size;
    c->rfd = c->wfd = -1;

    switch (o->mech) {
    case PIPE:
        if (parent) {
            c->rfd = s->to_parent[0];
            close(s->to_parent[1]);
            if (!o->throughput) {
                c->wfd = s->to_child[1];
                close(s->to_child[0]);
            }
        } else {
            c->wfd = s->to_parent[1];
            close(s->to_parent[0]);
            if (!o->throughput) {
                c->rfd = s->to_child[0];
                close(s->to_child[1]);
            }
        }
        break;

    case FIFO:
        /* open() of a FIFO blocks until the other end is opened too: both sides
         * open "a" first, then "b". */
        if (parent) {
            if (!o->throughput)
                c->wfd = open_or_fail(fifo_a, O_WRONLY);
            c->rfd = open_or_fail(fifo_b, O_RDONLY);
        } else {
            if (!o->throughput)
                c->rfd = open_or_fail(fifo_a, O_RDONLY);
            c->wfd = open_or_fail(fifo_b, O_WRONLY);
        }
        break;

    case UNIX:
    case UDP:
        c->rfd = c->wfd = parent ? s->parent_socket : s->child_socket;
        close(parent ? s->child_socket : s->parent_socket);
        break;

    case TCP:
        if (parent) {
            int fd;
            while ((fd = accept(s->listener, NULL, NULL)) == -1)
                if (errno != EINTR)
                    fail("accept");
            c->rfd = c->wfd = fd;
        } else {
            int fd = socket(AF_INET, SOCK_STREAM, 0);
            if (fd == -1)
                fail("socket");
            if (connect(fd, (struct sockaddr *)&s->tcp_address, sizeof s->tcp_address) == -1)
                fail("connect");
            c->rfd = c->wfd = fd;
        }
        close(s->listener);
        set_nodelay(c->rfd);
        break;

    case SHM: {
        char *slots = (char *)s->shm + sizeof(struct shm_header);
        if (o->throughput) {
            struct shm_ring ring = {slots, SHM_RING_SLOTS, 0, &s->shm->second, &s->shm->first};
            if (parent)
                c->shm_recv = ring;
            else
                c->shm_send = ring;
        } else {
            struct shm_ring to_child = {slots, 1, 0, &s->shm->first, NULL};
            struct shm_ring to_parent = {slots + o->size, 1, 0, &s->shm->second, NULL};
            c->shm_send = parent ? to_child : to_parent;
            c->shm_recv = parent ? to_parent : to_child;
        }
        break;
    }

    case MQ:
        c->msqid = s->msqid;
        c->mq_send = xmalloc(sizeof(struct sysv_message) + o->size);
        c->mq_recv = xmalloc(sizeof(struct sysv_message) + o->size);
        /* Latency: type 1 parent -> child, type 2 child -> parent; throughput: type 1. */
        if (o->throughput) {
            c->mq_send->mtype = 1;
            c->recv_type = 1;
        } else {
            c->mq_send->mtype = parent ? 1 : 2;
            c->recv_type = parent ? 2 : 1;
        }
        c->send_buf = c->mq_send->mtext;
        c->recv_buf = c->mq_recv->mtext;
        break;

    case PMQ:
        c->pmq_send = parent ? s->pmq_a : s->pmq_b;
        c->pmq_recv = parent ? s->pmq_b : s->pmq_a;
        break;

    case MEMCPY:
    case MECHANISM_COUNT:
        break;
    }

    if (c->send_buf == NULL) {
        c->send_buf = xmalloc(o->size);
        c->recv_buf = xmalloc(o->size);
    }
    fill_pattern(c->send_buf, o->size);
    fill_pattern(c->recv_buf, o->size);
}

/* Send one message of c->size bytes. */
static void send_message(struct channel *c)
{
    switch (c->mech) {
    case PIPE:
    case FIFO:
    case UNIX:
    case TCP:
        write_all(c->wfd, c->send_buf, c->size);
        break;
    case UDP:
        send_datagram(c->wfd, c->send_buf, c->size);
        break;
    case SHM: {
        struct shm_ring *r = &c->shm_send;
        if (r->space != NULL)
            semaphore_wait(r->space);
        memcpy(r->slots + (r->next % r->slot_count) * c->size, c->send_buf, c->size);
        r->next++;
        semaphore_post(r->ready);
        break;
    }
    case MQ:
        while (msgsnd(c->msqid, c->mq_send, c->size, 0) == -1)
            if (errno != EINTR)
                fail("msgsnd");
        break;
    case PMQ:
        while (mq_send(c->pmq_send, c->send_buf, c->size, 0) == -1)
            if (errno != EINTR)
                fail("mq_send");
        break;
    case MEMCPY:
    case MECHANISM_COUNT:
        break;
    }
}

/* Receive one whole message of c->size bytes. */
static void receive_message(struct channel *c)
{
    switch (c->mech) {
    case PIPE:
    case FIFO:
    case UNIX:
    case TCP:
        read_all(c->rfd, c->recv_buf, c->size);
        break;
    case UDP:
        receive_datagram(c->rfd, c->recv_buf, c->size);
        break;
    case SHM: {
        struct shm_ring *r = &c->shm_recv;
        semaphore_wait(r->ready);
        memcpy(c->recv_buf, r->slots + (r->next % r->slot_count) * c->size, c->size);
        r->next++;
        if (r->space != NULL)
            semaphore_post(r->space);
        break;
    }
    case MQ: {
        ssize_t n;
        while ((n = msgrcv(c->msqid, c->mq_recv, c->size, c->recv_type, 0)) == -1)
            if (errno != EINTR)
                fail("msgrcv");
        if ((size_t)n != c->size)
            fail_message("msgrcv: received %zd bytes, expected %zu", n, c->size);
        break;
    }
    case PMQ: {
        ssize_t n;
        while ((n = mq_receive(c->pmq_recv, c->recv_buf, c->size, NULL)) == -1)
            if (errno != EINTR)
                fail("mq_receive");
        if ((size_t)n != c->size)
            fail_message("mq_receive: received %zd bytes, expected %zu", n, c->size);
        break;
    }
    case MEMCPY:
    case MECHANISM_COUNT:
        break;
    }
}

/* udp throughput: the receiver acknowledges every `window` datagrams (and the last,
 * partial window) with a 1-byte datagram; the sender waits for it.  Datagram i
 * (counted from 0, warm-up included) ends a window when (i + 1) % window == 0. */
static size_t udp_window(size_t size)
{
    size_t w = 65536 / size;
    return w < 1 ? 1 : w > 32 ? 32 : w;
}

static int ends_window(size_t i, size_t total, size_t window)
{
    return (i + 1) % window == 0 || i + 1 == total;
}

/* ---- The measurement ----------------------------------------------------------------- */

struct result {
    double median_us, p99_us, min_us, max_us;   /* latency */
    double seconds, mb_s, msg_s;                /* throughput */
    double same_cpu;                            /* fraction, or -1 when not measured */
};

static int compare_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Latency figures from n samples in nanoseconds, each divided by `divisor` (2 turns
 * a round trip into a one-way time).  Median: sorted[n / 2]; p99: sorted[ceil(0.99 n) - 1],
 * with ceil(0.99 n) computed in integers as (99 n + 99) / 100. */
static void latency_figures(int64_t *samples, size_t n, double divisor, struct result *r)
{
    qsort(samples, n, sizeof *samples, compare_int64);
    r->median_us = (double)samples[n / 2] / divisor / 1000.0;
    r->p99_us = (double)samples[(99 * n + 99) / 100 - 1] / divisor / 1000.0;
    r->min_us = (double)samples[0] / divisor / 1000.0;
    r->max_us = (double)samples[n - 1] / divisor / 1000.0;
}

static void throughput_figures(const struct options *o, int64_t elapsed_ns, struct result *r)
{
    r->seconds = (double)elapsed_ns / 1e9;
    r->mb_s = (double)o->count * (double)o->size / r->seconds / 1e6;
    r->msg_s = (double)o->count / r->seconds;
}

/* The peer: answer each round (latency) or send every message (throughput),
 * noting after each on which CPU it ran. */
static void child_loop(const struct options *o, struct channel *c, int32_t *cpu)
{
    size_t total = o->warmup + o->count, window = udp_window(o->size), i;

    for (i = 0; i < total; i++) {
        if (o->throughput) {
            send_message(c);
            cpu[i] = current_cpu();
            if (o->mech == UDP && ends_window(i, total, window))
                receive_datagram(c->rfd, c->recv_buf, 1);     /* the acknowledgement */
        } else {
            receive_message(c);
            send_message(c);
            cpu[i] = current_cpu();
        }
    }
}

/* The measuring side. */
static void parent_loop(const struct options *o, struct channel *c, int32_t *cpu, int64_t *samples,
                        struct result *r)
{
    size_t total = o->warmup + o->count, window = udp_window(o->size), i;
    int64_t start = 0, t0, t1;

    if (o->throughput) {
        for (i = 0; i < total; i++) {
            if (i == o->warmup)
                start = now_ns();          /* all warm-up messages are in */
            receive_message(c);
            cpu[i] = current_cpu();
            if (o->mech == UDP && ends_window(i, total, window))
                send_datagram(c->wfd, c->send_buf, 1);       /* the acknowledgement */
        }
        throughput_figures(o, now_ns() - start, r);
    } else {
        for (i = 0; i < total; i++) {
            t0 = now_ns();
            send_message(c);
            receive_message(c);
            t1 = now_ns();
            if (i >= o->warmup)
                samples[i - o->warmup] = t1 - t0;   /* a round trip */
            cpu[i] = current_cpu();
        }
        latency_figures(samples, o->count, 2.0, r);
    }
}

static void run_ipc(const struct options *o, struct result *r)
{
    size_t total = o->warmup + o->count, i, same = 0;
    int32_t *child_cpu, *parent_cpu;
    int64_t *samples = NULL;
    struct setup s;
    struct channel c;
    pid_t pid;
    int status;

    /* The child writes its CPU numbers where the parent can read them after it exits. */
    child_cpu = mmap(NULL, total * sizeof *child_cpu, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (child_cpu == MAP_FAILED)
        fail("mmap");
    parent_cpu = xmalloc(total * sizeof *parent_cpu);
    if (!o->throughput)
        samples = xmalloc(o->count * sizeof *samples);

    prepare(o, &s);

    pid = fork();
    if (pid == -1)
        fail("fork");
    if (pid == 0) {
        in_child = 1;
        reset_signal_handlers();
        if (o->pinned)
            pin_to_cpu(o->child_cpu);
        open_channel(o, &s, 0, &c);
        child_loop(o, &c, child_cpu);
        _exit(0);
    }

    child_pid = pid;
    if (o->pinned)
        pin_to_cpu(o->parent_cpu);
    remove_names_after_fork(o);
    open_channel(o, &s, 1, &c);
    parent_loop(o, &c, parent_cpu, samples, r);

    while (waitpid(pid, &status, 0) == -1)
        if (errno != EINTR)
            fail("waitpid");
    child_pid = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_message("the child process failed");
    block_signals();
    remove_leftovers(1);

    /* Timed rounds in which both processes were on the same CPU. */
    r->same_cpu = -1;
    if (!o->pinned) {
        for (i = o->warmup; i < total; i++)
            if (parent_cpu[i] == child_cpu[i])
                same++;
        r->same_cpu = (double)same / (double)o->count;
    }
}

/* memcpy: the baseline, in this process alone.  The copy goes through a volatile
 * function pointer so the compiler can neither drop it nor move it out of the
 * timed region (the copies are never read). */
static void *(*volatile copy_bytes)(void *, const void *, size_t) = memcpy;

static void run_memcpy(const struct options *o, struct result *r)
{
    char *from = xmalloc(o->size), *to = xmalloc(o->size);
    size_t i;
    int64_t t0, t1;

    fill_pattern(from, o->size);
    fill_pattern(to, o->size);
    if (o->pinned)
        pin_to_cpu(o->parent_cpu);
    r->same_cpu = -1;

    if (o->throughput) {
        for (i = 0; i < o->warmup; i++)
            copy_bytes(to, from, o->size);
        t0 = now_ns();
        for (i = 0; i < o->count; i++)
            copy_bytes(to, from, o->size);
        t1 = now_ns();
        throughput_figures(o, t1 - t0, r);
    } else {
        /* A sample times a batch of copies (up to 100, at most 64 KiB in all) and is
         * divided by it: reading the clock costs about as much as copying 64 bytes. */
        size_t batch = 65536 / o->size, j;
        if (batch < 1) batch = 1;
        if (batch > 100) batch = 100;
        int64_t *samples = xmalloc(o->count * sizeof *samples);
        for (i = 0; i < o->warmup + o->count; i++) {
            t0 = now_ns();
            for (j = 0; j < batch; j++)
                copy_bytes(to, from, o->size);
            t1 = now_ns();
            if (i >= o->warmup)
                samples[i - o->warmup] = t1 - t0;   /* a batch of copies, not halved */
        }
        latency_figures(samples, o->count, (double)batch, r);
    }
}

/* ---- Report ------------------------------------------------------------------------ */

static void report(const struct options *o, const struct result *r)
{
    const char *mech = mechanism_names[o->mech];
    const char *mode = o->throughput ? "throughput" : "latency";

    if (o->json) {
        printf("{\"mechanism\":\"%s\",\"mode\":\"%s\",\"size\":%zu,\"count\":%zu,\"warmup\":%zu,",
               mech, mode, o->size, o->count, o->warmup);
        if (o->throughput)
            printf("\"seconds\":%.6f,\"mb_s\":%.3f,\"msg_s\":%.3f,", r->seconds, r->mb_s, r->msg_s);
        else
            printf("\"median_us\":%.4f,\"p99_us\":%.4f,\"min_us\":%.4f,\"max_us\":%.4f,",
                   r->median_us, r->p99_us, r->min_us, r->max_us);
        if (o->pinned)
            printf("\"cpus\":[%d,%d],", o->parent_cpu, o->child_cpu);
        else
            printf("\"cpus\":null,");
        if (r->same_cpu < 0)
            printf("\"same_cpu\":null}\n");
        else
            printf("\"same_cpu\":%.3f}\n", r->same_cpu);
        return;
    }

    if (o->throughput)
        printf("%s throughput, %zu B x %zu: %.1f MB/s, %.1f msg/s in %.6f s", mech, o->size,
               o->count, r->mb_s, r->msg_s, r->seconds);
    else
        printf("%s latency, %zu B%s: median %.3f us, p99 %.3f us, min %.3f us, max %.3f us (%zu rounds)",
               mech, o->size, o->mech == MEMCPY ? " per copy" : " one-way", r->median_us, r->p99_us,
               r->min_us, r->max_us, o->count);
    printf(", %zu warm-up", o->warmup);
    if (o->pinned)
        printf(", cpus %d,%d", o->parent_cpu, o->child_cpu);
    if (r->same_cpu >= 0)
        printf(", same CPU %.1f%%", 100.0 * r->same_cpu);
    printf("\n");
}

int main(int argc, char **argv)
{
    struct options o;
    struct result r;

    parse_options(argc, argv, &o);
    memset(&r, 0, sizeof r);
    install_signal_handlers();
    if (o.mech == MEMCPY)
        run_memcpy(&o, &r);
    else
        run_ipc(&o, &r);
    report(&o, &r);
    if (fflush(stdout) == EOF)
        fail("stdout");
    return 0;
}
