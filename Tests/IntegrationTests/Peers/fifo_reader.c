/* fifo_reader PATH N: opens PATH O_RDONLY (waits for a writer), reads N 80-byte messages, prints "recv: ..." */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: fifo_reader PATH N\n"); return 2; }
    int fd = open(argv[1], O_RDONLY);
    if (fd == -1) { perror("open"); return 1; }
    int n = atoi(argv[2]);
    for (int i = 0; i < n; i++) {
        char buf[81] = {0};
        ssize_t got = 0;
        while (got < 80) {
            ssize_t r = read(fd, buf + got, 80 - got);
            if (r <= 0) { printf("EOF\n"); return 0; }
            got += r;
        }
        printf("recv: %s\n", buf);
        fflush(stdout);
    }
    close(fd);
    return 0;
}
