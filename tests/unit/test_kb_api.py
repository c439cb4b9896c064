"""The knowledge-base API: keys and scopes, CRUD, 422s that list every problem, tenant isolation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from suggest.embed.fake import HashingEmbedder
from tests.kb_helpers import api_client, bearer, make_app, tenant_keys

ARTICLE = {
    "external_id": "warranty-en",
    "canonical_id": "warranty",
    "language": "en",
    "title": "What the warranty covers",
    "body": "## Panels\n\nPanels have a 25 year warranty.\n\n## Inverters\n\nInverters have 10 years.",
    "tags": ["Warranty"],
}
CANNED = {
    "external_id": "ack",
    "title": "We have your message",
    "category": "ack_in_hours",
    "variables": ["customer_first_name", "ticket_number"],
    "auto_send": True,
    "variants": [
        {
            "language": "en",
            "title": "Received",
            "body": "Hi {{ customer_first_name }}, ticket {{ ticket_number }}.",
        },
        {
            "language": "nl",
            "title": "Ontvangen",
            "body": "Hoi {{ customer_first_name }}, ticket {{ ticket_number }}.",
        },
    ],
}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with api_client(tmp_path) as client:
        yield client


def _keys(client: TestClient) -> dict[str, dict[str, str]]:
    return tenant_keys(client.app, "acme", "other")  # type: ignore[arg-type]


def test_keys_are_required_and_scopes_enforced(client: TestClient) -> None:
    keys = _keys(client)
    assert client.get("/v1/kb/articles").status_code == 401
    assert client.get("/v1/kb/articles", headers=bearer("rk_wrong")).status_code == 401
    assert client.get("/v1/kb/articles", headers=bearer(keys["acme"]["agent"])).status_code == 403
    assert client.get("/v1/kb/articles", headers=bearer(keys["acme"]["admin"])).status_code == 200
    assert client.get("/v1/kb/articles", headers={"X-API-Key": keys["acme"]["admin"]}).status_code == 200
    search = {"text": "warranty"}
    assert client.post("/v1/kb/search", json=search, headers=bearer(keys["acme"]["agent"])).status_code == 200


def test_article_crud_round_trip(client: TestClient) -> None:
    admin = bearer(_keys(client)["acme"]["admin"])
    created = client.post("/v1/kb/articles", json=ARTICLE, headers=admin)
    assert created.status_code == 201
    body = created.json()
    assert body["tags"] == ["warranty"] and body["passages"] == 2 and "<h2>Panels</h2>" in body["body_html"]
    url = f"/v1/kb/articles/{body['id']}"
    assert client.get(url, headers=admin).json()["title"] == ARTICLE["title"]
    changed = client.put(url, json=ARTICLE | {"title": "Warranty, explained"}, headers=admin)
    assert changed.status_code == 200 and changed.json()["title"] == "Warranty, explained"
    listed = client.get("/v1/kb/articles", params={"q": "explained"}, headers=admin).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == body["id"]
    assert client.delete(url, headers=admin).status_code == 204
    assert client.get(url, headers=admin).status_code == 404


def test_search_finds_content_saved_through_the_api(client: TestClient) -> None:
    keys = _keys(client)["acme"]
    client.post(
        "/v1/kb/articles", json=ARTICLE, headers=bearer(keys["admin"])
    )  # refresh runs after the response
    result = client.post(
        "/v1/kb/search", json={"text": "panels 25 year warranty", "k": 3}, headers=bearer(keys["agent"])
    )
    assert result.status_code == 200
    hits = result.json()["hits"]
    assert hits and hits[0]["external_id"] == "warranty-en" and hits[0]["url"] is None


def test_canned_crud_versions_and_preview(client: TestClient) -> None:
    admin = bearer(_keys(client)["acme"]["admin"])
    created = client.post("/v1/kb/canned", json=CANNED, headers=admin).json()
    url = f"/v1/kb/canned/{created['id']}"
    archived = client.put(url, json=CANNED | {"state": "archived"}, headers=admin).json()
    assert archived["version"] == 2 and archived["state"] == "archived"
    versions = client.get(f"{url}/versions", headers=admin).json()
    assert [v["version"] for v in versions] == [1, 2] and versions[0]["snapshot"]["state"] == "active"
    preview = client.post(f"{url}/preview", json={"language": "nl"}, headers=admin).json()
    assert preview == {"language": "nl", "text": "Hoi Maria, ticket 48213.", "missing": []}
    partial = client.post(
        f"{url}/preview", json={"language": "en", "values": {"customer_first_name": ""}}, headers=admin
    )
    assert (
        partial.json()["missing"] == ["customer_first_name"]
        and "[missing: customer_first_name]" in partial.json()["text"]
    )
    assert client.post(f"{url}/preview", json={"language": "el"}, headers=admin).status_code == 404


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"variants": [{"language": "en", "title": "x", "body": "{{ ''.__class__ }} {{ lipsum }}"}]}, 2),
        ({"category": "bogus", "intents": ["Not A Slug"]}, 2),
        ({"variables": ["password"]}, 1),
        ({"variants": []}, 1),
    ],
)
def test_invalid_canned_responses_get_a_422_listing_each_problem(
    client: TestClient, change: dict[str, Any], fields: int
) -> None:
    admin = bearer(_keys(client)["acme"]["admin"])
    response = client.post("/v1/kb/canned", json=CANNED | change, headers=admin)
    assert response.status_code == 422
    body = response.json()
    assert len(body["problems"]) >= fields
    assert all(set(p) == {"field", "message"} for p in body["problems"])


def test_another_tenants_items_are_404_not_403(client: TestClient) -> None:
    keys = _keys(client)
    mine = client.post("/v1/kb/articles", json=ARTICLE, headers=bearer(keys["acme"]["admin"])).json()
    theirs = bearer(keys["other"]["admin"])
    url = f"/v1/kb/articles/{mine['id']}"
    assert client.get(url, headers=theirs).status_code == 404
    assert client.put(url, json=ARTICLE, headers=theirs).status_code == 404
    assert client.delete(url, headers=theirs).status_code == 404
    assert client.get("/v1/kb/articles", headers=theirs).json()["total"] == 0


def test_a_duplicate_external_id_is_a_409(client: TestClient) -> None:
    admin = bearer(_keys(client)["acme"]["admin"])
    client.post("/v1/kb/articles", json=ARTICLE, headers=admin)
    other = client.post("/v1/kb/articles", json=ARTICLE | {"external_id": "second"}, headers=admin).json()
    response = client.put(f"/v1/kb/articles/{other['id']}", json=ARTICLE, headers=admin)
    assert response.status_code == 409 and "already belongs" in response.json()["detail"]


def test_search_waits_for_the_model_with_a_503(tmp_path: Path) -> None:
    import threading

    release = threading.Event()

    def slow() -> HashingEmbedder:
        release.wait(10)
        return HashingEmbedder()

    with TestClient(make_app(tmp_path, embedder_factory=slow)) as client:
        agent = bearer(_keys(client)["acme"]["agent"])
        response = client.post("/v1/kb/search", json={"text": "x"}, headers=agent)
        release.set()
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"


def test_list_filters_are_bounded(client: TestClient) -> None:
    admin = bearer(_keys(client)["acme"]["admin"])
    too_long = client.get("/v1/kb/articles", params={"q": "x" * 201}, headers=admin)
    bad_state = client.get("/v1/kb/canned", params={"state": "deleted"}, headers=admin)
    assert too_long.status_code == 422 and too_long.json()["problems"][0]["field"] == "query.q"
    assert bad_state.status_code == 422


def test_malformed_json_names_the_body_and_where_it_broke(client: TestClient) -> None:
    agent = bearer(_keys(client)["acme"]["agent"])
    response = client.post(
        "/v1/kb/search", content=b'{"text":', headers=agent | {"content-type": "application/json"}
    )
    assert response.status_code == 422
    (problem,) = response.json()["problems"]
    assert problem["field"] == "body" and "at character 8" in problem["message"]
