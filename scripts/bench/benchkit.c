/*
 * benchkit: the timing core of pidone's benchmark (scripts/bench/bench.py
 * drives it), and the child programs the inits run while being measured
 * (children.c).
 *
 * It is C, built with `gcc -O2 -static`, because what it times is a few
 * microseconds long: the harness side of every measurement must be one
 * syscall on each side of the clock reads, with nothing (no interpreter, no
 * allocator) in between. Static so that its own start-up is cheap and it can
 * run in a `FROM scratch` image as the app.
 *
 * Harness modes (each writes one result line per sample to OUT):
 *
 *   startup ROUNDS WARMUP OUT -- CMD... [::: CMD...]...
 *       Runs every command once per round, the order rotated each round so
 *       that machine noise hits all of them alike, and times each run from
 *       just before posix_spawn to just after waitpid. The environment is
 *       PATH only (glibc's start-up reads every variable), stdio /dev/null.
 *       Line: "INDEX ROUND NANOSECONDS".
 *
 *   latency COUNT OUT -- INIT... [::: INIT...]...
 *       Starts every INIT as PID 1 of its own PID namespace, each with
 *       `benchkit ack` as its child, then sends SIGUSR1 to one init at a
 *       time, round-robin, and times from just before kill(init) to the
 *       moment the child's acknowledgement byte is read from its pipe.
 *       One signal in flight at a time, so nothing coalesces.
 *       Line: "INDEX NANOSECONDS".
 *
 *   reap N REPS OUT -- INIT... [::: INIT...]...
 *       For each repetition and each INIT (rotated): starts the INIT as PID
 *       1 of its own PID namespace, in a pids cgroup of ours, with a child
 *       that prepares N orphans (`benchkit zombies N` or `benchkit orphans
 *       N`), says ready, and on "go" on its stdin lets them reach the init.
 *       Timed from "go" until the cgroup's pids.current (which counts
 *       zombies until they are reaped) is back to 2: the init and its
 *       child, no orphan left, dead or alive. Also the init's own CPU time
 *       over that window, from /proc/PID/schedstat (nanoseconds).
 *       Line: "INDEX REP WALL_NS INIT_CPU_NS".
 *
 *   idle SECONDS OUT -- INIT... [::: INIT...]...
 *       Starts every INIT as PID 1 of its own PID namespace with `benchkit
 *       wait` as its child, waits for every child's ready line, then counts
 *       each init's context switches over the same SECONDS-long window and
 *       reads its memory at the end (/proc/PID/status).
 *       Line: "INDEX VOLUNTARY NONVOLUNTARY VmHWM_kB VmRSS_kB RssAnon_kB".
 *
 * Child modes (run by an init): ack, orphans N, zombies N, wait; see
 * children.c.
 *
 * Every init started here as PID 1 gets PR_SET_PDEATHSIG=SIGKILL, so if the
 * harness dies its namespaces die with it (the kernel then kills and reaps
 * everything inside).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchkit.h"

/* The only environment any measured program gets. */
static char *const clean_env[] = {"PATH=/usr/local/bin:/usr/bin:/bin", NULL};

/* How long any single handshake may take before the harness gives up. */
#define HANDSHAKE_MS 120000

void die(const char *what) {
    fprintf(stderr, "benchkit: %s: %s\n", what, strerror(errno));
    exit(2);
}

void fail(const char *what) {
    fprintf(stderr, "benchkit: %s\n", what);
    exit(2);
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---------------------------------------------------------------- argv */

/* The command lines after "--", split at ":::". */
struct commands {
    int count;
    char **argv[64];
};

static void split_commands(char **args, struct commands *out) {
    out->count = 0;
    if (!*args)
        fail("no command after --");
    out->argv[out->count++] = args;
    for (char **a = args; *a; a++) {
        if (strcmp(*a, ":::") == 0) {
            *a = NULL; /* terminates the previous argv in place */
            if (!a[1])
                fail("empty command after :::");
            if (out->count == 64)
                fail("too many commands");
            out->argv[out->count++] = a + 1;
        }
    }
}

/* ------------------------------------------------ inits as PID 1 of a ns */

/* A running init: its host pid and the read end of its child's stdout. */
struct init {
    pid_t pid;
    int out;     /* child's stdout (read end) */
    int in;      /* child's stdin (write end), or -1 */
};

/*
 * Starts ARGV as PID 1 of a new PID namespace: clone(CLONE_NEWPID) makes
 * the child PID 1 there while we see its host pid, and we stay its parent
 * (no unshare process in between to find the init behind). stdin is a pipe
 * from us when WANT_STDIN, stdout a pipe to us, stderr goes to ERR_FD.
 * CGROUP_PROCS, if not NULL, is a cgroup.procs file the init joins before
 * exec, so that it and all its descendants are counted there.
 */
static struct init start_pid1(char **argv, int want_stdin, int err_fd,
                              const char *cgroup_procs) {
    int out[2], in[2] = {-1, -1};
    if (pipe2(out, O_CLOEXEC) != 0)
        die("pipe");
    if (want_stdin && pipe2(in, O_CLOEXEC) != 0)
        die("pipe");
    pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0);
    if (pid < 0)
        die("clone(CLONE_NEWPID) (needs root)");
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (cgroup_procs) {
            int fd = open(cgroup_procs, O_WRONLY);
            if (fd < 0 || write(fd, "0", 1) != 1)
                _exit(121);
            close(fd);
        }
        int null = open("/dev/null", O_RDWR);
        dup2(want_stdin ? in[0] : null, 0);
        dup2(out[1], 1);
        dup2(err_fd >= 0 ? err_fd : null, 2);
        execve(argv[0], argv, clean_env);
        _exit(127);
    }
    close(out[1]);
    if (want_stdin)
        close(in[0]);
    return (struct init){.pid = pid, .out = out[0], .in = in[1]};
}

/* Reads one byte from FD within TIMEOUT_MS; returns it, or -1. */
static int read_byte(int fd, int timeout_ms) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    for (;;) {
        int r = poll(&p, 1, timeout_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        unsigned char byte;
        ssize_t n = read(fd, &byte, 1);
        if (n < 0 && errno == EINTR)
            continue;
        return n == 1 ? byte : -1;
    }
}

/* Waits for the child's "ready\n" (the handshake; never a fixed sleep). */
static void await_ready(struct init *init, char **argv) {
    const char *want = "ready\n";
    for (const char *c = want; *c; c++) {
        if (read_byte(init->out, HANDSHAKE_MS) != *c) {
            fprintf(stderr, "benchkit: no ready line from: %s ...\n", argv[0]);
            exit(2);
        }
    }
}

static void stop(struct init *init) {
    kill(init->pid, SIGKILL);
    /* PID 1 dying makes the kernel kill and reap the whole namespace
     * before waitpid returns it, so nothing is left behind. */
    waitpid(init->pid, NULL, 0);
    close(init->out);
    if (init->in >= 0)
        close(init->in);
}

static FILE *open_out(const char *path) {
    FILE *f = fopen(path, "w");
    if (!f)
        die(path);
    return f;
}

/* ------------------------------------------------------- harness modes */

static int run_startup(long rounds, long warmup, const char *out_path,
                       struct commands *cmds) {
    FILE *out = open_out(out_path);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    for (int fd = 0; fd <= 2; fd++)
        posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_RDWR, 0);
    for (long round = -warmup; round < rounds; round++) {
        for (int k = 0; k < cmds->count; k++) {
            int i = (int)((k + round + warmup) % cmds->count);
            char **argv = cmds->argv[i];
            int64_t t0 = now_ns();
            pid_t pid;
            int rc = posix_spawn(&pid, argv[0], &actions, NULL, argv, clean_env);
            if (rc != 0) {
                errno = rc;
                die(argv[0]);
            }
            int status;
            while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                    die("waitpid");
            int64_t t1 = now_ns();
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "benchkit: %s ... failed (status %#x)\n",
                        argv[0], status);
                exit(2);
            }
            if (round >= 0)
                fprintf(out, "%d %ld %lld\n", i, round, (long long)(t1 - t0));
        }
    }
    fclose(out);
    return 0;
}

static int run_latency(long count, const char *out_path, struct commands *cmds) {
    FILE *out = open_out(out_path);
    struct init inits[64];
    for (int i = 0; i < cmds->count; i++)
        inits[i] = start_pid1(cmds->argv[i], 0, 2, NULL);
    for (int i = 0; i < cmds->count; i++)
        await_ready(&inits[i], cmds->argv[i]);
    for (long round = 0; round < count; round++) {
        for (int k = 0; k < cmds->count; k++) {
            int i = (int)((k + round) % cmds->count);
            int64_t t0 = now_ns();
            if (kill(inits[i].pid, SIGUSR1) != 0)
                die("kill");
            int ack = read_byte(inits[i].out, 10000);
            int64_t t1 = now_ns();
            if (ack != 'a') {
                fprintf(stderr, "benchkit: no acknowledgement through %s\n",
                        cmds->argv[i][0]);
                exit(2);
            }
            fprintf(out, "%d %lld\n", i, (long long)(t1 - t0));
        }
    }
    for (int i = 0; i < cmds->count; i++)
        stop(&inits[i]);
    fclose(out);
    return 0;
}

/* Reads a small decimal file through an open descriptor, from offset 0. */
static long read_number(int fd) {
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        die("read pids.current");
    buf[n] = 0;
    return strtol(buf, NULL, 10);
}

static int run_reap(long n, long reps, const char *out_path, struct commands *cmds) {
    FILE *out = open_out(out_path);
    /* A pids cgroup of our own (cgroup v1 here; v2 has the same files). Its
     * pids.current counts every task in it, zombies included, until the
     * task is reaped: the cheapest exact "no zombie left" test there is. */
    char dir[128], procs[160], current[160];
    const char *roots[] = {"/sys/fs/cgroup/pids", "/sys/fs/cgroup", NULL};
    const char *root = NULL;
    for (const char **r = roots; *r; r++) {
        char probe[160];
        snprintf(probe, sizeof probe, "%s/cgroup.procs", *r);
        struct stat st;
        if (stat(probe, &st) == 0) {
            root = *r;
            break;
        }
    }
    if (!root)
        fail("no pids cgroup hierarchy found under /sys/fs/cgroup");
    snprintf(dir, sizeof dir, "%s/pidone-bench-%d", root, getpid());
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        die(dir);
    snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
    snprintf(current, sizeof current, "%s/pids.current", dir);
    int current_fd = open(current, O_RDONLY | O_CLOEXEC);
    if (current_fd < 0)
        die("open pids.current (is the pids controller enabled?)");
    /* Poll every 100 us: exact enough for runs of milliseconds, light enough
     * not to compete with the init for the 2 CPUs; no timer slack on top. */
    prctl(PR_SET_TIMERSLACK, 1);
    struct timespec tick = {0, 100000};

    for (long rep = 0; rep < reps; rep++) {
        for (int k = 0; k < cmds->count; k++) {
            int i = (int)((k + rep) % cmds->count);
            struct init init = start_pid1(cmds->argv[i], 1, 2, procs);
            await_ready(&init, cmds->argv[i]);
            long before = read_number(current_fd);
            if (before < n + 2) {
                fprintf(stderr, "benchkit: expected %ld tasks or more, cgroup has %ld\n",
                        n + 2, before);
                exit(2);
            }
            int64_t cpu0 = cpu_ns(init.pid);
            int64_t t0 = now_ns();
            if (write(init.in, "g", 1) != 1)
                die("write go");
            int64_t deadline = t0 + (int64_t)HANDSHAKE_MS * 1000000;
            while (read_number(current_fd) > 2) {
                if (now_ns() > deadline)
                    fail("orphans were not reaped in time");
                nanosleep(&tick, NULL);
            }
            int64_t t1 = now_ns();
            int64_t cpu1 = cpu_ns(init.pid);
            fprintf(out, "%d %ld %lld %lld\n", i, rep, (long long)(t1 - t0),
                    (long long)(cpu1 - cpu0));
            fflush(out);
            stop(&init);
            /* The cgroup is empty again before the next run starts. */
            while (read_number(current_fd) != 0) {
                if (now_ns() > deadline)
                    fail("namespace not torn down in time");
                nanosleep(&tick, NULL);
            }
        }
    }
    close(current_fd);
    rmdir(dir);
    fclose(out);
    return 0;
}

static int run_idle(long seconds_ms, const char *out_path, struct commands *cmds) {
    FILE *out = open_out(out_path);
    struct init inits[64];
    long vol0[64], invol0[64];
    for (int i = 0; i < cmds->count; i++)
        inits[i] = start_pid1(cmds->argv[i], 0, 2, NULL);
    for (int i = 0; i < cmds->count; i++)
        await_ready(&inits[i], cmds->argv[i]);
    /* Bounded poll (1 ms steps) until every init sleeps in its main wait. */
    struct timespec ms = {0, 1000000};
    int64_t deadline = now_ns() + (int64_t)HANDSHAKE_MS * 1000000;
    for (int i = 0; i < cmds->count; i++) {
        while (!in_main_wait(inits[i].pid)) {
            if (now_ns() > deadline) {
                fprintf(stderr, "benchkit: %s never went idle\n", cmds->argv[i][0]);
                exit(2);
            }
            nanosleep(&ms, NULL);
        }
    }
    for (int i = 0; i < cmds->count; i++) {
        vol0[i] = status_field(inits[i].pid, "voluntary_ctxt_switches");
        invol0[i] = status_field(inits[i].pid, "nonvoluntary_ctxt_switches");
    }
    /* The measurement window itself: one sleep for all inits alike. */
    struct timespec window = {seconds_ms / 1000, (seconds_ms % 1000) * 1000000};
    while (nanosleep(&window, &window) != 0 && errno == EINTR)
        ;
    for (int i = 0; i < cmds->count; i++) {
        pid_t pid = inits[i].pid;
        fprintf(out, "%d %ld %ld %ld %ld %ld\n", i,
                status_field(pid, "voluntary_ctxt_switches") - vol0[i],
                status_field(pid, "nonvoluntary_ctxt_switches") - invol0[i],
                status_field(pid, "VmHWM"), status_field(pid, "VmRSS"),
                status_field(pid, "RssAnon"));
    }
    for (int i = 0; i < cmds->count; i++)
        stop(&inits[i]);
    fclose(out);
    return 0;
}

static long number(const char *s, const char *what) {
    char *end;
    long v = strtol(s ? s : "", &end, 10);
    if (!s || *end || v < 0) {
        fprintf(stderr, "benchkit: bad %s: %s\n", what, s ? s : "(missing)");
        exit(2);
    }
    return v;
}

/* argv[first] must be "--"; the commands follow it. */
static void commands_after(char **argv, int first, struct commands *cmds) {
    if (!argv[first] || strcmp(argv[first], "--") != 0)
        fail("expected -- before the commands");
    split_commands(argv + first + 1, cmds);
}

int main(int argc, char **argv) {
    (void)argc;
    const char *mode = argv[1] ? argv[1] : "";
    struct commands cmds;
    if (strcmp(mode, "ack") == 0)
        return child_ack();
    if (strcmp(mode, "orphans") == 0)
        return child_orphans(number(argv[2], "orphan count"));
    if (strcmp(mode, "zombies") == 0)
        return child_zombies(number(argv[2], "zombie count"));
    if (strcmp(mode, "wait") == 0)
        return child_wait();
    if (strcmp(mode, "startup") == 0) {
        commands_after(argv, 5, &cmds);
        return run_startup(number(argv[2], "rounds"), number(argv[3], "warmup"),
                           argv[4], &cmds);
    }
    if (strcmp(mode, "latency") == 0) {
        commands_after(argv, 4, &cmds);
        return run_latency(number(argv[2], "count"), argv[3], &cmds);
    }
    if (strcmp(mode, "reap") == 0) {
        commands_after(argv, 5, &cmds);
        return run_reap(number(argv[2], "N"), number(argv[3], "reps"), argv[4],
                        &cmds);
    }
    if (strcmp(mode, "idle") == 0) {
        commands_after(argv, 4, &cmds);
        return run_idle(number(argv[2], "window (ms)"), argv[3], &cmds);
    }
    fprintf(stderr,
            "usage: benchkit startup ROUNDS WARMUP OUT -- CMD [::: CMD]...\n"
            "       benchkit latency COUNT OUT -- INIT [::: INIT]...\n"
            "       benchkit reap N REPS OUT -- INIT [::: INIT]...\n"
            "       benchkit idle MILLISECONDS OUT -- INIT [::: INIT]...\n"
            "       benchkit ack | orphans N | zombies N | wait\n");
    return 2;
}
