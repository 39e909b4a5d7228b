"""Where-am-I: the resolution order, each step recorded; the cloud metadata probe."""

from __future__ import annotations

import os

import pytest
from carbon_fakes import FakeServer, wait_for

from jupyter_carbon.carbon import CarbonContext, UnknownRegion, find_zone
from jupyter_carbon.carbon.metadata import detect_cloud_region
from jupyter_carbon.carbon.resolve import ENV_VAR, machine_timezone, zone_for_timezone
from jupyter_carbon.config import CarbonMeter


def context(config=None, env=None, timezone=""):
    return CarbonContext(config or CarbonMeter(), env=env or {}, timezone=timezone)


def test_nothing_known_means_the_world_average_as_a_guess():
    with context() as ctx:
        i = ctx.current()
    world = find_zone("WORLD")
    assert (i.zone, i.chosen_by, i.guess) == ("WORLD", "default", True)
    assert i.g_per_kwh == world.g_per_kwh and i.pue == 1.0


def test_timezone_gives_a_sub_national_zone_marked_as_a_guess():
    with context(timezone="America/Montreal") as ctx:
        i = ctx.current()
    assert (i.zone, i.chosen_by, i.guess) == ("CA-QC", "timezone", True)
    assert zone_for_timezone("Europe/Paris").key == "FR"
    assert zone_for_timezone("Etc/UTC") is None
    assert zone_for_timezone("Mars/Olympus") is None


def test_environment_beats_timezone():
    with context(env={ENV_VAR: "quebec"}, timezone="Europe/Paris") as ctx:
        i = ctx.current()
    assert (i.zone, i.chosen_by, i.guess) == ("CA-QC", "environment", False)


def test_config_beats_environment():
    with context(CarbonMeter(region="FR"), env={ENV_VAR: "DE"}, timezone="Europe/Paris") as ctx:
        assert (ctx.current().zone, ctx.current().chosen_by) == ("FR", "config")


def test_argument_beats_config_and_an_unknown_argument_changes_nothing():
    with context(CarbonMeter(region="FR"), env={ENV_VAR: "DE"}) as ctx:
        assert ctx.set_region("aws:ca-central-1").chosen_by == "argument"
        with pytest.raises(UnknownRegion):
            ctx.set_region("atlantis")
        i = ctx.current()
    assert (i.zone, i.chosen_by, i.pue) == ("aws:ca-central-1", "argument", find_zone("aws:ca-central-1").pue)


@pytest.mark.parametrize(
    "config, env, origin",
    [(CarbonMeter(region="atlantis"), {}, "c.CarbonMeter.region"), (CarbonMeter(), {ENV_VAR: "atlantis"}, ENV_VAR)],
)
def test_a_configured_unknown_region_is_an_error_that_says_where(config, env, origin):
    with pytest.raises(UnknownRegion) as info:
        context(config, env)
    assert origin in str(info.value)


def test_pue_defaults_by_provider_then_config_then_override():
    with context(CarbonMeter(region="gcp:europe-west1")) as ctx:
        assert ctx.current().pue == find_zone("gcp:europe-west1").pue
    with context(CarbonMeter(region="gcp:europe-west1", pue=1.4)) as ctx:
        assert ctx.current().pue == 1.4
        ctx.set_pue(1.05)
        assert ctx.current().pue == 1.05
        with pytest.raises(ValueError, match="at least 1.0"):
            ctx.set_pue(0.8)
        assert ctx.current().pue == 1.05


def test_emissions_use_the_current_intensity_and_pue():
    with context(CarbonMeter(region="FR", pue=1.5)) as ctx:
        i = ctx.current()
        assert ctx.emissions_g(7.2e6) == pytest.approx(2 * 1.5 * i.g_per_kwh)
        other = i.replace(g_per_kwh=100.0, pue=1.0)
        assert ctx.emissions_g(3.6e6, other) == pytest.approx(100.0)


def test_machine_timezone_reads_tz_then_etc_files(tmp_path):
    assert machine_timezone({"TZ": ":America/Montreal"}) == "America/Montreal"
    (tmp_path / "etc").mkdir()
    os.symlink("/usr/share/zoneinfo/Europe/Paris", tmp_path / "etc" / "localtime")
    assert machine_timezone({}, root=str(tmp_path)) == "Europe/Paris"
    (tmp_path / "etc" / "timezone").write_text("Asia/Tokyo\n")
    assert machine_timezone({}, root=str(tmp_path)) == "Asia/Tokyo"
    assert machine_timezone({}, root=str(tmp_path / "nothing")) is None


# -- cloud instance metadata, against a loopback fake --------------------------------------


def test_aws_metadata_with_imdsv2_token():
    routes = {
        "/latest/api/token": (200, "tok-123", 0),
        "/latest/meta-data/placement/region": (200, "eu-west-3", 0),
    }
    with FakeServer(routes) as fake:
        region, how = detect_cloud_region(fake.url, 1.0)
        assert region.key == "aws:eu-west-3" and "aws" in how
        method, _, headers = fake.requests[-1]
        assert headers.get("x-aws-ec2-metadata-token") == "tok-123"


def test_gcp_metadata_zone_becomes_region():
    routes = {"/computeMetadata/v1/instance/zone": (200, "projects/42/zones/europe-west1-b", 0)}
    with FakeServer(routes) as fake:
        region, _ = detect_cloud_region(fake.url, 1.0)
    assert region.key == "gcp:europe-west1"


def test_azure_metadata_and_unknown_answers():
    with FakeServer({"/metadata/instance/compute/location": (200, "westeurope", 0)}) as fake:
        assert detect_cloud_region(fake.url, 1.0)[0].key == "azure:westeurope"
    with FakeServer({"/metadata/instance/compute/location": (200, "<html>nope</html>", 0)}) as fake:
        region, reason = detect_cloud_region(fake.url, 1.0)
    assert region is None and "not a region name" in reason and "HTTP 404" in reason


def test_metadata_time_out_is_short_and_reported():
    slow = {"/latest/meta-data/placement/region": (200, "eu-west-3", 1.0)}
    with FakeServer(slow) as fake:
        region, reason = detect_cloud_region(fake.url, 0.1)
    assert region is None and "within 0.1 s" in reason


def test_cloud_metadata_runs_in_the_background_and_moves_the_zone():
    routes = {"/latest/meta-data/placement/region": (200, "ca-central-1", 0.3)}
    with FakeServer(routes) as fake:
        config = CarbonMeter(cloud_metadata=True, cloud_metadata_url=fake.url, cloud_metadata_timeout_s=2.0)
        with context(config, timezone="Europe/Paris") as ctx:
            first = ctx.current()  # answers at once, before the probe is back
            assert first.chosen_by == "timezone"
            assert wait_for(lambda: ctx.current().chosen_by == "cloud-metadata")
            i = ctx.current()
    assert (i.zone, i.guess, i.pue) == ("aws:ca-central-1", False, find_zone("aws:ca-central-1").pue)


def test_cloud_metadata_does_not_override_the_environment():
    routes = {"/latest/meta-data/placement/region": (200, "ca-central-1", 0)}
    with FakeServer(routes) as fake:
        config = CarbonMeter(cloud_metadata=True, cloud_metadata_url=fake.url)
        with context(config, env={ENV_VAR: "FR"}) as ctx:
            assert wait_for(lambda: ctx._probe.done.is_set())
            assert (ctx.current().zone, ctx.current().chosen_by) == ("FR", "environment")


def test_cloud_metadata_is_off_by_default():
    with context() as ctx:
        assert ctx._probe is None
