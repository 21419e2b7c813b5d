"""`docker stop` of an app with no SIGTERM handler under each init, from
one FROM scratch image per init (scripts/bench/bench.py plans the run)."""

import json
import os
import shutil
import subprocess
import time

from measure import log, shared_libraries, summary

def docker(*args, check=True, capture=True, timeout=120):
    return subprocess.run(["docker", *args], check=check, text=True,
                          capture_output=capture, timeout=timeout)


def docker_available():
    if not shutil.which("docker"):
        return "no docker command"
    try:
        docker("info", "--format", "{{.ServerVersion}}")
    except (subprocess.SubprocessError, OSError) as err:
        return f"docker daemon not reachable ({err.__class__.__name__})"
    return None


def measure_docker(kit, all_inits, plan, work):
    """`docker stop` of an app with no SIGTERM handler, under each init."""
    reason = docker_available()
    if reason:
        log(f"docker stop: skipped, {reason}")
        return {"skipped": reason}
    tag = f"pidone-bench-{os.getpid()}"
    images, containers = [], []
    try:
        # One FROM scratch image per init: the init, its shared libraries if
        # it has any (copied to the paths ldd found), and benchkit as the app.
        variants = [(init.name, init) for init in all_inits] + [("none", None)]
        for name, init in variants:
            context = work / f"docker-{name}"
            rootfs = context / "rootfs"
            rootfs.mkdir(parents=True)
            shutil.copy2(kit, rootfs / "app")
            if init is None:
                entrypoint = ["/app", "wait"]
            else:
                shutil.copy2(init.path, rootfs / "init")
                for lib in shared_libraries(init.path):
                    target = rootfs / lib.lstrip("/")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(os.path.realpath(lib), target)
                entrypoint = ["/init", *init.pid1, "/app", "wait"]
            (context / "Dockerfile").write_text(
                "FROM scratch\nCOPY rootfs/ /\n"
                f"ENTRYPOINT {json.dumps(entrypoint)}\n")
            image = f"{tag}-{name}:bench"
            docker("build", "-q", "-t", image, str(context))
            images.append(image)

        def one_stop(name, timeout):
            image = f"{tag}-{name}:bench"
            cid = docker("run", "-d", "--network", "none", image).stdout.strip()
            containers.append(cid)
            # Readiness is a handshake: the app prints "ready" once running.
            deadline = time.monotonic() + 60
            while "ready" not in docker("logs", cid).stdout:
                if time.monotonic() > deadline:
                    raise SystemExit(f"docker: {name} never became ready")
                time.sleep(0.02)
            t0 = time.monotonic()
            docker("stop", "-t", str(timeout), cid)
            elapsed = time.monotonic() - t0
            code = int(docker("inspect", "-f", "{{.State.ExitCode}}", cid).stdout)
            docker("rm", cid)
            containers.remove(cid)
            return elapsed * 1000, code

        rounds, timeout = plan["docker_rounds"], plan["docker_timeout"]
        log(f"docker stop: {rounds} rounds per init, app alone "
            f"{plan['docker_baseline_rounds']} times (docker stop -t {timeout})")
        samples = {name: [] for name, _ in variants}
        codes = {name: set() for name, _ in variants}
        for rnd in range(rounds):
            order = [name for name, init in variants if init is not None]
            shift = rnd % len(order)
            for name in order[shift:] + order[:shift]:
                ms, code = one_stop(name, timeout)
                samples[name].append(ms)
                codes[name].add(code)
        for _ in range(plan["docker_baseline_rounds"]):
            ms, code = one_stop("none", timeout)
            samples["none"].append(ms)
            codes["none"].add(code)
        result = {"timeout_s": timeout}
        for name, values in samples.items():
            result[name] = {"ms": summary(values), "exit_codes": sorted(codes[name])}
        return result
    finally:
        for cid in containers:
            docker("rm", "-f", cid, check=False)
        for image in images:
            docker("rmi", "-f", image, check=False)
