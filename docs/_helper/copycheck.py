import re, pathlib
shared = pathlib.Path("/work/shared")
srcs = list((shared / "seeds").glob("*")) + list((shared / "research").glob("*.md"))
def words(t): return re.findall(r"[a-z0-9']+", t.lower())
N = 14
seen = set()
for p in srcs:
    w = words(p.read_text(errors="ignore"))
    seen.update(tuple(w[i:i+N]) for i in range(len(w) - N + 1))
for p in sorted(pathlib.Path("/work/main/knowledge").rglob("*")):
    if p.is_file() and p.suffix in {".md", ".yaml", ".yml", ".txt"}:
        w = words(p.read_text(errors="ignore"))
        hits = [" ".join(w[i:i+N]) for i in range(len(w) - N + 1) if tuple(w[i:i+N]) in seen]
        for h in hits[:5]:
            print(f"{p}: {h}")
