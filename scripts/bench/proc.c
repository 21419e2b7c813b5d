/*
 * What benchkit (benchkit.c) reads of a measured init in /proc: its status
 * fields, its CPU time, and whether it sleeps in its main wait. Reads only;
 * a process that is gone reads as -1 (or "not asleep").
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "benchkit.h"

/*
 * Reads /proc/PID/NAME into BUF (SIZE bytes), NUL-terminated. Returns 0, or
 * -1 when the file cannot be read (the process is gone) or is empty.
 */
static int read_proc(pid_t pid, const char *name, char *buf, size_t size) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", pid, name);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    return 0;
}

/* Reads "FIELD:  VALUE" from /proc/PID/status as a number (-1 if absent). */
long status_field(pid_t pid, const char *field) {
    char buf[4096];
    if (read_proc(pid, "status", buf, sizeof buf) < 0)
        return -1;
    size_t len = strlen(field);
    for (char *line = buf; line && *line; line = strchr(line, '\n')) {
        if (*line == '\n')
            line++;
        if (strncmp(line, field, len) == 0 && line[len] == ':')
            return strtol(line + len + 1, NULL, 10);
    }
    return -1;
}

/* The init's CPU time so far in ns (first field of /proc/PID/schedstat). */
int64_t cpu_ns(pid_t pid) {
    char buf[256];
    if (read_proc(pid, "schedstat", buf, sizeof buf) < 0)
        return -1;
    return strtoll(buf, NULL, 10);
}

/*
 * True once PID sleeps in the call it idles in: reading a signalfd (pidone,
 * catatonit) or rt_sigtimedwait (tini, dumb-init). The child's "ready" only
 * says the child runs; the init may not have gone back to sleep yet, and that
 * first sleep must not be counted as an idle wake-up.
 */
int in_main_wait(pid_t pid) {
    char path[64], buf[256], link[64];
    if (read_proc(pid, "syscall", buf, sizeof buf) < 0)
        return 0;
    char *rest;
    long nr = strtol(buf, &rest, 10);
    if (nr == SYS_rt_sigtimedwait)
        return 1;
    if (nr != SYS_read)
        return 0;
    long arg0 = strtol(rest, NULL, 16);
    snprintf(path, sizeof path, "/proc/%d/fd/%ld", pid, arg0);
    ssize_t len = readlink(path, link, sizeof link - 1);
    if (len <= 0)
        return 0;
    link[len] = 0;
    return strcmp(link, "anon_inode:[signalfd]") == 0;
}
