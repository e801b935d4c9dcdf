"""The real MiniLM model, run offline from the installed files."""

from __future__ import annotations

import numpy as np
import pytest

from rag.embeddings import MODEL_SHA256, TOKENIZER_SHA256, StoredVectors, _sha256, model_path, tokenizer_path


def test_model_files_match_their_pinned_checksums() -> None:
    assert _sha256(model_path()) == MODEL_SHA256
    assert _sha256(tokenizer_path()) == TOKENIZER_SHA256


def test_paraphrases_are_closer_than_unrelated_sentences(embedder) -> None:
    a, b, c = embedder.embed_batch(
        [
            "Restrictions on exporting advanced chips to China",
            "Export controls on semiconductors sold to Beijing",
            "A recipe for banana bread with walnuts",
        ]
    )
    assert float(a @ b) > float(a @ c) + 0.3


def test_same_text_gives_the_same_vector(embedder) -> None:
    one = embedder.embed_batch(["incident reporting between rivals"])[0]
    two = embedder.embed_batch(["incident reporting between rivals"])[0]
    assert np.array_equal(one, two)


def test_batch_equals_single_despite_padding(embedder) -> None:
    texts = ["short", "a much longer sentence " * 20, "medium length text about verification"]
    batch = embedder.embed_batch(texts)
    singles = np.stack([embedder.embed_batch([t])[0] for t in texts])
    assert np.allclose(batch, singles, atol=1e-5)


def test_vectors_are_unit_length_and_384_wide(embedder) -> None:
    v = embedder.embed_batch(["hello", ""])
    assert v.shape == (2, 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)


def test_query_cache_returns_the_batch_vector(embedder) -> None:
    text = "could rivals cooperate on compute controls?"
    assert np.allclose(embedder.embed_query(text), embedder.embed_batch([text])[0], atol=1e-6)


def test_a_tampered_model_file_is_refused(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rag import embeddings
    from rag.errors import EmbeddingError

    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not a model")
    monkeypatch.setattr(embeddings, "model_path", lambda: fake)
    with pytest.raises(EmbeddingError, match="sha256"):
        embeddings.verify_model_files()


def test_stored_vectors_survive_the_process_and_follow_the_texts(embedder, tmp_path) -> None:
    folder = tmp_path / "vectors"
    texts = ["compute controls", "incident reporting", "military AI"]
    first = StoredVectors(embedder, folder).embed_batch(texts)
    assert np.allclose(first, embedder.embed_batch(texts), atol=1e-6)
    (stored,) = folder.glob("*.npy")
    written = stored.stat().st_mtime_ns
    again = StoredVectors(embedder, folder).embed_batch(texts)  # a new process would do the same
    assert np.array_equal(again, first) and stored.stat().st_mtime_ns == written
    changed = StoredVectors(embedder, folder).embed_batch([*texts, "technical standards"])
    assert changed.shape == (4, 384) and len(list(folder.glob("*.npy"))) == 2


def test_a_damaged_vector_file_is_recomputed(embedder, tmp_path) -> None:
    folder = tmp_path / "vectors"
    texts = ["verification mechanisms", "shared protocols"]
    expected = StoredVectors(embedder, folder).embed_batch(texts)
    (stored,) = folder.glob("*.npy")
    stored.write_bytes(b"\x93NUMPY not really")
    assert np.array_equal(StoredVectors(embedder, folder).embed_batch(texts), expected)
    assert np.array_equal(np.load(stored), expected)
