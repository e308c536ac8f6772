"""`taskctl eo preview`: a task's thumbnail from the storage host (no credential), saved, opened, or drawn on the
terminal with the kitty, iTerm2, sixel or half-block protocol; the escape streams checked byte for byte
against the protocols' documents; Pillow an optional extra."""

from __future__ import annotations

import base64
import os
import pty
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support import write_profiles
from support.eo_http import assert_clean_error, profile_yaml
from support.loopback import Reply

from taskctl.commands.preview import protocols
from taskctl.commands.preview.image import MAX_PIXELS, Picture, decode, sniff
from taskctl.commands.preview.protocols import Box, Protocol, detect, fit
from taskctl.errors import ResponseError
from taskctl.providers.eo.images import thumbnail_png
from taskctl.sandbox import SANDBOX_TOKEN, RunningSandbox

THUMB_703 = thumbnail_png("NdviPrd202305_thumb.png")


@pytest.fixture
def eo(sandbox: RunningSandbox, profiles_file: Path) -> RunningSandbox:
    write_profiles(profiles_file, profile_yaml(sandbox.endpoint("eo"), token=SANDBOX_TOKEN, retries=0))
    return sandbox


@pytest.fixture
def preview(cli: Callable[..., Any]) -> Callable[..., Any]:
    return lambda *args, **kwargs: cli("eo", "preview", *args, **kwargs)


def on_a_terminal(args: list[str], env: dict[str, str], columns: int = 80, lines: int = 24,
                  python: tuple[str, ...] = ("-m", "taskctl")) -> tuple[int, bytes, str]:
    """Run taskctl with stdout on a pseudo-terminal (stderr piped): exit status, what it drew, its stderr."""
    import fcntl
    import struct
    import termios

    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    process = subprocess.Popen([sys.executable, *python, *args], stdout=secondary, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, env={**os.environ, **env})
    os.close(secondary)
    output = bytearray()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([primary], [], [], 1)
        if ready:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the child closed its end
                break
            if not chunk:
                break
            output += chunk
        elif process.poll() is not None:
            break
    os.close(primary)
    assert process.stderr is not None
    stderr = process.stderr.read().decode()
    return process.wait(timeout=30), bytes(output), stderr


def terminal_env(profiles_file: Path, **extra: str) -> dict[str, str]:
    return {"TASKCTL_CONFIG": str(profiles_file), "TERM": "xterm-256color", "COLUMNS": "", "LINES": "", **extra}


# --- saving, and where the bytes come from ---------------------------------------------------------------------


def test_not_on_a_terminal_save_or_open_is_required(preview, eo) -> None:
    assert_clean_error(preview("703"), 2, "not a terminal", "--save PATH", "--open")
    assert eo.requests_seen == []


def test_save_writes_the_thumbnail_as_served_without_credentials(preview, eo, tmp_path) -> None:
    target = tmp_path / "thumb.png"
    result = preview("703", "--save", str(target))
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{target}\n", "")
    assert target.read_bytes() == THUMB_703
    assert eo.storage_requests_seen and all(SANDBOX_TOKEN not in repr(seen) for seen in eo.storage_requests_seen)


def test_save_replaces_only_with_force(preview, eo, tmp_path) -> None:
    target = tmp_path / "thumb.png"
    target.write_bytes(b"mine")
    assert_clean_error(preview("703", "--save", str(target)), 1, "already exists", "--force")
    assert target.read_bytes() == b"mine" and eo.requests_seen == []
    assert preview("703", "--save", str(target), "--force").exit_code == 0
    assert target.read_bytes() == THUMB_703
    assert_clean_error(preview("703", "--save", str(tmp_path)), 2, "not a folder")


@pytest.mark.parametrize("name", ["Near Infrared", "near infrared", "LC08_L2SP_118038_20230514_20230524_02_T1_SR_B5"])
def test_an_input_by_band_or_file_name(preview, eo, tmp_path, name) -> None:
    target = tmp_path / "b5.png"
    assert preview("703", "--input", name, "--save", str(target)).exit_code == 0
    assert target.read_bytes() == thumbnail_png("LC08_L2SP_118038_20230514_20230524_02_T1_SR_B5_thumb.png")


@pytest.mark.parametrize(("args", "code", "needles"), [
    (["703", "--input", "nir"], 1, ("no input named 'nir'", "Red, Near Infrared")),
    (["708"], 1, ("has no thumbnail", "output.thumbnailUrl is null")),
    (["712"], 1, ("has no thumbnail",)),
    (["709"], 3, ("not found",)),
])
def test_no_thumbnail_to_show(preview, eo, tmp_path, args, code, needles) -> None:
    assert_clean_error(preview(*args, "--save", str(tmp_path / "x.png")), code, *needles)
    assert not (tmp_path / "x.png").exists()


def test_an_oversized_thumbnail_stops_at_the_cap(preview, eo, serve, tmp_path) -> None:
    huge = serve(Reply(200, b"\0" * (8 * 2**20 + 1), {"Content-Type": "image/png"}))
    eo.add_task("eo", 9200, {"id": 9200, "status": 7, "output": {"fileName": "x", "thumbnailUrl": huge.url + "/t"}})
    assert_clean_error(preview("9200", "--save", str(tmp_path / "x.png")), 1, "larger than 8 MiB")
    assert not (tmp_path / "x.png").exists()


def test_open_hands_the_file_to_the_viewer_as_an_argument(preview, eo, tmp_path, monkeypatch) -> None:
    record = tmp_path / "opened"
    viewer = tmp_path / "bin" / ("open" if sys.platform == "darwin" else "xdg-open")
    viewer.parent.mkdir()
    viewer.write_text(f'#!/bin/sh\nprintf "%s\\n" "$#" "$1" > {record}\n')
    viewer.chmod(0o755)
    monkeypatch.setenv("PATH", f"{viewer.parent}{os.pathsep}{os.environ['PATH']}")
    result = preview("707", "--open")
    assert result.exit_code == 0, result.stderr
    deadline = time.monotonic() + 10
    while not record.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    count, opened = record.read_text().splitlines()
    assert count == "1" and Path(opened).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "\x1b" not in opened and Path(opened).name.endswith(".png")


# --- on a terminal ---------------------------------------------------------------------------------------------


def test_half_blocks_on_a_terminal_with_a_caption(eo, profiles_file) -> None:
    status, output, _stderr = on_a_terminal(["eo", "preview", "703", "--input", "Red"],
                                   terminal_env(profiles_file, COLORTERM="truecolor"), columns=200)
    text = output.decode()
    assert status == 0, text
    assert "\x1b[38;2;" in text and ";48;2;" in text and "▀" in text
    lines = text.replace("\r", "").rstrip("\n").split("\n")
    assert len(lines) <= 23  # the prompt line is left
    assert "eo task 703 · input LC08_L2SP_118038_20230514_20230524_02_T1_SR_B4 · band Red · 96×64 px" in lines[-1]
    assert max(line.count("▀") for line in lines) == 66  # 22 rows x 2 pixels, with the aspect of 96x64


def test_256_colours_without_truecolor(eo, profiles_file) -> None:
    status, output, _stderr = on_a_terminal(["eo", "preview", "703"], terminal_env(profiles_file))
    assert status == 0 and "\x1b[38;5;" in output.decode() and "\x1b[38;2;" not in output.decode()


def test_kitty_passes_the_png_through(eo, profiles_file) -> None:
    status, output, _stderr = on_a_terminal(["eo", "preview", "703"], terminal_env(profiles_file, KITTY_WINDOW_ID="1"))
    assert status == 0
    assert output.replace(b"\r\n", b"\n").startswith(protocols.kitty(THUMB_703, fit(96, 64, 80, 22)).encode())


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_the_half_block_view_under_tmux(eo, profiles_file, tmp_path) -> None:
    session = f"taskctl-preview-{os.getpid()}"
    command = (f"TASKCTL_CONFIG={profiles_file} {sys.executable} -m taskctl eo preview 703; "
               f"echo done > {tmp_path / 'done'}; sleep 60")
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", command], check=True,
                   env={**os.environ, "TMUX": ""})
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "done").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        pane = subprocess.run(["tmux", "capture-pane", "-p", "-e", "-t", session], capture_output=True, text=True,
                              check=True).stdout
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
    rows = [line for line in pane.splitlines() if "▀" in line]
    assert len(rows) == 22 and "\x1b[38;5;" in pane
    assert "eo task 703 · output NdviPrd202305 · 96×64 px" in pane


def test_without_pillow_pixels_need_the_extra_and_kitty_still_works(eo, profiles_file) -> None:
    # A real interpreter in which Pillow cannot be imported (None in sys.modules makes `import PIL` fail).
    no_pillow = ("-c", "import sys; sys.modules['PIL'] = None; from taskctl.cli.app import main; main()")
    env = terminal_env(profiles_file)
    status, output, stderr = on_a_terminal(["eo", "preview", "703", "--protocol", "blocks"], env, python=no_pillow)
    assert (status, output) == (6, b"")
    assert stderr.splitlines() == [
        "taskctl: error: eo task 703: showing this image in the terminal needs Pillow, which is not installed",
        "taskctl: install the preview extra: pip install 'taskctl[preview]' (or pipx inject taskctl pillow)"]
    status, output, stderr = on_a_terminal(["eo", "preview", "703", "--protocol", "kitty"], env, python=no_pillow)
    assert (status, stderr) == (0, "")
    assert output.startswith(b"\x1b_Ga=T,f=100,q=2,")


# --- the escape streams, byte for byte ------------------------------------------------------------------------


def test_kitty_stream_per_the_graphics_protocol() -> None:
    small = b"\x89PNG" + bytes(range(20))
    payload = base64.standard_b64encode(small).decode()
    assert protocols.kitty(small, Box(10, 4)) == f"\x1b_Ga=T,f=100,q=2,c=10,r=4,m=0;{payload}\x1b\\\n"
    big = bytes(range(256)) * 24  # 6144 bytes: 8192 base64 characters, two chunks of 4096
    encoded = base64.standard_b64encode(big).decode()
    assert protocols.kitty(big, Box(3, 2)) == (f"\x1b_Ga=T,f=100,q=2,c=3,r=2,m=1;{encoded[:4096]}\x1b\\"
                                                f"\x1b_Gm=0;{encoded[4096:]}\x1b\\\n")


def test_iterm_stream_per_the_inline_images_protocol() -> None:
    data = b"\xff\xd8\xff" + b"jpeg"
    assert protocols.iterm(data, "a b.jpg", Box(40, 12)) == (
        "\x1b]1337;File=name=YSBiLmpwZw==;size=7;width=40;height=12;preserveAspectRatio=1;inline=1:"
        + base64.standard_b64encode(data).decode() + "\x07\n")


def test_sixel_stream_per_the_vt340_format() -> None:
    from PIL import Image

    red = Image.new("RGB", (3, 6), (255, 0, 0))
    assert protocols.sixel(red, Box(3, 1), cell=(3, 6)) == '\x1bP0;1;0q"1;1;3;6#0;2;100;0;0#0~~~-\x1b\\\n'
    two = Image.new("RGB", (2, 2), (255, 0, 0))
    two.putpixel((1, 1), (0, 0, 255))
    # red: column 0 rows 0-1 (0b11 -> 'B'), column 1 row 0 ('@'); blue: column 1 row 1 ('A'); '$' between
    assert protocols.sixel(two, Box(2, 1), cell=(2, 2)) == \
        '\x1bP0;1;0q"1;1;2;2#0;2;100;0;0#1;2;0;0;100#0B@$#1?A-\x1b\\\n'
    long = Image.new("RGB", (10, 1), (0, 255, 0))
    assert "#0!10@-" in protocols.sixel(long, Box(10, 1), cell=(10, 1))


@pytest.mark.parametrize(("environ", "expected"), [
    ({"TERM": "xterm-kitty"}, Protocol.kitty), ({"KITTY_WINDOW_ID": "3", "TERM": "xterm"}, Protocol.kitty),
    ({"TERM_PROGRAM": "ghostty"}, Protocol.kitty), ({"TERM_PROGRAM": "WezTerm"}, Protocol.kitty),
    ({"TERM_PROGRAM": "iTerm.app"}, Protocol.iterm), ({"LC_TERMINAL": "iTerm2"}, Protocol.iterm),
    ({"TERM": "foot"}, Protocol.sixel), ({"TERM": "mlterm"}, Protocol.sixel),
    ({"TERM": "xterm-256color"}, None), ({}, Protocol.blocks), ({"TERM": "dumb"}, Protocol.blocks),
    ({"TERM": "tmux-256color", "KITTY_WINDOW_ID": "1"}, Protocol.blocks),
    ({"TMUX": "/tmp/x,1,0", "TERM_PROGRAM": "iTerm.app"}, Protocol.blocks),
])
def test_detection_from_the_environment(environ, expected) -> None:
    assert detect(environ) == expected


@pytest.mark.parametrize(("size", "room", "box"), [
    ((96, 64), (80, 22), Box(66, 22)), ((96, 64), (40, 22), Box(40, 14)), ((64, 640), (80, 22), Box(4, 20)),
    ((1000, 10), (80, 22), Box(80, 1)), ((1, 1), (1, 1), Box(1, 1)),
])
def test_as_large_as_fits_keeping_the_aspect(size, room, box) -> None:
    assert fit(*size, *room) == box


# --- untrusted bytes --------------------------------------------------------------------------------------------


def test_a_header_claiming_a_bomb_is_refused_before_decoding() -> None:
    import struct

    header = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">II", 100_000, 100_000)
    with pytest.raises(ResponseError, match="decompression bomb"):
        sniff(header + b"\0" * 20)


def test_pillows_bomb_limit_holds_for_formats_without_a_header_check() -> None:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("1", (8000, 6000)).save(buffer, "GIF")  # 48 million pixels in a few kilobytes
    assert len(buffer.getvalue()) < 100_000 and MAX_PIXELS < 8000 * 6000
    with pytest.raises(ResponseError, match="decompression bomb"):
        decode(sniff(buffer.getvalue()))


def test_an_undecodable_image_is_a_clean_error(eo, serve, profiles_file) -> None:
    garbage = serve(Reply(200, b"\x89PNG\r\n\x1a\n" + b"not really" * 10, {"Content-Type": "image/png"}))
    eo.add_task("eo", 9201, {"id": 9201, "status": 7, "output": {"fileName": "x", "thumbnailUrl": garbage.url}})
    status, output, stderr = on_a_terminal(["eo", "preview", "9201"], terminal_env(profiles_file))
    assert (status, output) == (1, b"")
    assert stderr.splitlines() == ["taskctl: error: eo task 9201: the thumbnail is not an image taskctl can read "
                                   "(OSError)", "taskctl: --save PATH keeps the bytes as sent, to look at them"]
    with pytest.raises(ResponseError, match="not an image"):
        decode(Picture(b"\xff\xd8 garbage", "jpeg", None, None))


def test_no_color_draws_a_grey_ramp(eo, profiles_file) -> None:
    status, output, _stderr = on_a_terminal(["eo", "preview", "703"], terminal_env(profiles_file, NO_COLOR="1"))
    text = output.decode()
    assert status == 0 and "▀" not in text and "\x1b[38" not in text and "=" in text


def test_a_thumbnail_host_that_redirects_gets_no_credential(preview, eo, serve, tmp_path) -> None:
    from support.loopback import redirect

    elsewhere = serve(Reply(200, THUMB_703, {"Content-Type": "image/png"}))
    first = serve(redirect(elsewhere.url + "/moved.png"))
    eo.add_task("eo", 9202, {"id": 9202, "status": 7, "output": {"fileName": "x", "thumbnailUrl": first.url + "/t"}})
    result = preview("9202", "--save", str(tmp_path / "t.png"))
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "t.png").read_bytes() == THUMB_703
    for host in (first, elsewhere):
        assert all(SANDBOX_TOKEN not in repr(seen) for seen in host.wait_for_requests(1))


def test_a_thumbnail_link_carrying_the_token_is_never_fetched(preview, eo, serve, tmp_path) -> None:
    host = serve(Reply(200, THUMB_703, {"Content-Type": "image/png"}))
    link = f"{host.url}/t.png?token={SANDBOX_TOKEN}"
    eo.add_task("eo", 9203, {"id": 9203, "status": 7, "output": {"fileName": "x", "thumbnailUrl": link}})
    assert_clean_error(preview("9203", "--save", str(tmp_path / "t.png")), 1, "carries the profile's credential")
    assert host.requests == []


def as_the_terminal(args: list[str], env: dict[str, str], answer: bytes | None) -> tuple[int, bytes, float]:
    """Run taskctl with stdin and stdout on one pseudo-terminal, playing the terminal: answer its DA1 query
    (``ESC [ c``) with ``answer`` (None: never). Exit status, what it wrote, seconds from the query to the end."""
    primary, secondary = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "taskctl", *args], stdin=secondary, stdout=secondary,
                               stderr=subprocess.DEVNULL, env={**os.environ, **env}, start_new_session=True)
    os.close(secondary)
    output, asked_at = bytearray(), None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([primary], [], [], 1)
        if not ready:
            if process.poll() is not None:
                break
            continue
        try:
            chunk = os.read(primary, 65536)
        except OSError:
            break
        output += chunk
        if asked_at is None and b"\x1b[c" in output:
            asked_at = time.monotonic()
            if answer is not None:
                os.write(primary, answer)
    status = process.wait(timeout=30)
    os.close(primary)
    return status, bytes(output), time.monotonic() - (asked_at or time.monotonic())


@pytest.mark.parametrize(("answer", "drawn"), [
    (b"\x1b[?62;4;22c", b"\x1bP0;1;0q"),  # a VT340-like terminal: sixel
    (b"\x1b[?64;1;2;6;9;15;18;21;22c", "▀".encode()),  # xterm without sixel: half blocks
    (None, "▀".encode()),  # no answer: half blocks, after at most the query's timeout
])
def test_an_unknown_terminal_is_asked_whether_it_draws_sixel(eo, profiles_file, answer, drawn) -> None:
    status, output, after_query = as_the_terminal(["eo", "preview", "703"], terminal_env(profiles_file), answer)
    assert status == 0, output
    assert output.startswith(b"\x1b[c") and drawn in output
    assert after_query < 15
