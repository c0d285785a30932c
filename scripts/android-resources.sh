#!/usr/bin/env bash
# Compiles and links the Android app's real resources and manifest with Debian's aapt2,
# against the Android framework's resources (API 29, the newest Debian has), as AGP's
# resource step does: a missing or misspelled resource, or a manifest aapt2 refuses, fails
# here. Then proves the check bites: a copy with a broken @color reference and one with a
# broken @xml reference must each fail to link. Works in target/android-resources/.
# Usage: scripts/android-resources.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-packages.sh
# aapt ships aapt2; android-framework-res is framework-res.apk, aapt2's -I.
ensure_packages aapt android-framework-res

app=android/app
framework=/usr/share/android-framework-res/framework-res.apk
work="$PWD/target/android-resources"

fail() {
  echo "error: $*" >&2
  exit 1
}

# gradle VALUE_NAME: a value of android/app/build.gradle.kts, so the link uses the app's own.
gradle() {
  local value
  value=$(sed -n "s/^ *$1 = \"\{0,1\}\([^\"]*\)\"\{0,1\}$/\1/p" "$app/build.gradle.kts" | head -n 1)
  [[ -n "$value" ]] || fail "no '$1 = ...' in $app/build.gradle.kts"
  echo "$value"
}
namespace=$(gradle namespace)
min_sdk=$(gradle minSdk)
target_sdk=$(gradle targetSdk)
version_code=$(gradle versionCode)
version_name=$(gradle versionName)

# link RES MANIFEST OUT: compile RES, then link it with MANIFEST, given package= from the
# namespace as AGP writes it into the merged manifest. Prints aapt2's errors.
link() {
  local res=$1 manifest=$2 out=$3
  rm -rf "$out"
  mkdir -p "$out/gen"
  grep -q 'package=' "$manifest" && fail "$manifest sets package=; AGP 8 takes it from namespace in build.gradle.kts"
  sed '0,/<manifest /s//<manifest package="'"$namespace"'" /' "$manifest" >"$out/AndroidManifest.xml"
  grep -q "package=\"$namespace\"" "$out/AndroidManifest.xml" || fail "could not add package= to $manifest"
  aapt2 compile --dir "$res" -o "$out/res.zip" &&
    aapt2 link -o "$out/app-res.apk" -I "$framework" --manifest "$out/AndroidManifest.xml" \
      --min-sdk-version "$min_sdk" --target-sdk-version "$target_sdk" \
      --version-code "$version_code" --version-name "$version_name" \
      --java "$out/gen" "$out/res.zip"
}

# break_reference KIND: a copy of the resources and manifest whose first @KIND/NAME
# reference names a resource that does not exist; the link must then fail.
break_reference() {
  local kind=$1 broken="$work/broken-$1" file name
  rm -rf "$broken"
  mkdir -p "$broken"
  cp -r "$app/src/main/res" "$broken/res"
  cp "$app/src/main/AndroidManifest.xml" "$broken/AndroidManifest.xml"
  file=$(grep -rl "@$kind/" "$broken/AndroidManifest.xml" "$broken/res" | sort | head -n 1)
  [[ -n "$file" ]] || fail "no @$kind/ reference in $app/src/main to break"
  name=$(grep -o -m 1 "@$kind/[A-Za-z0-9_.]*" "$file" | head -n 1)
  sed -i "0,\|$name|s||${name}_missing|" "$file"
  grep -q "${name}_missing" "$file" || fail "could not break $name in ${file#"$broken"/}"
  if link "$broken/res" "$broken/AndroidManifest.xml" "$broken/out" >"$broken/link.log" 2>&1; then
    fail "the resource check would miss a broken reference: $name renamed to ${name}_missing in ${file#"$broken"/} still links"
  fi
  # aapt2 names it without the @: "resource color/NAME_missing ... not found".
  grep -q "${name#@}_missing" "$broken/link.log" ||
    fail "the link of the broken $name failed, but not on it: $(head -n 3 "$broken/link.log")"
  echo "rejected: $name renamed to ${name}_missing in ${file#"$broken"/}: $(grep -m 1 "${name#@}_missing" "$broken/link.log" | sed 's/^.*error: //')"
}

echo "== aapt2 compile and link of $app's resources and manifest (package $namespace, SDK $min_sdk..$target_sdk)"
link "$app/src/main/res" "$app/src/main/AndroidManifest.xml" "$work/app" ||
  fail "aapt2 could not link $app's resources and manifest (see above)"

echo "== a broken @color and a broken @xml reference must fail the link"
break_reference color
break_reference xml

echo "android resources: linked; 2 broken references rejected"
