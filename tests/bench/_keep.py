from bot.pii import engine
from tests.bench.pii_dataset import Generator
e = engine()
for s in Generator(2026).dataset(400, 200):
    found = e.analyze(s.text)
    for kind, a, b in s.business:
        hit = [(f.entity_type, f.text) for f in found if f.start < b and a < f.end]
        if hit:
            print(kind, repr(s.text[a:b]), hit, "|", repr(s.text[:120]))
