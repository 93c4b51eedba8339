# oauth2-rest platform image.
#
# Stage 1 builds the executable on Debian 12 and gathers, in /rootfs, exactly what it needs at run
# time (scripts/image/rootfs.sh): the shared libraries ldd resolves for it and for tini, the CA
# bundle, the copyright files of every Debian package a shipped file comes from, a passwd/group
# with the non-root user, and nsswitch.conf. Stage 2 is that tree on an empty base: no shell, no
# package manager. It runs as uid 10001 under tini (PID 1: forwards signals, reaps zombies), as
# the platform's own images do.
#
# Plain `podman build .` / `docker build .` with a registry works (an ordinary build);
# scripts/image.sh builds it offline (base image from Debian's packages, ccache mounted at
# /ccache), profile-guided when the host has a fresh profile (PGO and SRC below), and checks it.
FROM debian:bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      cmake g++ make ccache libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev \
      libssl-dev librabbitmq-dev zlib1g-dev libbrotli-dev libmimalloc-dev pkg-config \
      ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
# The sources are copied to /src, a fixed path: the layer cache keys WORKDIR and COPY on their
# text, not on the value of an ARG in it, so a cached COPY to ${SRC} may hold its files at the
# path of an earlier build with another SRC. Only RUN steps are keyed on ARG values; the one that
# compiles moves /src to SRC (below).
WORKDIR /src
COPY CMakeLists.txt component.json ./
COPY cmake cmake
COPY lib lib
COPY src src
# The top level always adds spec/support (the demo server's sources); only oauth2-rest is built.
COPY spec/support spec/support
# JOBS: parallel compile jobs (default: all cores). /ccache: a compiler cache, empty unless the
# builder mounts one there (scripts/image.sh does), keyed on paths relative to SRC. A
# profile-guided build compiles the executable and its core without it (CMakeLists.txt says why).
# SRC: where the sources are compiled. A profile-guided build (PGO=1, below) needs the path the
# profile was made from: GCC identifies a function's profile by its source file's path.
ARG JOBS=
ARG SRC=/src
ENV CCACHE_DIR=/ccache
# ccache hashes the locale variables: scripts/image.sh passes the host's, so the host build's
# cache entries serve this compile too. Unset unless passed.
ARG LANG LC_ALL LC_CTYPE LC_MESSAGES
# PGO=1: compiled with the profile scripts/pgo-profile.sh made on the host (build-pgo/profile,
# the one part of a build directory the context keeps; the pattern matches nothing when there is
# none, and CMakeLists.txt is only there so the copy is never empty). scripts/image.sh passes it
# with SRC when that profile is newer than the sources; by default the build is an ordinary one.
ARG PGO=
COPY CMakeLists.txt build-pgo/profil[e] /pgo/
RUN if [ "$SRC" != /src ]; then mkdir -p "$(dirname "$SRC")" && mv /src "$SRC"; fi \
 && cd "$SRC" && export CCACHE_BASEDIR="$SRC" \
 && cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DOAUTH2_REST_TESTS=OFF ${PGO:+-DOAUTH2_REST_PROFILE_USE=/pgo} \
 && cmake --build build -j "${JOBS:-$(nproc)}" --target oauth2-rest \
 && strip build/oauth2-rest
COPY scripts/image/rootfs.sh /usr/local/bin/rootfs.sh
RUN bash /usr/local/bin/rootfs.sh /rootfs ${SRC}/build/oauth2-rest /usr/bin/tini
COPY component.json logo.png /home-apps/

FROM scratch
COPY --from=build /rootfs /
# The home directory (writable: the token cache of `oauth2-rest token` / `request` lives there),
# copied with --chown so its owner does not depend on whether the builder keeps ownership.
COPY --from=build --chown=10001:10001 /home-apps /home/apps
WORKDIR /home/apps
USER 10001:10001
ENV HOME=/home/apps
# -e 143: SIGTERM's exit status counts as success, as in the platform's own images.
ENTRYPOINT ["/usr/bin/tini", "-v", "-e", "143", "--"]
CMD ["oauth2-rest", "sail"]
