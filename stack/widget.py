"""Build the web chat's vendor file: the rasa-webchat widget bundle, served locally.

    python -m stack.widget [--force]     # (make web; make run and make test do it)

1. `npm pack rasa-webchat@1.0.1` fetches only the package's tarball from the npm
   registry (no dependency tree: `lib/index.js` is a self-contained bundle of
   React, socket.io-client 3 and the widget).
2. The tarball's sha512 must equal the registry's published integrity, pinned
   below, so a changed or tampered tarball stops the build.
3. `package/lib/index.js` is written to build/web/rasa-webchat.js with its CSS
   `@import url(https://fonts.googleapis.com/...)` removed, so the page asks
   nothing of a font service (the CSS falls back to `sans-serif`); the build
   fails if any such import is left. The package's LICENSE (Apache-2.0) is
   copied beside it.

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

PACKAGE = "rasa-webchat"
VERSION = "1.0.1"
# `npm view rasa-webchat@1.0.1 dist.integrity`
INTEGRITY = "sha512-Ld1zVJvTAaTrs6A5p8t70agNNrKYRyXlvqXZRgBoDvKKUXbA0jhJKECi5bdPGlaR6jsmqWtVylHS+YqIqo0x8w=="

BUNDLE = OUT_DIR / "rasa-webchat.js"
LICENSE = OUT_DIR / "rasa-webchat.LICENSE.txt"

# The exact CSS rule webpack's css-loader inlined 11 times into the bundle.
FONT_IMPORT = "@import url(https://fonts.googleapis.com/css?family=Inter:400,500,700&display=swap);"
# Anything that would make the browser fetch from outside at load time.
FORBIDDEN = ("fonts.googleapis.com", "fonts.gstatic.com", "@import url(http")


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
            fail("npm is not installed (it fetches the widget from the npm registry); "
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


def strip_font_imports(js: str) -> str:
    count = js.count(FONT_IMPORT)
    if count == 0:
        fail("the Google Fonts @import was not found in the bundle: is this still rasa-webchat 1.0.1?")
    js = js.replace(FONT_IMPORT, "")
    left = [word for word in FORBIDDEN if word in js]
    if left:
        fail(f"the bundle still refers to {left}: it would fetch from outside at run time")
    return js


def build(force: bool = False) -> Path:
    if BUNDLE.exists() and LICENSE.exists() and not force:
        print(f"widget: {BUNDLE.relative_to(ROOT)} is up to date")
        return BUNDLE
    data = fetch_tarball()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        js = member(tar, "package/lib/index.js").decode("utf-8")
        license_text = member(tar, "package/LICENSE")
    js = strip_font_imports(js)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    header = (f"/* {PACKAGE} {VERSION} (Apache-2.0, see rasa-webchat.LICENSE.txt), lib/index.js "
              "from the npm registry; Google Fonts @import removed by stack/widget.py */\n")
    tmp = BUNDLE.with_suffix(".tmp")
    tmp.write_text(header + js, encoding="utf-8")
    LICENSE.write_bytes(license_text)
    tmp.replace(BUNDLE)  # last, so a half-written build is never taken as done
    print(f"widget: wrote {BUNDLE.relative_to(ROOT)} ({BUNDLE.stat().st_size // 1024} KiB)")
    return BUNDLE


if __name__ == "__main__":
    build(force="--force" in sys.argv[1:])
