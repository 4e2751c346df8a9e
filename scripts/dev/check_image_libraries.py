#!/usr/bin/env python3
"""Checks that the Dockerfile's runtime image has every shared library the relay binary needs.

No Docker engine runs on the build machines, so the image is checked another way: `ldd` lists
the libraries the release binary loads (the image's is built with the Swift runtime linked in
statically; with `--swift-runtime-linked-statically-in-image` an ordinary release build is
checked instead, its Swift runtime libraries taken as linked in and their own dependencies
checked like the rest);
`dpkg -S` names the Debian package of each; each package must then be installed in the runtime
stage — listed in its `apt-get install`, pulled in by one of those (`apt-cache depends
--recurse`), or part of the slim base image (Debian's essential and required packages).
The build machines run the same Debian release as the runtime image.

Usage: check_image_libraries.py [--swift-runtime-linked-statically-in-image] BINARY [DOCKERFILE]
"""
import os
import re
import subprocess
import sys


def libraries(binary):
    output = subprocess.run(["ldd", binary], check=True, capture_output=True, text=True).stdout
    found, missing = [], []
    for line in output.splitlines():
        line = line.strip()
        if "not found" in line:
            missing.append(line.split()[0])
        elif "=>" in line:
            name, _, rest = line.partition("=>")
            path = rest.split("(")[0].strip()
            if path:
                found.append((name.strip(), path))
        elif line.startswith("/"):
            found.append((os.path.basename(line.split()[0]), line.split()[0]))
    return found, missing


def package_of(path):
    candidates = {path, os.path.realpath(path)}
    for candidate in list(candidates):
        if candidate.startswith("/usr/"):
            candidates.add(candidate[4:])
        else:
            candidates.add("/usr" + candidate)
    for candidate in candidates:
        result = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if result.returncode == 0:
            return result.stdout.split(":")[0].strip()
    return None


def runtime_packages(dockerfile):
    text = open(dockerfile).read().replace("\\\n", " ")
    stages = re.split(r"(?m)^FROM\s+", text)
    last = stages[-1]
    base = last.split()[0]
    packages = []
    for match in re.finditer(r"apt-get install([^&\n]*)", last):
        packages += [token for token in match.group(1).split() if not token.startswith("-")]
    return base, packages


def closure(packages):
    if not packages:
        return set()
    output = subprocess.run(
        ["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
         "--no-breaks", "--no-replaces", "--no-enhances"] + packages,
        check=True, capture_output=True, text=True).stdout
    return {line.strip() for line in output.splitlines() if line and not line.startswith(" ")}


def base_image_packages():
    output = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Essential} ${Priority}\n"],
                            check=True, capture_output=True, text=True).stdout
    base = set()
    for line in output.splitlines():
        parts = line.split()
        if len(parts) >= 3 and (parts[1] == "yes" or parts[2] == "required"):
            base.add(parts[0])
    return base


def main():
    arguments = sys.argv[1:]
    runtime_static_in_image = "--swift-runtime-linked-statically-in-image" in arguments
    arguments = [argument for argument in arguments if argument != "--swift-runtime-linked-statically-in-image"]
    if not arguments:
        print(__doc__, file=sys.stderr)
        return 2
    binary = arguments[0]
    dockerfile = arguments[1] if len(arguments) > 1 else "Dockerfile"
    found, missing = libraries(binary)
    base_image, listed = runtime_packages(dockerfile)
    installed = closure(listed)
    base = base_image_packages()
    problems = [f"{name}: not found on this machine either" for name in missing]
    print(f"runtime stage: {base_image} + {' '.join(listed)}")
    for name, path in found:
        if re.match(r"libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime", name):
            if runtime_static_in_image:
                print(f"  {name:32} {'(Swift runtime)':24} linked statically in the image")
            else:
                problems.append(f"{name}: a Swift runtime library; build with --static-swift-stdlib")
            continue
        package = package_of(path)
        if package is None:
            problems.append(f"{name} ({path}): no Debian package owns it")
            continue
        if package in listed:
            how = "listed"
        elif package in installed:
            how = "dependency of a listed package"
        elif package in base:
            how = "in the base image"
        else:
            problems.append(f"{name}: from {package}, which the runtime stage does not install")
            continue
        print(f"  {name:32} {package:24} {how}")
    for problem in problems:
        print(f"MISSING {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"ok: all {len(found)} libraries are in the runtime image")
    return 0


if __name__ == "__main__":
    sys.exit(main())
