"""The API is behind Jupyter's own auth: no token -> refused; cookie-authenticated writes need
the XSRF token; path traversal in artifact paths is refused."""
from __future__ import annotations

import json
import urllib.parse

import pytest
from jupyter_server.utils import url_path_join

API = "nbtrack/api"

GET_ENDPOINTS = [
    "experiments",
    "experiments/0/runs",
    "runs?experiment_ids=0",
    "runs/RUN",
    "runs/RUN/metrics/loss",
    "runs/RUN/artifacts",
    "runs/RUN/artifact?path=notes.txt",
    "models",
    "models/clf",
]


def _url(base: str, endpoint: str, run_id: str = "") -> str:
    return url_path_join(base, API, endpoint.replace("RUN", run_id))


@pytest.mark.parametrize("endpoint", GET_ENDPOINTS)
async def test_get_without_token_is_refused(seeded, http_server_client, jp_base_url, endpoint):
    response = await http_server_client.fetch(
        _url(jp_base_url, endpoint, seeded.good_run), raise_error=False
    )
    assert response.code == 403
    assert b"hello artifacts" not in response.body and b"vision" not in response.body


@pytest.mark.parametrize("endpoint", GET_ENDPOINTS[:3])
async def test_get_with_wrong_token_is_refused(seeded, http_server_client, jp_base_url, endpoint):
    response = await http_server_client.fetch(
        _url(jp_base_url, endpoint), headers={"Authorization": "token not-the-token"},
        raise_error=False,
    )
    assert response.code == 403


@pytest.mark.parametrize(
    "method, endpoint, body",
    [
        ("POST", "models/clf/versions/1/stage", {"stage": "Production"}),
        ("POST", "models/clf/aliases/champion", {"version": 1}),
        ("DELETE", "models/clf/aliases/champion", None),
    ],
)
async def test_writes_without_token_are_refused(
    seeded, http_server_client, jp_base_url, method, endpoint, body
):
    response = await http_server_client.fetch(
        _url(jp_base_url, endpoint), method=method,
        body=None if body is None else json.dumps(body), raise_error=False,
        allow_nonstandard_methods=True,
    )
    assert response.code == 403
    assert seeded.client.get_model_version("clf", 1).current_stage == "None"


async def _browser_cookies(http_server_client, base: str, token: str) -> dict[str, str]:
    """Log in like a browser: the token in the URL sets the login cookie; /login sets _xsrf."""
    cookies: dict[str, str] = {}
    for path in (_url(base, "experiments") + f"?token={token}", url_path_join(base, "login")):
        response = await http_server_client.fetch(path, raise_error=False)
        for header in response.headers.get_list("Set-Cookie"):
            name, _, rest = header.partition("=")
            cookies[name] = rest.split(";", 1)[0]
    assert any(n.startswith("username-") for n in cookies) and "_xsrf" in cookies
    return cookies


async def test_cookie_post_needs_xsrf(seeded, http_server_client, jp_base_url, jp_serverapp):
    cookies = await _browser_cookies(
        http_server_client, jp_base_url, jp_serverapp.identity_provider.token
    )
    cookie_header = "; ".join(f"{k}={v}" for k, v in cookies.items())
    url = _url(jp_base_url, "models/clf/versions/1/stage")
    body = json.dumps({"stage": "Staging"})

    # Authenticated by cookie, but no XSRF token: refused, nothing changes.
    refused = await http_server_client.fetch(
        url, method="POST", body=body, headers={"Cookie": cookie_header}, raise_error=False
    )
    assert refused.code == 403
    assert "xsrf" in refused.body.decode().lower()
    assert seeded.client.get_model_version("clf", 1).current_stage == "None"

    # Same cookie, with the XSRF token echoed in the header as the lab frontend does: accepted.
    accepted = await http_server_client.fetch(
        url, method="POST", body=body, raise_error=False,
        headers={"Cookie": cookie_header, "X-XSRFToken": urllib.parse.unquote(cookies["_xsrf"])},
    )
    assert accepted.code == 200, accepted.body
    assert seeded.client.get_model_version("clf", 1).current_stage == "Staging"


TRAVERSALS = [
    "../../../../etc/passwd",
    "../other-run/secret.txt",
    "plots/../../escape.txt",
    "/etc/passwd",
    "%2e%2e/%2e%2e/etc/passwd",  # arrives decoded as ../../etc/passwd
    "..\\..\\etc\\passwd",
]


@pytest.mark.parametrize("path", TRAVERSALS)
async def test_artifact_download_traversal_is_refused(
    seeded, http_server_client, jp_base_url, jp_auth_header, path
):
    query = path if path.startswith("%") else urllib.parse.quote(path, safe="")
    url = _url(jp_base_url, f"runs/{seeded.good_run}/artifact") + f"?path={query}"
    response = await http_server_client.fetch(url, headers=jp_auth_header, raise_error=False)
    assert response.code in (400, 403)
    assert b"root:" not in response.body
    assert json.loads(response.body)["error"] == "ArtifactPathError"


@pytest.mark.parametrize("path", TRAVERSALS[:4])
async def test_artifact_listing_traversal_is_refused(seeded, fetch_error, path):
    code, body = await fetch_error(f"runs/{seeded.good_run}/artifacts", path=path)
    assert code == 400 and body["error"] == "ArtifactPathError"


async def test_symlink_out_of_run_folder_is_refused(seeded, fetch_error, tmp_path):
    from nbtrack.artifacts import local_path_from_uri

    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    folder = local_path_from_uri(seeded.client.get_run(seeded.good_run).info.artifact_uri)
    (folder / "link.txt").symlink_to(secret)
    code, body = await fetch_error(f"runs/{seeded.good_run}/artifact", path="link.txt")
    assert code == 400 and "outside" in body["message"]
