# Shared by scripts/run.sh, scripts/test.sh and .ci/run: the Python environment, the .env file, system packages.
# Source it from the project root; every function is idempotent and safe to run again.

PYTHON_BIN="${PYTHON_BIN:-python3.11}"
VENV_DIR="${VENV_DIR:-.venv}"

log() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

_apt_updated=""
# apt_install PACKAGE...: install the Debian packages that are missing (as root only; `apt-get update` once).
apt_install() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if ! is_root || ! command -v apt-get >/dev/null 2>&1; then
        log "missing system packages (install them as root): ${missing[*]}"
        return 1
    fi
    if [ -z "$_apt_updated" ]; then
        log "apt-get update"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null
        _apt_updated=1
    fi
    log "apt-get install ${missing[*]}"
    local out
    out="$(mktemp)"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        </dev/null >"$out" 2>&1; then
        cat "$out" >&2
        rm -f "$out"
        return 1
    fi
    rm -f "$out"
}

_deps_stamp() {
    # The installed dependencies are current while pyproject.toml is unchanged.
    printf '%s/.installed-%s' "$VENV_DIR" "$(sha256sum pyproject.toml | cut -c1-16)"
}

# ensure_venv: create .venv with Python 3.11 and install the project with its dev extras (uv when available).
ensure_venv() {
    command -v "$PYTHON_BIN" >/dev/null 2>&1 || die "$PYTHON_BIN not found: install Python 3.11 (Debian 12: apt-get install python3.11 python3.11-venv)"
    if [ -x "$VENV_DIR/bin/python" ] && ! "$VENV_DIR/bin/python" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null; then
        log "$VENV_DIR is not a working Python 3.11 environment: recreating it"
        rm -rf "$VENV_DIR"
    fi
    local stamp
    stamp="$(_deps_stamp)"
    if [ -f "$stamp" ]; then
        return 0
    fi
    if command -v uv >/dev/null 2>&1; then
        export UV_PYTHON_DOWNLOADS=never
        if [ ! -x "$VENV_DIR/bin/python" ]; then
            log "creating $VENV_DIR with uv"
            uv venv --quiet --python "$(command -v "$PYTHON_BIN")" "$VENV_DIR"
        fi
        log "installing the project and its dev dependencies (uv)"
        uv pip install --quiet --python "$VENV_DIR/bin/python" -e '.[dev]'
    else
        if [ ! -x "$VENV_DIR/bin/python" ]; then
            log "creating $VENV_DIR"
            if ! "$PYTHON_BIN" -m venv "$VENV_DIR" 2>/dev/null; then
                # Debian ships venv's pip bootstrap separately.
                rm -rf "$VENV_DIR"
                apt_install python3.11-venv || die "python3.11 -m venv failed: install python3.11-venv"
                "$PYTHON_BIN" -m venv "$VENV_DIR"
            fi
        fi
        log "installing the project and its dev dependencies (pip)"
        "$VENV_DIR/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
        "$VENV_DIR/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[dev]'
    fi
    rm -f "$VENV_DIR"/.installed-*
    touch "$stamp"
}

# ensure_env_file [PATH]: write .env on the first run only (development values, fresh random secrets).
ensure_env_file() {
    local path="${1:-.env}"
    [ -f "$path" ] && return 0
    log "writing $path (development settings with fresh random secrets; it is git-ignored)"
    local secret_key fernet_key admin_password
    secret_key="$("$VENV_DIR/bin/python" -c 'import secrets; print(secrets.token_urlsafe(50))')"
    fernet_key="$("$VENV_DIR/bin/python" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
    admin_password="$("$VENV_DIR/bin/python" -c 'import secrets; print(secrets.token_urlsafe(12))')"
    (
        umask 077
        cat >"$path" <<ENV
# Written by scripts/run.sh on its first run. Every variable is explained in .env.example.
DEBUG=true
SECRET_KEY=$secret_key
FIELD_ENCRYPTION_KEYS=$fernet_key
DEMO_ADMIN_PASSWORD=$admin_password
ENV
    )
}
