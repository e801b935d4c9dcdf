"""Choose each router model's regularisation strength again and store it in rag/data/strengths.yaml.

Usage: .venv/bin/python scripts/choose_strengths.py   (about twenty minutes per router, two routers)

Training fits each model once, at its stored strength. Run this after changing the router's
training data (rag/data/*.yaml, the canned questions, the catalogue) or its embedders: it
cross-validates the strengths of ``rag.router.models.CS`` on three folds for every model, as
training does for a model with no stored strength, and writes the file (the routers then train
again on first use, in three to five minutes each).
"""

from __future__ import annotations

import sys

import yaml

from rag.config import Settings
from rag.engine import Engine
from rag.router.data import CHOSEN_ON, DATA_DIR, STRENGTHS_FILE, load_training_data
from rag.router.models import CS

HEADER = f"""\
# The regularisation strength (C) of each of the question router's models, per embedder: chosen
# by three-fold cross-validated log loss over ({", ".join(f"{c:g}" for c in CS)}) on the shipped training data,
# by scripts/choose_strengths.py. Training fits each model once at its strength here (three to
# five minutes per router); a model or embedder missing here is cross-validated when it trains
# (about twenty minutes per router).
# Choose again after editing the training data, the catalogue or the embedders; chosen_on is the
# fingerprint of the training data they were chosen on (a test compares it with the shipped data).
"""


def main() -> int:
    engine = Engine(Settings.from_env(), notice=lambda m: print(m, file=sys.stderr))
    engine.ensure_index()  # the routers read the domains' card passages from the index
    print("cross-validating every router model's strength (about twenty minutes per router)...", file=sys.stderr)
    chosen = engine.choose_router_strengths()
    body: dict[str, object] = {name: dict(sorted(models.items())) for name, models in chosen.items()}
    body[CHOSEN_ON] = load_training_data(engine.catalogue).examples_fingerprint()
    path = DATA_DIR / STRENGTHS_FILE
    path.write_text(HEADER + yaml.safe_dump(body, sort_keys=True, default_flow_style=None, width=200), encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
