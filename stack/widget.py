"""Build the web chat's one vendor file: socket.io's browser client, served locally.

    python -m stack.widget [--force]     # (make web; make run and make test do it)

The chat page (web/index.html, web/chat.js, web/chat.css) is the project's own;
it needs only socket.io's client to talk to Rasa's socket.io channel.

1. `npm pack socket.io-client@4.8.1` fetches only the package's tarball from the
   npm registry (no dependency tree: `dist/socket.io.min.js` is a self-contained
   bundle of the client and engine.io's client, 46 KB).
2. The tarball's sha512 must equal the registry's published integrity, pinned
   below, so a changed or tampered tarball stops the build.
3. `package/dist/socket.io.min.js` is written to build/web/socket.io.min.js; the
   build fails if it refers to anything the browser would fetch from outside
   at load time. The package's LICENSE (MIT) is copied beside it.

Nothing else is fetched, at build time or at run time. Re-running with the
output present does nothing unless --force is given.
"""

from __future__ import annotations

import base64
import hashlib
import io
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

from stack.env import ROOT

OUT_DIR = ROOT / "build" / "web"
PACK_DIR = ROOT / "build" / "npm"

PACKAGE = "socket.io-client"
VERSION = "4.8.1"
# `npm view socket.io-client@4.8.1 dist.integrity`
INTEGRITY = "sha512-hJVXfu3E28NmzGk8o1sHhN3om52tRvwYeidbj7xKy2eIIse5IoKX3USlS6Tqt3BHAtflLIkCQBkzVrEEfWUyYQ=="

BUNDLE = OUT_DIR / "socket.io.min.js"
LICENSE = OUT_DIR / "socket.io.LICENSE.txt"
SOURCE = "package/dist/socket.io.min.js"

# Anything that would make the browser fetch from outside at load time.
FORBIDDEN = ("fonts.googleapis.com", "fonts.gstatic.com", "@import url(http", "cdn.")


def fail(message: str) -> "None":
    sys.exit(f"widget: error: {message}")


def integrity_of(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def fetch_tarball() -> bytes:
    """The package tarball, from build/npm/ if already fetched, else via `npm pack`."""
    tarball = PACK_DIR / f"{PACKAGE}-{VERSION}.tgz"
    if not tarball.exists():
        npm = shutil.which("npm")
        if npm is None:
            fail("npm is not installed (it fetches socket.io's client from the npm registry); "
                 "install Node.js and npm, e.g. `apt-get install -y npm`")
        PACK_DIR.mkdir(parents=True, exist_ok=True)
        print(f"widget: npm pack {PACKAGE}@{VERSION}", flush=True)
        result = subprocess.run(
            [npm, "pack", f"{PACKAGE}@{VERSION}", "--silent", "--pack-destination", str(PACK_DIR)],
            cwd=PACK_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        if result.returncode != 0 or not tarball.exists():
            fail(f"`npm pack {PACKAGE}@{VERSION}` failed:\n{result.stderr.strip()}")
    data = tarball.read_bytes()
    got = integrity_of(data)
    if got != INTEGRITY:
        tarball.unlink()
        fail(f"{tarball.name} has integrity {got}, expected {INTEGRITY}; deleted it")
    return data


def member(tar: tarfile.TarFile, name: str) -> bytes:
    f = tar.extractfile(name)
    if f is None:
        fail(f"{name} is missing from the {PACKAGE} tarball")
    return f.read()


def check_offline(js: str) -> str:
    left = [word for word in FORBIDDEN if word in js]
    if left:
        fail(f"{SOURCE} refers to {left}: it would fetch from outside at run time")
    return js


def build(force: bool = False) -> Path:
    if BUNDLE.exists() and LICENSE.exists() and not force:
        print(f"widget: {BUNDLE.relative_to(ROOT)} is up to date")
        return BUNDLE
    data = fetch_tarball()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        js = check_offline(member(tar, SOURCE).decode("utf-8"))
        license_text = member(tar, "package/LICENSE")
    # the bundle ends with a source-map comment; the map is not shipped
    js = "\n".join(line for line in js.splitlines() if not line.startswith("//# sourceMappingURL="))
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    header = f"/* {PACKAGE} {VERSION} (MIT, see socket.io.LICENSE.txt), {SOURCE} from the npm registry */\n"
    tmp = BUNDLE.with_suffix(".tmp")
    tmp.write_text(header + js + "\n", encoding="utf-8")
    LICENSE.write_bytes(license_text)
    tmp.replace(BUNDLE)  # last, so a half-written build is never taken as done
    print(f"widget: wrote {BUNDLE.relative_to(ROOT)} ({BUNDLE.stat().st_size // 1024} KiB)")
    return BUNDLE


if __name__ == "__main__":
    build(force="--force" in sys.argv[1:])
