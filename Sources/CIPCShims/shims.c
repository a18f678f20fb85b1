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
