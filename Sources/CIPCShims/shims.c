#define _GNU_SOURCE
#include "CIPCShims.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *ipcsh_errno_name(int err) { return strerrorname_np(err); }

void *ipcsh_shmat(int shmid, int readonly) {
    void *p = shmat(shmid, NULL, readonly ? SHM_RDONLY : 0);
    return p == (void *)-1 ? NULL : p;
}

static volatile sig_atomic_t sigint_pending = 0;
static int signal_pipe[2] = {-1, -1};

static void on_signal(int signo) {
    int saved = errno;
    if (signo == SIGINT) sigint_pending = 1;
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
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    if (sigaction(SIGPIPE, &ign, NULL) != 0) return -1;
    return 0;
}

int ipcsh_signal_pipe_fd(void) { return signal_pipe[0]; }

int ipcsh_take_sigint(void) {
    int was = sigint_pending;
    sigint_pending = 0;
    return was;
}

int ipcsh_sigint_pending(void) { return sigint_pending; }

void ipcsh_signal_pipe_drain(void) {
    unsigned char buf[64];
    if (signal_pipe[0] < 0) return;
    while (read(signal_pipe[0], buf, sizeof buf) > 0) {}
}

void ipcsh_signals_reset_defaults(void) {
    signal(SIGINT, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
}

int ipcsh_wifexited(int status) { return WIFEXITED(status); }
int ipcsh_wexitstatus(int status) { return WEXITSTATUS(status); }
int ipcsh_wifsignaled(int status) { return WIFSIGNALED(status); }
int ipcsh_wtermsig(int status) { return WTERMSIG(status); }

uint64_t ipcsh_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- processes and descriptors (issue 3) ---- */
#include <spawn.h>
#include <stdio.h>
#include <sys/time.h>

static volatile sig_atomic_t alarm_fired = 0;

static void on_alarm(int signo) {
    (void)signo;
    alarm_fired = 1;
}

int ipcsh_signals_reinit_in_child(void) {
    if (signal_pipe[0] >= 0) close(signal_pipe[0]);
    if (signal_pipe[1] >= 0) close(signal_pipe[1]);
    signal_pipe[0] = signal_pipe[1] = -1;
    sigint_pending = 0;
    return pipe2(signal_pipe, O_NONBLOCK | O_CLOEXEC);
}

int ipcsh_sigchld_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_NOCLDSTOP;
    return sigaction(SIGCHLD, &sa, NULL);
}

int ipcsh_alarm_ms(long ms) {
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
    return setitimer(ITIMER_REAL, &it, NULL);
}

int ipcsh_take_alarm(void) {
    int was = alarm_fired;
    alarm_fired = 0;
    return was;
}

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
    sigset_t defaults, empty;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGCHLD);
    sigaddset(&defaults, SIGALRM);
    sigaddset(&defaults, SIGTERM);
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
int ipcsh_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }
