"""Connection profiles: defaults, persistence without passwords, keyring failures."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from console.paths import data_dir
from ui.profiles import CUSTOM, ConnectionProfile, ProfilesModel, SecretStore


def settings():
    return QSettings(str(data_dir() / "settings.ini"), QSettings.Format.IniFormat)


def test_default_profiles(qapp):
    m = ProfilesModel(settings(), SecretStore(use_keyring=False))
    names = [m.data(m.index(r)) for r in range(m.rowCount())]
    assert names == ["Embedded simulator", "Infobip production"]
    assert m.profiles[1].http_base_url == "https://api.infobip.com"
    assert m.current.kind == "embedded"


def test_custom_profile_saved_without_password(qapp):
    secrets = SecretStore(use_keyring=False)
    m = ProfilesModel(settings(), secrets)
    m.upsert(ConnectionProfile("Staging", CUSTOM, http_base_url="https://staging.example",
                               http_username="bob", http_password="hunter2-secret",
                               smpp_password="smpp-secret"))
    m.set_current(2)
    text = (data_dir() / "settings.ini").read_text()
    assert "Staging" in text and "staging.example" in text
    assert "hunter2-secret" not in text and "smpp-secret" not in text
    # a new model (next start) restores the profile and the current choice
    again = ProfilesModel(settings(), secrets)
    assert again.current.name == "Staging"
    assert again.current.http_password == "hunter2-secret"  # from the secret store, not the file
    # without the secret store (a new run, no keyring) the password is simply unknown
    cold = ProfilesModel(settings(), SecretStore(use_keyring=False))
    assert cold.current.http_password == ""


def test_keyring_without_backend_falls_back_to_memory():
    store = SecretStore()  # the test machine has no keyring backend (or a failing one)
    store.set("x/http_password", "pw")
    assert store.get("x/http_password") == "pw"
    if not store.persistent:
        assert "this run only" in (store.keyring_error or "")


def test_embedded_profile_cannot_be_overwritten(qapp):
    import pytest

    m = ProfilesModel(settings(), SecretStore(use_keyring=False))
    with pytest.raises(ValueError):
        m.upsert(ConnectionProfile("Embedded simulator", "embedded"))
    with pytest.raises(ValueError):
        m.remove(0)


def test_corrupt_saved_profiles_are_ignored(qapp):
    s = settings()
    s.setValue("profiles/list", "{not json")
    s.sync()
    m = ProfilesModel(settings(), SecretStore(use_keyring=False))
    assert m.rowCount() == 2
