/*
 * The child programs of benchkit (benchkit.c): what the inits run as their
 * child while the harness measures them. Each prints "ready" when it is
 * set up, so that the harness never sleeps to let it settle.
 *
 * Modes (benchkit MODE):
 *
 *   ack          block every signal, print "ready", then write one byte to
 *                stdout for every signal received (read from a signalfd)
 *   orphans N    make N live orphans, already re-parented to the init and
 *                blocked on one pipe; print "ready"; on one byte on stdin
 *                close the pipe, so all N exit at once; then wait forever
 *   zombies N    have a helper process fork N children that exit at once
 *                and wait (WNOWAIT) until all N are zombies; print "ready";
 *                on one byte on stdin let the helper exit, which hands all
 *                N zombies to the init in one go; then wait forever
 *   wait         print "ready", then pause() forever with the dispositions
 *                it was given (an app with no SIGTERM handler: as PID 1 it
 *                ignores TERM, under an init TERM kills it)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchkit.h"

static void say_ready(void) {
    if (write(1, "ready\n", 6) != 6)
        _exit(3);
}

int child_ack(void) {
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    int fd = signalfd(-1, &all, 0);
    if (fd < 0)
        die("signalfd");
    say_ready();
    struct signalfd_siginfo info[16];
    for (;;) {
        ssize_t n = read(fd, info, sizeof info);
        if (n <= 0)
            continue;
        /* One byte per signal; a failed write means the harness is gone. */
        for (ssize_t i = 0; i < n / (ssize_t)sizeof info[0]; i++)
            if (write(1, "a", 1) != 1)
                _exit(0);
    }
}

int child_orphans(long n) {
    /* The release pipe: every orphan blocks reading it and exits at EOF,
     * which comes when we close the only write end. */
    int release[2];
    if (pipe(release) != 0)
        die("pipe");
    pid_t middle = fork();
    if (middle < 0)
        die("fork");
    if (middle == 0) {
        /* The middle process forks the orphans-to-be and exits, so the
         * kernel re-parents all of them to the init (PID 1) at once. It
         * drops the write end first so that no orphan holds one. */
        close(release[1]);
        for (long i = 0; i < n; i++) {
            pid_t pid = fork();
            if (pid < 0)
                _exit(1);
            if (pid == 0) {
                char byte;
                for (;;) {
                    ssize_t r = read(release[0], &byte, 1);
                    if (r == 0 || (r < 0 && errno != EINTR))
                        _exit(0);
                }
            }
        }
        _exit(0);
    }
    close(release[0]);
    int status;
    if (waitpid(middle, &status, 0) != middle || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        fail("could not make the orphans (fork failed)");
    say_ready();
    char go;
    if (read(0, &go, 1) != 1)
        _exit(0);
    close(release[1]);
    for (;;)
        pause();
}

int child_zombies(long n) {
    /* report: the middle process tells us all N children are zombies.
     * hold: we keep its write end; closing it lets the middle process exit. */
    int report[2], hold[2];
    if (pipe(report) != 0 || pipe(hold) != 0)
        die("pipe");
    pid_t middle = fork();
    if (middle < 0)
        die("fork");
    if (middle == 0) {
        close(hold[1]);
        close(report[0]);
        /* Children must become zombies, not be auto-reaped. */
        signal(SIGCHLD, SIG_DFL);
        pid_t *kids = calloc((size_t)n, sizeof *kids);
        if (!kids)
            _exit(1);
        for (long i = 0; i < n; i++) {
            kids[i] = fork();
            if (kids[i] < 0)
                _exit(1);
            if (kids[i] == 0)
                _exit(0);
        }
        /* WNOWAIT: wait until each child is a zombie without reaping it. */
        for (long i = 0; i < n; i++) {
            siginfo_t info;
            while (waitid(P_PID, (id_t)kids[i], &info, WEXITED | WNOWAIT) != 0)
                if (errno != EINTR)
                    _exit(1);
        }
        if (write(report[1], "z", 1) != 1)
            _exit(1);
        char byte;
        for (;;) {
            ssize_t r = read(hold[0], &byte, 1);
            if (r == 0 || (r < 0 && errno != EINTR))
                break;
        }
        /* Our exit hands all N zombies to the init at once. */
        _exit(0);
    }
    close(hold[0]);
    close(report[1]);
    char byte;
    if (read(report[0], &byte, 1) != 1)
        fail("could not make the zombies (fork failed)");
    say_ready();
    char go;
    if (read(0, &go, 1) != 1)
        _exit(0);
    close(hold[1]);
    waitpid(middle, NULL, 0);
    for (;;)
        pause();
}

int child_wait(void) {
    say_ready();
    for (;;)
        pause();
    return 0;
}
