#!/usr/bin/env python3
"""Import circles per crate: strongly connected sets of two or more files of one crate linked
by `crate::`/`super::`/`self::` paths, leaving out a module's own ancestors and descendants.
And the runner's layers: no file imports a module of a layer above its own, and no command
imports another command.

    python3 .ci/circles.py            # prints each crate's circles and the runner's upward
                                      # imports; exits 1 if there is any
    python3 .ci/circles.py --self-test

A file's module is its path under `src/` (`a/b.rs` and `a/b/mod.rs` are `a::b`); the crate
root is `lib.rs` (a binary-only crate: `main.rs`). A path is resolved to the longest module
prefix that is a file; paths inside inline modules (`mod tests { … }`) resolve from there.
"""

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PATH_RE = re.compile(r"\b(crate|super|self)((?:::(?:r#)?\w+)+)")
INLINE_MOD_RE = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*\{")
USE_RE = re.compile(r"\buse\s+((?:crate|super|self)\b[^;]*);", re.S)


def strip_comments_and_strings(text):
    """Blanks out comments, string and char literals (keeping line breaks)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif c == "r" and re.match(r'r#*"', text[i:i + 10]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'r(#*)"', text[i:])
            end = '"' + m.group(1)
            j = text.find(end, i + len(m.group(0)))
            j = n if j < 0 else j + len(end)
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j + 1
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i + 4]) or text.startswith("'\\u{", i):
            j = text.find("'", i + 2)
            out.append("' '")
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def expand_use(tree):
    """`crate::{a::b, c::{d, e}}` -> ['crate::a::b', 'crate::c::d', 'crate::c::e']."""
    tree = re.sub(r"\s+as\s+\w+", "", tree)
    tree = re.sub(r"\s+", "", tree)

    def split_top(s):
        parts, depth, cur = [], 0, ""
        for ch in s:
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            if ch == "," and depth == 0:
                parts.append(cur)
                cur = ""
            else:
                cur += ch
        if cur:
            parts.append(cur)
        return parts

    def walk(prefix, s):
        if "{" not in s:
            return [prefix + s]
        k = s.index("{")
        head, body = s[:k], s[k + 1:s.rindex("}")]
        res = []
        for p in split_top(body):
            if p == "self":
                res.append((prefix + head).rstrip(":"))
            elif p:
                res.extend(walk(prefix + head, p))
        return res

    return walk("", tree)


def module_files(src):
    """{module path tuple: file} for every file of a crate's src/."""
    mods = {}
    for f in src.rglob("*.rs"):
        rel = f.relative_to(src).with_suffix("")
        parts = list(rel.parts)
        if parts == ["lib"] or parts == ["main"]:
            parts = []
        elif parts[-1] == "mod":
            parts = parts[:-1]
        mods.setdefault(tuple(parts), f)
    return mods


def crate_root_is_lib(src):
    return (src / "lib.rs").exists()


def edges_of(src, mods, module, text):
    """The modules `text` (the file of `module`) refers to."""
    text = strip_comments_and_strings(text)
    targets = set()
    lines = text.split("\n")
    # Inline modules: the module path in force on each line.
    here = []
    stack = []  # (brace depth at open, name)
    depth = 0
    for line in lines:
        m = INLINE_MOD_RE.match(line)
        if m:
            stack.append((depth, m.group(1)))
        here.append(module + tuple(name for _, name in stack))
        depth += line.count("{") - line.count("}")
        while stack and depth <= stack[-1][0]:
            stack.pop()
    line_of = []
    for i, line in enumerate(lines):
        line_of.extend([i] * (len(line) + 1))

    def resolve(path, at):
        scope = list(here[line_of[min(at, len(line_of) - 1)]])
        segs = [s.replace("r#", "") for s in path.split("::") if s]
        if not segs:
            return None
        if segs[0] == "crate":
            base, rest = [], segs[1:]
        else:
            base = scope
            rest = segs
            while rest and rest[0] in ("self", "super"):
                if rest[0] == "super":
                    if not base:
                        return None
                    base = base[:-1]
                rest = rest[1:]
        full = tuple(base + rest)
        for k in range(len(full), -1, -1):
            if full[:k] in mods:
                return full[:k]
        return None

    seen_spans = []
    for m in USE_RE.finditer(text):
        seen_spans.append((m.start(), m.end()))
        for p in expand_use(m.group(1)):
            t = resolve(p, m.start())
            if t is not None:
                targets.add(t)
    for m in PATH_RE.finditer(text):
        if any(a <= m.start() < b for a, b in seen_spans):
            continue
        t = resolve(m.group(0), m.start())
        if t is not None:
            targets.add(t)
    return targets


def related(a, b):
    """Whether one module is the other, or its ancestor or descendant."""
    k = min(len(a), len(b))
    return a[:k] == b[:k]


def sccs(nodes, graph):
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(comp)

    sys.setrecursionlimit(10000)
    for v in nodes:
        if v not in index:
            strong(v)
    return out


def circles_of(src):
    mods = module_files(src)
    if crate_root_is_lib(src):
        # A binary beside the library is its own crate: left out here.
        mods = {m: f for m, f in mods.items() if f.name != "main.rs" or f.parent != src}
    graph = {}
    for module, f in mods.items():
        targets = edges_of(src, mods, module, f.read_text(encoding="utf-8"))
        graph[module] = sorted(t for t in targets if not related(module, t))
    comps = sccs(sorted(mods), graph)
    return [sorted("::".join(m) or "(root)" for m in c) for c in comps if len(c) >= 2]


# The runner's layers, lowest first: a module may import its own layer and those below.
RUNNER_LAYERS = [
    ["output", "cli::args"],
    ["tenant"],
    ["recorder"],
    ["pipeline"],
    ["run"],
    ["exit"],
    ["cmd"],
    ["cli"],
]


def layer_of(module):
    """The layer of a module: its longest listed prefix (the crate root: none)."""
    best = None
    for i, layer in enumerate(RUNNER_LAYERS):
        for prefix in layer:
            p = tuple(prefix.split("::"))
            if module[:len(p)] == p and (best is None or len(p) > best[1]):
                best = (i, len(p))
    return None if best is None else best[0]


def upward_imports(src):
    """(from, to) imports that point up a layer, or from one command to another."""
    mods = {m: f for m, f in module_files(src).items() if f.name != "main.rs" or f.parent != src}
    bad = []
    for module, f in sorted(mods.items()):
        for t in sorted(edges_of(src, mods, module, f.read_text(encoding="utf-8"))):
            if related(module, t):
                continue
            a, b = layer_of(module), layer_of(t)
            up = a is not None and b is not None and b > a
            sibling_commands = module[:1] == ("cmd",) and t[:1] == ("cmd",) and len(t) > 1
            if up or sibling_commands:
                bad.append(("::".join(module), "::".join(t)))
    return bad


def all_crates():
    for cargo in sorted((ROOT / "crates").glob("*/Cargo.toml")):
        src = cargo.parent / "src"
        if src.is_dir():
            yield cargo.parent.name, src


def self_test():
    assert expand_use("crate::{a::b, c::{d, e as f}, self}") == [
        "crate::a::b", "crate::c::d", "crate::c::e", "crate",
    ], expand_use("crate::{a::b, c::{d, e as f}, self}")
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        src = Path(d)
        (src / "lib.rs").write_text("mod a; mod b; mod c;\n")
        (src / "a.rs").write_text("use crate::b::X;\n")
        (src / "b.rs").write_text("pub struct X; fn f() { crate::a::g(); }\n")
        (src / "c.rs").write_text("mod tests { use super::*; use crate::a; }\n// crate::b\n")
        assert circles_of(src) == [["a", "b"]], circles_of(src)
        (src / "b.rs").write_text('pub struct X; fn f() { let s = "crate::a::g"; }\n')
        assert circles_of(src) == [], circles_of(src)
    print("circles: self-test passed")


def main():
    if "--self-test" in sys.argv:
        self_test()
        return 0
    total = 0
    for name, src in all_crates():
        found = circles_of(src)
        total += len(found)
        print(f"{name}: {len(found)} circle(s)")
        for c in found:
            print("  " + " <-> ".join(c))
    up = upward_imports(ROOT / "crates" / "runner" / "src")
    print(f"runner: {len(up)} import(s) pointing up a layer or across commands")
    for a, b in up:
        print(f"  {a} -> {b}")
    return 1 if total or up else 0


if __name__ == "__main__":
    sys.exit(main())
