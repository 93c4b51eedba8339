#!/bin/bash
# Gathers the run-time tree of the oauth2-rest image (the Dockerfile's build stage runs it):
#   rootfs.sh OUT EXECUTABLE...
# OUT receives each EXECUTABLE at its own path (/src/build/oauth2-rest goes to
# /usr/local/bin/oauth2-rest), every shared library ldd resolves for them (with the symlinks on
# the way, so the paths the loader looks up exist as they do here), the CA bundle behind
# OpenSSL's default verify paths, the copyright file of each Debian package any of those files
# comes from, /etc/passwd and /etc/group with the user apps (10001; the Dockerfile adds its home), an
# nsswitch.conf that looks up host names in /etc/hosts before DNS (glibc's built-in default
# without the file asks DNS first), and a world-writable /tmp. Fails on a library ldd cannot find.
set -euo pipefail
out=$1
shift
uid=10001
packages="ca-certificates"
# Compiled into the executable: the Boost headers (Asio, Beast) and Boost.JSON (its one-file
# build, lib/util/boost_json_impl.cpp), libstdc++'s templates.
packages="$packages libboost1.81-dev"

# copy_path PATH: PATH into $out as it is here; a symlink stays a symlink and its target is
# copied too; a directory on the way that is a symlink (/lib -> usr/lib) likewise.
copy_path() {
  local p parent target
  p=$1
  if [ -e "$out$p" ] || [ -L "$out$p" ]; then return 0; fi
  parent=$(dirname "$p")
  [ "$parent" = / ] || copy_path "$parent"
  if [ -L "$p" ]; then
    target=$(readlink "$p")
    ln -s "$target" "$out$p"
    case $target in
      /*) copy_path "$(realpath -m -s "$target")" ;;
      *) copy_path "$(realpath -m -s "$parent/$target")" ;;
    esac
  elif [ -d "$p" ]; then
    mkdir "$out$p"
  else
    cp -p "$p" "$out$p"
    owner_of "$p"
  fi
}

# owner_of PATH: adds the Debian package that ships PATH (or its resolved path) to $packages.
owner_of() {
  local candidate pkg
  for candidate in "$1" "$(realpath "$1")"; do
    pkg=$(dpkg-query -S "$candidate" 2>/dev/null | head -n1 | cut -d: -f1) || true
    if [ -n "$pkg" ]; then
      packages="$packages $pkg"
      return 0
    fi
  done
}

mkdir -p "$out"
for exe in "$@"; do
  case $exe in
    /usr/*) dest=$exe ;;
    *) dest=/usr/local/bin/$(basename "$exe") ;;
  esac
  mkdir -p "$out$(dirname "$dest")"
  cp -p "$exe" "$out$dest"
  owner_of "$exe"
  if ldd "$exe" | grep -q 'not found'; then
    ldd "$exe" >&2
    echo "rootfs.sh: $exe needs a library that is not installed" >&2
    exit 1
  fi
  # "libssl.so.3 => /lib/x86_64-linux-gnu/libssl.so.3 (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)";
  # linux-vdso has no file.
  for lib in $(ldd "$exe" | sed -n -e 's/.*=> \(\/[^ ]*\) .*/\1/p' -e 's/^[[:space:]]*\(\/[^ ]*\) .*/\1/p'); do
    copy_path "$lib"
  done
done

# Trust store: the bundle ca-certificates builds, reached by OpenSSL's default file
# (/usr/lib/ssl/cert.pem -> /etc/ssl/certs/ca-certificates.crt). SSL_CERT_FILE / SSL_CERT_DIR still
# override it.
copy_path /etc/ssl/certs/ca-certificates.crt
copy_path /usr/lib/ssl/cert.pem

# Licences of everything shipped. Identical files (the Boost packages share one of 2 MB) are
# stored once, the others are symlinks to it.
first_copy=
for pkg in $(echo "$packages" | tr ' ' '\n' | sed 's/:.*//' | sort -u); do
  [ -n "$pkg" ] || continue
  src=/usr/share/doc/$pkg/copyright
  if [ ! -f "$src" ]; then
    echo "rootfs.sh: no copyright file for package $pkg" >&2
    exit 1
  fi
  mkdir -p "$out/usr/share/doc/$pkg"
  same=
  for earlier in $first_copy; do
    if cmp -s "$src" "/usr/share/doc/$earlier/copyright"; then same=$earlier; break; fi
  done
  if [ -n "$same" ]; then
    ln -s "../$same/copyright" "$out/usr/share/doc/$pkg/copyright"
  else
    cp -p "$src" "$out/usr/share/doc/$pkg/copyright"
    first_copy="$first_copy $pkg"
  fi
done

mkdir -p "$out/etc" "$out/tmp"
chmod 1777 "$out/tmp"
cat >"$out/etc/passwd" <<EOF
root:x:0:0:root:/root:/sbin/nologin
apps:x:$uid:$uid:oauth2-rest:/home/apps:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
EOF
cat >"$out/etc/group" <<EOF
root:x:0:
apps:x:$uid:
nogroup:x:65534:
EOF
cat >"$out/etc/nsswitch.conf" <<EOF
passwd: files
group: files
hosts: files dns
EOF
