# Sourced by the scripts that need Debian packages: `ensure_packages NAME...` installs
# whichever are missing, with sudo when not root, and says what it installs.

ensure_packages() {
  local missing=() package sudo=""
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  ((${#missing[@]})) || return 0
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "error: need root or sudo to install ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "== installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts Mosquitto as a system service on port 1883, which ledger-service needs.
  # The tests start their own Mosquitto on free ports, so the service is not wanted.
  if [[ " ${missing[*]} " == *" mosquitto "* ]] && command -v systemctl >/dev/null && systemctl is-active --quiet mosquitto 2>/dev/null; then
    echo "== stopping the mosquitto system service so port 1883 stays free for ledger-service"
    $sudo systemctl disable --now mosquitto >/dev/null 2>&1 || true
  fi
}

# Node.js and npm for tools/ (the Kotlin compiler and the tree-sitter grammars).
ensure_node() {
  command -v npm >/dev/null || ensure_packages nodejs npm
  [[ -f tools/node_modules/.package-lock.json ]] && cmp -s tools/package-lock.json tools/.installed-lock 2>/dev/null && return 0
  echo "== npm ci in tools/ (--ignore-scripts: the grammars ship prebuilt binaries)"
  (cd tools && npm ci --ignore-scripts --legacy-peer-deps --no-audit --no-fund --loglevel=error)
  cp tools/package-lock.json tools/.installed-lock
}
