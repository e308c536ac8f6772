"""`auth status --check`: one cheap authenticated request per profile, and what the service made of the secret.

A provider that lists tasks is asked for one task; one that cannot is asked for a task that does not exist
(``ProviderSpec.probe_task_id``), whose "not found" proves the secret was accepted. Checks of several profiles
run at once, each within CHECK_SECONDS (what connecting asks, such as an IAM token, included).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple, cast

from taskctl import providers
from taskctl.errors import AuthError, ExitCode, NetworkError, NotFoundError, TaskctlError, about

CHECK_SECONDS = 15.0  # a cheap request, retries included: a service that takes longer is as good as unreachable

if TYPE_CHECKING:
    from taskctl.config import Profile
    from taskctl.context import AppContext, Connection


class Check(NamedTuple):
    """What the service said of a profile's secret: ``accepted``, ``refused``, ``unreachable``, or ``failed``
    (anything else: the answer was not one taskctl could read, or the profile cannot be used), and the error."""

    result: str
    error: TaskctlError | None = None

    @property
    def exit_code(self) -> ExitCode:
        return self.error.exit_code if self.error is not None else ExitCode.OK


def check_profiles(app: AppContext, profiles: Sequence[Profile]) -> list[Check]:
    """One check per profile, in the order given (several at once)."""
    if len(profiles) == 1:
        return [check_profile(app, profiles[0])]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(8, len(profiles)), thread_name_prefix="check") as pool:
        return list(pool.map(lambda profile: check_profile(app, profile), profiles))


def check_profile(app: AppContext, profile: Profile) -> Check:
    from taskctl.http import time_budget

    try:
        with time_budget(CHECK_SECONDS), app.connect(profile.provider, profile.name) as connection:
            _probe(connection)
    except NotFoundError:  # the probe's task does not exist, and the service said so: it took the secret
        return Check("accepted")
    except AuthError as error:
        return Check("refused", _named(error, profile))
    except NetworkError as error:
        return Check("unreachable", _named(error, profile))
    except TaskctlError as error:
        return Check("failed", _named(error, profile))
    return Check("accepted")


def _probe(connection: Connection) -> None:
    from taskctl.providers.base import Lister, ListQuery

    spec = providers.get(connection.profile.provider)
    if spec.lists:
        next(iter(cast("Lister", connection.fetcher).pages(ListQuery(page_size=1))), None)
    elif spec.probe_task_id:
        connection.fetcher.fetch(spec.probe_task_id)
    else:
        raise TaskctlError(f"taskctl has no request to check a {spec.name} secret with")


def _named(error: TaskctlError, profile: Profile) -> TaskctlError:
    return about(error, f"profile '{profile.name}'")
