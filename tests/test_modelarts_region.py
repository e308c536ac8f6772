"""ModelArts profiles as Huawei Cloud users write them: a region instead of an endpoint, IAM endpoints, auth keys."""

from __future__ import annotations

import json

import pytest
from support import write_profiles

from taskctl.config import parse_profiles
from taskctl.errors import ConfigError


def _profile(body: str):
    return parse_profiles("profiles:\n  ma:\n    provider: modelarts\n" + body, "/p/profiles.yaml")["ma"]


@pytest.mark.parametrize(("region", "endpoint"), [
    ("cn-north-4", "https://modelarts.cn-north-4.myhuaweicloud.com"),
    ("ap-southeast-1", "https://modelarts.ap-southeast-1.myhuaweicloud.cn"),  # the SDK's one exception
    ("la-south-2", "https://modelarts.la-south-2.myhuaweicloud.com"),
])
def test_a_region_gives_the_endpoint(region: str, endpoint: str) -> None:
    assert _profile(f"    region: {region}\n").endpoint == endpoint


def test_an_explicit_endpoint_wins_over_the_region() -> None:
    profile = _profile("    region: cn-north-4\n    endpoint: https://ma.example.com/base/\n")
    assert profile.endpoint == "https://ma.example.com/base"


def test_an_unknown_region_is_a_config_error_listing_the_known_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        _profile("    project_id: p\n    region: cn-nort-4\n")
    assert caught.value.message == "/p/profiles.yaml:5: profiles -> ma -> region: unknown region 'cn-nort-4'"
    assert "cn-north-4" in (caught.value.hint or "") and "ap-southeast-1" in (caught.value.hint or "")


def test_neither_endpoint_nor_region_names_both() -> None:
    with pytest.raises(ConfigError, match=r"profiles -> ma: missing `endpoint` \(the service's base URL\) or "
                                          r"`region`"):
        _profile("    project_id: p\n")


def test_password_auth_needs_domain_and_username() -> None:
    with pytest.raises(ConfigError, match=r":5: profiles -> ma -> auth: `auth: password` needs `domain:`"):
        _profile("    region: cn-north-4\n    auth: password\n    username: bot\n")
    with pytest.raises(ConfigError, match=r"profiles -> ma -> auth: `auth: password` needs `username:`"):
        _profile("    region: cn-north-4\n    auth: password\n    domain: acme\n")


def test_an_unknown_auth_method_says_which_exist() -> None:
    with pytest.raises(ConfigError, match=r"profiles -> ma -> auth: modelarts profiles take password, not 'aksk'"):
        _profile("    region: cn-north-4\n    auth: aksk\n")
    with pytest.raises(ConfigError, match=r"profiles -> e -> auth: eo profiles take no `auth:`, not 'password'"):
        parse_profiles("profiles:\n  e:\n    provider: eo\n    endpoint: https://x\n    auth: password\n", "f")


def test_iam_endpoint_must_be_a_url() -> None:
    with pytest.raises(ConfigError, match=r":5: profiles -> ma -> iam_endpoint: expected an http\(s\) URL"):
        _profile("    region: cn-north-4\n    iam_endpoint: iam.example.com\n")
    assert _profile("    region: cn-north-4\n    iam_endpoint: https://iam.example.com/\n").settings[
        "iam_endpoint"] == "https://iam.example.com"


def test_profile_show_gives_the_derived_endpoint_and_its_line(cli, profiles_file) -> None:
    write_profiles(profiles_file, "profiles:\n  ma:\n    provider: modelarts\n    region: cn-north-4\n"
                                  "    project_id: p\n")
    result = cli("profile", "show", "ma", env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    endpoint_row = next(line for line in result.stdout.splitlines() if line.startswith("endpoint"))
    assert "https://modelarts.cn-north-4.myhuaweicloud.com" in endpoint_row and "profiles.yaml:4" in endpoint_row
    listed = json.loads(cli("profile", "list", "--json").stdout)
    assert listed[0]["endpoint"] == "https://modelarts.cn-north-4.myhuaweicloud.com"


def test_an_unlisted_region_is_fine_beside_an_explicit_endpoint() -> None:
    profile = _profile("    region: eu-west-101\n    endpoint: https://modelarts.eu-west-101.myhuaweicloud.eu\n")
    assert profile.settings["region"] == "eu-west-101"
    with pytest.raises(ConfigError, match=r":4: profiles -> ma -> region: not a region id"):
        _profile("    region: cn.north/4\n    endpoint: https://ma.example.com\n")
