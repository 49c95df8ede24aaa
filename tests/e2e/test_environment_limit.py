"""Sentry's per-organization environment limit: the distinct environment names
an organization's monitors and check-ins use, and what happens past it."""

import pytest

from test_ping import anon, api, checkins  # noqa: F401 -- fixtures

HOURLY = {"type": "cron", "expression": "0 * * * *"}


@pytest.fixture
def small(loom, api):
    """An organization that may use two environments: (its API, its ping key)."""
    r = api.post("/api/crons/organizations", {"name": "small", "environment_limit": 2})
    assert r.status == 201, r
    made = r.json()
    assert made["organization"]["environment_limit"] == 2
    return loom.http(token=made["token"]["token"]), made["organization"]["ping_key"]


def organization(api):
    return api.get("/api/crons/organization").json()


def refused(r, field):
    assert r.status == 403, r
    err = r.json()["error"]
    assert err["code"] == "environment_limit_exceeded" and err["field"] == field, err
    assert "limit of 2 environments" in err["message"]


def count_checkins(api, slug):
    return len(checkins(api, slug))


def test_the_default_limit_is_100_and_names_are_counted_once(api, anon):
    org = organization(api)
    assert (org["environment_limit"], org["environment_count"]) == (100, 0)
    mon = api.post("/api/crons/monitors", {"slug": "job", "schedule": HOURLY,
                                           "environments": ["production", "staging"]})
    assert mon.status == 201, mon
    key = mon.json()["monitor"]["ping_key"]
    for env in ("production", "staging", "production"):
        assert anon.get(f"/ping/{key}?env={env}").status == 200
    assert anon.get(f"/ping/{key}").status == 200          # no environment: not counted
    assert organization(api)["environment_count"] == 2


def test_pings_and_checkins_past_the_limit_are_refused_and_record_nothing(small, anon):
    api, org_key = small
    key = api.post("/api/crons/monitors", {"slug": "job", "schedule": HOURLY}).json()[
        "monitor"]["ping_key"]
    assert anon.get(f"/ping/{key}?env=a").status == 200
    assert anon.get(f"/ping/{key}/fail?env=b").status == 200
    before = count_checkins(api, "job")

    refused(anon.get(f"/ping/{key}?env=c"), "environment")
    refused(anon.get(f"/ping/{org_key}/job/fail?env=c"), "environment")
    refused(api.post("/api/crons/monitors/job/checkins",
                     {"status": "in_progress", "environment": "c"}), "environment")
    # A slug URL that would create its monitor creates nothing either.
    refused(anon.get(f"/ping/{org_key}/new-job?create=1&env=c"), "environment")
    assert api.get("/api/crons/monitors/new-job").status == 404
    assert count_checkins(api, "job") == before
    assert organization(api)["environment_count"] == 2

    # The names already counted keep working, by every route.
    assert anon.get(f"/ping/{key}?env=a").status == 200
    assert anon.get(f"/ping/{org_key}/job?env=b").status == 200
    r = api.post("/api/crons/monitors/job/checkins", {"status": "ok", "environment": "b"})
    assert r.status == 201, r
    assert count_checkins(api, "job") == before + 3


def test_monitors_whose_environments_pass_the_limit_are_refused(small):
    api, _ = small
    assert api.post("/api/crons/monitors", {"slug": "a", "schedule": HOURLY,
                                            "environments": ["prod"]}).status == 201
    refused(api.post("/api/crons/monitors", {"slug": "b", "schedule": HOURLY,
                                             "environments": ["eu", "us"]}), "environments")
    assert api.get("/api/crons/monitors/b").status == 404
    refused(api.patch("/api/crons/monitors/a", {"environments": ["prod", "eu", "us"]}),
            "environments")
    assert api.get("/api/crons/monitors/a").json()["monitor"]["environments"] == ["prod"]
    # The SDK's monitor_config is held to the same limit.
    refused(api.post("/api/crons/monitors/c/checkins", {
        "status": "in_progress", "monitor_config": {"schedule": HOURLY,
                                                    "environments": ["eu", "us"]}}),
        "environments")
    assert api.get("/api/crons/monitors/c").status == 404
    # One more fits.
    assert api.patch("/api/crons/monitors/a", {"environments": ["prod", "eu"]}).status == 200
    assert organization(api)["environment_count"] == 2


@pytest.mark.parametrize("value", [-1, 10000001, "5", 1.5, None])
def test_a_bad_environment_limit_is_400(api, value):
    r = api.post("/api/crons/organizations", {"name": "x", "environment_limit": value})
    assert r.status == 400, r
    assert r.json()["error"]["field"] == "environment_limit"
