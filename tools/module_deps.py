#!/usr/bin/env python3
"""Top-level module dependency graph of src/ and its cycles (SCCs)."""
import os, re, sys, collections
root = sys.argv[1] if len(sys.argv) > 1 else 'src'
def modname(path):
    rel = os.path.relpath(path, root)
    parts = rel[:-3].split(os.sep)
    if parts[-1] == 'mod': parts = parts[:-1]
    return parts
top_mods = set()
files = []
for d, _, fs in os.walk(root):
    for f in fs:
        if f.endswith('.rs'):
            p = os.path.join(d, f); files.append(p)
            top_mods.add(modname(p)[0])
top_mods -= {'lib', 'main'}
def strip_comments(s):
    s = re.sub(r'//[^\n]*', '', s)
    return s
def crate_refs(text):
    out = set()
    # use crate::{a, b::c}
    for m in re.finditer(r'crate::\{([^;]*?)\};', text, re.S):
        for item in re.split(r',', m.group(1)):
            item = item.strip()
            n = re.match(r'(\w+)', item)
            if n: out.add(n.group(1))
    for m in re.finditer(r'crate::(\w+)', text):
        out.add(m.group(1))
    return out
edges = collections.defaultdict(set)
for p in files:
    mp = modname(p)
    if mp[0] in ('lib', 'main'): continue
    text = strip_comments(open(p).read())
    for r in crate_refs(text):
        if r in top_mods and r != mp[0]:
            edges[mp[0]].add(r)
    # super:: from a top-level module's child file resolves to the same top module; fine.
# Tarjan SCC
index = {}; low = {}; st = []; on = set(); sccs = []; i = [0]
def sc(v):
    index[v] = low[v] = i[0]; i[0] += 1; st.append(v); on.add(v)
    for w in edges.get(v, ()):
        if w not in index: sc(w); low[v] = min(low[v], low[w])
        elif w in on: low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = st.pop(); on.discard(w); comp.append(w)
            if w == v: break
        sccs.append(sorted(comp))
sys.setrecursionlimit(10000)
for v in sorted(top_mods):
    if v not in index: sc(v)
cycles = [c for c in sccs if len(c) > 1]
for m in sorted(top_mods):
    print(f"{m:12} -> {', '.join(sorted(edges.get(m, ())))}")
print()
print("cycles:", cycles if cycles else "none")
sys.exit(1 if cycles else 0)
