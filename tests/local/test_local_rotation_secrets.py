"""The secrets file through rotations: the retired key kept for the grace period, then dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from django_cloudrun.config import parse_config
from django_cloudrun.local import LocalError
from django_cloudrun.local.rotation import (
    FALLBACKS_ID,
    current_secrets,
    retired_keys,
    rotate_secret_key,
    rotation_environment,
)
from django_cloudrun.local.secrets import read_secrets

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CONFIG = parse_config("[rotation]\ngrace_days = 7\n")


@pytest.fixture
def path(tmp_path):
    path = tmp_path / "secrets"
    current_secrets(path, CONFIG, START)
    return path


def test_the_old_key_becomes_a_fallback_and_a_new_key_the_secret_key(path):
    old = read_secrets(path)["secret-key"]
    assert rotate_secret_key(path, CONFIG, START) == 1
    values = read_secrets(path)
    assert values["secret-key"] != old and len(values["secret-key"]) == 50
    assert [(key.value, key.retired_at) for key in retired_keys(values)] == [(old, START)]
    assert rotation_environment(values, CONFIG) == {"SECRET_KEY_FALLBACKS": old}
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_later_rotation_drops_a_fallback_past_the_grace_period(path):
    first = read_secrets(path)["secret-key"]
    rotate_secret_key(path, CONFIG, START)
    second = read_secrets(path)["secret-key"]
    rotate_secret_key(path, CONFIG, START + timedelta(days=7))  # exactly 7 days: still kept
    assert [key.value for key in retired_keys(read_secrets(path))] == [first, second]
    rotate_secret_key(path, CONFIG, START + timedelta(days=7, seconds=1))
    assert first not in [key.value for key in retired_keys(read_secrets(path))]


def test_up_drops_expired_fallbacks_and_keeps_the_others(path):
    rotate_secret_key(path, CONFIG, START)
    current_secrets(path, CONFIG, START + timedelta(days=3))
    assert len(retired_keys(read_secrets(path))) == 1
    values = current_secrets(path, CONFIG, START + timedelta(days=8))
    assert FALLBACKS_ID not in values and FALLBACKS_ID not in read_secrets(path)
    assert rotation_environment(values, CONFIG) == {}


def test_a_grace_period_of_zero_keeps_the_retired_key_until_the_next_rotation(path):
    config = parse_config("[rotation]\ngrace_days = 0\n")
    old = read_secrets(path)["secret-key"]
    rotate_secret_key(path, config, START)
    assert [key.value for key in retired_keys(read_secrets(path))] == [old]
    rotate_secret_key(path, config, START + timedelta(minutes=1))
    assert old not in read_secrets(path)[FALLBACKS_ID]


def test_rotation_without_local_secrets_asks_for_up_first(tmp_path):
    with pytest.raises(LocalError, match="run `django-cloudrun up` once"):
        rotate_secret_key(tmp_path / "secrets", CONFIG, START)


def test_a_damaged_fallbacks_line_is_a_clear_error(path):
    path.write_text(path.read_text() + f"{FALLBACKS_ID}=not json\n")
    with pytest.raises(LocalError, match=f"^{FALLBACKS_ID} in the local secrets file"):
        rotate_secret_key(path, CONFIG, START)
