"""The bearer token: literal or from a file re-read on every request; never logged."""

from __future__ import annotations

import logging
import os

import pytest
from support.argo_helpers import make_engine
from support.manifests import workflow_manifest

from argo_scheduler.engines.base import EngineError


@pytest.mark.parametrize(
    "configured",
    ["sa-token-1", "Bearer sa-token-1", "  bearer   sa-token-1\n"],
    ids=["bare", "with-bearer-prefix", "argo-cli-style-with-spaces"],
)
def test_literal_token_is_sent_as_bearer(engine, fake, configured):
    # GIVEN a token configured with or without argo CLI's "Bearer " prefix
    engine.token = configured
    fake.token = "sa-token-1"
    # WHEN the engine calls Argo THEN the header carries it once
    engine.status()
    assert [r.authorization for r in fake.requests()] == ["Bearer sa-token-1"]


def test_rotated_token_file_is_used_on_the_next_request(engine, fake, tmp_path):
    # GIVEN a projected service-account token file (it wins over the literal token)
    token_file = tmp_path / "token"
    token_file.write_text("rotating-1")
    engine.token_file = str(token_file)
    fake.token = "rotating-1"
    engine.status()
    # WHEN the kubelet replaces it (atomically, as it does) and the server accepts only the new one
    replacement = tmp_path / "token.new"
    replacement.write_text("rotating-2\n")
    os.replace(replacement, token_file)
    fake.token = "rotating-2"
    # THEN the next request carries the new token
    engine.status()
    assert [r.authorization for r in fake.requests()] == ["Bearer rotating-1", "Bearer rotating-2"]


def test_unreadable_token_file_is_explained(direct_engine, direct_fake, tmp_path):
    # GIVEN a token file that does not exist WHEN the engine is used THEN the error names it and the trait
    direct_engine.token_file = str(tmp_path / "missing")
    with pytest.raises(EngineError, match=r"Cannot read the Argo token file .*missing.*c.ArgoEngine.token_file"):
        direct_engine.status()
    assert direct_fake.requests() == []


def test_missing_token_is_explained(direct_fake):
    # GIVEN no token at all (Prism would answer this itself, so straight to the fake)
    engine = make_engine(direct_fake.url, token="")
    # WHEN the server wants one THEN the request had no Authorization and the error says what to set
    with pytest.raises(EngineError, match=r"401 Unauthorized.*token is missing, invalid or expired"):
        engine.status()
    assert [r.authorization for r in direct_fake.requests()] == [None]


def test_token_is_never_logged(engine, fake, caplog):
    # GIVEN a secret token and logging at its most verbose
    engine.token = "very-secret-token"
    fake.token = "very-secret-token"
    caplog.set_level(logging.DEBUG)
    engine.log.setLevel(logging.DEBUG)
    # WHEN the engine succeeds, retries and fails
    engine.submit(workflow_manifest())
    fake.fail(status=503, times=10)
    with pytest.raises(EngineError) as e:
        engine.status()
    # THEN the token appears in no log record and no error
    assert caplog.records, "the engine logged nothing: this test would prove nothing"
    assert "very-secret-token" not in caplog.text
    assert "very-secret-token" not in str(e.value)


@pytest.mark.parametrize(
    "configured", ["two words", "Bearer line\nbreak", "tab\tinside"], ids=["space", "newline", "tab"]
)
def test_malformed_token_is_refused_without_showing_it(direct_engine, direct_fake, configured):
    # GIVEN a token mangled when it was copied
    direct_engine.token = configured
    # WHEN the engine is used THEN it says so, shows none of it, and sends nothing
    with pytest.raises(EngineError, match="contains spaces or characters a token cannot have") as e:
        direct_engine.status()
    assert not any(part in str(e.value) for part in ("words", "break", "inside"))
    assert direct_fake.requests() == []


def test_token_echoed_by_the_server_is_redacted(engine, fake):
    # GIVEN a server (or a proxy before it) that quotes the token in its refusal
    engine.token = fake.token = "echoed-secret"
    fake.fail(status=403, message="token echoed-secret may not create workflows")
    # WHEN the engine reports the refusal THEN the token is not in it
    with pytest.raises(EngineError) as e:
        engine.submit(workflow_manifest())
    assert "echoed-secret" not in str(e.value)
    assert "token [token] may not create workflows" in str(e.value)
