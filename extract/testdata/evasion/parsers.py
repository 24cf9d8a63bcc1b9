#!/usr/bin/env python3
"""Record which lenient parsers find each evasion message's payload.

Reads manifest.json and go-parsers.json (written by
`go test ./extract -run TestEvasionCorpus -gen`), runs Python's email
package (policy=default, walk() with get_payload(decode=True), and
iter_attachments()) and, when installed, ripmime, munpack (mpack) and
reformime (maildrop) on every message, and writes parsers.md: one row per
message, "yes" where the parser's output holds a file with the payload's
SHA-256. The Go test reads the table, never runs this script.

Usage: python3 parsers.py   (from this directory)
"""

import email
import email.policy
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def sha(b):
    return hashlib.sha256(b).hexdigest()


def python_walk(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    out = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        try:
            b = part.get_payload(decode=True)
        except Exception:
            continue
        if isinstance(b, bytes):
            out.append(b)
    return out


def python_attachments(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    out = []
    try:
        parts = list(msg.iter_attachments()) if msg.is_multipart() else []
    except Exception:
        parts = []
    for part in parts:
        try:
            b = part.get_payload(decode=True)
        except Exception:
            continue
        if isinstance(b, bytes):
            out.append(b)
    return out


def tool_files(cmd, raw, stdin=False):
    """Run a command that writes files into a temp dir; return their bytes."""
    d = tempfile.mkdtemp(prefix="evasion-")
    try:
        src = os.path.join(d, "in.eml")
        with open(src, "wb") as f:
            f.write(raw)
        out = os.path.join(d, "out")
        os.mkdir(out)
        argv = [a.replace("{in}", src).replace("{out}", out) for a in cmd]
        try:
            if stdin:
                with open(src, "rb") as f:
                    subprocess.run(argv, stdin=f, cwd=out, capture_output=True, timeout=30)
            else:
                subprocess.run(argv, cwd=out, capture_output=True, timeout=30)
        except (subprocess.TimeoutExpired, OSError):
            return []
        files = []
        for root, _, names in os.walk(out):
            for n in names:
                with open(os.path.join(root, n), "rb") as f:
                    files.append(f.read())
        return files
    finally:
        shutil.rmtree(d, ignore_errors=True)


TOOLS = {
    "ripmime": (["ripmime", "-i", "{in}", "-d", "{out}", "--no-paranoid"], False),
    "munpack": (["munpack", "-q", "-t", "-C", "{out}", "{in}"], False),
}


def reformime_files(raw):
    """reformime -x segfaults here (maildrop 2.9.3, Debian 12): list the
    sections with -i, then extract each decoded with -s N -e."""
    try:
        info = subprocess.run(["reformime", "-i"], input=raw, capture_output=True, timeout=30).stdout
    except (subprocess.TimeoutExpired, OSError):
        return []
    out = []
    for line in info.decode("latin-1").splitlines():
        if line.startswith("section: "):
            sec = line.split(": ", 1)[1].strip()
            try:
                r = subprocess.run(["reformime", "-s", sec, "-e"], input=raw, capture_output=True, timeout=30)
            except (subprocess.TimeoutExpired, OSError):
                continue
            out.append(r.stdout)
    return out


def main():
    with open(os.path.join(HERE, "manifest.json")) as f:
        cases = json.load(f)
    with open(os.path.join(HERE, "go-parsers.json")) as f:
        gores = json.load(f)
    tools = [t for t in TOOLS if shutil.which(TOOLS[t][0][0])]
    if shutil.which("reformime"):
        tools.append("reformime")
    cols = ["airlock", "python-walk", "python-attachments"] + tools + ["go-stdlib", "go-message"]
    rows = []
    found = {c: 0 for c in cols}
    for c in cases:
        with open(os.path.join(HERE, c["file"]), "rb") as f:
            raw = f.read()
        want = c["payload_sha256"]
        res = {
            "airlock": gores["airlock"][c["file"]],
            "python-walk": want in {sha(b) for b in python_walk(raw)},
            "python-attachments": want in {sha(b) for b in python_attachments(raw)},
        }
        for t in tools:
            if t == "reformime":
                res[t] = want in {sha(b) for b in reformime_files(raw)}
                continue
            argv, stdin = TOOLS[t]
            res[t] = want in {sha(b) for b in tool_files(argv, raw, stdin)}
        res["go-stdlib"] = gores["parsers"][c["file"]]["go-stdlib"]
        res["go-message"] = gores["parsers"][c["file"]]["go-message"]
        cells = []
        for col in cols:
            v = res[col]
            if isinstance(v, bool):
                cells.append("yes" if v else "-")
                found[col] += v
            else:
                cells.append(v)
        kind = "twin" if c["twin"] else c["payload"]
        rows.append("| %s | %s | %s | %s |" % (c["file"], c["family"], kind, " | ".join(cells)))
    with open(os.path.join(HERE, "parsers.md"), "w") as f:
        f.write("# Which parsers find the payload\n\n")
        f.write("Generated by parsers.py from manifest.json and go-parsers.json; do not edit.\n")
        f.write("A cell says whether the parser's output holds a file with the payload's SHA-256\n")
        f.write("(\"yes\"/\"-\"); the airlock column is `extract.Walk`'s outcome: the payload\n")
        f.write("listed, or the message judged unscannable. Twins are benign look-alikes\n")
        f.write("(payload: a PNG) that must stay deliverable.\n\n")
        f.write("Python %s; tools: %s.\n\n" % (sys.version.split()[0], ", ".join(tools) or "none installed"))
        f.write("| message | family | payload | " + " | ".join(cols) + " |\n")
        f.write("|" + "---|" * (len(cols) + 3) + "\n")
        for r in sorted(rows):
            f.write(r + "\n")
        f.write("\nPayload found (of %d messages): %s\n" % (len(cases), ", ".join("%s %d" % (c, found[c]) for c in cols if c != "airlock")))


if __name__ == "__main__":
    main()
