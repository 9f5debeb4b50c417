"""The applicant pseudonym: a standard HMAC-SHA256, stable across spellings, secret-keyed."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingestion.pseudonymise import KeyNotConfiguredError, Pseudonymiser, load_key, normalise_identity
from ingestion.settings import load_settings


@given(key=st.binary(min_size=32, max_size=200), value=st.text(max_size=80))
def test_pseudonym_is_hmac_sha256_of_the_normalised_value(key: bytes, value: str) -> None:
    expected = hmac.new(key, normalise_identity(value).encode(), hashlib.sha256).hexdigest()
    assert Pseudonymiser(key).pseudonym(value) == expected


def test_spelling_variants_of_one_person_share_a_key_and_others_do_not() -> None:
    p = Pseudonymiser(b"k" * 32)
    same = {
        p.applicant_key([v]) for v in ["Иванов И.И. - Ухта", "ИВАНОВ И. И. -  Ухта", "иванов и.и. - ухта"]
    }
    assert len(same) == 1
    assert p.applicant_key(["Иванова И.И. - Ухта"]) not in same
    assert p.applicant_key([None, ""]) is None
    assert Pseudonymiser(b"j" * 32).applicant_key(["Иванов И.И. - Ухта"]) not in same


def test_key_from_environment_and_its_checks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("APPEALS_HMAC_KEY", "s" * 40)
    assert load_key() == b"s" * 40
    monkeypatch.setenv("APPEALS_HMAC_KEY", "short")
    with pytest.raises(KeyNotConfiguredError, match="shorter than 32"):
        load_key()
    monkeypatch.delenv("APPEALS_HMAC_KEY")
    monkeypatch.setenv("WAREHOUSE_DSN", "postgresql://x@127.0.0.1:1/x")
    with pytest.raises(KeyNotConfiguredError, match="APPEALS_HMAC_KEY is not set"):
        load_key()


def test_embedded_warehouse_creates_a_private_local_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("APPEALS_HMAC_KEY", raising=False)
    monkeypatch.delenv("WAREHOUSE_DSN", raising=False)
    monkeypatch.setenv("APPEALS_STATE_DIR", str(tmp_path))
    first = load_key()
    assert load_key() == first and len(first) == 64
    key_file = load_settings().state_dir / "hmac.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
