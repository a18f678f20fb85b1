/* fifo_writer PATH MSG...: opens PATH O_WRONLY (waits for a reader), writes each MSG as 80 bytes. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: fifo_writer PATH MSG...\n"); return 2; }
    int fd = open(argv[1], O_WRONLY);
    if (fd == -1) { perror("open"); return 1; }
    for (int i = 2; i < argc; i++) {
        char buf[80];
        memset(buf, 0, sizeof buf);
        strncpy(buf, argv[i], sizeof buf - 1);
        if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) { perror("write"); return 1; }
    }
    close(fd);
    return 0;
}
