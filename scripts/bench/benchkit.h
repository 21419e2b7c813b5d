/* What benchkit.c, children.c and proc.c share. */
#ifndef BENCHKIT_H
#define BENCHKIT_H

#include <stdint.h>
#include <sys/types.h>

/* Print WHAT (with errno's text for die) and exit 2: the harness gives up. */
void die(const char *what);
void fail(const char *what);

/* The child modes (children.c); each runs until it is killed. */
int child_ack(void);
int child_orphans(long n);
int child_zombies(long n);
int child_wait(void);

/* What /proc says of a measured init (proc.c): a field of its status (-1
 * if absent), its CPU time in ns, and whether it sleeps in its main wait. */
long status_field(pid_t pid, const char *field);
int64_t cpu_ns(pid_t pid);
int in_main_wait(pid_t pid);

#endif
