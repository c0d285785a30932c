# Sourced by the Swift checks. Debian 12 has no Swift, so `ensure_swift` puts Debian 13's
# swiftlang (6.0.3) in a debootstrap chroot outside the repo (about 3.3 GB, a few minutes
# once; later runs on the same machine reuse it). `in_swift CMD...` runs a command in that
# chroot with the repo bind-mounted at its own path, so paths and loopback ports are the
# same inside and out.

SWIFT_ROOT="${BANK_SWIFT_ROOT:-/var/cache/mqtt-banking/swift-trixie}"
SWIFT_MIRROR="${BANK_SWIFT_MIRROR:-http://deb.debian.org/debian}"

ensure_swift() {
  [[ -f "$SWIFT_ROOT/.swift-ready" ]] && return 0
  ensure_packages debootstrap
  echo "== Swift: debootstrap Debian 13 (trixie) into $SWIFT_ROOT, then apt-get install swiftlang (about 3.3 GB, once per machine)"
  mkdir -p "$(dirname "$SWIFT_ROOT")"
  [[ -x "$SWIFT_ROOT/usr/bin/apt-get" ]] || debootstrap --variant=minbase trixie "$SWIFT_ROOT" "$SWIFT_MIRROR" >/dev/null
  chroot "$SWIFT_ROOT" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends swiftlang libc6-dev >/dev/null'
  touch "$SWIFT_ROOT/.swift-ready"
}

# swiftc finds libswiftCore.so through /proc/self/exe, so the chroot needs proc.
swift_mounts_up() {
  mountpoint -q "$SWIFT_ROOT/proc" || mount -t proc proc "$SWIFT_ROOT/proc"
  mkdir -p "$SWIFT_ROOT$PWD"
  mountpoint -q "$SWIFT_ROOT$PWD" || mount --bind "$PWD" "$SWIFT_ROOT$PWD"
}

swift_mounts_down() {
  mountpoint -q "$SWIFT_ROOT$PWD" && umount "$SWIFT_ROOT$PWD"
  mountpoint -q "$SWIFT_ROOT/proc" && umount "$SWIFT_ROOT/proc"
  return 0
}

in_swift() {
  chroot "$SWIFT_ROOT" /usr/bin/env -C "$PWD" HOME=/tmp PATH=/usr/bin:/bin "$@"
}
