"""Huawei Cloud regions: where ModelArts and IAM answer (the SDK's tables, see the IAM API sheet).

Standard library only: the profile check reads it while the profiles file is loaded.
"""

from __future__ import annotations

MODELARTS_REGIONS = (
    "af-north-1", "af-south-1", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
    "cn-east-3", "cn-east-4", "cn-north-1", "cn-north-11", "cn-north-12", "cn-north-2", "cn-north-4", "cn-north-9",
    "cn-south-1", "cn-southwest-2", "cn-southwest-3", "la-north-2", "la-south-2", "me-east-1", "sa-brazil-1",
    "tr-west-1",
)
"""The regions of the SDK's ModelArts table (huaweicloudsdkmodelarts/v1/region/modelarts_region.py)."""

_DOT_CN = frozenset({"ap-southeast-1"})  # its ModelArts host ends in .myhuaweicloud.cn (its IAM host does not)

IAM_REGIONS = frozenset({
    "cn-north-1", "cn-north-2", "cn-north-4", "cn-north-9", "cn-north-12", "cn-east-2", "cn-east-3", "cn-east-4",
    "cn-east-5", "cn-south-1", "cn-south-2", "cn-southwest-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
    "ap-southeast-4", "af-south-1", "sa-brazil-1", "la-south-2", "la-north-2", "na-mexico-1", "eu-west-0",
    "my-kualalumpur-1", "ru-moscow-1", "me-east-1", "ae-ad-1", "tr-west-1",
})
"""Regions with their own IAM host (the SDK's auth/endpoint.py); the others use the global one."""

GLOBAL_IAM = "https://iam.myhuaweicloud.com"


def modelarts_endpoint(region: str) -> str:
    domain = "myhuaweicloud.cn" if region in _DOT_CN else "myhuaweicloud.com"
    return f"https://modelarts.{region}.{domain}"


def iam_endpoint(region: str) -> str:
    return f"https://iam.{region}.myhuaweicloud.com" if region in IAM_REGIONS else GLOBAL_IAM


def region_of(endpoint: str) -> str | None:
    """The region named by a standard ModelArts endpoint (`https://modelarts.cn-north-4.myhuaweicloud.com`)."""
    from urllib.parse import urlsplit

    host = urlsplit(endpoint).hostname or ""
    labels = host.split(".")
    if len(labels) == 4 and labels[0] == "modelarts" and labels[2] == "myhuaweicloud":
        return labels[1]
    return None


def check_region_name(value: str) -> tuple[str, str] | None:
    """A region id as Huawei Cloud writes them: lower-case letters, digits and hyphens (it goes into host names)."""
    if value and all(char.isascii() and (char.islower() or char.isdigit() or char == "-") for char in value):
        return None
    return "not a region id", "region ids look like cn-north-4 or ap-southeast-1"


def check_region(value: str) -> tuple[str, str] | None:
    """A region whose ModelArts endpoint taskctl knows (needed when the profile names no `endpoint:`)."""
    if value in MODELARTS_REGIONS:
        return None
    return (f"unknown region {value[:40]!r}",
            f"known regions: {', '.join(MODELARTS_REGIONS)}; for another one, set `endpoint:` too")
