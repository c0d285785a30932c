#!/usr/bin/env bash
# Cross-builds bank-core for the phones as far as this machine allows (no NDK, no Xcode):
# `cargo check` for the app's 32-bit ARM and x86_64 Android ABIs, the release static
# library for arm64 Android and for iPhones (the latter exactly as ios/build-xcframework.sh builds it), and
# the Swift and Kotlin bindings generated from those libraries, which must equal the ones
# scripts/bindings.sh generates from the host's. A target rustup cannot fetch is reported
# as skipped, never as passed. Usage: scripts/cross-builds.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-packages.sh

android_targets=(aarch64-linux-android armv7-linux-androideabi x86_64-linux-android)
ios_target=aarch64-apple-ios
# The app's minSdk (build-rust.sh's --platform), as the C compiler's target API level.
android_api=26
checked=0 built=0 skipped=0
libraries=()   # the cross-built static libraries the bindings are generated from

# ring is the only C code in the core. Debian's clang compiles it for the phones in ring's
# own no-libc mode (RING_CORE_NOSTDLIBINC), which needs no header beyond clang's own, so
# neither the NDK's sysroot nor the iOS SDK is needed. llvm-ar-14 comes with llvm-14.
ensure_packages clang llvm-14

fail() {
  echo "error: $*" >&2
  exit 1
}

# ring_env TARGET CFLAGS...: clang and llvm-ar as TARGET's C compiler and archiver, in
# ring's no-libc mode. Set only in the subshell of a cross command, so the host build's
# fingerprints never see them.
ring_env() {
  local target=${1//-/_}
  shift
  export "CC_$target=clang" "AR_$target=llvm-ar-14"
  export "CFLAGS_$target=$* -nostdlibinc -DRING_CORE_NOSTDLIBINC=1"
}

# android_env TARGET: the LLVM triple carries the API level, as the NDK's clang wrappers do.
android_env() {
  local triple=$1
  [[ "$1" == armv7-linux-androideabi ]] && triple=armv7a-linux-androideabi
  local flags=(--target="$triple$android_api")
  # x86_64's immintrin.h includes mm_malloc.h, which needs the C library's stdlib.h.
  [[ "$1" == x86_64-linux-android ]] && flags+=(-D__MM_MALLOC_H)
  ring_env "$1" "${flags[@]}"
}

# ios_env: cc-rs asks xcrun for the SDK unless SDKROOT names one. A stand-in SDK with only
# TargetConditionals.h (ring's base.h includes it on Apple targets) is enough without libc.
ios_env() {
  local sdk="$target_dir/cross-builds/fake-iphoneos-sdk"
  mkdir -p "$sdk/usr/include"
  cat >"$sdk/usr/include/TargetConditionals.h" <<'EOF'
/* Stand-in for the iOS SDK's TargetConditionals.h (scripts/cross-builds.sh): an iPhone. */
#pragma once
#define TARGET_OS_MAC 1
#define TARGET_OS_OSX 0
#define TARGET_OS_IPHONE 1
#define TARGET_OS_IOS 1
#define TARGET_OS_TV 0
#define TARGET_OS_WATCH 0
#define TARGET_OS_VISION 0
#define TARGET_OS_MACCATALYST 0
#define TARGET_OS_SIMULATOR 0
#define TARGET_OS_EMBEDDED 1
EOF
  # The app's deployment target, as ios/build-xcframework.sh sets it.
  export SDKROOT="$sdk" IPHONEOS_DEPLOYMENT_TARGET=17.0
  ring_env "$ios_target" -isystem "$sdk/usr/include"
}

# fetch TARGET: installs TARGET's standard library, or says in one line why it could not.
fetch() {
  grep -qx "$1" <<<"$installed" && return 0
  local log reason
  if log=$(RUST_BACKTRACE=0 rustup target add "$1" 2>&1); then
    return 0
  fi
  # The innermost two causes of rustup's error chain ("unsuccessful status code: 404",
  # "tcp connect error: Connection refused"), on one line or as "Caused by:" lines.
  reason=$(awk '/^Stack backtrace/ { exit } /^(note|help):/ { next }
    f || /^error/ { f = 1; sub(/^error: /, ""); sub(/^ *[0-9]+: /, "")
      if ($0 != "" && $0 != "Caused by:") s = s (s == "" ? "" : ": ") $0 }
    END { n = split(s, a, ": "); print (n >= 2 ? a[n - 1] ": " a[n] : s) }' <<<"$log")
  echo "skipped: $1: rustup could not fetch it (${reason:-no reason given})"
  skipped=$((skipped + 1))
  return 1
}

mkdir -p "${CARGO_TARGET_DIR:-target}"
target_dir="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)"
installed="$(rustup target list --installed)"

for target in "${android_targets[@]}"; do
  fetch "$target" || continue
  if [[ "$target" != aarch64-linux-android ]]; then
    echo "== cargo check of bank-core for $target"
    (android_env "$target" && cargo check --locked -p bank-core --features uniffi --target "$target")
    checked=$((checked + 1))
  else
    # Building checks it too, so arm64 (nearly every phone) costs one compile, not two.
    echo "== release static library of bank-core for $target"
    # build-rust.sh builds the .so with cargo-ndk; its link needs the NDK's sysroot
    # (crtbegin_so.o, -llog, -lc), which this machine has not, so the static library it is.
    (android_env "$target" &&
      cargo rustc --locked --release -p bank-core --features uniffi --lib --target "$target" --crate-type staticlib)
    echo "not linked: $target: libbank_core.so needs the NDK's sysroot (Android Studio's build does it)"
    libraries+=("$target_dir/$target/release/libbank_core.a")
    built=$((built + 1))
  fi
done

if fetch "$ios_target"; then
  echo "== bank-core for $ios_target (the device library of ios/build-xcframework.sh)"
  # The very command of ios/build-xcframework.sh, which on a Mac uses the real SDK.
  (ios_env && cargo rustc --locked --release -p bank-core --features uniffi --lib --target "$ios_target" --crate-type staticlib)
  libraries+=("$target_dir/$ios_target/release/libbank_core.a")
  built=$((built + 1))
fi

if ((${#libraries[@]})); then
  echo "== Swift and Kotlin bindings from the cross-built libraries against the host's"
  # The host's, from the workspace build, as the Kotlin tests and the syntax check use them.
  # A copy of its target/bindings, which the next run of bindings.sh replaces.
  scripts/bindings.sh >/dev/null
  host="$target_dir/cross-builds/bindings/host"
  rm -rf "$host"
  mkdir -p "$(dirname "$host")"
  cp -r target/bindings "$host"
  for library in "${libraries[@]}"; do
    target=$(basename "$(dirname "$(dirname "$library")")")
    out="$target_dir/cross-builds/bindings/$target"
    rm -rf "$out"
    for language in kotlin swift; do
      # From inside the crate, so the generator finds core/uniffi.toml, as the build scripts run it.
      (cd core && cargo run --locked -q -p uniffi-bindgen -- generate "$library" \
        --language "$language" --no-format --out-dir "$out/$language")
      diff -rq "$host/$language" "$out/$language" ||
        fail "the $language bindings generated from $target's library differ from the host's (diff -r $host/$language $out/$language)"
    done
    echo "bindings: Kotlin and Swift from $target's library equal the host's"
  done
else
  echo "skipped: bindings: no cross-built library to generate them from"
fi

echo "cross-builds: $checked checked, $built built, $skipped skipped"
