"""`preview`: the thumbnail of a task's result (or of one of its inputs) in the terminal, or saved, or opened.

Any provider whose fetcher offers thumbnails (``taskctl.providers.thumbnails.ThumbnailSource``) has this
command. The thumbnail is a pre-signed link on a storage host: fetched without credentials, and at most
MAX_THUMBNAIL_BYTES. ``protocols`` says how the terminal is drawn on, ``image`` what the bytes are.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from taskctl.commands.preview.image import Picture, sniff
from taskctl.commands.preview.protocols import Protocol
from taskctl.errors import ExitCode, ResponseError, TaskctlError, UsageError, about, task_label

if TYPE_CHECKING:
    from taskctl.config import Profile
    from taskctl.context import AppContext
    from taskctl.providers.thumbnails import Thumbnail

MAX_THUMBNAIL_BYTES = 8 * 2**20


@dataclass(frozen=True)
class PreviewOptions:
    provider: str
    task_id: str  # as typed: the provider checks it
    profile: str | None
    input: str | None = None  # an input's band or file name; None: the output
    save: str | None = None  # write the image here (nothing is drawn)
    open: bool = False  # hand it to the desktop viewer (nothing is drawn)
    protocol: Protocol | None = None  # None: detected from the environment
    force: bool = False  # --save may replace a file


def run(app: AppContext, options: PreviewOptions) -> ExitCode:
    from taskctl import providers

    task_id = providers.load(options.provider).parse_task_id(options.task_id)
    if options.save is None and not options.open and not app.is_terminal(app.stdout):
        raise UsageError("stdout is not a terminal, so there is nowhere to show the picture",
                         "add --save PATH to write the image, or --open to open it in the desktop viewer")
    save = _save_path(options.save, options.force) if options.save is not None else None
    label = task_label(options.provider, task_id)
    with app.connect(options.provider, options.profile) as connection:
        source = _thumbnail_source(connection.fetcher, options.provider)
        try:
            result = connection.fetcher.fetch(task_id)
            thumbnail = source.thumbnail(result, options.input)
            data = _download(app, connection.profile, thumbnail, label, connection.secret.value)
        except TaskctlError as error:
            raise about(error, label) from None
    try:
        picture = sniff(data)
    except TaskctlError as error:
        raise about(error, label) from None
    if save is not None:
        _write(save, data, options.force)
        app.stdout.write(f"{save}\n")
    if options.open:
        from taskctl.commands.preview.viewer import open_in_viewer

        open_in_viewer(app, save or _temporary_copy(data, thumbnail, picture))
    if save is None and not options.open:
        from taskctl.commands.preview.show import show

        try:
            show(app, picture, thumbnail, options.protocol, label)
        except TaskctlError as error:
            raise about(error, label) from None
    return ExitCode.OK


def _thumbnail_source(fetcher: object, provider: str):  # type: ignore[no-untyped-def]
    from taskctl.providers.thumbnails import thumbnail_source

    source = thumbnail_source(fetcher)
    if source is None:
        raise UsageError(f"{provider} tasks have no thumbnails to preview", f"see `taskctl {provider} --help`")
    return source


def _save_path(save: str, force: bool) -> Path:
    path = Path(save).expanduser()
    if save == "" or path.is_dir() or save.endswith("/"):
        raise UsageError(f"--save {save}: name the file to write, not a folder", "e.g. --save thumb.png")
    if not path.parent.is_dir():
        raise UsageError(f"--save {save}: the folder {path.parent} does not exist", "create it first")
    if not force and (path.exists() or path.is_symlink()):
        raise TaskctlError(f"{path} already exists", "pass --force to replace it")
    return path


def _download(app: AppContext, profile: Profile, thumbnail: Thumbnail, label: str, secret: str) -> bytes:
    """The thumbnail's bytes, from its storage host, without credentials, at most MAX_THUMBNAIL_BYTES."""
    from taskctl.commands.download import checked_link
    from taskctl.commands.download.transfer import storage_http_error
    from taskctl.http.destination import host_port

    url = checked_link(thumbnail.url, label, secret)
    client = app.http_client(profile, credentials=False)
    try:
        response = client.stream(url, headers={"Accept": "image/png, image/jpeg;q=0.9, */*;q=0.5"})
        try:
            if response.status_code != 200:
                raise storage_http_error(response, host_port(url), "thumbnail", refreshed=False)
            received = bytearray()
            for chunk in client.iter_body(response):
                received += chunk
                if len(received) > MAX_THUMBNAIL_BYTES:
                    raise ResponseError(f"the thumbnail from {host_port(url)} is larger than "
                                        f"{MAX_THUMBNAIL_BYTES // 2**20} MiB; taskctl stopped there")
            return bytes(received)
        finally:
            response.close()
    finally:
        client.close()


def _write(path: Path, data: bytes, force: bool) -> None:
    try:
        with open(path, "wb" if force else "xb") as file:
            file.write(data)
    except FileExistsError:
        raise TaskctlError(f"{path} already exists", "pass --force to replace it") from None
    except OSError as error:
        raise TaskctlError(f"cannot write {path}: {error.strerror or error}") from None


def _temporary_copy(data: bytes, thumbnail: Thumbnail, picture: Picture) -> Path:
    """--open without --save: a private copy for the viewer (left for it: it opens the file later)."""
    import tempfile

    from taskctl.commands.download.names import safe_filename

    folder = Path(tempfile.mkdtemp(prefix="taskctl-preview-"))
    suffix = {"png": ".png", "jpeg": ".jpg"}.get(picture.kind or "", "")
    path = folder / ((safe_filename(thumbnail.file_name) or "thumbnail") + suffix)
    _write(path, data, force=False)
    return path
